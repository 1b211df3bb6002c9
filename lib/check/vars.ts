/**
 * `${NAME}` in a spec's strings: each is replaced by the variable's value, and `$${` writes a
 * literal `${`. A name that is not defined is a problem, not an empty string.
 *
 * @module
 */

/** The outcome of {@linkcode expandVars}: the text, or what was wrong with it. */
export type Expanded =
  | { ok: true; text: string; used: string[] }
  | {
    ok: false;
    offset: number;
    message: string;
    /** The name that has no value, when that is what is wrong. */
    undefinedName?: string;
  };

/** What a variable name looks like: a letter or `_`, then letters, digits and `_`. */
export const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Replaces each `${NAME}` in `text` with `lookup(NAME)`.
 *
 * @returns The text and the names used, or the offset of the first `${` that could not be
 *   replaced and why: `undefined variable "BASE"`, `unterminated "${"`, `invalid variable name`.
 *
 * @example
 * ```ts
 * import { expandVars } from "./vars.ts";
 * import assert from "node:assert/strict";
 * const vars = new Map([["BASE", "http://127.0.0.1:8080"]]);
 * assert.deepEqual(expandVars("${BASE}/health", (n) => vars.get(n)),
 *   { ok: true, text: "http://127.0.0.1:8080/health", used: ["BASE"] });
 * assert.deepEqual(expandVars("$${BASE}", (n) => vars.get(n)), { ok: true, text: "${BASE}", used: [] });
 * assert.equal(expandVars("${NOPE}", (n) => vars.get(n)).ok, false);
 * ```
 */
export function expandVars(text: string, lookup: (name: string) => string | undefined): Expanded {
  let out = "";
  const used: string[] = [];
  let at = 0;
  while (at < text.length) {
    const next = text.indexOf("${", at);
    if (next < 0) {
      out += text.slice(at);
      break;
    }
    if (next > 0 && text[next - 1] === "$") {
      // `$${` is a literal `${`: the extra `$` goes.
      out += text.slice(at, next - 1) + "${";
      at = next + 2;
      continue;
    }
    out += text.slice(at, next);
    const close = text.indexOf("}", next + 2);
    if (close < 0) {
      return { ok: false, offset: next, message: 'unterminated "${" (write $${ for a literal ${)' };
    }
    const name = text.slice(next + 2, close);
    if (!VAR_NAME.test(name)) {
      return {
        ok: false,
        offset: next,
        message: `invalid variable name "${name}" in "\${${name}}": use letters, digits and _`,
      };
    }
    const value = lookup(name);
    if (value === undefined) {
      return {
        ok: false,
        offset: next,
        message: `undefined variable "${name}"`,
        undefinedName: name,
      };
    }
    out += value;
    used.push(name);
    at = close + 1;
  }
  return { ok: true, text: out, used };
}
