/**
 * One verified echo exchange with a server named by address: connect (and, with TLS, shake
 * hands), send a stream, read the echo until the server closes, and say whether it matched.
 *
 * @module
 */
import { withConn } from "../net/conn.ts";
import { formatTarget } from "../net/dial.ts";
import type { Dialed, DialTarget } from "../net/dial.ts";
import { CheckError } from "../net/errors.ts";
import type { ByteReader } from "../net/io.ts";
import { overStream } from "../net/tls_stream.ts";
import type { ClientTls, TlsUsed } from "../net/tls_stream.ts";
import type { TraceFn } from "../net/trace.ts";
import { sendEcho } from "./client.ts";
import type { SendEchoResult } from "./client.ts";

/** Options for {@linkcode exchangeEcho}. */
export interface ExchangeEchoOptions {
  /** Limit on connecting and the whole exchange, in milliseconds. @default {no limit} */
  timeoutMs?: number | undefined;
  /** Aborting it ends the exchange with `InterruptedError`. */
  signal?: AbortSignal | undefined;
  /** Speak TLS to the server, verifying its certificate for this name. */
  tls?: ClientTls | undefined;
  /** Called with each chunk of echoed bytes, in order (a view: copy it to keep it). */
  onData?: ((chunk: Uint8Array) => void | Promise<void>) | undefined;
  /** Receives the resolve, connect, send, recv and close steps. */
  trace?: TraceFn | undefined;
}

/** What one verified echo exchange did. */
export interface ExchangeResult extends SendEchoResult {
  /** The connection's address and timing. */
  dialed: Dialed;
  /** Milliseconds from the start of the connect to the server's close. */
  totalMs: number;
  /** The TLS handshake, when there was one. */
  tls?: TlsUsed;
}

/**
 * Connects to `target`, sends everything `source` yields, reads the echo until the server
 * closes, and compares the two byte for byte (see `sendEcho`). A mismatch is a result, not an
 * error: {@linkcode mismatchError} turns it into one.
 *
 * @throws {ResolveError | ConnectError | TimeoutError | InterruptedError | TlsError}
 *
 * @example Echo a message through a local server
 * ```ts
 * import { exchangeEcho, serveEcho } from "./mod.ts";
 * import { bytesReader } from "../net/mod.ts";
 * import assert from "node:assert/strict";
 * await using server = serveEcho({ port: 0 });
 * const { port } = server.addr as Deno.NetAddr;
 * const hello = bytesReader(new TextEncoder().encode("hello"));
 * const result = await exchangeEcho({ hostname: "127.0.0.1", port }, hello, { timeoutMs: 5000 });
 * assert.deepEqual([result.sent, result.received, result.match], [5, 5, true]);
 * ```
 */
export async function exchangeEcho(
  target: DialTarget,
  source: ByteReader,
  options: ExchangeEchoOptions = {},
): Promise<ExchangeResult> {
  const { tls, trace, onData } = options;
  const started = performance.now();
  const result = await withConn(
    target,
    {
      what: `Echo exchange with ${formatTarget(target)}`,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      trace,
    },
    (dialed, signal) =>
      overStream(dialed, tls, signal, async (conn, used) => {
        const echoed = await sendEcho(conn, source, { trace, onData });
        return { ...echoed, dialed, ...(used ? { tls: used } : {}) };
      }),
  );
  return { ...result, totalMs: performance.now() - started };
}

/**
 * The error for an echo that did not match, or `undefined` when it did: what was sent and
 * received and, when the lengths agree, the first byte that differs.
 *
 * @example
 * ```ts
 * import { mismatchError } from "./exchange.ts";
 * import assert from "node:assert/strict";
 * assert.equal(mismatchError({ match: true, sent: 3, received: 3 }), undefined);
 * assert.equal(
 *   mismatchError({ match: false, sent: 3, received: 2 })?.message,
 *   "Echo mismatch: sent 3 bytes, received 2",
 * );
 * ```
 */
export function mismatchError(
  result: { match: boolean; sent: number; received: number; mismatchOffset?: number },
): CheckError | undefined {
  if (result.match) return undefined;
  const detail = result.sent === result.received
    ? `, first difference at byte ${result.mismatchOffset}`
    : "";
  return new CheckError("Echo mismatch", {
    why: `sent ${result.sent} bytes, received ${result.received}${detail}`,
  });
}
