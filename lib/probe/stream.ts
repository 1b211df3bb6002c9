/**
 * Stream probes: a `tcp:` or `unix:` target is ready when it accepts (and, when told, answers
 * the expected bytes); an `echo:` target when a round trip comes back exact.
 *
 * @module
 */
import { pingEcho } from "../echo/client.ts";
import { quotedExcerpt } from "../http/expect.ts";
import { indexOfBytes } from "../net/bytes.ts";
import { withConn } from "../net/conn.ts";
import { formatDuration } from "../net/deadline.ts";
import type { Dialed, DialTarget } from "../net/dial.ts";
import { ProtocolError, TimeoutError } from "../net/errors.ts";
import { writeAll } from "../net/io.ts";
import { failed, ipProtocolOf } from "./result.ts";
import type { AttemptOptions, ProbeFacts, ProbeResult } from "./result.ts";
import type { Target } from "./target.ts";

/** What a `tcp:` or `unix:` probe sends and expects; without either, a connect is enough. */
export interface StreamProbeOptions {
  /** Sent once connected. */
  send?: Uint8Array | undefined;
  /** Read until these bytes have come (anywhere in what was received). */
  expect?: Uint8Array | undefined;
  /**
   * Add the facts a monitor's metrics need: `phase_resolve_ms`, `phase_connect_ms` and
   * `ip_protocol` (4 or 6, of the address connected to). @default {false}
   */
  measure?: boolean | undefined;
}

/** What an echo probe sends. */
export interface EchoProbeOptions {
  /** The bytes to send, which must come back exact. @default {"sockit readiness probe\\n"} */
  payload?: Uint8Array | undefined;
  /** Add the facts of {@linkcode StreamProbeOptions.measure}. @default {false} */
  measure?: boolean | undefined;
}

/** What an echo probe sends: a few bytes that must come back exact. */
const ECHO_PAYLOAD = new TextEncoder().encode("sockit readiness probe\n");

function dialTarget(target: Target & { kind: "tcp" | "unix" | "echo" }): DialTarget {
  return target.kind === "unix"
    ? { path: target.path }
    : { hostname: target.host, port: target.port };
}

/** The facts of {@linkcode StreamProbeOptions.measure} for a connection made. */
function dialFacts(dialed: Dialed, measure: boolean | undefined): ProbeFacts {
  if (!measure) return {};
  const facts: ProbeFacts = {
    phase_resolve_ms: dialed.resolveMs,
    phase_connect_ms: dialed.connectMs,
  };
  const protocol = ipProtocolOf(dialed.remote);
  if (protocol !== undefined) facts.ip_protocol = protocol;
  return facts;
}

/** The most a stream probe reads while it looks for its expected bytes. */
export const MAX_STREAM_EXPECT_BYTES = 64 * 1024;

/**
 * One attempt at a `tcp:` or `unix:` target: connect, then send and wait for `stream`'s bytes
 * when given. Errors (refused, timed out) are thrown, for `probe()` to turn into a result.
 */
export async function probeConnect(
  target: Target & { kind: "tcp" | "unix" },
  options: AttemptOptions,
  stream: StreamProbeOptions = {},
): Promise<ProbeResult> {
  const started = performance.now();
  const { send, expect } = stream;
  // What has come so far, for a failure that says what came instead of the expected bytes.
  const reading = {
    bytes: new Uint8Array(0),
    remote: undefined as string | undefined,
    measured: {} as ProbeFacts,
  };
  const missing = (expected: Uint8Array, why: string): ProbeResult => {
    const got = showBytes(reading.bytes);
    return failed([{
      expectation: "expect",
      expected: showBytes(expected),
      got,
      reason: `${why} without ${showBytes(expected)} (got ${got})`,
    }], {
      remote: reading.remote ?? null,
      received: receivedText(reading.bytes),
      time_ms: performance.now() - started,
      ...reading.measured,
    });
  };
  try {
    return await withConn(dialTarget(target), {
      what: `Connecting to ${target.text}`,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      trace: options.trace,
    }, async (dialed): Promise<ProbeResult> => {
      reading.remote = dialed.remote;
      reading.measured = dialFacts(dialed, stream.measure);
      const facts: ProbeFacts = { remote: dialed.remote };
      if (send !== undefined) {
        await writeAll(dialed.conn, send);
        options.trace?.({ step: "send", bytes: send.length, data: send });
      }
      if (expect === undefined) {
        facts.time_ms = performance.now() - started;
        Object.assign(facts, reading.measured);
        return { ready: true, detail: `accepted on ${dialed.remote}`, facts };
      }
      const received = await readUntil(dialed.conn, expect, reading, options);
      if (!received.found) {
        return missing(
          expect,
          received.eof ? "the peer closed the connection" : `${MAX_STREAM_EXPECT_BYTES} bytes came`,
        );
      }
      facts.time_ms = performance.now() - started;
      facts.received = receivedText(reading.bytes);
      Object.assign(facts, reading.measured);
      return { ready: true, detail: `${showBytes(expect)} received from ${dialed.remote}`, facts };
    });
  } catch (error) {
    // Connected, but the expected bytes did not come in time: the answer is wrong, not absent.
    if (expect && reading.remote && error instanceof TimeoutError && !options.signal?.aborted) {
      return missing(expect, `${formatDuration(options.timeoutMs)} passed`);
    }
    throw error;
  }
}

/**
 * Reads until `wanted` appears, the peer closes, or {@linkcode MAX_STREAM_EXPECT_BYTES} came;
 * `into.bytes` holds what came so far all along.
 */
async function readUntil(
  conn: Deno.Conn,
  wanted: Uint8Array,
  into: { bytes: Uint8Array },
  options: AttemptOptions,
): Promise<{ found: boolean; eof: boolean }> {
  const all = new Uint8Array(MAX_STREAM_EXPECT_BYTES);
  let filled = 0;
  while (filled < all.length) {
    const n = await conn.read(all.subarray(filled));
    if (n === null) {
      options.trace?.({ step: "recv", detail: "EOF (peer closed)" });
      return { found: false, eof: true };
    }
    options.trace?.({ step: "recv", bytes: n, data: all.subarray(filled, filled + n) });
    filled += n;
    into.bytes = all.slice(0, filled);
    if (indexOfBytes(into.bytes, wanted) >= 0) return { found: true, eof: false };
  }
  return { found: false, eof: false };
}

/** What came, as text (UTF-8): a fact holds it once, unquoted, whole (at most 64 KiB came). */
function receivedText(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** Bytes for a message: UTF-8 text as a JSON string, at most 200 characters of it. */
function showBytes(bytes: Uint8Array): string {
  return quotedExcerpt(new TextDecoder().decode(bytes));
}

/** One attempt at an `echo:` target: a round trip of `echo`'s payload that must come back exact. */
export async function probeEcho(
  target: Target & { kind: "echo" },
  options: AttemptOptions,
  echo: EchoProbeOptions = {},
): Promise<ProbeResult> {
  const payload = echo.payload ?? ECHO_PAYLOAD;
  return await withConn(dialTarget(target), {
    what: `Echo round trip with ${target.text}`,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    trace: options.trace,
  }, async (dialed, signal): Promise<ProbeResult> => {
    let replies;
    try {
      ({ replies } = await pingEcho(dialed.conn, payload, {
        count: 1,
        signal,
        trace: options.trace,
      }));
    } catch (error) {
      // The server answered, but not with the bytes sent: the echo is wrong, not unreachable.
      if (!(error instanceof ProtocolError) || signal.aborted) throw error;
      return failed([{
        expectation: "echo",
        expected: showBytes(payload),
        got: error.message,
        reason: error.message,
      }], { remote: dialed.remote, bytes: payload.length, ...dialFacts(dialed, echo.measure) });
    }
    const ms = replies[0]?.time_ms ?? 0;
    return {
      ready: true,
      detail: `echoed ${payload.length} bytes in ${ms.toFixed(3)} ms`,
      facts: {
        remote: dialed.remote,
        bytes: payload.length,
        time_ms: ms,
        ...dialFacts(dialed, echo.measure),
      },
    };
  });
}
