/**
 * Running checks: at most `jobs` at once, each attempted on its retry schedule (the shared one
 * in `lib/net/retry.ts`) with its own deadline per attempt, and the results handed back in file
 * order as soon as every check before them has finished.
 *
 * @module
 */
import { formatDuration } from "../net/deadline.ts";
import { InterruptedError, SockitError } from "../net/errors.ts";
import type { ErrorKind } from "../net/errors.ts";
import { mayRetry, pauseBefore } from "../net/retry.ts";
import { sleep } from "../net/timer.ts";
import type { TraceFn } from "../net/trace.ts";
import { quotedExcerpt } from "../http/expect.ts";
import { probe as probeOnce } from "../probe/probe.ts";
import type { ProbeOptions } from "../probe/probe.ts";
import type { ProbeFacts, ProbeFailure, ProbeResult } from "../probe/result.ts";
import type { Target } from "../probe/target.ts";
import type { Redactor } from "./redact.ts";
import type { CheckDef } from "./spec.ts";

/** How a check ended. */
export type CheckStatus = "passed" | "failed" | "error" | "skipped";

/** An expectation that did not hold, named by the spec's key. */
export interface CheckFailure {
  /** The spec key: `status`, `body_contains`, `json`, `cert_valid_for`, `rcode`, `expect`... */
  expectation: string;
  /** What the spec asked for. */
  expected: string;
  /** What came. */
  got: string;
  /** In a few words. */
  message: string;
}

/** One attempt at a check. */
export interface AttemptRecord {
  /** 1 for the first. */
  attempt: number;
  /** Whether it passed. */
  ok: boolean;
  /** Milliseconds from the check's start to the attempt's. */
  startMs: number;
  /** How long it took. */
  durationMs: number;
  /** What it showed: the figure when it passed, why not otherwise. */
  reason: string;
}

/** The outcome of one check. */
export interface CheckResult {
  /** The check. */
  check: CheckDef;
  /** How it ended. */
  status: CheckStatus;
  /** Its attempts, in order (none when it was skipped or not started). */
  attempts: AttemptRecord[];
  /** When it started (or was passed over). */
  startedAt: Date;
  /** Milliseconds from its first attempt's start to its last attempt's end. */
  durationMs: number;
  /**
   * Why it did not pass (`status 503, expected 2xx`, `connection refused`), why it was skipped,
   * or, when it passed, the figure that matters (`200`, `192.0.2.10 (NOERROR)`).
   */
  message: string;
  /** The last attempt's expectations that did not hold (status `failed`). */
  failures: CheckFailure[];
  /** The error's class when the check could not run (status `error`): `ConnectError`. */
  errorType: string | undefined;
  /**
   * The {@linkcode ErrorKind} of the error that ended the last attempt (status `error`), when it
   * was a `SockitError` that says one: `connect`, `name-not-found`, `expired`.
   */
  errorKind: ErrorKind | undefined;
  /**
   * The system's error code beneath that error (its `cause`'s), when the runtime gave one:
   * `ECONNREFUSED`, `ENETUNREACH`, `ETIMEDOUT`; it tells apart what one kind (`connect`) covers.
   */
  errorCode: string | undefined;
  /** What the last attempt saw. */
  facts: ProbeFacts;
}

/** A check to run, or to pass over with a reason (a filter left it out). */
export interface PlannedCheck {
  /** The check. */
  check: CheckDef;
  /** Set when the check is not to run: why. */
  skip?: string | undefined;
}

/** Options for {@linkcode runChecks}. */
export interface RunChecksOptions {
  /** Most checks running at once. @default {8} */
  jobs?: number;
  /** Start no new check once one has not passed. @default {false} */
  failFast?: boolean;
  /** Ends the run: attempts in flight end with its reason, checks not started do not start. */
  signal?: AbortSignal | undefined;
  /** Receives every attempt's socket steps, marked with the check's name. */
  trace?: TraceFn | undefined;
  /** Called in file order, as soon as a check and every one before it have finished. */
  onResult?: ((result: CheckResult, index: number) => void | Promise<void>) | undefined;
  /** Called after each attempt (for logs). */
  onAttempt?: ((check: CheckDef, record: AttemptRecord) => void) | undefined;
  /**
   * Masks the secrets in what each attempt carries (the trace's bytes and details, the target,
   * messages, failures, facts) before anything is handed on; a check's name, file and tags are
   * the spec's own and are kept as written.
   */
  redactor?: Redactor | undefined;
  /** One attempt (tests pass their own). @default {probe from lib/probe} */
  probe?: ((target: Target, options: ProbeOptions) => Promise<ProbeResult>) | undefined;
}

/** What each probe expectation is called in a spec. */
const SPEC_KEY: Readonly<Record<string, string>> = {
  status: "status",
  body: "body_contains",
  "body-regex": "body_regex",
  header: "headers",
  json: "json",
  cert: "cert_valid_for",
  rcode: "rcode",
  addresses: "addresses",
  expect: "expect",
  echo: "payload",
};

/**
 * Runs the checks and returns every result in the order given.
 *
 * @example Two checks against one port, one of which expects bytes it will not get
 * ```ts
 * import { runChecks } from "./runner.ts";
 * import { loadSpec } from "./spec.ts";
 * import assert from "node:assert/strict";
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const serving = (async () => {
 *   for await (const conn of listener) conn.close();
 * })().catch(() => {});
 * const port = listener.addr.port;
 * const spec = await loadSpec(
 *   `version: 1\nchecks:\n  - { name: open, tcp: { host: 127.0.0.1, port: ${port} } }\n` +
 *     `  - { name: banner, tcp: { host: 127.0.0.1, port: ${port}, expect: "SSH-" } }\n`,
 *   { file: "s.yaml", baseDir: ".", env: () => undefined },
 * );
 * const results = await runChecks(spec.checks.map((check) => ({ check })), { jobs: 2 });
 * assert.deepEqual(results.map((r) => r.status), ["passed", "failed"]);
 * listener.close();
 * await serving;
 * ```
 */
export async function runChecks(
  planned: readonly PlannedCheck[],
  options: RunChecksOptions = {},
): Promise<CheckResult[]> {
  const jobs = Math.max(1, options.jobs ?? 8);
  const results: Array<CheckResult | undefined> = planned.map(() => undefined);
  let next = 0;
  let reported = 0;
  let stopStarting = false;
  let reporting = Promise.resolve();
  const redactor = options.redactor;
  const finish = (index: number, result: CheckResult) => {
    // A target built with a secret put in is masked; one the author wrote as it reads is shown so.
    if (redactor && result.check.holdsSecret) {
      result.check = { ...result.check, targetText: redactor.text(result.check.targetText) };
    }
    results[index] = result;
    if (result.status === "failed" || result.status === "error") {
      if (options.failFast) stopStarting = true;
    }
    // Hand results on in file order: this one, and any after it that finished earlier.
    while (reported < results.length && results[reported] !== undefined) {
      const ready = results[reported]!;
      const at = reported++;
      if (options.onResult) reporting = reporting.then(() => options.onResult!(ready, at));
    }
  };
  const worker = async () => {
    while (next < planned.length) {
      const index = next++;
      const { check, skip } = planned[index]!;
      if (skip !== undefined) finish(index, passedOver(check, "skipped", skip));
      else if (options.signal?.aborted) {
        finish(index, passedOver(check, "error", `not started: ${reasonOf(options.signal)}`));
      } else if (stopStarting) {
        finish(
          index,
          passedOver(check, "skipped", "not started: an earlier check did not pass (fail fast)"),
        );
      } else finish(index, await runCheck(check, options));
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, planned.length) }, worker));
  await reporting;
  return results as CheckResult[];
}

function reasonOf(signal: AbortSignal): string {
  const reason = signal.reason;
  return reason instanceof Error ? reason.message : "interrupted";
}

function passedOver(check: CheckDef, status: CheckStatus, why: string): CheckResult {
  return {
    check,
    status,
    attempts: [],
    startedAt: new Date(),
    durationMs: 0,
    message: why,
    failures: [],
    errorType: status === "error" ? "InterruptedError" : undefined,
    errorKind: undefined,
    errorCode: undefined,
    facts: {},
  };
}

/** One check, attempt after attempt until it passes, a failure is final, or attempts run out. */
async function runCheck(check: CheckDef, options: RunChecksOptions): Promise<CheckResult> {
  const probe = options.probe ?? probeOnce;
  const startedAt = new Date();
  const started = performance.now();
  const attempts: AttemptRecord[] = [];
  const redactor = options.redactor;
  const mask = (text: string) => redactor ? redactor.text(text) : text;
  const trace: TraceFn | undefined = options.trace
    ? (event) =>
      options.trace!({
        ...event,
        ...(event.data && redactor ? { data: redactor.bytes(event.data) } : {}),
        ...(event.detail ? { detail: mask(event.detail) } : {}),
        conn: `[${check.name}]${event.conn ? ` ${mask(event.conn)}` : ""}`,
      })
    : undefined;
  let last: Outcome = { status: "error", message: "not started", failures: [], facts: {} };
  for (let attempt = 1;; attempt++) {
    const attemptStart = performance.now();
    let result: ProbeResult;
    try {
      result = await probe(check.target, {
        ...check.probe,
        timeoutMs: check.timeoutMs,
        signal: options.signal,
        trace,
      });
    } catch (error) {
      // Only the run's own end (a deadline, Ctrl-C) gets here: everything else is a result.
      last = {
        status: "error",
        message: error instanceof Error ? error.message : String(error),
        failures: [],
        facts: {},
        errorType: error instanceof Error ? error.name : "Error",
        ...errorData(error),
      };
      attempts.push(record(attempt, false, started, attemptStart, mask(last.message)));
      break;
    }
    last = judge(check, result, performance.now() - attemptStart);
    const ok = last.status === "passed";
    attempts.push(record(attempt, ok, started, attemptStart, mask(last.message)));
    options.onAttempt?.(check, attempts.at(-1)!);
    if (ok || (!result.ready && result.fatal)) break;
    const pause = pauseBefore(attempt + 1, check.retry);
    if (!mayRetry(attempt + 1, pause, performance.now() - started, check.retry)) break;
    await sleep(pause, options.signal);
    if (options.signal?.aborted) {
      // The run ended while this check waited to try again: say so, and what it had seen.
      last = {
        ...last,
        status: "error",
        message: `${reasonOf(options.signal)} (the last attempt: ${last.message})`,
        errorType: "InterruptedError",
        errorKind: undefined,
        errorCode: undefined,
      };
      break;
    }
  }
  return {
    check,
    status: last.status,
    attempts,
    startedAt,
    durationMs: performance.now() - started,
    message: mask(last.message),
    failures: last.failures.map((f) => ({
      ...f,
      expected: mask(f.expected),
      got: mask(f.got),
      message: mask(f.message),
    })),
    errorType: last.errorType,
    errorKind: last.errorKind,
    errorCode: last.errorCode,
    facts: redactor ? redactor.deep(last.facts) : last.facts,
  };
}

function record(
  attempt: number,
  ok: boolean,
  started: number,
  attemptStart: number,
  reason: string,
): AttemptRecord {
  return {
    attempt,
    ok,
    startMs: attemptStart - started,
    durationMs: performance.now() - attemptStart,
    reason,
  };
}

interface Outcome {
  status: Exclude<CheckStatus, "skipped">;
  message: string;
  failures: CheckFailure[];
  facts: ProbeFacts;
  errorType?: string;
  errorKind?: ErrorKind | undefined;
  errorCode?: string | undefined;
}

/** An error's kind, and the system's error code beneath it (the first `code` down its causes). */
function errorData(error: unknown): { errorKind?: ErrorKind; errorCode?: string } {
  const out: { errorKind?: ErrorKind; errorCode?: string } = {};
  if (error instanceof SockitError && error.kind !== undefined) out.errorKind = error.kind;
  let cause = error instanceof Error ? error.cause : undefined;
  for (let depth = 0; depth < 4 && cause instanceof Error; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === "string" && code !== "") {
      out.errorCode = code;
      break;
    }
    cause = cause.cause;
  }
  return out;
}

/** What an attempt's result means for the check: passed, failed (and how), or could not run. */
function judge(check: CheckDef, result: ProbeResult, elapsedMs: number): Outcome {
  const facts: ProbeFacts = { ...result.facts };
  const timeMs = typeof facts.time_ms === "number" ? facts.time_ms : elapsedMs;
  facts.time_ms = Math.round(timeMs * 1000) / 1000;
  if (!result.ready && result.failures === undefined) {
    const error = result.error;
    return {
      status: "error",
      message: error instanceof SockitError || error instanceof InterruptedError
        ? error.message
        : result.reason,
      failures: [],
      facts,
      errorType: error instanceof Error ? error.name : "Error",
      ...errorData(error),
    };
  }
  const failures: CheckFailure[] = (result.ready ? [] : result.failures ?? []).map(specFailure);
  if (check.timeUnderMs !== undefined && timeMs >= check.timeUnderMs) {
    failures.push({
      expectation: "time_under",
      expected: `under ${formatDuration(check.timeUnderMs)}`,
      got: `${round(timeMs)} ms`,
      message: `took ${round(timeMs)} ms, expected under ${formatDuration(check.timeUnderMs)}`,
    });
  }
  if (failures.length > 0) {
    return {
      status: "failed",
      message: failures.map((f) => f.message).join("; "),
      failures,
      facts,
    };
  }
  return { status: "passed", message: figure(check, facts), failures: [], facts };
}

function specFailure(failure: ProbeFailure): CheckFailure {
  return {
    expectation: SPEC_KEY[failure.expectation] ?? failure.expectation,
    expected: failure.expected,
    got: failure.got,
    message: failure.reason,
  };
}

function round(ms: number): number {
  return ms < 10 ? Math.round(ms * 100) / 100 : Math.round(ms * 10) / 10;
}

/** The figure that matters for a check that passed: the status, the answer, what came back. */
export function figure(check: CheckDef, facts: ProbeFacts): string {
  switch (check.kind) {
    case "http": {
      const redirects = Number(facts.redirects ?? 0);
      const via = redirects > 0 ? ` after ${redirects} redirect${redirects === 1 ? "" : "s"}` : "";
      const cert = typeof facts.cert_expires === "string"
        ? `, certificate valid until ${facts.cert_expires.slice(0, 10)}`
        : "";
      const unverified = check.probe.http?.insecure ? " (certificate NOT verified)" : "";
      return `${facts.status}${via}${cert}${unverified}`;
    }
    case "dns": {
      const answers = Array.isArray(facts.answers) ? facts.answers : [];
      const rcode = typeof facts.rcode === "string" ? facts.rcode : undefined;
      if (rcode === undefined) return answers.join(", ") || "resolved";
      return answers.length > 0 ? `${answers.join(", ")} (${rcode})` : rcode;
    }
    case "echo":
      return `${facts.bytes} bytes echoed`;
    case "tcp":
    case "unix":
      return typeof facts.received === "string"
        ? `got ${quotedExcerpt(facts.received)}`
        : "accepted";
  }
}
