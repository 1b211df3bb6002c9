/**
 * The reports CI systems read, made from a run's results: JUnit XML (a `<testsuite>` per spec
 * file, a `<testcase>` per check), TAP version 14, a JSON object, GitHub Actions annotations and
 * a Markdown summary table. Each is returned as text, rendered from results whose secrets the
 * runner has masked already (a report is never masked as text); the command writes it where asked.
 *
 * @module
 */
import { stringify } from "yaml";
import { escapeXml } from "./redact.ts";
import type { CheckResult, CheckStatus } from "./runner.ts";

/** A finished run. */
export interface RunReport {
  /** Every check's result, files in the order given, checks in file order. */
  results: CheckResult[];
  /** The spec files, in the order given. */
  files: string[];
  /** When the run started. */
  startedAt: Date;
  /** How long it took, in milliseconds. */
  durationMs: number;
  /**
   * Where the run was made from (`check --vantage`, the host name by default): the JSON
   * report's `vantage`, a JUnit suite's property and name, a TAP comment. Left out of every
   * report when not given.
   */
  vantage?: string | undefined;
}

/** The longest vantage point name, in characters: a DNS name or a Kubernetes node name fits. */
export const MAX_VANTAGE_LENGTH = 256;

/**
 * Why `name` cannot name a vantage point, or `undefined` when it can: it must not be empty, be at
 * most {@linkcode MAX_VANTAGE_LENGTH} characters, begin or end with white space, or hold a control
 * character, a format character (zero-width, bidi), a line or paragraph separator or a lone
 * surrogate. Any other character goes (a Prometheus label value takes any UTF-8), escaped where a
 * report needs it.
 *
 * @example
 * ```ts
 * import { vantageProblem } from "./report.ts";
 * import assert from "node:assert/strict";
 * assert.equal(vantageProblem("eu-west-1"), undefined);
 * assert.equal(vantageProblem('node "7" <b>'), undefined);
 * assert.equal(vantageProblem("a\nb"), "it holds a control character (U+000A)");
 * assert.equal(vantageProblem(""), "it is empty");
 * ```
 */
export function vantageProblem(name: string): string | undefined {
  if (name === "") return "it is empty";
  const length = [...name].length;
  if (length > MAX_VANTAGE_LENGTH) {
    return `it is ${length} characters long, over the ${MAX_VANTAGE_LENGTH} allowed`;
  }
  const bad = UNPRINTABLE.exec(name);
  if (bad) {
    const code = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
    const what = /\p{Cc}/u.test(bad[0])
      ? "a control character"
      : /\p{Cs}/u.test(bad[0])
      ? "a lone surrogate"
      : /\p{Cf}/u.test(bad[0])
      ? "an invisible format character"
      : "a line or paragraph separator";
    return `it holds ${what} (U+${code})`;
  }
  if (/^\s|\s$/u.test(name)) return "it begins or ends with white space";
  return undefined;
}

/** What a vantage point name may not hold: controls, format characters, separators, surrogates. */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

/** How many checks ended each way; `failed` counts the checks that could not run too. */
export interface Counts {
  /** Every check. */
  total: number;
  /** Passed. */
  passed: number;
  /** Did not pass: an expectation failed, or the check could not run. */
  failed: number;
  /** Could not run (a part of `failed`). */
  errors: number;
  /** Left out by a filter, or not started after a failure with fail-fast. */
  skipped: number;
}

/** Counts results (a run's, or a JSON report's entries) by how they ended. */
export function countResults(results: readonly { status: CheckStatus }[]): Counts {
  const of = (...statuses: CheckStatus[]) =>
    results.filter((r) => statuses.includes(r.status)).length;
  return {
    total: results.length,
    passed: of("passed"),
    failed: of("failed", "error"),
    errors: of("error"),
    skipped: of("skipped"),
  };
}

/** `3 passed, 1 failed, 2 skipped in 1.2s`. */
export function summaryLine(report: RunReport): string {
  const c = countResults(report.results);
  return `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped in ${
    seconds(report.durationMs)
  }s`;
}

function seconds(ms: number): string {
  return ms < 10_000 ? (ms / 1000).toFixed(ms < 1000 ? 3 : 2) : (ms / 1000).toFixed(1);
}

/** Milliseconds for people: `0.42 ms`, `12.3 ms`, `1520 ms`. */
export function showMs(ms: number): string {
  return ms < 10
    ? `${ms.toFixed(2)} ms`
    : ms < 1000
    ? `${ms.toFixed(1)} ms`
    : `${Math.round(ms)} ms`;
}

/**
 * Each file's JUnit class name: the file name without its extension (`sockit` for
 * `ci/sockit.yaml`), or the whole path without it when two files would share a name.
 *
 * @example
 * ```ts
 * import { classnames } from "./report.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(classnames(["ci/api.yaml", "db.json"]), ["api", "db"]);
 * assert.deepEqual(classnames(["a/sockit.yaml", "b/sockit.yaml"]), ["a/sockit", "b/sockit"]);
 * ```
 */
export function classnames(files: readonly string[]): string[] {
  const strip = (file: string) => file.replace(/\.(ya?ml|json)$/i, "");
  const short = files.map((file) => strip(file.split("/").at(-1) ?? file));
  return files.map((file, i) =>
    short.filter((name) => name === short[i]).length > 1 ? strip(file) : short[i]!
  );
}

/** Characters that XML 1.0 forbids: most C0 controls, lone surrogates, U+FFFE and U+FFFF. */
// deno-lint-ignore no-control-regex
const XML_FORBIDDEN = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Text for XML: forbidden characters removed, the rest escaped. */
export function xmlText(text: string): string {
  return escapeXml(text.replace(XML_FORBIDDEN, ""));
}

/** What the report says about a check that did not pass, in full. */
function fullText(result: CheckResult): string {
  const lines = [result.message];
  for (const f of result.failures) {
    lines.push(`${f.expectation}: expected ${f.expected}, got ${f.got}`);
  }
  lines.push(`target: ${result.check.targetText}`);
  lines.push(`attempts: ${result.attempts.length}`);
  return lines.join("\n");
}

/** Attempts and timings, one line each. */
function attemptLines(result: CheckResult): string[] {
  return result.attempts.map((a) =>
    `attempt ${a.attempt} at +${Math.round(a.startMs)} ms: ${a.ok ? "ok" : "not ok"}, ${
      showMs(a.durationMs)
    }: ${a.reason}`
  );
}

/**
 * The JUnit XML report: `<testsuites>`, a `<testsuite>` per file with its counts, time and
 * timestamp (with a vantage point, its name is `FILE (VANTAGE)` and its `<properties>` hold a
 * `vantage` property), a `<testcase>` per check (`classname` the file name without extension,
 * `name` the check's), `<failure>` for an expectation that did not hold, `<error>` for a check
 * that could not run, `<skipped>` for one left out; attempts and timings in `<system-out>`.
 */
export function junitReport(report: RunReport): string {
  const names = classnames(report.files);
  const all = countResults(report.results);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="sockit check" tests="${all.total}" failures="${
      all.failed - all.errors
    }" errors="${all.errors}" skipped="${all.skipped}" time="${
      (report.durationMs / 1000).toFixed(3)
    }" timestamp="${report.startedAt.toISOString()}">`,
  ];
  report.files.forEach((file, index) => {
    const results = report.results.filter((r) => r.check.file === file);
    const c = countResults(results);
    // A loop rather than Math.min(...spread): a spec may hold more checks than a call takes.
    let start = report.startedAt.getTime();
    for (const r of results) start = Math.min(start, r.startedAt.getTime());
    let end = start;
    for (const r of results) end = Math.max(end, r.startedAt.getTime() + r.durationMs);
    const suite = report.vantage === undefined ? file : `${file} (${report.vantage})`;
    lines.push(
      `  <testsuite name="${xmlText(suite)}" file="${xmlText(file)}" tests="${c.total}" failures="${
        c.failed - c.errors
      }" errors="${c.errors}" skipped="${c.skipped}" time="${
        ((end - start) / 1000).toFixed(3)
      }" timestamp="${new Date(start).toISOString()}">`,
    );
    if (report.vantage !== undefined) {
      lines.push(
        `    <properties><property name="vantage" value="${
          xmlText(report.vantage)
        }"/></properties>`,
      );
    }
    for (const result of results) {
      const { check } = result;
      const out = [
        `${check.kind} ${check.targetText}`,
        ...(isInsecure(result) ? [INSECURE_NOTE] : []),
        ...(result.status === "passed" ? [`passed: ${result.message}`] : []),
        ...attemptLines(result),
      ];
      lines.push(...junitTestcase({
        name: check.name,
        classname: names[index]!,
        file,
        line: check.line,
        durationMs: result.durationMs,
        status: result.status,
        message: result.message,
        type: result.status === "failed"
          ? result.failures[0]?.expectation ?? "expectation"
          : result.errorType ?? "Error",
        text: fullText(result),
        properties: isInsecure(result) ? [["insecure", "true"]] : [],
        systemOut: result.attempts.length > 0 || result.status === "passed"
          ? out.join("\n")
          : undefined,
      }));
    }
    lines.push("  </testsuite>");
  });
  lines.push("</testsuites>");
  return lines.join("\n") + "\n";
}

/** One `<testcase>` of a JUnit report, for {@linkcode junitTestcase}. */
export interface JunitTestcase {
  /** The check's name. */
  name: string;
  /** Its class name. */
  classname: string;
  /** Its spec file. */
  file: string;
  /** Its line there. */
  line: number;
  /** How long it took. */
  durationMs: number;
  /** How it ended. */
  status: CheckStatus;
  /** The `message` of its `<failure>`, `<error>` or `<skipped>`. */
  message: string;
  /** The `type` of its `<failure>` (the expectation) or `<error>` (the error's class or kind). */
  type: string;
  /** The text of its `<failure>` or `<error>`. */
  text: string;
  /** Its `<properties>`, as name and value. */
  properties?: ReadonlyArray<readonly [string, string]>;
  /** Its `<system-out>`, if any. */
  systemOut?: string | undefined;
}

/**
 * A JUnit `<testcase>` as its lines (indented for a `<testsuite>`): `<failure>` for a check that
 * failed, `<error>` for one that could not run, `<skipped>` for one left out, with its
 * properties and `<system-out>`; every text escaped for XML.
 *
 * @example
 * ```ts
 * import { junitTestcase } from "./report.ts";
 * import assert from "node:assert/strict";
 * const lines = junitTestcase({
 *   name: "db", classname: "smoke", file: "smoke.yaml", line: 4, durationMs: 2, status: "error",
 *   message: "Cannot connect to db:5432: connection refused", type: "ConnectError", text: "...",
 * });
 * assert.match(lines[1]!, /^ {6}<error message="Cannot connect to db:5432: connection refused" type="ConnectError">/);
 * ```
 */
export function junitTestcase(c: JunitTestcase): string[] {
  const open = `    <testcase name="${xmlText(c.name)}" classname="${xmlText(c.classname)}" file="${
    xmlText(c.file)
  }" line="${c.line}" time="${(c.durationMs / 1000).toFixed(3)}"`;
  const inner: string[] = [];
  if (c.properties !== undefined && c.properties.length > 0) {
    inner.push(
      `      <properties>${
        c.properties.map(([name, value]) =>
          `<property name="${xmlText(name)}" value="${xmlText(value)}"/>`
        ).join("")
      }</properties>`,
    );
  }
  if (c.status === "failed" || c.status === "error") {
    const tag = c.status === "failed" ? "failure" : "error";
    inner.push(
      `      <${tag} message="${xmlText(c.message)}" type="${xmlText(c.type)}">${
        xmlText(c.text)
      }</${tag}>`,
    );
  } else if (c.status === "skipped") {
    inner.push(`      <skipped message="${xmlText(c.message)}"/>`);
  }
  if (c.systemOut !== undefined) {
    inner.push(`      <system-out>${xmlText(c.systemOut)}</system-out>`);
  }
  return inner.length === 0 ? [`${open}/>`] : [`${open}>`, ...inner, "    </testcase>"];
}

/** Whether the check accepted any certificate (`insecure: true`, or `-k`). */
function isInsecure(result: CheckResult): boolean {
  return result.check.probe.http?.insecure === true;
}

/** What a report says of such a check, beside its outcome. */
const INSECURE_NOTE = "insecure: the certificate was NOT verified";

/** A TAP test point's description: `#` and `\` escaped, as TAP 14 asks. */
function tapDescription(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/#/g, "\\#");
}

/**
 * The TAP version 14 report: the plan, `# vantage: NAME` with a vantage point, `ok N - name` or
 * `not ok N - name` with YAML diagnostics (`message`, `severity`, `got`, `expected`,
 * `attempts`...), `# SKIP` for checks left out, and the counts as a comment.
 */
export function tapReport(report: RunReport): string {
  const several = report.files.length > 1;
  const names = classnames(report.files);
  const lines = ["TAP version 14", `1..${report.results.length}`];
  // A comment is one line: a line break in a library caller's name must not end it.
  if (report.vantage !== undefined) {
    lines.push(`# vantage: ${report.vantage.replace(/[\r\n\u2028\u2029]+/g, " ")}`);
  }
  report.results.forEach((result, i) => {
    const { check } = result;
    const prefix = several ? `${names[report.files.indexOf(check.file)]}: ` : "";
    const description = tapDescription(prefix + check.name);
    if (result.status === "skipped") {
      lines.push(`ok ${i + 1} - ${description} # SKIP ${tapDescription(result.message)}`);
      return;
    }
    const ok = result.status === "passed";
    lines.push(`${ok ? "ok" : "not ok"} ${i + 1} - ${description}`);
    if (ok) {
      if (isInsecure(result)) lines.push("  ---", "  insecure: true", "  ...");
      return;
    }
    const first = result.failures[0];
    const diagnostics: Record<string, unknown> = {
      message: result.message,
      severity: result.status === "error" ? "error" : "fail",
      ...(first ? { expected: first.expected, got: first.got } : {}),
      ...(result.failures.length > 1 ? { failures: result.failures.map((f) => ({ ...f })) } : {}),
      target: check.targetText,
      ...(isInsecure(result) ? { insecure: true } : {}),
      at: { file: check.file, line: check.line },
      attempts: result.attempts.length,
      duration_ms: Math.round(result.durationMs * 1000) / 1000,
    };
    const yaml = stringify(diagnostics, { lineWidth: 0 }).trimEnd().split("\n");
    lines.push("  ---", ...yaml.map((line) => `  ${line}`), "  ...");
  });
  lines.push(`# ${summaryLine(report)}`);
  return lines.join("\n") + "\n";
}

/**
 * The JSON report: the vantage point (`vantage`, when there is one), counts, the duration, and
 * every check with its kind, target, outcome, attempts, error and details.
 */
export function jsonReport(report: RunReport): Record<string, unknown> {
  const c = countResults(report.results);
  return {
    ...(report.vantage === undefined ? {} : { vantage: report.vantage }),
    passed: c.passed,
    failed: c.failed,
    skipped: c.skipped,
    errors: c.errors,
    duration_ms: Math.round(report.durationMs * 1000) / 1000,
    started_at: report.startedAt.toISOString(),
    files: report.files,
    checks: report.results.map(jsonResult),
  };
}

/**
 * One check's entry in the JSON report: its name, file, line, kind, target, tags, outcome
 * (`status`, `ok`), attempts, duration, error (its message, its `error_kind`, an `ErrorKind`
 * word, and its `error_code`, the system's code such as `ECONNREFUSED`; `null` when none) or skip
 * reason, failures, details and attempt log.
 * It is also one `result` line of a monitor's `--json` and one entry of its `/api/results`.
 *
 * @example
 * ```ts
 * import { jsonResult } from "./report.ts";
 * import { runChecks } from "./runner.ts";
 * import { loadSpec } from "./spec.ts";
 * import assert from "node:assert/strict";
 * const spec = await loadSpec("version: 1\nchecks:\n  - { name: db, tcp: { host: db, port: 5432 } }\n", {
 *   file: "s.yaml",
 *   baseDir: ".",
 *   env: () => undefined,
 * });
 * const [result] = await runChecks([{ check: spec.checks[0]!, skip: "not selected" }]);
 * const json = jsonResult(result!);
 * assert.deepEqual([json.name, json.target, json.status, json.skip_reason], [
 *   "db",
 *   "db:5432",
 *   "skipped",
 *   "not selected",
 * ]);
 * ```
 */
export function jsonResult(result: CheckResult): Record<string, unknown> {
  return {
    name: result.check.name,
    file: result.check.file,
    line: result.check.line,
    kind: result.check.kind,
    target: result.check.targetText,
    tags: result.check.tags,
    insecure: isInsecure(result),
    status: result.status,
    ok: result.status === "skipped" ? null : result.status === "passed",
    attempts: result.attempts.length,
    duration_ms: Math.round(result.durationMs * 1000) / 1000,
    error: result.status === "failed" || result.status === "error" ? result.message : null,
    error_kind: result.errorKind ?? null,
    error_code: result.errorCode ?? null,
    skip_reason: result.status === "skipped" ? result.message : null,
    failures: result.failures,
    details: result.facts,
    attempt_log: result.attempts.map((a) => ({
      attempt: a.attempt,
      ok: a.ok,
      start_ms: Math.round(a.startMs * 1000) / 1000,
      duration_ms: Math.round(a.durationMs * 1000) / 1000,
      reason: a.reason,
    })),
  };
}

/** Escapes a GitHub workflow command's message (`%`, CR, LF). */
function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** Escapes a GitHub workflow command's property (also `:` and `,`). */
function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

/**
 * A GitHub Actions `::error` annotation for each check that did not pass, pointing at the
 * check's line in its spec file.
 *
 * @example
 * ```ts ignore
 * githubAnnotations(report); // ['::error file=sockit.yaml,line=14,title=check "api"::status 503, expected 2xx']
 * ```
 */
export function githubAnnotations(report: RunReport): string[] {
  return report.results
    .filter((r) => r.status === "failed" || r.status === "error")
    .map((r) =>
      `::error file=${escapeProperty(r.check.file)},line=${r.check.line},col=${r.check.col},title=${
        escapeProperty(
          `sockit check "${r.check.name}" ${r.status === "error" ? "could not run" : "failed"}`,
        )
      }::${escapeData(r.message)}`
    );
}

/** A Markdown table cell: one line, `|` escaped, HTML kept out. */
function cell(text: string): string {
  return text.replace(/[\r\n]+/g, " ").replace(/\|/g, "\\|").replace(/</g, "&lt;");
}

/** The Markdown summary for `$GITHUB_STEP_SUMMARY`: the counts, then a row per check. */
export function markdownSummary(report: RunReport): string {
  const label: Record<CheckStatus, string> = {
    passed: "pass",
    failed: "**FAIL**",
    error: "**ERROR**",
    skipped: "skip",
  };
  const lines = [
    `### sockit check: ${summaryLine(report)}`,
    "",
    "| result | check | where | details | time | attempts |",
    "| --- | --- | --- | --- | ---: | ---: |",
  ];
  for (const r of report.results) {
    lines.push(
      `| ${label[r.status]} | ${cell(r.check.name)} | ${
        cell(`${r.check.file}:${r.check.line}`)
      } | ${cell(r.message)} | ${
        r.attempts.length > 0 ? showMs(r.durationMs) : ""
      } | ${r.attempts.length} |`,
    );
  }
  return lines.join("\n") + "\n\n";
}
