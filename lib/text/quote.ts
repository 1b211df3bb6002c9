/**
 * A value quoted for a message: on one line, escaped, and cut short, so that a file or a value of
 * any size and any bytes costs a message at most a line.
 *
 * @module
 */

/** Characters JSON leaves as they are that a terminal would act on or hide: C1, bidi, zero-width. */
const INVISIBLE = /[\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;

/** How many characters of a value a message shows, escapes counted as written. */
export const EXCERPT_LENGTH = 60;

/**
 * `text` as a double-quoted JSON string of at most `max` characters between the quotes (an
 * escape counts as the characters it is written with); a longer text is cut at a character and
 * ends with `...` inside the quotes.
 *
 * @example
 * ```ts
 * import { quote } from "./quote.ts";
 * import assert from "node:assert/strict";
 * assert.equal(quote("a\nb"), '"a\\nb"');
 * assert.equal(quote("x".repeat(100_000), 5), '"xxxxx..."');
 * assert.equal(quote("\u202eevil"), '"\\u202eevil"');
 * ```
 */
export function quote(text: string, max: number = EXCERPT_LENGTH): string {
  return `"${escaped(text, max, true)}"`;
}

/**
 * `text` on one line of at most `max` characters: control and invisible characters escaped as
 * in JSON (quotes left as they are), a longer text cut at a character and ended with `...`.
 *
 * @example
 * ```ts
 * import { oneLine } from "./quote.ts";
 * import assert from "node:assert/strict";
 * assert.equal(oneLine('Unknown directive %"\x1b[2J', 80), 'Unknown directive %"\\u001b[2J');
 * assert.equal(oneLine("ab\ncd", 4), "ab\\n...");
 * ```
 */
export function oneLine(text: string, max: number): string {
  return escaped(text, max, false);
}

function escaped(text: string, max: number, quotes: boolean): string {
  let out = "";
  for (const char of text) {
    const shown = INVISIBLE.test(char)
      ? `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`
      : !quotes && (char === '"' || char === "\\")
      ? char
      : JSON.stringify(char).slice(1, -1);
    if (out.length + shown.length > max) return `${out}...`;
    out += shown;
  }
  return out;
}
