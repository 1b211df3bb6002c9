/**
 * When an HTTP fetch is worth retrying, and how long to wait first: exponential backoff, or the
 * server's `Retry-After`, and never longer than a cap, whatever the server asks for.
 *
 * @module
 */
import { ConnectError, TimeoutError } from "../net/errors.ts";
import { pauseBefore } from "../net/retry.ts";

/** The longest wait before a retry, whatever the backoff or the server say: one minute. */
export const MAX_RETRY_WAIT_MS = 60_000;

/** Tells whether a fetch error is worth retrying: refused or reset connections and timeouts. */
export function isRetryableError(error: unknown): boolean {
  return error instanceof TimeoutError || error instanceof ConnectError;
}

/** Tells whether a status is worth retrying: 429 and 5xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status < 600);
}

/**
 * Reads `Retry-After` (seconds or an HTTP date) as milliseconds from `now`, or `undefined`. A
 * date is rounded up to a whole second; a date in the past is 0. The value may be huge (or
 * `Infinity` for hundreds of digits): {@linkcode retryWait} caps it.
 *
 * @example
 * ```ts
 * import { retryAfterMs } from "./retry.ts";
 * import assert from "node:assert/strict";
 * assert.equal(retryAfterMs("3"), 3000);
 * assert.equal(retryAfterMs("Wed, 21 Oct 2015 07:28:00 GMT", Date.UTC(2015, 9, 21, 7, 27, 58)), 2000);
 * assert.equal(retryAfterMs("soon"), undefined);
 * ```
 */
export function retryAfterMs(
  value: string | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date) || !/[a-z]/i.test(text)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000) * 1000);
}

/**
 * The wait before retry number `attempt` (1 for the first retry): `base` doubled each time,
 * capped at `cap`; the shared schedule of `lib/net/retry.ts` with a factor of 2.
 *
 * @example
 * ```ts
 * import { backoffMs } from "./retry.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual([1, 2, 3, 10].map((n) => backoffMs(n, 1000, 5000)), [1000, 2000, 4000, 5000]);
 * ```
 */
export function backoffMs(attempt: number, base: number, cap: number): number {
  if (base <= 0) return 0;
  return pauseBefore(attempt + 1, { attempts: Infinity, firstPauseMs: base, maxPauseMs: cap });
}

/** Options for {@linkcode retryWait}. */
export interface RetryWaitOptions {
  /** The first backoff wait, doubled for each later retry. */
  baseMs: number;
  /** The longest wait. @default {MAX_RETRY_WAIT_MS} */
  capMs?: number | undefined;
  /** The response's `Retry-After` field, when there was a response. */
  retryAfter?: string | undefined;
  /** The time to read an HTTP date against. @default {Date.now()} */
  now?: number | undefined;
}

/** How long to wait before a retry, and why. */
export interface RetryWait {
  /** The wait, in milliseconds: at most the cap. */
  ms: number;
  /** What the server's `Retry-After` asked for, when it gave a readable one. */
  askedMs: number | undefined;
  /** Whether the server asked for more than the cap. */
  capped: boolean;
}

/**
 * The wait before retry number `attempt`: what the server's `Retry-After` asks for when it
 * gives one, else the backoff from `baseMs`; never more than `capMs`. A huge `Retry-After`
 * becomes the cap, never no wait.
 *
 * @example
 * ```ts
 * import { retryWait } from "./retry.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(retryWait(1, { baseMs: 1000, retryAfter: "99999999" }),
 *   { ms: 60000, askedMs: 99999999000, capped: true });
 * assert.deepEqual(retryWait(2, { baseMs: 1000 }), { ms: 2000, askedMs: undefined, capped: false });
 * ```
 */
export function retryWait(attempt: number, options: RetryWaitOptions): RetryWait {
  const cap = options.capMs ?? MAX_RETRY_WAIT_MS;
  const askedMs = retryAfterMs(options.retryAfter, options.now);
  if (askedMs === undefined) {
    return { ms: backoffMs(attempt, options.baseMs, cap), askedMs, capped: false };
  }
  return { ms: Math.min(askedMs, cap), askedMs, capped: askedMs > cap };
}
