/**
 * The echo client: send a stream, half-close, read the echo until the server closes, and check
 * that what came back is what went out, without holding the whole stream in memory.
 *
 * @module
 */
import { closeOnAbort } from "../net/close.ts";
import { withDeadline } from "../net/deadline.ts";
import { describeNetError, isPeerGone } from "../net/dial.ts";
import { ConnectError, ProtocolError } from "../net/errors.ts";
import { writeAll } from "../net/io.ts";
import type { ByteReader } from "../net/io.ts";
import { summarize } from "../net/stats.ts";
import type { LatencySummary } from "../net/stats.ts";
import { sleep } from "../net/timer.ts";
import type { TraceFn } from "../net/trace.ts";

/**
 * `node:buffer`, for `Buffer.compare` (a native memcmp: a byte loop in JavaScript would cost a
 * second per gigabyte echoed). Loaded on first use rather than at the top: a node module loaded
 * at start-up costs every command about 20 ms, the bundle in particular.
 */
function nodeBuffer(): Promise<typeof import("node:buffer")> {
  return import("node:buffer");
}

/** Options for {@linkcode sendEcho}. */
export interface SendEchoOptions {
  /** Called with each chunk of echoed bytes, in order (a view: copy it to keep it). */
  onData?: ((chunk: Uint8Array) => void | Promise<void>) | undefined;
  /**
   * Most bytes sent but not yet echoed back; sending pauses at this many. It bounds the memory
   * that a server which reads but does not echo can make the client hold. @default {4194304}
   */
  windowSize?: number;
  /** Bytes read from the connection at a time. @default {262144} */
  bufferSize?: number;
  /** Receives send, recv and shutdown steps. */
  trace?: TraceFn | undefined;
}

/** The outcome of {@linkcode sendEcho}. */
export interface SendEchoResult {
  /** Bytes sent. */
  sent: number;
  /** Bytes received back. */
  received: number;
  /** Whether the bytes received equal the bytes sent. */
  match: boolean;
  /** Offset of the first byte that differs, or where the shorter stream ended; absent on a match. */
  mismatchOffset?: number;
  /** Milliseconds from the first byte sent to the server's close. */
  exchangeMs: number;
}

/**
 * Sends everything `source` yields on `conn`, shuts down the write side, reads until the server
 * closes, and compares the two streams byte for byte as they flow. The connection is left open
 * for the caller to close.
 *
 * @throws {ConnectError} When the connection is reset.
 *
 * @example Echo a message through a local server
 * ```ts
 * import { sendEcho, serveEcho } from "./mod.ts";
 * import { bytesReader } from "../net/io.ts";
 * import assert from "node:assert/strict";
 * await using server = serveEcho({ port: 0 });
 * const conn = await Deno.connect({ port: (server.addr as Deno.NetAddr).port });
 * const result = await sendEcho(conn, bytesReader(new TextEncoder().encode("hello")));
 * conn.close();
 * assert.deepEqual([result.sent, result.received, result.match], [5, 5, true]);
 * ```
 */
export async function sendEcho(
  conn: Deno.Conn,
  source: ByteReader,
  options: SendEchoOptions = {},
): Promise<SendEchoResult> {
  const { Buffer } = await nodeBuffer();
  const window = options.windowSize ?? 4 * 1024 * 1024;
  const { trace, onData } = options;
  const ring = new Uint8Array(window);
  // Offsets are absolute stream positions; ring index is offset % window.
  let filled = 0; // bytes taken from the source into the ring
  let sent = 0; // bytes written to the connection
  let verified = 0; // bytes compared against the echo (and so freed in the ring)
  let received = 0;
  let mismatchOffset: number | undefined;
  let wakeSender: (() => void) | undefined;
  let receiverDone = false;
  const started = performance.now();

  async function send(): Promise<void> {
    while (true) {
      while (filled - verified >= window) {
        if (receiverDone) return;
        await new Promise<void>((resolve) => wakeSender = resolve);
      }
      const start = filled % window;
      const room = Math.min(window - (filled - verified), window - start);
      const n = await source.read(ring.subarray(start, start + room));
      if (n === null) break;
      filled += n;
      let offset = start;
      const end = start + n;
      while (offset < end) {
        const written = await conn.write(ring.subarray(offset, end));
        trace?.({ step: "send", bytes: written, data: ring.subarray(offset, offset + written) });
        offset += written;
        sent += written;
      }
    }
    await conn.closeWrite();
    trace?.({ step: "shutdown", detail: `write side, after ${sent} bytes` });
  }

  function verify(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length && mismatchOffset === undefined) {
      if (verified >= filled) {
        mismatchOffset = verified; // more came back than was sent
        return;
      }
      const start = verified % window;
      const n = Math.min(chunk.length - at, filled - verified, window - start);
      const expected = ring.subarray(start, start + n);
      const got = chunk.subarray(at, at + n);
      if (Buffer.compare(expected, got) !== 0) {
        let i = 0;
        while (expected[i] === got[i]) i++;
        mismatchOffset = verified + i;
      }
      verified += n;
      at += n;
    }
  }

  let onDataFailed = false;
  async function receive(): Promise<void> {
    const buf = new Uint8Array(options.bufferSize ?? 256 * 1024);
    try {
      while (true) {
        const n = await conn.read(buf);
        if (n === null) {
          trace?.({ step: "recv", detail: "EOF (server closed)" });
          break;
        }
        const chunk = buf.subarray(0, n);
        trace?.({ step: "recv", bytes: n, data: chunk });
        received += n;
        if (mismatchOffset === undefined) verify(chunk);
        else verified = Math.min(filled, verified + n);
        if (onData) {
          try {
            await onData(chunk);
          } catch (error) {
            onDataFailed = true; // the caller's own failure, such as a closed stdout
            throw error;
          }
        }
        wakeSender?.();
      }
    } finally {
      receiverDone = true;
      wakeSender?.();
    }
  }

  const sending = send();
  const receiving = receive();
  const [sendResult, receiveResult] = await Promise.allSettled([sending, receiving]);
  if (receiveResult.status === "rejected") {
    const error = receiveResult.reason;
    throw isPeerGone(error) && !onDataFailed
      ? new ConnectError("Echo exchange failed", {
        cause: error,
        why: describeNetError(error),
        kind: "connection-lost",
      })
      : error;
  }
  // A server that closes before reading everything makes our writes fail: that is a short echo,
  // which the comparison below reports, not a connection error.
  if (sendResult.status === "rejected" && !isPeerGone(sendResult.reason)) {
    throw sendResult.reason;
  }
  if (mismatchOffset === undefined && received !== sent) mismatchOffset = Math.min(received, sent);
  const match = mismatchOffset === undefined && sendResult.status === "fulfilled";
  return {
    sent,
    received,
    match,
    ...(match ? {} : { mismatchOffset: mismatchOffset ?? Math.min(received, sent) }),
    exchangeMs: performance.now() - started,
  };
}

/** Options for {@linkcode pingEcho}. */
export interface PingEchoOptions {
  /** Round trips to make. @default {4} */
  count?: number;
  /** Milliseconds to wait between round trips. @default {0} */
  intervalMs?: number;
  /** Called after each round trip. */
  onReply?: (reply: PingReply) => void;
  /** Ends the run early (between or during round trips). */
  signal?: AbortSignal | undefined;
  /**
   * Most milliseconds each round trip may take, as `ping -W` bounds each reply; past it the
   * connection is closed and the run ends with `TimeoutError`. @default {Infinity}
   */
  replyTimeoutMs?: number;
  /** Receives send and recv steps. */
  trace?: TraceFn | undefined;
}

/** One round trip. */
export interface PingReply {
  /** 1-based sequence number. */
  seq: number;
  /** Bytes sent and echoed. */
  bytes: number;
  /** Round-trip time in milliseconds. */
  time_ms: number;
}

/** The outcome of {@linkcode pingEcho}. */
export interface PingResult {
  /** Every round trip, in order. */
  replies: PingReply[];
  /** min/avg/p50/p99/max of the round-trip times. */
  summary: LatencySummary;
}

/**
 * Measures round trips on one connection, like `ping`: writes `payload`, waits until it is
 * echoed back in full, and checks it.
 *
 * @throws {ProtocolError} When the server closes mid-reply or echoes different bytes.
 *
 * @example
 * ```ts
 * import { pingEcho, serveEcho } from "./mod.ts";
 * import assert from "node:assert/strict";
 * await using server = serveEcho({ port: 0 });
 * const conn = await Deno.connect({ port: (server.addr as Deno.NetAddr).port });
 * const { replies } = await pingEcho(conn, new Uint8Array(64), { count: 3 });
 * conn.close();
 * assert.equal(replies.length, 3);
 * ```
 */
export async function pingEcho(
  conn: Deno.Conn,
  payload: Uint8Array,
  options: PingEchoOptions = {},
): Promise<PingResult> {
  const { Buffer } = await nodeBuffer();
  const count = options.count ?? 4;
  const intervalMs = options.intervalMs ?? 0;
  const { trace, signal } = options;
  const buf = new Uint8Array(Math.max(payload.length, 1));
  const replies: PingReply[] = [];
  const roundTrip = async (seq: number, bound: AbortSignal): Promise<void> => {
    using _closer = closeOnAbort(bound, conn);
    const started = performance.now();
    await writeAll(conn, payload);
    trace?.({ step: "send", bytes: payload.length, data: payload });
    let got = 0;
    while (got < payload.length) {
      const n = await conn.read(buf.subarray(got, payload.length));
      if (n === null) {
        throw new ProtocolError(
          `Echo reply ${seq} ended early: received ${got} of ${payload.length} bytes`,
        );
      }
      got += n;
    }
    const time = performance.now() - started;
    trace?.({ step: "recv", bytes: got, data: buf.subarray(0, got) });
    if (Buffer.compare(buf.subarray(0, got), payload) !== 0) {
      throw new ProtocolError(`Echo reply ${seq} differs from what was sent`);
    }
    const reply = { seq, bytes: got, time_ms: time };
    replies.push(reply);
    options.onReply?.(reply);
  };
  for (let seq = 1; seq <= count; seq++) {
    if (signal?.aborted) break;
    if (seq > 1 && intervalMs > 0) await sleep(intervalMs, signal);
    if (signal?.aborted) break;
    await withDeadline(
      options.replyTimeoutMs,
      `Echo reply ${seq}`,
      (bound) => roundTrip(seq, bound),
      { signal },
    );
  }
  return { replies, summary: summarize(replies.map((r) => r.time_ms)) };
}
