/**
 * Durations as people write them: `500ms`, `5s`, `2m`, `1h`, `1d`, or a bare number of seconds,
 * up to what one timer can hold. The command line and the check spec read them alike.
 *
 * @module
 */
import { invalidInput } from "./errors.ts";

/** The longest duration accepted: 24 days, within what one timer can hold (2^31-1 ms). */
export const MAX_DURATION_MS = 24 * 86_400_000;

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** The shortest wait a timer makes: a positive duration under it waits this long. */
export const TIMER_RESOLUTION_MS = 1;

/**
 * Parses a duration into milliseconds, exactly as written: `0.0004` is 0.4 ms, not 0 (which
 * commands read as "no limit") and not 1. A positive duration under
 * {@linkcode TIMER_RESOLUTION_MS} stays positive, so it is a limit, and the timer waits its
 * shortest (1 ms); messages show the value asked for (`timed out after 0.4ms`).
 *
 * @throws {RangeError} Saying why: `Invalid duration "5w": use a number with ms, s, m, h or d
 * (500ms, 5s, 2m)`, `... a duration cannot be negative`, `... the longest accepted is 24d`.
 *
 * @example
 * ```ts
 * import { parseDuration } from "./duration.ts";
 * import assert from "node:assert/strict";
 * assert.equal(parseDuration("1.5s"), 1500);
 * assert.equal(parseDuration("0.25"), 250);
 * assert.equal(parseDuration("0.0004"), 0.4);
 * assert.throws(() => parseDuration("-1s"), /cannot be negative/);
 * ```
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(trimmed);
  if (!match) {
    const why = /^-\d/.test(trimmed)
      ? "a duration cannot be negative"
      : "use a number with ms, s, m, h or d (500ms, 5s, 2m)";
    throw invalidInput(RangeError, "duration", text, why);
  }
  // toPrecision drops the binary noise of the multiplication (1.0004 * 1000 = 1000.4000000000001).
  const ms = Number((Number(match[1]) * UNITS[match[2] ?? "s"]!).toPrecision(15));
  if (!(ms <= MAX_DURATION_MS)) {
    throw invalidInput(RangeError, "duration", text, "the longest accepted is 24d");
  }
  // So many zeros after the point that the number underflows: still positive, never "no limit".
  if (ms === 0 && /[1-9]/.test(match[1]!)) return Number.MIN_VALUE;
  return ms;
}
