/**
 * The one way sockit's clients hold a connection for a bounded piece of work: dial under a
 * deadline, close the socket when the deadline (or the caller) aborts so that blocked reads and
 * writes end, and close it exactly once when the work is done, whichever way it ends.
 *
 * @module
 */
import { closeOnAbort, closeQuietly } from "./close.ts";
import { withDeadline } from "./deadline.ts";
import { dial, formatTarget } from "./dial.ts";
import type { Dialed, DialTarget } from "./dial.ts";
import type { TraceFn } from "./trace.ts";

/** Options for {@linkcode withConn}. */
export interface WithConnOptions {
  /** Limit on dialing and the work together, in milliseconds. @default {no limit} */
  timeoutMs?: number | undefined;
  /** Limit on dialing alone (resolving and connecting), in milliseconds. @default {no limit} */
  connectTimeoutMs?: number | undefined;
  /** What is being done, for the timeout's message: `Echo exchange with 127.0.0.1:7`. */
  what: string;
  /** A caller's signal (Ctrl-C, say): aborting it ends the work with `InterruptedError`. */
  signal?: AbortSignal | undefined;
  /** Receives the resolve, connect and close steps. */
  trace?: TraceFn | undefined;
}

/**
 * Connects to `target`, runs `use` with the connection, and closes it once `use` settles. When
 * the deadline passes or the caller aborts, the connection is closed at once (which ends
 * `use`'s pending reads and writes) and the promise rejects with `TimeoutError` or
 * `InterruptedError`, even if `use` ignores its signal.
 *
 * @throws {ResolveError | ConnectError | TimeoutError | InterruptedError} And whatever `use` throws.
 *
 * @example Read a greeting from a server on loopback
 * ```ts
 * import { withConn } from "./conn.ts";
 * import assert from "node:assert/strict";
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const greeted = listener.accept().then(async (conn) => {
 *   await conn.write(new TextEncoder().encode("hello"));
 *   conn.close();
 * });
 * const { port } = listener.addr;
 * const text = await withConn({ hostname: "127.0.0.1", port }, { what: "Greeting", timeoutMs: 1000 },
 *   async ({ conn }) => await new Response(conn.readable).text());
 * assert.equal(text, "hello");
 * await greeted;
 * ```
 */
export async function withConn<T>(
  target: DialTarget,
  options: WithConnOptions,
  use: (dialed: Dialed, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const { trace } = options;
  return await withDeadline(options.timeoutMs, options.what, async (signal) => {
    const dialed = options.connectTimeoutMs === undefined
      ? await dial(target, { signal, trace })
      : await withDeadline(
        options.connectTimeoutMs,
        `Cannot connect to ${formatTarget(target)}`,
        (inner) => dial(target, { signal: inner, trace }),
        { signal },
      );
    using _closer = closeOnAbort(signal, dialed.conn);
    try {
      return await use(dialed, signal);
    } finally {
      closeQuietly(dialed.conn);
      trace?.({ step: "close" });
    }
  }, { signal: options.signal });
}
