/**
 * The metrics of one run of `check` (`--report openmetrics=FILE`, for node_exporter's textfile
 * collector): the same families as a monitor's `/metrics`, each check as if the monitor had run
 * it once.
 *
 * @module
 */
import type { CheckResult } from "../check/runner.ts";
import { MonitorMetrics } from "./metrics.ts";
import type { MonitorMetricsOptions } from "./metrics.ts";
import { checkKey, runResultLabel } from "./snapshot.ts";
import type { CheckState, RunRecord } from "./snapshot.ts";

/**
 * The metrics of a one-shot run: every check that ran (skipped ones are left out), one run each.
 *
 * @example
 * ```ts
 * import { runMetrics } from "./one_shot.ts";
 * import assert from "node:assert/strict";
 * const metrics = runMetrics([], { build: { version: "0.1.0", commit: "unknown" } });
 * assert.match(metrics.render("text"), /^sockit_build_info\{.*\} 1$/m);
 * ```
 */
export function runMetrics(
  results: readonly CheckResult[],
  options: MonitorMetricsOptions,
): MonitorMetrics {
  const metrics = new MonitorMetrics(options);
  for (const result of results) {
    if (result.status !== "skipped") {
      metrics.record(stateAfterOneRun(result, result.status), result);
    }
  }
  return metrics;
}

/** A check's state after its one run. */
function stateAfterOneRun(result: CheckResult, status: RunRecord["status"]): CheckState {
  const runs = { success: 0, failure: 0, error: 0 };
  runs[runResultLabel(status)] = 1;
  return {
    key: checkKey(result.check),
    check: result.check,
    everyMs: 0,
    latest: result,
    history: [{
      at: result.startedAt,
      status,
      durationMs: result.durationMs,
      message: result.message,
    }],
    runs,
    retries: Math.max(0, result.attempts.length - 1),
    overruns: 0,
    running: false,
    nextRunAt: undefined,
  };
}
