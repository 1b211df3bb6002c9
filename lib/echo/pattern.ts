/**
 * The test pattern echo clients send when asked for a number of bytes rather than a message:
 * printable ASCII (`!"#$%&'()*+,-./0123...`), so that a terminal shows it, and the same at any
 * offset, so that a stream of it can be made piece by piece.
 *
 * @module
 */
import type { ByteReader } from "../net/io.ts";

/**
 * `n` bytes of printable test pattern, starting `from` bytes into it: byte `i` is
 * `0x21 + (from + i) % 94`.
 *
 * @example
 * ```ts
 * import { patternBytes } from "./pattern.ts";
 * import assert from "node:assert/strict";
 * assert.equal(new TextDecoder().decode(patternBytes(5)), '!"#$%');
 * assert.equal(new TextDecoder().decode(patternBytes(3, 94)), '!"#');
 * ```
 */
export function patternBytes(n: number, from = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = 0x21 + ((from + i) % 94);
  return out;
}

/**
 * A reader of `n` bytes of test pattern, made as it is read: the bytes of
 * {@linkcode patternBytes}`(n)` without holding them all at once.
 *
 * @example
 * ```ts
 * import { patternReader } from "./pattern.ts";
 * import assert from "node:assert/strict";
 * const reader = patternReader(4);
 * const buf = new Uint8Array(3);
 * assert.equal(await reader.read(buf), 3);
 * assert.equal(await reader.read(buf), 1);
 * assert.equal(buf[0], 0x24);
 * assert.equal(await reader.read(buf), null);
 * ```
 */
export function patternReader(n: number): ByteReader {
  let at = 0;
  return {
    read(buf) {
      if (at >= n) return Promise.resolve(null);
      const chunk = patternBytes(Math.min(buf.length, n - at), at);
      buf.set(chunk);
      at += chunk.length;
      return Promise.resolve(chunk.length);
    },
  };
}
