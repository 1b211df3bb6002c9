/**
 * Resolving names the way programs do: getaddrinfo through `node:dns` `lookup`, so `/etc/hosts`,
 * search domains and nsswitch all apply.
 *
 * @module
 */
import { ResolveError } from "../net/errors.ts";
import type { ErrorKind } from "../net/errors.ts";

/** One address of a name. */
export interface SystemAddress {
  /** The address. */
  address: string;
  /** 4 or 6. */
  family: 4 | 6;
}

/** Options for {@linkcode lookupSystem}. */
export interface LookupOptions {
  /** Only IPv4 (4) or IPv6 (6) addresses. @default {both} */
  family?: 4 | 6 | undefined;
}

/**
 * Why a system lookup failed, as the `kind` of its {@linkcode ResolveError}: the name does not
 * exist (`name-not-found`), it has no addresses of the family asked for (`no-addresses`), the
 * resolver could not get an answer now (`temporary-failure`), or something else (`failed`).
 */
export type SystemFailure = Extract<
  ErrorKind,
  "name-not-found" | "no-addresses" | "temporary-failure" | "failed"
>;

/**
 * Resolves `name` with the system resolver and returns every address, in its order. With a
 * `family`, only addresses of that family count (getaddrinfo returns an address literal of the
 * other family as it is; sockit does not).
 *
 * @throws {ResolveError} When the name does not resolve: `Cannot resolve "x": name not found`,
 * with a {@linkcode SystemFailure} as its `kind`.
 *
 * @example
 * ```ts
 * import { lookupSystem } from "./system.ts";
 * import assert from "node:assert/strict";
 * const found = await lookupSystem("localhost");
 * assert.ok(found.some((a) => a.address === "127.0.0.1" || a.address === "::1"));
 * ```
 */
export async function lookupSystem(
  name: string,
  options: LookupOptions = {},
): Promise<SystemAddress[]> {
  const { lookup } = await import("node:dns/promises");
  try {
    const found = await lookup(name, { all: true, verbatim: true, family: options.family ?? 0 });
    const seen = new Set<string>();
    const addresses: SystemAddress[] = [];
    for (const entry of found) {
      if (seen.has(entry.address)) continue;
      if (options.family && entry.family !== options.family) continue;
      seen.add(entry.address);
      addresses.push({ address: entry.address, family: entry.family === 6 ? 6 : 4 });
    }
    if (addresses.length === 0) throw Object.assign(new Error("no addresses"), { code: "ENODATA" });
    return addresses;
  } catch (error) {
    const code = (error as { code?: string }).code;
    const kind: SystemFailure = code === "ENOTFOUND" || code === "EAI_NONAME"
      ? "name-not-found"
      : code === "ENODATA" || code === "EAI_NODATA"
      ? "no-addresses"
      : code === "EAI_AGAIN"
      ? "temporary-failure"
      : "failed";
    const why = kind === "name-not-found"
      ? "name not found"
      : kind === "no-addresses"
      ? `no ${options.family ? `IPv${options.family} ` : ""}addresses`
      : kind === "temporary-failure"
      ? "temporary failure in name resolution"
      : (error as Error).message;
    throw new ResolveError(`Cannot resolve "${name}"`, { cause: error, why, kind });
  }
}
