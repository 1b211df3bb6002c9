/**
 * Durations as people write them: `500ms`, `5s`, `2m`, `1h`, `1d`, or a bare number of seconds,
 * up to what one timer can hold. The command line and the check spec read them alike.
 *
 * @module
 */

/** The longest duration accepted: 24 days, within what one timer can hold (2^31-1 ms). */
export const MAX_DURATION_MS = 24 * 86_400_000;

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Parses a duration into milliseconds.
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
    throw new RangeError(`Invalid duration "${text}": ${why}`);
  }
  const ms = Math.round(Number(match[1]) * UNITS[match[2] ?? "s"]!);
  if (!(ms <= MAX_DURATION_MS)) {
    throw new RangeError(`Invalid duration "${text}": the longest accepted is 24d`);
  }
  return ms;
}
