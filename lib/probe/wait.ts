/**
 * Waiting for targets: each is probed on its own schedule, all at once, until every one is ready
 * (or one, with `any`), or the overall deadline passes. Attempts start fast and back off, so a
 * target that comes up is noticed within a few percent of the time waited, and one that stays
 * down is not hammered.
 *
 * @module
 */
import { InterruptedError, SockitError } from "../net/errors.ts";
import { pauseBefore } from "../net/retry.ts";
import type { RetrySchedule } from "../net/retry.ts";
import { sleep, startTimer } from "../net/timer.ts";
import type { ProbeOptions } from "./probe.ts";
import type { ProbeResult } from "./result.ts";
import type { Target } from "./target.ts";

/** The pause before the second attempt at a target, in milliseconds. */
export const FIRST_PAUSE_MS = 10;
/**
 * Each pause is the previous one times this: 1.05 keeps each pause near a twentieth of the time
 * waited so far (10 ms at first, 50 ms after 1 s, 150 ms after 3 s), up to the interval.
 */
export const PAUSE_FACTOR = 1.05;

/** Options for {@linkcode waitFor}. */
export interface WaitOptions {
  /** The whole wait, in milliseconds; `Infinity` for no limit. */
  timeoutMs: number;
  /** Each attempt's own limit (never past the whole wait's), in milliseconds. @default {5000} */
  attemptTimeoutMs?: number;
  /** The longest pause between two attempts at one target, in milliseconds. @default {1000} */
  intervalMs?: number;
  /** Done when any one target is ready, rather than all. @default {false} */
  any?: boolean;
  /** A target is ready after this many successes in a row. @default {1} */
  stable?: number;
  /** Wait until each target is *not* ready (a port closes, a file is gone). @default {false} */
  reverse?: boolean;
  /** Ends the wait early (Ctrl-C) with its reason. */
  signal?: AbortSignal | undefined;
  /** One attempt at a target. */
  probe: (target: Target, options: ProbeOptions) => Promise<ProbeResult>;
  /** Receives an event for every attempt and for each target that becomes ready. */
  onEvent?: ((event: WaitEvent) => void) | undefined;
}

/** What {@linkcode waitFor} reports as it goes. */
export type WaitEvent =
  | {
    event: "attempt";
    target: string;
    attempt: number;
    ok: boolean;
    reason: string;
    elapsed_ms: number;
  }
  | { event: "ready"; target: string; attempts: number; elapsed_ms: number };

/** Where one target stands. */
export interface TargetStatus {
  /** The target. */
  target: Target;
  /** Whether it reached the state waited for. */
  ready: boolean;
  /** Attempts made. */
  attempts: number;
  /** Why the last attempt did not count (or what the last success was). */
  last: string;
  /** Milliseconds from the start of the wait to its being ready. */
  readyMs?: number;
}

/** The outcome of {@linkcode waitFor}. */
export interface WaitResult {
  /** Whether the wait succeeded (every target ready, or one with `any`). */
  ready: boolean;
  /** Whether it ended because its deadline passed. */
  timedOut: boolean;
  /** A failure that retrying could not fix, which ended the wait at once. */
  fatal?: SockitError;
  /** Milliseconds the wait took. */
  elapsedMs: number;
  /** Every target's state, in the order given. */
  targets: TargetStatus[];
}

/**
 * Probes every target concurrently until the wait is over.
 *
 * @throws {InterruptedError} When `signal` aborts.
 *
 * @example Wait for a port that is already open
 * ```ts
 * import { waitFor } from "./wait.ts";
 * import { probe } from "./probe.ts";
 * import { parseTarget } from "./target.ts";
 * import assert from "node:assert/strict";
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const accepting = listener.accept().then((conn) => conn.close());
 * const result = await waitFor([parseTarget(`127.0.0.1:${listener.addr.port}`)], { timeoutMs: 2000, probe });
 * assert.equal(result.ready, true);
 * await accepting;
 * ```
 */
export async function waitFor(targets: Target[], options: WaitOptions): Promise<WaitResult> {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 5000;
  const stable = Math.max(1, options.stable ?? 1);
  const schedule: RetrySchedule = {
    attempts: Infinity,
    firstPauseMs: FIRST_PAUSE_MS,
    factor: PAUSE_FACTOR,
    maxPauseMs: options.intervalMs ?? 1000,
  };
  const statuses: TargetStatus[] = targets.map((target) => ({
    target,
    ready: false,
    attempts: 0,
    last: "not tried yet",
  }));
  // One signal ends every loop: the deadline, the caller's abort, a fatal failure, or --any.
  const stop = new AbortController();
  let timedOut = false;
  let fatal: SockitError | undefined;
  using _deadline = startTimer(() => {
    timedOut = true;
    stop.abort();
  }, options.timeoutMs);
  const onCallerAbort = () => stop.abort();
  options.signal?.addEventListener("abort", onCallerAbort, { once: true });
  if (options.signal?.aborted) stop.abort();

  const cutShort = (status: TargetStatus) => {
    if (status.attempts === 1 && timedOut) {
      status.last = "no answer before the wait's deadline";
    }
  };
  const watch = async (status: TargetStatus): Promise<void> => {
    let streak = 0;
    while (!stop.signal.aborted) {
      status.attempts++;
      const left = options.timeoutMs - elapsed();
      let result: ProbeResult;
      try {
        result = await options.probe(status.target, {
          timeoutMs: Math.max(1, Math.ceil(Math.min(attemptTimeoutMs, left))),
          signal: stop.signal,
        });
      } catch (error) {
        if (stop.signal.aborted) return cutShort(status);
        throw error;
      }
      if (stop.signal.aborted) return cutShort(status); // the attempt ended with the wait
      const ok = options.reverse ? !result.ready : result.ready;
      const reason = result.ready
        ? (options.reverse ? `still ready (${result.detail})` : result.detail)
        : result.reason;
      status.last = reason;
      options.onEvent?.({
        event: "attempt",
        target: status.target.text,
        attempt: status.attempts,
        ok,
        reason,
        elapsed_ms: Math.round(elapsed()),
      });
      if (!result.ready && result.fatal && !options.reverse) {
        fatal ??= result.fatal;
        stop.abort();
        return;
      }
      streak = ok ? streak + 1 : 0;
      if (streak >= stable) {
        status.ready = true;
        status.readyMs = elapsed();
        options.onEvent?.({
          event: "ready",
          target: status.target.text,
          attempts: status.attempts,
          elapsed_ms: Math.round(status.readyMs),
        });
        if (options.any) stop.abort();
        return;
      }
      await sleep(pauseBefore(status.attempts + 1, schedule), stop.signal);
    }
  };

  try {
    await Promise.all(statuses.map(watch));
  } finally {
    options.signal?.removeEventListener("abort", onCallerAbort);
  }
  if (options.signal?.aborted && !timedOut) {
    const reason = options.signal.reason;
    throw reason instanceof InterruptedError ? reason : new InterruptedError("Wait interrupted");
  }
  const readyCount = statuses.filter((s) => s.ready).length;
  return {
    ready: fatal === undefined && (options.any ? readyCount > 0 : readyCount === statuses.length),
    timedOut: timedOut && fatal === undefined,
    ...(fatal ? { fatal } : {}),
    elapsedMs: elapsed(),
    targets: statuses,
  };
}
