/**
 * Summary statistics for latency samples, as `ping` prints them.
 *
 * @module
 */

/** Minimum, mean, median, 99th percentile and maximum of a set of samples. */
export interface LatencySummary {
  /** Number of samples. */
  count: number;
  /** Smallest sample. */
  min: number;
  /** Arithmetic mean. */
  avg: number;
  /** Median (nearest rank). */
  p50: number;
  /** 99th percentile (nearest rank). */
  p99: number;
  /** Largest sample. */
  max: number;
}

/**
 * Returns the nearest-rank percentile `p` (0 to 100) of samples sorted ascending.
 *
 * @example
 * ```ts
 * import { percentile } from "./stats.ts";
 * import assert from "node:assert/strict";
 * assert.equal(percentile([1, 2, 3, 4], 50), 2);
 * assert.equal(percentile([1, 2, 3, 4], 99), 4);
 * ```
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/**
 * Summarises latency samples; every field is `NaN` when there are none.
 *
 * @example
 * ```ts
 * import { summarize } from "./stats.ts";
 * import assert from "node:assert/strict";
 * const s = summarize([3, 1, 2]);
 * assert.deepEqual([s.min, s.avg, s.p50, s.max], [1, 2, 2, 3]);
 * ```
 */
export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    min: sorted.length ? sorted[0]! : NaN,
    avg: sorted.length ? sum / sorted.length : NaN,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
  };
}
