/**
 * Timers that never overflow. `setTimeout` holds at most 2^31-1 ms (about 24.8 days); a longer
 * delay fires at once, with only a warning. Every wait in sockit goes through these helpers,
 * which wait out a long delay in steps and treat `Infinity` as "never".
 *
 * @module
 */

/** The longest delay one `setTimeout` can hold, in milliseconds. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A pending timer from {@linkcode startTimer}. */
export interface Timer extends Disposable {
  /** Stops it; safe to call more than once, and after it fired. */
  clear(): void;
}

/**
 * Calls `fn` once after `ms` milliseconds, however long that is: delays over
 * {@linkcode MAX_TIMER_MS} are waited out in steps, `Infinity` never fires, and anything not a
 * positive number fires on the next turn of the event loop.
 *
 * @example
 * ```ts
 * import { startTimer } from "./timer.ts";
 * import assert from "node:assert/strict";
 * const never = startTimer(() => assert.fail("fired"), 2 ** 40);
 * never.clear();
 * const { promise, resolve } = Promise.withResolvers<void>();
 * startTimer(resolve, 1);
 * await promise;
 * ```
 */
export function startTimer(fn: () => void, ms: number): Timer {
  // Each step is an `AbortSignal.timeout()` rather than a `setTimeout()`: in Deno 2.9 the global
  // setTimeout is Node's, and the first call loads Node's timers, errors and inspect modules
  // (7 to 10 ms of every command that waits for anything). The signal's timer keeps the process
  // alive only while it has a listener: clear() removes the listener, and the timer left behind
  // fires later into nothing (the test sanitizers do not count it either).
  let signal: AbortSignal | undefined;
  const due = performance.now() + ms;
  const fire = () => {
    signal = undefined;
    const left = due - performance.now();
    if (left > 1) arm(left);
    else fn();
  };
  const arm = (delay: number) => {
    signal = AbortSignal.timeout(Math.min(MAX_TIMER_MS, Math.max(0, delay)));
    signal.addEventListener("abort", fire, { once: true });
  };
  if (ms !== Infinity) arm(Number.isNaN(ms) ? 0 : ms);
  const clear = () => {
    signal?.removeEventListener("abort", fire);
    signal = undefined;
  };
  return { clear, [Symbol.dispose]: clear };
}

/**
 * Resolves after `ms` milliseconds (any length, as {@linkcode startTimer}), or as soon as
 * `signal` aborts, whichever comes first. It never rejects: callers check `signal.aborted`.
 *
 * @example
 * ```ts
 * import { sleep } from "./timer.ts";
 * const controller = new AbortController();
 * const long = sleep(2 ** 40, controller.signal);
 * controller.abort();
 * await long; // at once
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      timer.clear();
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = startTimer(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Waits for `promise` at most `ms` milliseconds (a shutdown's grace period): resolves when it
 * settles, either way, or when the time is up, whichever comes first, and leaves no timer
 * behind.
 *
 * @returns Whether `promise` settled in time.
 *
 * @example
 * ```ts
 * import { settleWithin } from "./timer.ts";
 * import assert from "node:assert/strict";
 * assert.equal(await settleWithin(Promise.resolve(), 2 ** 40), true);
 * assert.equal(await settleWithin(new Promise(() => {}), 1), false);
 * ```
 */
export async function settleWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const over = new AbortController();
  let settled = false;
  const done = () => {
    settled = true;
    over.abort();
  };
  await Promise.race([promise.then(done, done), sleep(ms, over.signal)]);
  return settled;
}
