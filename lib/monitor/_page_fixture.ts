/**
 * Monitor snapshots for the status page's and `/api/results`' tests: real checks read from a
 * spec, and real results made by the runner from a probe that answers as told.
 */
import { loadSpec } from "../check/spec.ts";
import type { CheckDef } from "../check/spec.ts";
import { runChecks } from "../check/runner.ts";
import type { CheckResult } from "../check/runner.ts";
import type { ProbeResult } from "../probe/result.ts";
import { checkKey, runResultLabel } from "./snapshot.ts";
import type { CheckState, MonitorSnapshot, RunRecord } from "./snapshot.ts";

/** The checks of a spec written as YAML, read with this environment (for its secrets). */
export async function specChecks(
  yaml: string,
  file = "s.yaml",
  env: (name: string) => string | undefined = () => undefined,
): Promise<CheckDef[]> {
  const spec = await loadSpec(yaml, { file, baseDir: "/srv/checks", env });
  return spec.checks;
}

/** What a probe answers: passed with this detail, failed with these failures, or an error. */
export type Answer =
  | { passed: string }
  | { failed: string; expected?: string; got?: string }
  | { error: string };

function probeResult(answer: Answer): ProbeResult {
  if ("passed" in answer) return { ready: true, detail: answer.passed, facts: { status: 200 } };
  if ("error" in answer) {
    return { ready: false, reason: answer.error, error: new Error(answer.error) };
  }
  return {
    ready: false,
    reason: answer.failed,
    failures: [{
      expectation: "status",
      expected: answer.expected ?? "2xx",
      got: answer.got ?? "503",
      reason: answer.failed,
    }],
  };
}

/** The runner's result for a check whose one attempt gets this answer. */
export async function resultOf(check: CheckDef, answer: Answer, at?: Date): Promise<CheckResult> {
  const [result] = await runChecks([{
    check: { ...check, retry: { ...check.retry, attempts: 1 } },
  }], {
    probe: () => Promise.resolve(probeResult(answer)),
  });
  if (at) result!.startedAt = at;
  result!.check = check;
  return result!;
}

/** Options for {@linkcode stateOf}. */
export interface StateOptions {
  /** The earlier runs' statuses, oldest first, one a second before the latest. */
  history?: Array<RunRecord["status"]>;
  /** When the latest run started. @default {new Date(1_700_000_000_000)} */
  at?: Date;
  /** Fields to set. */
  extra?: Partial<CheckState>;
}

/** A check's state after runs: `answer` is the latest (none: the check has not run yet). */
export async function stateOf(
  check: CheckDef,
  answer: Answer | undefined,
  options: StateOptions = {},
): Promise<CheckState> {
  const at = options.at ?? new Date(1_700_000_000_000);
  const latest = answer ? await resultOf(check, answer, at) : undefined;
  const earlier = options.history ?? [];
  const history: RunRecord[] = earlier.map((status, i) => ({
    at: new Date(at.getTime() - (earlier.length - i) * 1000),
    status,
    durationMs: 1.5 + i,
    message: status === "passed" ? "200" : "status 503, expected 2xx",
  }));
  if (latest && latest.status !== "skipped") {
    history.push({
      at,
      status: latest.status,
      durationMs: latest.durationMs,
      message: latest.message,
    });
  }
  const runs = { success: 0, failure: 0, error: 0 };
  for (const run of history) runs[runResultLabel(run.status)]++;
  return {
    key: checkKey(check),
    check,
    everyMs: check.everyMs ?? 30_000,
    latest,
    history,
    runs,
    retries: 0,
    overruns: 0,
    running: false,
    nextRunAt: new Date(at.getTime() + 30_000),
    ...options.extra,
  };
}

/** A monitor of these checks, started a minute before the first's latest run. */
export function snapshotOf(checks: CheckState[], files = ["s.yaml"]): MonitorSnapshot {
  return {
    startedAt: new Date(1_700_000_000_000 - 60_000),
    files,
    everyMs: 30_000,
    checks,
  };
}
