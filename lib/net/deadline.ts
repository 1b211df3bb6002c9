/**
 * Deadlines for network work: every wait in sockit is bounded.
 *
 * @module
 */
import { InterruptedError, SockitError, TimeoutError } from "./errors.ts";
import { startTimer } from "./timer.ts";
import type { Timer } from "./timer.ts";

/**
 * Formats a duration in milliseconds as the CLI accepts it: `500ms`, `5s`, `2m`, `1.5s`.
 *
 * @example
 * ```ts
 * import { formatDuration } from "./deadline.ts";
 * import assert from "node:assert/strict";
 * assert.equal(formatDuration(500), "500ms");
 * assert.equal(formatDuration(1500), "1.5s");
 * assert.equal(formatDuration(120000), "2m");
 * assert.equal(formatDuration(0.4), "0.4ms");
 * ```
 */
export function formatDuration(ms: number): string {
  if (ms === Infinity) return "forever";
  if (ms < 1000) return `${exact(ms)}ms`;
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60000 === 0) return `${ms / 60000}m`;
  return `${exact(ms / 1000)}s`;
}

/** A number as written, without binary noise or an exponent: `0.4`, `1.0004`, `0.000001`. */
function exact(n: number): string {
  const text = String(Number(n.toPrecision(12)));
  if (!text.includes("e")) return text;
  // Under 1e-6 (`1.5e-7`): written out, as parseDuration reads it (`0.00000015`).
  const [mantissa, exponent] = text.split("e") as [string, string];
  return `0.${"0".repeat(-Number(exponent) - 1)}${mantissa.replace(".", "")}`;
}

const FINISHED = new InterruptedError("Work finished before its deadline");

/** The error of work that ran out of time: `${what}: timed out after 5s`, kind `deadline`. */
function timedOut(what: string, ms: number): TimeoutError {
  return new TimeoutError(what, { why: `timed out after ${formatDuration(ms)}`, kind: "deadline" });
}

/** Options for {@linkcode withDeadline}. */
export interface DeadlineOptions {
  /** A caller's signal (Ctrl-C, say): aborting it ends the work with {@linkcode InterruptedError}. */
  signal?: AbortSignal | undefined;
}

/**
 * Runs `work` with a time limit. When the limit passes, the signal handed to `work` is aborted
 * (so it can close its sockets, which ends its pending reads and writes) and the returned promise
 * rejects with {@linkcode TimeoutError} at once, even if `work` ignores the signal.
 *
 * @param ms The limit in milliseconds, of any size (see `startTimer`); `undefined` or `Infinity`
 *   means no limit.
 * @param what What is being waited for, for the message: `Echo exchange with 127.0.0.1:7`.
 *
 * @example A deadline that passes
 * ```ts
 * import { withDeadline } from "./deadline.ts";
 * import { TimeoutError } from "./errors.ts";
 * import assert from "node:assert/strict";
 * await assert.rejects(
 *   withDeadline(10, "Waiting", (signal) => new Promise((r) => signal.addEventListener("abort", r))),
 *   TimeoutError,
 * );
 * ```
 */
export function withDeadline<T>(
  ms: number | undefined,
  what: string,
  work: (signal: AbortSignal) => Promise<T>,
  options: DeadlineOptions = {},
): Promise<T> {
  // One controller and one promise per call, settled by whichever comes first: the work, the
  // timer or the caller's abort. The first to settle it wins, so an abort's reason is what a
  // caller sees even when the work then fails on its closed socket.
  const controller = new AbortController();
  const { signal } = controller;
  const outer = options.signal;
  const { promise, resolve, reject } = Promise.withResolvers<T>();
  let timer: Timer | undefined;
  let onOuterAbort: (() => void) | undefined;
  const settle = () => {
    timer?.clear();
    if (onOuterAbort !== undefined) outer!.removeEventListener("abort", onOuterAbort);
    // Releases whatever `work` hung on the signal. The reason is shared: nobody sees it, and an
    // Error per call (with its stack trace) is a measurable cost per request.
    if (!signal.aborted) controller.abort(FINISHED);
  };
  const stop = (reason: SockitError) => {
    reject(reason);
    controller.abort(reason);
    settle();
  };
  if (ms !== undefined && ms <= 0) {
    // Already past: the work starts with an aborted signal, so a zero limit fails every time
    // rather than whenever the work happens to beat the first timer tick.
    stop(timedOut(what, ms));
  } else if (ms !== undefined && ms !== Infinity) {
    timer = startTimer(() => stop(timedOut(what, ms)), ms);
  }
  if (outer !== undefined && !signal.aborted) {
    onOuterAbort = () => {
      const reason = outer.reason;
      stop(
        reason instanceof SockitError ? reason : new InterruptedError(what, { why: "interrupted" }),
      );
    };
    if (outer.aborted) onOuterAbort();
    else outer.addEventListener("abort", onOuterAbort, { once: true });
  }
  let running: Promise<T>;
  try {
    running = work(signal);
  } catch (error) {
    running = Promise.reject(error);
  }
  running.then((value) => {
    resolve(value);
    settle();
  }, (error) => {
    reject(error);
    settle();
  });
  return promise;
}
