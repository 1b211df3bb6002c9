/**
 * Body decoding: the content codings (`Content-Encoding`: gzip, deflate, br) this runtime can
 * undo, the `Accept-Encoding` that asks for them, and the decoder that undoes them a small piece
 * at a time, under a limit on the decoded size.
 *
 * @module
 */
import { LimitError, ProtocolError, SockitError } from "../net/errors.ts";
import type { ResponseHead } from "./response.ts";

let supported: ReadonlyMap<string, CompressionFormat> | undefined;

/**
 * The content codings that `DecompressionStream` decodes here, by their HTTP name. Found on first
 * use, not at start-up: making the streams loads the runtime's compression and streams code,
 * about 8 ms that a command which decodes nothing should not pay.
 *
 * @example
 * ```ts
 * import { decoders } from "./decode.ts";
 * import assert from "node:assert/strict";
 * assert.equal(decoders().get("x-gzip"), "gzip");
 * ```
 */
export function decoders(): ReadonlyMap<string, CompressionFormat> {
  if (supported) return supported;
  const map = new Map<string, CompressionFormat>();
  const candidates: Array<[string, string]> = [
    ["gzip", "gzip"],
    ["x-gzip", "gzip"],
    ["deflate", "deflate"],
    ["br", "brotli"],
  ];
  for (const [name, format] of candidates) {
    try {
      new DecompressionStream(format as CompressionFormat);
      map.set(name, format as CompressionFormat);
    } catch {
      // This runtime cannot decode it: do not ask for it.
    }
  }
  return supported = map;
}

/**
 * The `Accept-Encoding` value asking for what {@linkcode decoders} can decode.
 *
 * @example
 * ```ts
 * import { acceptEncoding } from "./decode.ts";
 * import assert from "node:assert/strict";
 * assert.match(acceptEncoding(), /^gzip, deflate/);
 * ```
 */
export function acceptEncoding(): string {
  return [...decoders().keys()].filter((name) => name !== "x-gzip").join(", ");
}

/**
 * The response's content codings to decode, in the order they were applied, or none when one
 * of them is not supported (the body is then passed on as it came).
 *
 * @example
 * ```ts
 * import { contentCodings } from "./decode.ts";
 * import { HttpHeaders } from "./response.ts";
 * import assert from "node:assert/strict";
 * const head = (value: string) => ({
 *   version: "HTTP/1.1", status: 200, reason: "OK", headBytes: 0,
 *   headers: new HttpHeaders([["Content-Encoding", value]]),
 * });
 * assert.deepEqual(contentCodings(head("identity, gzip")), ["gzip"]);
 * assert.deepEqual(contentCodings(head("gzip, compress")), []);
 * ```
 */
export function contentCodings(head: ResponseHead): string[] {
  const codings = head.headers.tokens("content-encoding").filter((c) => c !== "identity");
  const known = decoders();
  return codings.every((c) => known.has(c)) ? codings : [];
}

/** A body to decode: anything that hands out its pieces in order, then `null`. */
export interface BodySource {
  /** The next piece (a view, valid until the next call), or `null` at the end. */
  read(): Promise<Uint8Array | null>;
}

/** Options for {@linkcode decodeBody}. */
export interface DecodeOptions {
  /** Most decoded bytes: past it, a `LimitError` of kind `max-body`. @default {Infinity} */
  maxBytes?: number | undefined;
  /** Receives the decoded bytes, in order. */
  onBody?: ((chunk: Uint8Array) => void | Promise<void>) | undefined;
}

/** Compressed bytes given to a decoder at a time: at most about 4 MiB come out of them. */
const DECODE_PIECE = 4096;

/**
 * Decodes a body through `DecompressionStream`s and hands the decoded bytes to `onBody`, and
 * returns how many there were. `codings` are in the order they were applied (as in
 * `Content-Encoding`), and are undone from the last. Only the decoders' own failures become
 * "Cannot decode" protocol errors: an error of sockit's family from reading the body, and
 * anything `onBody` throws (a closed stdout), pass through unchanged.
 *
 * @example Decode a gzip body
 * ```ts
 * import { decodeBody } from "./decode.ts";
 * import assert from "node:assert/strict";
 * const gzipped = await new Response(
 *   new Blob(["hello"]).stream().pipeThrough(new CompressionStream("gzip")),
 * ).bytes();
 * let pieces: Array<Uint8Array | null> = [gzipped, null];
 * const body = { read: () => Promise.resolve(pieces.shift() ?? null) };
 * let text = "";
 * const bytes = await decodeBody(body, ["gzip"], {
 *   onBody: (chunk) => { text += new TextDecoder().decode(chunk); },
 * });
 * assert.deepEqual([bytes, text], [5, "hello"]);
 * ```
 *
 * @throws {ProtocolError} The body is not valid in one of its codings.
 * @throws {LimitError} More than `maxBytes` decoded bytes.
 */
export async function decodeBody(
  body: BodySource,
  codings: string[],
  options: DecodeOptions = {},
): Promise<number> {
  const { maxBytes = Infinity, onBody } = options;
  // The decoder is fed small pieces: deflate expands up to about 1000 times, so one 1 MiB read
  // of a bomb would come out as a gigabyte in one go, before the limit below could stop it.
  let pending: Uint8Array | undefined;
  let stream: ReadableStream<Uint8Array> = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (pending === undefined || pending.length === 0) {
        const chunk = await body.read();
        if (chunk === null) return controller.close();
        pending = chunk.slice();
      }
      controller.enqueue(pending.subarray(0, DECODE_PIECE));
      pending = pending.subarray(DECODE_PIECE);
    },
  }, { highWaterMark: 0 });
  for (const coding of [...codings].reverse()) {
    stream = stream.pipeThrough(
      new DecompressionStream(decoders().get(coding)!) as unknown as TransformStream<
        Uint8Array,
        Uint8Array
      >,
    );
  }
  const reader = stream.getReader();
  let total = 0;
  try {
    while (true) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (error) {
        if (error instanceof SockitError) throw error;
        throw new ProtocolError(
          `Cannot decode the ${codings.join(", ")} body: ${(error as Error).message}`,
          { cause: error },
        );
      }
      if (next.done) return total;
      total += next.value.length;
      if (total > maxBytes) {
        throw new LimitError(`Decoded response body is over the limit of ${maxBytes} bytes`, {
          kind: "max-body",
        });
      }
      if (onBody) await onBody(next.value);
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    throw error;
  } finally {
    reader.releaseLock();
  }
}
