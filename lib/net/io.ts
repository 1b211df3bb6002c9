/**
 * Small I/O helpers over the `Deno.Reader`/`Deno.Writer` shape (`read(buf)` and `write(buf)`),
 * which `Deno.Conn`, `Deno.stdin` and `Deno.stdout` all have. They exist because `write()` may
 * write fewer bytes than asked: every caller that means "send all of this" goes through
 * {@linkcode writeAll}.
 *
 * @module
 */

/** Anything with `read(buf)`: a connection, stdin, or {@linkcode bytesReader}. */
export interface ByteReader {
  /** Reads into `buf`; resolves to the count read, or `null` at end of stream. */
  read(buf: Uint8Array): Promise<number | null>;
}

/** Anything with `write(buf)` that may write only part of `buf`. */
export interface ByteWriter {
  /** Writes some prefix of `buf`; resolves to the count written. */
  write(buf: Uint8Array): Promise<number>;
}

/**
 * Writes all of `data`, looping on partial writes (the tutorial's `sendall`).
 *
 * @example
 * ```ts
 * import { writeAll } from "./io.ts";
 * import assert from "node:assert/strict";
 * const chunks: number[] = [];
 * const w = { write: (b: Uint8Array) => Promise.resolve((chunks.push(Math.min(2, b.length)), Math.min(2, b.length))) };
 * await writeAll(w, new Uint8Array(5));
 * assert.deepEqual(chunks, [2, 2, 1]);
 * ```
 */
export async function writeAll(writer: ByteWriter, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    offset += await writer.write(offset === 0 ? data : data.subarray(offset));
  }
}

/**
 * A {@linkcode ByteReader} over bytes already in memory.
 *
 * @example
 * ```ts
 * import { bytesReader } from "./io.ts";
 * import assert from "node:assert/strict";
 * const r = bytesReader(new TextEncoder().encode("abc"));
 * const buf = new Uint8Array(2);
 * assert.equal(await r.read(buf), 2);
 * assert.equal(await r.read(buf), 1);
 * assert.equal(await r.read(buf), null);
 * ```
 */
export function bytesReader(data: Uint8Array): ByteReader {
  let offset = 0;
  return {
    read(buf: Uint8Array): Promise<number | null> {
      if (offset >= data.length) return Promise.resolve(null);
      const n = Math.min(buf.length, data.length - offset);
      buf.set(data.subarray(offset, offset + n));
      offset += n;
      return Promise.resolve(n);
    },
  };
}
