/**
 * Byte helpers the socket code and its callers share: joining chunks and finding a sequence.
 *
 * @module
 */

/**
 * The chunks joined into one new array.
 *
 * @example
 * ```ts
 * import { concatBytes } from "./bytes.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(concatBytes([new Uint8Array([1, 2]), new Uint8Array([3])]), new Uint8Array([1, 2, 3]));
 * ```
 */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * Where `needle` first occurs in `haystack` at or after `from`, or -1. An empty needle is found
 * at `from` (when `from` is within the haystack).
 *
 * @example
 * ```ts
 * import { indexOfBytes } from "./bytes.ts";
 * import assert from "node:assert/strict";
 * const bytes = new TextEncoder().encode("a\r\n\r\nb\r\n\r\n");
 * assert.equal(indexOfBytes(bytes, new TextEncoder().encode("\r\n\r\n")), 1);
 * assert.equal(indexOfBytes(bytes, new TextEncoder().encode("\r\n\r\n"), 2), 6);
 * ```
 */
export function indexOfBytes(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = Math.max(0, from); i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
