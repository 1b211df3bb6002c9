/**
 * `sockit check merge`: the JSON reports of one spec run from many vantage points, read and
 * checked, merged into one, and judged per check: where it failed, and whether the vantage
 * points saw the same thing ({@linkcode resultFingerprint}). The merged reports (JSON, JUnit,
 * TAP) are rendered here as text; the command reads the files and prints the matrix.
 *
 * @module
 */
import { stringify } from "yaml";
import { normalPath } from "../text/path.ts";
import { oneLine, quote } from "../text/quote.ts";
import {
  classnames,
  countResults,
  junitTestcase,
  showMs,
  vantageProblem,
  xmlText,
} from "./report.ts";
import type { CheckStatus } from "./runner.ts";
export { FINGERPRINT_VERSION, resultFingerprint } from "./fingerprint.ts";
import { resultFingerprint } from "./fingerprint.ts";

/** A check's entry of a JSON report, as much of it as a merge reads (the rest is kept too). */
export interface ReportCheck {
  /** The check's name. */
  name: string;
  /** Its spec file. */
  file: string;
  /** Its line in the file. */
  line: number;
  /** `http`, `tcp`, `dns`, `echo` or `unix`. */
  kind: string;
  /** What it checked, as the report shows it (secrets masked). */
  target: string;
  /** How it ended. */
  status: CheckStatus;
  /** From its first attempt's start to its last attempt's end. */
  duration_ms: number;
  /** Attempts made. */
  attempts: number;
  /** Why it did not pass (failed, error), else `null`. */
  error: string | null;
  /** The error's kind (an `ErrorKind` word), else `null`; absent from an older report. */
  error_kind?: string | null;
  /** The system's error code beneath the error (`ECONNREFUSED`), else `null`; absent from an older report. */
  error_code?: string | null;
  /** The expectations that did not hold. */
  failures: Array<{ expectation: string; expected: string; got: string; message: string }>;
  /** What the last attempt saw. */
  details: Record<string, unknown>;
}

/** One JSON report, read and checked. */
export interface VantageReport {
  /** Where it was read from, for messages. */
  source: string;
  /** The report's `vantage`. */
  vantage: string;
  /** Its `started_at`. */
  startedAt: string;
  /** Its `duration_ms`. */
  durationMs: number;
  /** Its `files`. */
  files: string[];
  /** Its `checks`. */
  checks: ReportCheck[];
}

/** A report that cannot be merged: what is wrong, naming the file(s). */
export class MergeError extends Error {
  override name = "MergeError";
}

/** The most reports one merge takes. */
export const MAX_MERGED_REPORTS = 1000;

const STATUSES: readonly string[] = ["passed", "failed", "error", "skipped"];

/**
 * Reads one JSON report (the text of `check --report json=FILE`) and checks its shape: a
 * `vantage` that names a vantage point, `files`, `started_at`, `duration_ms` and `checks` with
 * each entry's `name`, `file`, `line`, `kind`, `target`, `status`, `duration_ms`, `attempts`,
 * `error`, `failures` and `details` of the right types, no two checks with one file and name.
 *
 * @throws {MergeError} Naming `source` and what is wrong.
 *
 * @example
 * ```ts
 * import { parseReport } from "./merge.ts";
 * import assert from "node:assert/strict";
 * assert.throws(() => parseReport('{"passed": 1', "a.json"), /^MergeError: Cannot read report "a\.json": it is not JSON/);
 * assert.throws(() => parseReport("[]", "a.json"), /not a sockit check JSON report/);
 * ```
 */
export function parseReport(text: string, source: string): VantageReport {
  const fail = (why: string) => new MergeError(`Cannot read report "${source}": ${why}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw fail(
      `it is not JSON (${error instanceof Error ? error.message : String(error)})${
        text.trim() === "" ? ": the file is empty" : ""
      }`,
    );
  }
  if (!isObject(value) || !Array.isArray(value.checks) || !Array.isArray(value.files)) {
    throw fail('it is not a sockit check JSON report (no "files" and "checks")');
  }
  if (value.vantage === undefined) {
    throw fail(
      'it has no "vantage": it was made by a sockit that does not name its vantage point ' +
        "(run the check again with --vantage NAME)",
    );
  }
  if (typeof value.vantage !== "string") throw fail('"vantage" is not a string');
  const problem = vantageProblem(value.vantage);
  if (problem !== undefined) throw fail(`"vantage" cannot name a vantage point: ${problem}`);
  if (!value.files.every((f) => typeof f === "string")) {
    throw fail('"files" is not a list of strings');
  }
  if (typeof value.started_at !== "string") throw fail('"started_at" is not a string');
  if (typeof value.duration_ms !== "number") throw fail('"duration_ms" is not a number');
  const files = value.files as string[];
  const normalFiles = new Set(files.map(normalPath));
  const checks: ReportCheck[] = [];
  const seen = new Set<string>();
  value.checks.forEach((entry: unknown, i: number) => {
    const where = `checks[${i}]`;
    if (!isObject(entry)) throw fail(`${where} is not an object`);
    for (const key of ["name", "file", "kind", "target"]) {
      if (typeof entry[key] !== "string") throw fail(`${where}.${key} is not a string`);
    }
    for (const key of ["line", "duration_ms", "attempts"]) {
      if (typeof entry[key] !== "number") throw fail(`${where}.${key} is not a number`);
    }
    if (!STATUSES.includes(entry.status as string)) {
      throw fail(`${where}.status is not one of ${STATUSES.join(", ")}`);
    }
    for (const key of ["error", "error_kind", "error_code"]) {
      if (key !== "error" && entry[key] === undefined) continue;
      if (entry[key] !== null && typeof entry[key] !== "string") {
        throw fail(`${where}.${key} is not a string or null`);
      }
    }
    if (
      !Array.isArray(entry.failures) ||
      !entry.failures.every((f) =>
        isObject(f) &&
        ["expectation", "expected", "got", "message"].every((k) => typeof f[k] === "string")
      )
    ) {
      throw fail(`${where}.failures is not a list of {expectation, expected, got, message}`);
    }
    if (!isObject(entry.details)) throw fail(`${where}.details is not an object`);
    const check = entry as unknown as ReportCheck;
    if (!normalFiles.has(normalPath(check.file))) {
      throw fail(`${where} is of file ${quote(check.file)}, which is not among "files"`);
    }
    const key = keyOf(check);
    if (seen.has(key)) {
      throw fail(`check ${quote(check.name)} of ${quote(check.file)} is in it twice`);
    }
    seen.add(key);
    checks.push(check);
  });
  return {
    source,
    vantage: value.vantage,
    startedAt: value.started_at,
    durationMs: value.duration_ms,
    files,
    checks,
  };
}

/** A check's key: its file (written the one way) and its name. */
function keyOf(check: Pick<ReportCheck, "file" | "name">): string {
  return `${normalPath(check.file)}\u0000${check.name}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * When a merge fails: `any` check that failed from any vantage point (the default), one that
 * `differs` between them, one that failed from `all` of those that ran it, or one that failed
 * from at least a number of them (a quorum).
 */
export type FailOn = "any" | "differs" | "all" | number;

/**
 * Reads `--fail-on`: `any`, `differs`, `all` or a whole number from 1 to `vantages`.
 *
 * @throws {RangeError} Saying what is accepted.
 */
export function parseFailOn(text: string, vantages: number): FailOn {
  if (text === "any" || text === "differs" || text === "all") return text;
  if (/^[0-9]+$/.test(text)) {
    const n = Number(text);
    if (n >= 1 && n <= vantages) return n;
    throw new RangeError(
      `a quorum must be from 1 to the ${vantages} vantage point${vantages === 1 ? "" : "s"} merged`,
    );
  }
  throw new RangeError("expected any, differs, all or a number of vantage points");
}

/** What one vantage point saw of a check. */
export interface VantageView {
  /** The vantage point. */
  vantage: string;
  /** Its report's entry for the check. */
  entry: ReportCheck;
  /** {@linkcode resultFingerprint} of it; undefined when skipped. */
  fingerprint: string | undefined;
}

/** One check across every vantage point. */
export interface MergedCheck {
  /** The check's name. */
  name: string;
  /** Its spec file. */
  file: string;
  /** Its line (the first report's). */
  line: number;
  /** Its kind. */
  kind: string;
  /** What each vantage point saw, in the order of the reports. */
  views: VantageView[];
  /** Whether the vantage points that ran it saw different things (fingerprints). */
  differs: boolean;
  /** The vantage points from which it failed or could not run. */
  failedAt: string[];
  /** The vantage points that ran it (not skipped). */
  ranAt: string[];
  /** Whether it fails the merge under its `--fail-on`. */
  fails: boolean;
}

/** Reports of one spec from many vantage points, merged. */
export interface MergedRun {
  /** The vantage points, in the order of the reports. */
  vantages: VantageReport[];
  /** The spec files (the first report's order). */
  files: string[];
  /** Every check, in the first report's order. */
  checks: MergedCheck[];
  /** When it fails. */
  failOn: FailOn;
}

/**
 * Merges reports of one spec from different vantage points. The same spec means the same
 * `files` (in any order) and the same checks (each file and name); a target may differ (a
 * `--var` per place).
 *
 * @throws {MergeError} When there is no report, when two reports come from one vantage point,
 *   or when two are of different specs, naming them.
 *
 * @example
 * ```ts
 * import { mergeReports, parseReport } from "./merge.ts";
 * import assert from "node:assert/strict";
 * const report = (vantage: string, status: string, error: string | null) =>
 *   parseReport(JSON.stringify({
 *     vantage, started_at: "2026-12-07T12:00:00.000Z", duration_ms: 3, files: ["s.yaml"],
 *     checks: [{
 *       name: "db", file: "s.yaml", line: 3, kind: "tcp", target: "db:5432", status,
 *       duration_ms: 1, attempts: 1, error, failures: [], details: {},
 *     }],
 *   }), `${vantage}.json`);
 * const merged = mergeReports([
 *   report("a", "passed", null),
 *   report("b", "error", "Cannot connect to db:5432: connection refused"),
 * ]);
 * assert.deepEqual([merged.checks[0]!.differs, merged.checks[0]!.failedAt], [true, ["b"]]);
 * ```
 */
export function mergeReports(
  reports: readonly VantageReport[],
  options: { failOn?: FailOn } = {},
): MergedRun {
  const failOn = options.failOn ?? "any";
  const first = reports[0];
  if (first === undefined) throw new MergeError("No report to merge");
  if (reports.length > MAX_MERGED_REPORTS) {
    throw new MergeError(
      `${reports.length} reports are more than the ${MAX_MERGED_REPORTS} one merge takes`,
    );
  }
  const byVantage = new Map<string, VantageReport>();
  for (const report of reports) {
    const other = byVantage.get(report.vantage);
    if (other !== undefined) {
      throw new MergeError(
        `Reports "${other.source}" and "${report.source}" are both from vantage point ${
          quote(report.vantage, Infinity)
        }: merge one report per vantage point`,
      );
    }
    byVantage.set(report.vantage, report);
  }
  const index = reports.map((r) => new Map(r.checks.map((c) => [keyOf(c), c])));
  const filesOf = reports.map((r) => new Set(r.files.map(normalPath)));
  for (const [i, report] of reports.entries()) {
    if (i === 0) continue;
    const different = (why: string) =>
      new MergeError(
        `Reports "${first.source}" and "${report.source}" are of different specs: ${why}`,
      );
    const missing = first.files.find((f) => !filesOf[i]!.has(normalPath(f)));
    if (missing !== undefined) {
      throw different(
        `"${report.source}" has no file ${quote(missing)}; it has ${someOf(report.files)}`,
      );
    }
    const extra = report.files.find((f) => !filesOf[0]!.has(normalPath(f)));
    if (extra !== undefined) {
      throw different(
        `"${first.source}" has no file ${quote(extra)}; it has ${someOf(first.files)}`,
      );
    }
    const noCheck = (source: string, check: ReportCheck, of: VantageReport) => {
      const same = of.checks.filter((c) => normalPath(c.file) === normalPath(check.file));
      return different(
        `"${source}" has no check ${quote(check.name)} (${
          quote(check.file)
        }); its checks of that file are ${someOf(same.map((c) => c.name))}`,
      );
    };
    const absent = first.checks.find((c) => !index[i]!.has(keyOf(c)));
    if (absent !== undefined) throw noCheck(report.source, absent, report);
    const added = report.checks.find((c) => !index[0]!.has(keyOf(c)));
    if (added !== undefined) throw noCheck(first.source, added, first);
  }
  const checks = first.checks.map((c): MergedCheck => {
    const views = reports.map((r, i): VantageView => {
      const entry = index[i]!.get(keyOf(c))!;
      return {
        vantage: r.vantage,
        entry,
        fingerprint: resultFingerprint(entry as unknown as Record<string, unknown>),
      };
    });
    const ran = views.filter((v) => v.fingerprint !== undefined);
    const failedAt = ran.filter((v) => v.entry.status !== "passed").map((v) => v.vantage);
    const differs = new Set(ran.map((v) => v.fingerprint)).size > 1;
    const fails = failOn === "any"
      ? failedAt.length > 0
      : failOn === "differs"
      ? differs
      : failOn === "all"
      ? ran.length > 0 && failedAt.length === ran.length
      : failedAt.length >= failOn;
    return {
      name: c.name,
      file: c.file,
      line: c.line,
      kind: c.kind,
      views,
      differs,
      failedAt,
      ranAt: ran.map((v) => v.vantage),
      fails,
    };
  });
  return { vantages: [...reports], files: first.files, checks, failOn };
}

/** A few of `items`, quoted: `"a", "b" and 3 more`, or `none`. */
function someOf(items: readonly string[], most = 5): string {
  if (items.length === 0) return "none";
  const shown = items.slice(0, most).map((item) => quote(item)).join(", ");
  return items.length > most ? `${shown} and ${items.length - most} more` : shown;
}

/** What a view saw, in a few words: `status 200`, `NOERROR 192.0.2.1`, the error. */
export function viewText(view: VantageView): string {
  const { entry } = view;
  if (entry.status === "skipped") {
    const reason = (entry as unknown as Record<string, unknown>).skip_reason;
    return `skipped${typeof reason === "string" ? `: ${reason}` : ""}`;
  }
  if (entry.status === "error") return `error: ${entry.error ?? "could not run"}`;
  const d = entry.details;
  const seen: string[] = [];
  if (entry.kind === "http" && typeof d.status === "number") seen.push(`status ${d.status}`);
  if (entry.kind === "http" && typeof d.cert_expires === "string") {
    const sha = typeof d.cert_sha256 === "string"
      ? ` SHA-256 ${d.cert_sha256.slice(0, 23)}...`
      : "";
    seen.push(`certificate${sha} until ${d.cert_expires}`);
  }
  if (entry.kind === "dns") {
    const answers = Array.isArray(d.answers) ? d.answers.map(String) : [];
    const rcode = typeof d.rcode === "string" ? `${d.rcode} ` : "";
    seen.push(`${rcode}${answers.length > 0 ? answers.join(", ") : "no answers"}`.trim());
  }
  if ((entry.kind === "tcp" || entry.kind === "unix")) {
    seen.push(
      typeof d.received === "string" && d.received !== ""
        ? `received ${quote(d.received)}`
        : "connected",
    );
  }
  if (entry.kind === "echo" && typeof d.bytes === "number") seen.push(`${d.bytes} bytes echoed`);
  const failures = entry.failures.map((f) => f.message);
  return `${entry.status}${seen.length > 0 ? `: ${seen.join(", ")}` : ""}${
    failures.length > 0 ? `; ${failures.join("; ")}` : ""
  }`;
}

/** The views of a check grouped by what they saw, in the order each was first seen. */
export function distinctViews(check: MergedCheck): VantageView[][] {
  const groups = new Map<string, VantageView[]>();
  for (const view of check.views) {
    const key = view.fingerprint ?? `skipped\u0000${view.vantage}`;
    const group = groups.get(key);
    if (group) group.push(view);
    else groups.set(key, [view]);
  }
  return [...groups.values()];
}

/** How many checks fail the merge, differ, and passed from every vantage point that ran them. */
export function mergeCounts(
  run: MergedRun,
): { total: number; failing: number; differing: number; passedEverywhere: number } {
  return {
    total: run.checks.length,
    failing: run.checks.filter((c) => c.fails).length,
    differing: run.checks.filter((c) => c.differs).length,
    passedEverywhere: run.checks.filter((c) => c.ranAt.length > 0 && c.failedAt.length === 0)
      .length,
  };
}

/**
 * The merged JSON report: `vantages` (each `name`, `report`, `started_at`, `duration_ms` and
 * its counts), `files`, `fail_on`, the counts (`total`, `failing`, `differing`,
 * `passed_everywhere`), `ok`, and `checks`, each with `name`, `file`, `line`, `kind`,
 * `differs`, `views` (distinct fingerprints), `failed_at`, `fails` and `by_vantage` (each
 * vantage point's entry of its own report, with its `fingerprint`).
 */
export function mergedJsonReport(run: MergedRun): Record<string, unknown> {
  const counts = mergeCounts(run);
  return {
    vantages: run.vantages.map((v) => {
      const c = countResults(v.checks);
      return {
        name: v.vantage,
        report: v.source,
        started_at: v.startedAt,
        duration_ms: v.durationMs,
        passed: c.passed,
        failed: c.failed,
        skipped: c.skipped,
      };
    }),
    files: run.files,
    fail_on: run.failOn,
    total: counts.total,
    failing: counts.failing,
    differing: counts.differing,
    passed_everywhere: counts.passedEverywhere,
    ok: counts.failing === 0,
    checks: run.checks.map((c) => ({
      name: c.name,
      file: c.file,
      line: c.line,
      kind: c.kind,
      differs: c.differs,
      views: new Set(c.views.flatMap((v) => v.fingerprint ?? [])).size,
      failed_at: c.failedAt,
      fails: c.fails,
      by_vantage: Object.fromEntries(
        c.views.map((v) => [v.vantage, { ...v.entry, fingerprint: v.fingerprint ?? null }]),
      ),
    })),
  };
}

/**
 * The merged JUnit report: a `<testsuite>` per vantage point (`name` the vantage point, a
 * `vantage` and a `report` property), a `<testcase>` per check (`classname` its file's class name
 * and the vantage point, `smoke (eu-west-1)`, so that no two suites share a case), with
 * `<failure>`, `<error>` (`type` the error's kind) or `<skipped>` as that vantage point saw it.
 */
export function mergedJunitReport(run: MergedRun): string {
  const classes = classnames(run.files);
  const all = countResults(run.vantages.flatMap((v) => v.checks));
  const suites: string[] = [];
  for (const v of run.vantages) {
    const c = countResults(v.checks);
    suites.push(
      `  <testsuite name="${xmlText(v.vantage)}" tests="${c.total}" failures="${
        c.failed - c.errors
      }" errors="${c.errors}" skipped="${c.skipped}" time="${
        (v.durationMs / 1000).toFixed(3)
      }" timestamp="${xmlText(v.startedAt)}">`,
      `    <properties><property name="vantage" value="${
        xmlText(v.vantage)
      }"/><property name="report" value="${xmlText(v.source)}"/></properties>`,
    );
    for (const check of run.checks) {
      const view = check.views.find((x) => x.vantage === v.vantage)!;
      const e = view.entry;
      const classname = classes[run.files.indexOf(check.file)] ?? check.file;
      suites.push(...junitTestcase({
        name: check.name,
        classname: `${classname} (${v.vantage})`,
        file: check.file,
        line: check.line,
        durationMs: e.duration_ms,
        status: e.status,
        message: e.status === "skipped" ? viewText(view) : e.error ?? "",
        type: e.status === "failed"
          ? e.failures[0]?.expectation ?? "expectation"
          : e.error_kind ?? "Error",
        text: viewText(view),
      }));
    }
    suites.push("  </testsuite>");
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="sockit check merge" tests="${all.total}" failures="${
      all.failed - all.errors
    }" errors="${all.errors}" skipped="${all.skipped}">`,
    ...suites,
    "</testsuites>",
    "",
  ].join("\n");
}

/**
 * The merged TAP version 14 report: a test point per check, `ok` unless it fails the merge
 * under `--fail-on`, with YAML diagnostics for those that fail or differ (`differs`,
 * `failed_at`, and `by_vantage`: what each vantage point saw and its fingerprint); the
 * vantage points and the counts as comments.
 */
export function mergedTapReport(run: MergedRun): string {
  const lines = ["TAP version 14", `1..${run.checks.length}`];
  lines.push(`# vantages: ${oneLine(run.vantages.map((v) => v.vantage).join(", "), Infinity)}`);
  const several = run.files.length > 1;
  run.checks.forEach((c, i) => {
    const name = (several ? `${c.file}: ${c.name}` : c.name).replace(/\\/g, "\\\\")
      .replace(/#/g, "\\#");
    lines.push(`${c.fails ? "not ok" : "ok"} ${i + 1} - ${name}`);
    if (!c.fails && !c.differs) return;
    const diagnostics = {
      message: c.differs
        ? "the vantage points saw different things"
        : `failed from ${c.failedAt.join(", ")}`,
      severity: c.fails ? "fail" : "comment",
      differs: c.differs,
      failed_at: c.failedAt,
      at: { file: c.file, line: c.line },
      by_vantage: Object.fromEntries(
        c.views.map((v) => [v.vantage, { saw: viewText(v), fingerprint: v.fingerprint ?? null }]),
      ),
    };
    const yaml = stringify(diagnostics, { lineWidth: 0 }).trimEnd().split("\n");
    lines.push("  ---", ...yaml.map((line) => `  ${line}`), "  ...");
  });
  const counts = mergeCounts(run);
  lines.push(
    `# ${counts.total} checks from ${run.vantages.length} vantage points: ${counts.failing} failing, ${counts.differing} differing`,
  );
  return lines.join("\n") + "\n";
}

/** A matrix cell: `ok 12.4 ms`, `FAIL 3.02 s`, `ERROR 1.20 ms`, `skip`. */
export function cellText(entry: ReportCheck): string {
  switch (entry.status) {
    case "passed":
      return `ok ${showMs(entry.duration_ms)}`;
    case "failed":
      return `FAIL ${showMs(entry.duration_ms)}`;
    case "error":
      return `ERROR ${showMs(entry.duration_ms)}`;
    case "skipped":
      return "skip";
  }
}
