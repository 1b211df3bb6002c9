/**
 * From a command line to a check: `get`, `resolve`, `wait` (and `echo send`) with
 * `--emit-check` build the spec entry that does what they would have done, as a plain object in
 * the spec's shape, and this writes it as YAML to paste under `checks:`.
 *
 * @module
 */
import { stringify } from "yaml";

/** One check as it is written in a spec file: `name`, one kind key, and `expect`, `timeout`... */
export type CheckObject = { name: string } & Record<string, unknown>;

/**
 * Writes checks as a YAML list, each note first as a comment (what could not be carried over).
 *
 * @example
 * ```ts
 * import { formatChecksYaml } from "./emit.ts";
 * import assert from "node:assert/strict";
 * const text = formatChecksYaml([{ name: "db", tcp: { host: "127.0.0.1", port: 5432 } }]);
 * assert.equal(text, "- name: db\n  tcp:\n    host: 127.0.0.1\n    port: 5432\n");
 * ```
 */
export function formatChecksYaml(
  checks: readonly CheckObject[],
  notes: readonly string[] = [],
): string {
  const comments = notes.map((note) => `# ${note.replace(/\n/g, " ")}\n`).join("");
  return comments +
    stringify(checks, { lineWidth: 0, defaultStringType: "PLAIN", aliasDuplicateObjects: false });
}
