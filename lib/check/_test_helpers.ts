/**
 * What the tests of lib/check share: the options a spec is read with, and a spec's problems as
 * `line:col: message` lines.
 */
import assert from "node:assert/strict";
import { loadSpec, SpecError } from "./spec.ts";
import type { LoadSpecOptions } from "./spec.ts";

/** Options for a spec file `s.yaml` in `/srv/checks`, with an empty environment. */
export function options(extra: Partial<LoadSpecOptions> = {}): LoadSpecOptions {
  return { file: "s.yaml", baseDir: "/srv/checks", env: () => undefined, ...extra };
}

/** The problems of a spec, as `line:col: message`; none when it loads. */
export async function problems(
  text: string,
  extra: Partial<LoadSpecOptions> = {},
): Promise<string[]> {
  try {
    await loadSpec(text, options(extra));
    return [];
  } catch (error) {
    assert.ok(error instanceof SpecError, String(error));
    return error.problems.map((p) => `${p.line}:${p.col}: ${p.message}`);
  }
}
