/**
 * What a running monitor knows at one moment, for its endpoints: every check's latest result,
 * a strip of its last runs, and the counters Prometheus reads. The scheduler keeps it; the
 * metrics, the health endpoint, the status page and `/api/results` render it. No I/O here.
 *
 * @module
 */
import type { CheckResult, CheckStatus } from "../check/runner.ts";
import type { CheckDef } from "../check/spec.ts";

/** How many past runs each check keeps for the status page's strip. */
export const HISTORY_LENGTH = 30;

/** One finished run of a check, for the strip of recent results. */
export interface RunRecord {
  /** When the run started. */
  at: Date;
  /** How it ended (`skipped` never appears: a monitor runs only selected checks). */
  status: Exclude<CheckStatus, "skipped">;
  /** From its first attempt's start to its last attempt's end, in milliseconds. */
  durationMs: number;
  /** The result's one-line message: the figure when it passed, why not otherwise. */
  message: string;
}

/** The runs of a check so far, by outcome (`sockit_check_runs_total{result}`). */
export interface RunCounts {
  /** Runs that passed. */
  success: number;
  /** Runs whose expectations did not hold. */
  failure: number;
  /** Runs that could not be made (refused, timed out, TLS, DNS). */
  error: number;
}

/** What the monitor knows of one check. */
export interface CheckState {
  /** `file` and `name`, unique in the monitor: `"sockit.yaml\u0000web"`. */
  key: string;
  /** The check as the spec now has it (replaced on a reload). */
  check: CheckDef;
  /** How often it runs, in milliseconds (its own `every:`, or the monitor's `--every`). */
  everyMs: number;
  /** The latest finished run; undefined until the first run ends. */
  latest: CheckResult | undefined;
  /** The last runs, oldest first, at most {@linkcode HISTORY_LENGTH}. */
  history: RunRecord[];
  /** Finished runs by outcome. */
  runs: RunCounts;
  /** Attempts beyond the first, summed over every run (`sockit_check_retries_total`). */
  retries: number;
  /** Turns that came while the previous run was still going, and were not started. */
  overruns: number;
  /** Whether a run is in flight now. */
  running: boolean;
  /** When the next run is due. */
  nextRunAt: Date | undefined;
}

/** The whole monitor at one moment. */
export interface MonitorSnapshot {
  /** When the monitor started. */
  startedAt: Date;
  /** The spec files, as given. */
  files: string[];
  /** The default interval (`--every`), in milliseconds. */
  everyMs: number;
  /** Every monitored check, in file order. */
  checks: CheckState[];
  /** Where the monitor runs its checks from (`check --vantage`), when it says. */
  vantage?: string | undefined;
  /** The last SIGHUP reload, when there was one. */
  lastReload?: {
    /** When it happened. */
    at: Date;
    /** Whether the new spec was taken. */
    ok: boolean;
    /** Why not (the spec's problems, `file:line:col: ...`), when it was not. */
    message?: string;
  };
}

/**
 * The key of a check in a monitor: its file and name.
 *
 * @example
 * ```ts
 * import { checkKey } from "./snapshot.ts";
 * import assert from "node:assert/strict";
 * assert.equal(checkKey({ file: "sockit.yaml", name: "web" }), "sockit.yaml\u0000web");
 * assert.notEqual(checkKey({ file: "a", name: "b c" }), checkKey({ file: "a b", name: "c" }));
 * ```
 */
export function checkKey(check: Pick<CheckDef, "file" | "name">): string {
  return `${check.file}\u0000${check.name}`;
}

/**
 * `sockit_check_runs_total{result=...}`'s label for a run that ended so.
 *
 * @example
 * ```ts
 * import { runResultLabel } from "./snapshot.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(
 *   (["passed", "failed", "error"] as const).map(runResultLabel),
 *   ["success", "failure", "error"],
 * );
 * ```
 */
export function runResultLabel(status: RunRecord["status"]): keyof RunCounts {
  return status === "passed" ? "success" : status === "failed" ? "failure" : "error";
}
