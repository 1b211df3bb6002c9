/**
 * One retry schedule for every command that tries again: `get --retry`, `wait` and `check`.
 * Pauses grow geometrically from a first pause to a cap; attempts and time are both bounded.
 *
 * @module
 */

/** How often, and how far apart, to try again. */
export interface RetrySchedule {
  /** Most attempts in all, the first included; `Infinity` for "until the time runs out". */
  attempts: number;
  /** The pause before the second attempt, in milliseconds. */
  firstPauseMs: number;
  /** Each pause is the previous one times this (1 keeps it constant). @default {2} */
  factor?: number;
  /** No pause is longer than this, in milliseconds. @default {Infinity} */
  maxPauseMs?: number;
  /**
   * No attempt starts after this many milliseconds since the first one began (curl's
   * `--retry-max-time`). @default {Infinity}
   */
  maxElapsedMs?: number;
}

/**
 * The pause before attempt number `attempt` (2 for the first retry): `firstPauseMs` times
 * `factor` to the power `attempt - 2`, at most `maxPauseMs`.
 *
 * @example
 * ```ts
 * import { pauseBefore } from "./retry.ts";
 * import assert from "node:assert/strict";
 * const schedule = { attempts: 10, firstPauseMs: 1000, factor: 2, maxPauseMs: 5000 };
 * assert.deepEqual([2, 3, 4, 11].map((n) => pauseBefore(n, schedule)), [1000, 2000, 4000, 5000]);
 * ```
 */
export function pauseBefore(attempt: number, schedule: RetrySchedule): number {
  const factor = schedule.factor ?? 2;
  const pause = schedule.firstPauseMs * factor ** Math.max(0, attempt - 2);
  return Math.min(schedule.maxPauseMs ?? Infinity, pause);
}

/**
 * Whether attempt number `attempt` may start after a pause of `pauseMs`, `elapsedMs` after the
 * first attempt began: within the attempt count, and starting before `maxElapsedMs`.
 *
 * @example
 * ```ts
 * import { mayRetry } from "./retry.ts";
 * import assert from "node:assert/strict";
 * const schedule = { attempts: 3, firstPauseMs: 100, maxElapsedMs: 1000 };
 * assert.equal(mayRetry(3, 100, 0, schedule), true);
 * assert.equal(mayRetry(4, 100, 0, schedule), false); // a fourth attempt of three
 * assert.equal(mayRetry(2, 600, 500, schedule), false); // would start after 1000ms
 * ```
 */
export function mayRetry(
  attempt: number,
  pauseMs: number,
  elapsedMs: number,
  schedule: RetrySchedule,
): boolean {
  return attempt <= schedule.attempts &&
    elapsedMs + pauseMs <= (schedule.maxElapsedMs ?? Infinity);
}
