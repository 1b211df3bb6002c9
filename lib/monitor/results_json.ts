/**
 * `/api/results`: what the status page shows, as JSON. Each check's latest result uses the JSON
 * report's names (`sockit check --report json`, {@linkcode jsonResult}), so a result reads the same
 * in CI and in the monitor; the monitor adds what only it knows.
 *
 * The shape (times are ISO 8601 strings in UTC, durations milliseconds):
 *
 * ```text
 * {
 *   "vantage": "eu-west-1",       // where the checks run from (check --vantage), when known
 *   "passed": 3, "failed": 1, "errors": 0, "pending": 1, "total": 5,
 *   "started_at": "...",          // when the monitor started
 *   "every_ms": 30000,            // the default interval (--every)
 *   "files": ["sockit.yaml"],
 *   "last_reload": null | { "at": "...", "ok": false, "message": "sockit.yaml:3:5: ..." },
 *   "checks": [{
 *     // as in the JSON report, from the latest result:
 *     "name", "file", "line", "kind", "target", "tags", "insecure",
 *     "status": "passed" | "failed" | "error" | "pending",
 *     "ok": true | false | null,  // null while pending
 *     "attempts", "duration_ms" (null while pending), "error", "error_kind", "error_code",
 *     "failures", "details", "attempt_log",
 *     // the monitor's own:
 *     "started_at": null | "...", // when the latest run started
 *     "every_ms", "running", "next_run_at": null | "...",
 *     "runs": { "success", "failure", "error" }, "retries", "overruns",
 *     "history": [{ "started_at", "status", "ok", "duration_ms", "message" }]  // oldest first
 *   }]
 * }
 * ```
 *
 * `failed` counts the checks whose latest run failed or could not run, `errors` those that could
 * not run (a part of `failed`), as in the JSON report; `pending` those with no finished run yet.
 * `skip_reason` is left out: a monitor runs only selected checks.
 *
 * @module
 */
import { jsonResult } from "../check/report.ts";
import type { CheckState, MonitorSnapshot } from "./snapshot.ts";

/** A check's state on the status page and in `/api/results`. */
export type DisplayState = "passed" | "failed" | "error" | "pending";

/** The state a check shows: its latest result's status, or `pending` before its first run. */
export function displayState(state: CheckState): DisplayState {
  const status = state.latest?.status;
  return status === undefined || status === "skipped" ? "pending" : status;
}

/** What the page shows where a target built with a secret has not been probed (and masked) yet. */
export const HIDDEN_TARGET = "(holds a secret; shown after the first run)";

/**
 * The target to show: the latest result's (masked by the runner when a secret was put in), or
 * the spec's when the check has not run and holds no secret.
 */
export function shownTarget(state: CheckState): string {
  if (state.latest) return state.latest.check.targetText;
  return state.check.holdsSecret ? HIDDEN_TARGET : state.check.targetText;
}

/** Counts of the checks by the state they show. */
export interface StateCounts {
  /** Every check. */
  total: number;
  /** Latest run passed. */
  passed: number;
  /** Latest run failed or could not run. */
  failed: number;
  /** Latest run could not run (a part of `failed`). */
  errors: number;
  /** No finished run yet. */
  pending: number;
}

/** Counts the checks of a monitor by the state they show. */
export function countStates(checks: readonly CheckState[]): StateCounts {
  const counts = { total: checks.length, passed: 0, failed: 0, errors: 0, pending: 0 };
  for (const check of checks) {
    const state = displayState(check);
    if (state === "passed") counts.passed++;
    else if (state === "pending") counts.pending++;
    else {
      counts.failed++;
      if (state === "error") counts.errors++;
    }
  }
  return counts;
}

const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

/** One check's entry in `/api/results`. */
function checkJson(state: CheckState): Record<string, unknown> {
  const { check, latest } = state;
  const result: Record<string, unknown> = latest ? jsonResult(latest) : {
    name: check.name,
    file: check.file,
    line: check.line,
    kind: check.kind,
    target: shownTarget(state),
    tags: check.tags,
    insecure: check.probe.http?.insecure === true,
    status: "pending",
    ok: null,
    attempts: 0,
    duration_ms: null,
    error: null,
    error_kind: null,
    error_code: null,
    failures: [],
    details: {},
    attempt_log: [],
  };
  delete result.skip_reason;
  if (result.status === "skipped") Object.assign(result, { status: "pending", ok: null });
  return {
    ...result,
    started_at: latest ? latest.startedAt.toISOString() : null,
    every_ms: state.everyMs,
    running: state.running,
    next_run_at: state.nextRunAt ? state.nextRunAt.toISOString() : null,
    runs: { ...state.runs },
    retries: state.retries,
    overruns: state.overruns,
    history: state.history.map((run) => ({
      started_at: run.at.toISOString(),
      status: run.status,
      ok: run.status === "passed",
      duration_ms: round3(run.durationMs),
      message: run.message,
    })),
  };
}

/**
 * The body of `/api/results`: the vantage point, the counts, the monitor's start, interval, files and last reload,
 * and every check with its latest result, its history and its counters (the module doc gives
 * the shape).
 *
 * @example A check before its first run
 * ```ts
 * import { resultsJson } from "./results_json.ts";
 * import { checkKey } from "./snapshot.ts";
 * import { loadSpec } from "../check/spec.ts";
 * import assert from "node:assert/strict";
 * const spec = await loadSpec(
 *   "version: 1\nchecks:\n  - { name: db, tcp: { host: 127.0.0.1, port: 5432 } }\n",
 *   { file: "s.yaml", baseDir: ".", env: () => undefined },
 * );
 * const check = spec.checks[0]!;
 * const body = resultsJson({
 *   startedAt: new Date(0),
 *   files: ["s.yaml"],
 *   everyMs: 30_000,
 *   checks: [{
 *     key: checkKey(check),
 *     check,
 *     everyMs: 30_000,
 *     latest: undefined,
 *     history: [],
 *     runs: { success: 0, failure: 0, error: 0 },
 *     retries: 0,
 *     overruns: 0,
 *     running: true,
 *     nextRunAt: undefined,
 *   }],
 * }) as { pending: number; checks: Array<{ status: string; target: string }> };
 * assert.equal(body.pending, 1);
 * assert.equal(body.checks[0]!.status, "pending");
 * assert.equal(body.checks[0]!.target, "127.0.0.1:5432");
 * ```
 */
export function resultsJson(snapshot: MonitorSnapshot): Record<string, unknown> {
  const counts = countStates(snapshot.checks);
  const reload = snapshot.lastReload;
  return {
    ...(snapshot.vantage === undefined ? {} : { vantage: snapshot.vantage }),
    passed: counts.passed,
    failed: counts.failed,
    errors: counts.errors,
    pending: counts.pending,
    total: counts.total,
    started_at: snapshot.startedAt.toISOString(),
    every_ms: snapshot.everyMs,
    files: snapshot.files,
    last_reload: reload
      ? { at: reload.at.toISOString(), ok: reload.ok, message: reload.message ?? null }
      : null,
    checks: snapshot.checks.map(checkJson),
  };
}
