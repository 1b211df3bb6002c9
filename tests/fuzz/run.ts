/**
 * Runs fuzz targets with fast-check and reports, per target, the inputs tried, the time, and the
 * smallest failing input when there is one.
 *
 * @module
 */
import fc from "fast-check";
import type { FuzzTarget } from "./targets.ts";

/** What one target's run found. */
export interface FuzzReport {
  /** The target. */
  name: string;
  /** Inputs tried. */
  runs: number;
  /** Milliseconds taken. */
  ms: number;
  /** The contract broken, with the shrunk input, when it was. */
  finding?: string;
}

/** Runs one target for `runs` inputs from `seed`. */
export async function fuzz(target: FuzzTarget, runs: number, seed: number): Promise<FuzzReport> {
  const started = performance.now();
  const details = await fc.check(target.property(), {
    numRuns: runs,
    seed,
    endOnFailure: false,
    // Shrinking takes time, but a finding is worth nothing without its smallest input.
    verbose: 0,
  });
  const ms = performance.now() - started;
  if (!details.failed) return { name: target.name, runs: details.numRuns, ms };
  const error = details.errorInstance as Error | undefined;
  return {
    name: target.name,
    runs: details.numRuns,
    ms,
    finding: `${
      error?.message ?? String(details.errorInstance)
    }\n  seed ${details.seed}, path ${details.counterexamplePath}`,
  };
}
