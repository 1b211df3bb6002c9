/**
 * A read timeout: a read that waits longer than a limit for its first byte ends the connection
 * with `TimeoutError`. One timer per connection is re-armed lazily, so a fast transfer pays for
 * a timestamp per read, not a timer per read.
 *
 * @module
 */
import { closeQuietly } from "./close.ts";
import { formatDuration } from "./deadline.ts";
import { TimeoutError } from "./errors.ts";
import type { ByteReader } from "./io.ts";
import { startTimer } from "./timer.ts";
import type { Timer } from "./timer.ts";

/**
 * Wraps a connection's reads with a timeout. Time counts only while a read is pending, so an idle
 * kept-alive connection between requests never times out. When the limit passes the connection
 * is closed, and the pending read rejects with `TimeoutError`: `${what()}: no data for 60s`.
 *
 * @param conn The connection to read from (and close on timeout).
 * @param ms The limit in milliseconds; `Infinity` means none.
 * @param what What is waiting, for the message (called only on timeout).
 *
 * @example
 * ```ts
 * import { readWithTimeout } from "./read_timeout.ts";
 * import { TimeoutError } from "./errors.ts";
 * import assert from "node:assert/strict";
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * using silent = await listener.accept();
 * const reader = readWithTimeout(conn, 20, () => "Reading from the server");
 * await assert.rejects(reader.read(new Uint8Array(8)), TimeoutError);
 * reader[Symbol.dispose]();
 * ```
 */
export function readWithTimeout(
  conn: Deno.Conn,
  ms: number,
  what: () => string,
): ByteReader & Disposable {
  if (ms === Infinity) {
    return { read: (buf) => conn.read(buf), [Symbol.dispose]: () => {} };
  }
  let pendingSince: number | undefined;
  let timedOut = false;
  let timer: Timer | undefined;
  const check = () => {
    timer = undefined;
    if (pendingSince === undefined) return; // idle between reads: the next read re-arms
    const waited = performance.now() - pendingSince;
    if (waited >= ms) {
      timedOut = true;
      closeQuietly(conn);
    } else timer = startTimer(check, ms - waited);
  };
  return {
    async read(buf: Uint8Array): Promise<number | null> {
      if (timedOut) throw timeout();
      pendingSince = performance.now();
      timer ??= startTimer(check, ms);
      try {
        return await conn.read(buf);
      } catch (error) {
        if (timedOut) throw timeout(error);
        throw error;
      } finally {
        pendingSince = undefined;
      }
    },
    [Symbol.dispose]() {
      timer?.clear();
      timer = undefined;
    },
  };
  function timeout(cause?: unknown): TimeoutError {
    return new TimeoutError(what(), {
      cause,
      why: `no data for ${formatDuration(ms)} (read timeout)`,
      kind: "read-timeout",
    });
  }
}
