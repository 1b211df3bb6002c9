/**
 * sockit's version, read from deno.json so that there is one place to bump it, and what the
 * build stamped in: the git commit and the kind of build. `scripts/build.ts` replaces the
 * `@@SOCKIT_...@@` markers in the bundle it makes (which is also what the binaries are compiled
 * from); a plain checkout keeps them and reports `unknown` and `source`.
 *
 * @module
 */
import config from "../../deno.json" with { type: "json" };

/** The version of sockit. */
export const VERSION: string = config.version;

/** The `User-Agent`-style product token: `sockit/0.1.0`. */
export const PRODUCT = `sockit/${VERSION}`;

const STAMPED_COMMIT: string = "@@SOCKIT_COMMIT@@";
const STAMPED_BUILD: string = "@@SOCKIT_BUILD@@";

/** What `sockit --version` reports. */
export interface BuildInfo {
  /** sockit's version. */
  version: string;
  /** The Deno version running it. */
  deno: string;
  /** The platform it runs on (`x86_64-unknown-linux-gnu`): a binary's own target. */
  target: string;
  /** The git commit it was built from, or `unknown` for a checkout. */
  commit: string;
  /** `binary` (deno compile), `bundle` (one JavaScript file) or `source` (a checkout). */
  build: string;
}

/**
 * What this build is.
 *
 * @example
 * ```ts
 * import { buildInfo } from "./version.ts";
 * import assert from "node:assert/strict";
 * const info = buildInfo();
 * assert.equal(info.build, "source");
 * assert.equal(info.commit, "unknown");
 * ```
 */
export function buildInfo(): BuildInfo {
  const stamped = (value: string, fallback: string) => value.startsWith("@@") ? fallback : value;
  return {
    version: VERSION,
    deno: Deno.version.deno,
    target: Deno.build.target,
    commit: stamped(STAMPED_COMMIT, "unknown"),
    build: stamped(STAMPED_BUILD, "source"),
  };
}

/** One line for `sockit --version`. */
export function versionLine(): string {
  const info = buildInfo();
  return `sockit ${info.version} (deno ${info.deno}, ${info.target}, commit ${info.commit}, ${info.build})`;
}
