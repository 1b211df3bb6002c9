/**
 * `sockit check`: flags, the terminal report, report files and GitHub Actions annotations.
 * The spec, the runner and the reports are in `lib/check/`; `--emit-check` for the other
 * commands is in `emit_check.ts`.
 *
 * @module
 */
import { resolvePath, splitPath } from "../text/path.ts";
import { MASK, Redactor, SHORT_SECRET } from "../check/redact.ts";
import {
  countResults,
  githubAnnotations,
  jsonReport,
  junitReport,
  markdownSummary,
  showMs,
  summaryLine,
  tapReport,
} from "../check/report.ts";
import type { RunReport } from "../check/report.ts";
import { runChecks } from "../check/runner.ts";
import type { CheckResult, PlannedCheck } from "../check/runner.ts";
import { loadSpec, SpecError } from "../check/spec.ts";
import type { CheckSpec } from "../check/spec.ts";
import { formatOf } from "../check/tree.ts";
import type { SpecProblem } from "../check/tree.ts";
import { VAR_NAME } from "../check/vars.ts";
import { parseRegex } from "../http/expect.ts";
import { formatDuration } from "../net/deadline.ts";
import { TimeoutError } from "../net/errors.ts";
import { writeAll } from "../net/io.ts";
import { startTimer } from "../net/timer.ts";
import { UsageError, withCommon } from "./args.ts";
import type { CommandSpec } from "./args.ts";
import { runCommand } from "./command.ts";
import type { Context } from "./command.ts";
import { ExitCode } from "./exit_codes.ts";
import { insecureWarning, parsedOption } from "./http_options.ts";
import { log } from "./log.ts";
import { StdoutClosedError } from "./output.ts";
import type { Io } from "./output.ts";
import {
  checkOutput,
  describePathError,
  fileIdentityOf,
  readInput,
  refuseSameFile,
  standardStream,
  writeOutputFile,
} from "./paths.ts";
import type { OutputTarget } from "./paths.ts";
import { PRODUCT } from "./version.ts";

/** `sockit check`. */
export const CHECK: CommandSpec = {
  name: "check",
  summary: "run a file of smoke checks at once; JUnit, TAP and JSON reports for CI",
  usage: ["check [options] [FILE...]"],
  description: [
    "Runs the checks of each spec FILE (default: sockit.yaml; - for stdin; .json files are",
    "JSON, others YAML): http, tcp, dns, echo and unix checks, at most --jobs at once, each",
    "attempted up to its retry.attempts times, and reports them in file order. The spec is",
    "checked first: an unknown key, a wrong type, a duplicate key or name, a bad duration, an",
    "undefined ${VAR} or a filter that selects nothing is exit 2 with FILE:LINE:COL, before any",
    "check runs. --validate stops there.",
    "",
    "Exit 0 when every selected check passed, 1 when any failed (a check that could not run,",
    "a refused connection, counts as failed), 2 for a spec or usage error. --timeout bounds the",
    "whole run: checks still running then fail. Secrets (listed under secrets:, read from the",
    "environment) show as *** in every output, report, --trace and -v.",
    "",
    "With GITHUB_ACTIONS=true, each failed check is also an ::error annotation at its line,",
    "and a summary table is appended to $GITHUB_STEP_SUMMARY.",
  ].join("\n"),
  options: withCommon([
    {
      name: "jobs",
      short: "j",
      type: "string",
      value: "N",
      default: "8",
      description: "Run at most N checks at once",
    },
    {
      name: "fail-fast",
      type: "boolean",
      description: "Start no new check once one has failed",
    },
    {
      name: "tag",
      type: "string",
      multiple: true,
      value: "TAG",
      description: "Run only the checks with this tag (repeatable: any of them)",
    },
    {
      name: "name",
      type: "string",
      value: "RE",
      description: "Run only the checks whose name matches RE",
    },
    {
      name: "var",
      type: "string",
      multiple: true,
      value: "NAME=VALUE",
      description: "Set ${NAME} (over the spec's vars and the environment)",
    },
    {
      name: "report",
      type: "string",
      multiple: true,
      value: "FORMAT=PATH",
      description: "Write a junit, tap or json report to PATH (- for stdout)",
    },
    {
      name: "validate",
      type: "boolean",
      description: "Check the spec file(s) and stop: no network",
    },
    {
      name: "insecure",
      short: "k",
      type: "boolean",
      description: "Accept any certificate in every http check (as insecure: true)",
    },
  ]),
  positionals: { min: 0, max: Infinity, name: "FILE" },
  examples: [
    ["Run sockit.yaml", "sockit check"],
    [
      "In CI: the smoke checks, a JUnit file for the test tab",
      "sockit check --tag smoke --report junit=reports/sockit.xml ci/checks.yaml",
    ],
    ["Check the file in a pre-commit hook", "sockit check --validate sockit.yaml"],
    [
      "TAP on stdout, for prove or tap-parser",
      "sockit check --report tap=- --var BASE=http://[::1]:8080",
    ],
  ],
};

/** Runs `sockit check ...`. */
export async function runCheck(argv: string[], io: Io): Promise<number> {
  return await runCommand(CHECK, argv, io, checkCommand, { hints: HINTS });
}

/** What to add to a library error of each kind, in a spec's terms. */
const HINTS: Readonly<Record<string, string>> = {
  "unknown-issuer": 'is its CA trusted? trust a private CA with "cacert" in the check',
  "self-signed": 'trust it with "cacert", a file holding the server\'s own certificate',
  "ca-as-leaf": 'trust it with "cacert", a file holding the server\'s own certificate',
  "max-redirects": 'raise it with "max_redirects"',
};

/** The report formats. */
const FORMATS = ["junit", "tap", "json"] as const;
type Format = typeof FORMATS[number];

interface ReportTarget {
  format: Format;
  path: string;
  /** `--report "junit=r.xml"`, for messages. */
  label: string;
  to: OutputTarget;
}

interface CheckPlan {
  files: string[];
  jobs: number;
  failFast: boolean;
  tags: string[];
  nameRegex: RegExp | undefined;
  vars: Map<string, string>;
  reports: ReportTarget[];
  validate: boolean;
  timeoutMs: number;
}

async function planFrom(ctx: Context): Promise<CheckPlan> {
  const { args } = ctx;
  const files = args.positionals.length > 0 ? args.positionals : ["sockit.yaml"];
  if (files.filter((f) => standardStream(f, "input") === "stdin").length > 1) {
    throw new UsageError("Only one spec file can be read from stdin");
  }
  const seen = new Set<string>();
  for (const file of files) {
    const key = resolvePath(file);
    if (seen.has(key)) throw new UsageError(`Spec file "${file}" is given twice`);
    seen.add(key);
  }
  const vars = new Map<string, string>();
  for (const text of args.strings("var")) {
    const eq = text.indexOf("=");
    const name = eq < 0 ? text : text.slice(0, eq);
    if (eq < 0 || !VAR_NAME.test(name)) {
      throw new UsageError(
        `Invalid --var "${text}": expected NAME=VALUE, NAME made of letters, digits and _`,
      );
    }
    vars.set(name, text.slice(eq + 1));
  }
  const nameText = args.string("name");
  const reports: ReportTarget[] = [];
  for (const text of args.strings("report")) reports.push(await reportTarget(text));
  const onStdout = reports.filter((r) => r.to.kind === "stream" && r.to.stream === "stdout");
  if (onStdout.length + (ctx.json ? 1 : 0) > 1) {
    throw new UsageError(
      "Only one report can go to stdout (--json is the json report on stdout)",
    );
  }
  refuseSameFile(reports.map((r) => ({ label: r.label, target: r.to })));
  for (const file of files) {
    const identity = standardStream(file, "input") ? undefined : await fileIdentityOf(file);
    const report = reports.find((r) => r.to.kind !== "stream" && r.to.identity === identity);
    if (report) throw new UsageError(`Cannot write ${report.label}: it is the spec file "${file}"`);
  }
  const timeout = args.duration("timeout", 0);
  return {
    files,
    jobs: args.integer("jobs", 8, { min: 1, max: 1000 }),
    failFast: args.flag("fail-fast"),
    tags: args.strings("tag"),
    nameRegex: nameText === undefined ? undefined : parsedOption(nameText, "--name", parseRegex),
    vars,
    reports,
    validate: args.flag("validate"),
    timeoutMs: timeout === 0 ? Infinity : timeout,
  };
}

/**
 * Checks a `--report FORMAT=PATH` before anything runs, as `get -o` is checked; missing folders
 * are made when the report is written (curl's `--create-dirs`).
 */
async function reportTarget(text: string): Promise<ReportTarget> {
  const eq = text.indexOf("=");
  const format = (eq < 0 ? text : text.slice(0, eq)) as Format;
  if (eq < 0 || !FORMATS.includes(format)) {
    throw new UsageError(
      `Invalid --report "${text}": expected FORMAT=PATH with FORMAT one of ${FORMATS.join(", ")}`,
    );
  }
  const path = text.slice(eq + 1);
  const label = `--report "${text}"`;
  return { format, path, label, to: await checkOutput(path, { label, createDirs: true }) };
}

/** Reads and checks every spec file; all their problems at once. */
async function loadSpecs(
  ctx: Context,
  plan: CheckPlan,
): Promise<{ specs: CheckSpec[]; errors: SpecError[] }> {
  const specs: CheckSpec[] = [];
  const errors: SpecError[] = [];
  for (const file of plan.files) {
    let text: string;
    try {
      text = await readInput(ctx.io, file, "spec file");
    } catch (error) {
      if (
        error instanceof UsageError && file === "sockit.yaml" && ctx.args.positionals.length === 0
      ) {
        throw new UsageError(
          `${error.message} (run sockit check in the folder of sockit.yaml, or name the file: sockit check FILE)`,
        );
      }
      throw error;
    }
    const stdin = standardStream(file, "input") === "stdin";
    try {
      specs.push(
        await loadSpec(text, {
          file,
          format: stdin ? "yaml" : formatOf(file),
          baseDir: stdin ? Deno.cwd() : splitPath(file).dir,
          env: ctx.io.env,
          vars: plan.vars,
          userAgent: PRODUCT,
        }),
      );
    } catch (error) {
      if (!(error instanceof SpecError)) throw error;
      errors.push(error);
    }
  }
  return { specs, errors };
}

/** Which checks run, and why the others do not. */
function select(plan: CheckPlan, specs: CheckSpec[]): PlannedCheck[] {
  const filters = [
    ...plan.tags.map((t) => `--tag ${t}`),
    ...(plan.nameRegex ? [`--name ${plan.nameRegex.source}`] : []),
  ];
  return specs.flatMap((spec) =>
    spec.checks.map((check) => {
      const tagged = plan.tags.length === 0 || check.tags.some((t) => plan.tags.includes(t));
      const named = plan.nameRegex === undefined || plan.nameRegex.test(check.name);
      return tagged && named ? { check } : { check, skip: `not selected by ${filters.join(" ")}` };
    })
  );
}

/** A filter that selects nothing: a problem at each file's `checks` key. */
function emptySelection(plan: CheckPlan, specs: CheckSpec[]): SpecError[] {
  const asked = [
    ...plan.tags.map((t) => `--tag ${JSON.stringify(t)}`),
    ...(plan.nameRegex ? [`--name ${JSON.stringify(plan.nameRegex.source)}`] : []),
  ].join(" and ");
  return specs.map((spec) => {
    const tags = [...new Set(spec.checks.flatMap((c) => c.tags))];
    return new SpecError(spec.file, [{
      ...spec.checksPos,
      message: `no check matches ${asked} (${spec.checks.length} checks; tags: ${
        tags.join(", ") || "none"
      })`,
    }], spec.secrets);
  });
}

async function checkCommand(ctx: Context): Promise<number> {
  const plan = await planFrom(ctx);
  const { specs, errors } = await loadSpecs(ctx, plan);
  // The secrets are masked in the data that carries them (the runner's results and trace, the
  // problems' messages) before anything is written: never in a report's text.
  const redactor = new Redactor([...specs, ...errors].flatMap((s) => s.secrets));
  try {
    return await checkSpecs(ctx, plan, specs, errors, redactor);
  } catch (error) {
    // An error's text can quote a value a secret went into.
    if (redactor.active && error instanceof Error && !(error instanceof StdoutClosedError)) {
      error.message = redactor.text(error.message);
      if (error.stack) error.stack = redactor.text(error.stack);
    }
    throw error;
  }
}

async function checkSpecs(
  ctx: Context,
  plan: CheckPlan,
  specs: CheckSpec[],
  errors: SpecError[],
  redactor: Redactor,
): Promise<number> {
  if (errors.length > 0) return await reportSpecErrors(ctx, errors);
  await warnShortSecrets(ctx, specs);
  const planned = select(plan, specs);
  if (planned.every((p) => p.skip !== undefined)) {
    return await reportSpecErrors(ctx, emptySelection(plan, specs));
  }
  if (plan.validate) return await reportValid(ctx, specs, planned);
  await warnInsecure(ctx, planned);

  const run = new AbortController();
  const onInterrupt = () => run.abort(ctx.signal.reason);
  ctx.signal.addEventListener("abort", onInterrupt, { once: true });
  const terminal = new TerminalReport(ctx, plan, planned);
  const startedAt = new Date();
  const started = performance.now();
  let results: CheckResult[];
  try {
    using _deadline = startTimer(() => {
      run.abort(
        new TimeoutError(
          `Not finished within the run's --timeout of ${formatDuration(plan.timeoutMs)}`,
        ),
      );
    }, plan.timeoutMs);
    results = await runChecks(planned, {
      jobs: plan.jobs,
      failFast: plan.failFast,
      signal: run.signal,
      trace: ctx.trace,
      redactor,
      onAttempt: (check, attempt) => {
        log("check").debug`${check.name}: attempt ${attempt.attempt}: ${
          attempt.ok ? "ok" : "not ok"
        }: ${attempt.reason} (${showMs(attempt.durationMs)})`;
      },
      onResult: async (result) => {
        try {
          await terminal.result(result);
        } catch (error) {
          // A reader that went away ends the run: nobody is left to tell.
          if (error instanceof StdoutClosedError) run.abort(error);
          throw error;
        }
      },
    });
  } finally {
    ctx.signal.removeEventListener("abort", onInterrupt);
  }
  // The results hold the secrets masked already: the reports are rendered from them as they are.
  const report: RunReport = {
    results,
    files: specs.map((s) => s.file),
    startedAt,
    durationMs: performance.now() - started,
  };
  await terminal.summary(report);
  await writeReports(ctx, plan, report);
  await github(ctx, report, terminal);
  if (ctx.signal.aborted) throw ctx.signal.reason;
  const counts = countResults(results);
  return counts.failed > 0 ? ExitCode.CheckFailed : ExitCode.Ok;
}

/**
 * Says on stderr which secrets are too short to mask safely: each is still masked wherever it is
 * carried, so text there that holds the same characters shows `***` too.
 */
async function warnShortSecrets(ctx: Context, specs: CheckSpec[]): Promise<void> {
  const short = new Map<string, number>();
  for (const spec of specs) {
    spec.secretNames.forEach((name, i) => {
      const length = [...spec.secrets[i] ?? ""].length;
      if (length < SHORT_SECRET) short.set(name, length);
    });
  }
  for (const [name, length] of short) {
    await ctx.out.note(
      `warning: secret "${name}" is ${length} character${
        length === 1 ? "" : "s"
      } long, too short to mask safely: ` +
        `it is masked wherever it is carried (headers, URLs, bodies, the trace, messages), so ` +
        `the same characters there show as ${MASK} too`,
    );
  }
}

/** Prints every problem as `error: FILE:LINE:COL: why`; exit 2. */
async function reportSpecErrors(
  ctx: Context,
  errors: SpecError[],
): Promise<number> {
  // The reader masked the secrets in the messages that quote a value one went into; every other
  // message, and the file, is the author's own text.
  const problems: Array<SpecProblem & { file: string }> = errors.flatMap((e) =>
    e.problems.map((p) => ({ file: e.file, ...p }))
  );
  const shown = problems.slice(0, 50);
  for (const p of shown) await ctx.out.error(`${p.file}:${p.line}:${p.col}: ${p.message}`);
  if (problems.length > shown.length) {
    await ctx.out.note(`... and ${problems.length - shown.length} more problems`);
  }
  if (ctx.json) {
    ctx.jsonPrinted = true;
    const first = problems[0]!;
    await ctx.out.json({
      error: `${first.file}:${first.line}:${first.col}: ${first.message}`,
      exit_code: ExitCode.Usage,
      problems,
    });
  }
  return ExitCode.Usage;
}

/** `--validate`: what would run. */
async function reportValid(
  ctx: Context,
  specs: CheckSpec[],
  planned: PlannedCheck[],
): Promise<number> {
  const selected = (spec: CheckSpec) =>
    planned.filter((p) => p.check.file === spec.file && p.skip === undefined).length;
  if (ctx.json) {
    ctx.jsonPrinted = true;
    await ctx.out.json({
      valid: true,
      files: specs.map((spec) => ({
        file: spec.file,
        checks: spec.checks.length,
        selected: selected(spec),
      })),
      error: null,
      exit_code: 0,
    });
  } else if (!ctx.quiet) {
    for (const spec of specs) {
      const n = spec.checks.length;
      const chosen = selected(spec);
      await ctx.out.line(
        `${spec.file}: valid, ${n} check${n === 1 ? "" : "s"}${
          chosen === n ? "" : ` (${chosen} selected)`
        }`,
      );
    }
  }
  return ExitCode.Ok;
}

/** The lines a person reads: one per check in file order, then the counts. */
class TerminalReport {
  readonly #ctx: Context;
  /** Where the lines go: stdout, unless a report or --json has it. */
  readonly stream: "stdout" | "stderr";
  readonly #color: boolean;
  readonly #width: number;
  readonly #several: boolean;
  #file: string | undefined;

  constructor(ctx: Context, plan: CheckPlan, planned: PlannedCheck[]) {
    this.#ctx = ctx;
    const stdoutTaken = ctx.json ||
      plan.reports.some((r) => r.to.kind === "stream" && r.to.stream === "stdout");
    this.stream = stdoutTaken || ctx.quiet ? "stderr" : "stdout";
    this.#color = ctx.out.color &&
      (this.stream === "stderr" || (ctx.io.stderrIsTerminal && Deno.stdout.isTerminal()));
    this.#width = planned.reduce(
      (width, p) => Math.max(width, Math.min(40, p.check.name.length)),
      0,
    );
    this.#several = plan.files.length > 1;
  }

  async #line(text: string): Promise<void> {
    if (this.stream === "stdout") await this.#ctx.out.line(text);
    else await this.#ctx.out.note(text);
  }

  #paint(code: string, text: string): string {
    return this.#color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  /** One finished check (called in file order). */
  async result(result: CheckResult): Promise<void> {
    const ctx = this.#ctx;
    if (ctx.json && this.stream === "stderr" && !ctx.quiet) return;
    const failed = result.status === "failed" || result.status === "error";
    if (ctx.quiet && !failed) return;
    const { check } = result;
    if (this.#several && check.file !== this.#file && !ctx.quiet) {
      this.#file = check.file;
      await this.#line(check.file);
    }
    const name = check.name.padEnd(this.#width);
    if (result.status === "passed") {
      const time = typeof result.facts.time_ms === "number"
        ? ` in ${showMs(result.facts.time_ms)}`
        : "";
      await this.#line(`${this.#paint("32", "ok  ")}  ${name}  ${result.message}${time}`);
    } else if (result.status === "skipped") {
      await this.#line(`${this.#paint("2", "skip")}  ${name}  ${result.message}`);
    } else {
      const tries = result.attempts.length;
      await this.#line(
        `${this.#paint("1;31", "FAIL")}  ${name}  ${check.kind} ${check.targetText}`,
      );
      if (tries === 0) {
        // Not started: the run ended first.
        await this.#line(`        ${result.message} (${check.file}:${check.line})`);
        return;
      }
      const reasons = result.status === "error"
        ? [`could not run: ${result.message}`]
        : result.failures.map((f) => f.message);
      for (const reason of reasons) await this.#line(`        ${reason}`);
      await this.#line(
        `        (${tries} attempt${tries === 1 ? "" : "s"} in ${
          showMs(result.durationMs)
        }; ${check.file}:${check.line})`,
      );
    }
  }

  /** The closing line: `3 passed, 1 failed, 0 skipped in 1.2s`. */
  async summary(report: RunReport): Promise<void> {
    const ctx = this.#ctx;
    if (ctx.quiet || (ctx.json && this.stream === "stderr")) return;
    const c = countResults(report.results);
    const line = summaryLine(report);
    await this.#line(c.failed > 0 ? this.#paint("1;31", line) : this.#paint("32", line));
  }

  /** Writes lines where the terminal report goes (annotations). */
  async raw(lines: string[]): Promise<void> {
    for (const line of lines) await this.#line(line);
  }
}

/** Writes each `--report` (and `--json`, the json report on stdout). */
async function writeReports(
  ctx: Context,
  plan: CheckPlan,
  report: RunReport,
): Promise<void> {
  const render = (format: Format) =>
    format === "junit"
      ? junitReport(report)
      : format === "tap"
      ? tapReport(report)
      : JSON.stringify(jsonReport(report), null, 2) + "\n";
  if (ctx.json) {
    ctx.jsonPrinted = true;
    await ctx.out.json(jsonReport(report));
  }
  for (const target of plan.reports) {
    const bytes = new TextEncoder().encode(render(target.format));
    if (target.to.kind === "stream") {
      if (target.to.stream === "stdout") await ctx.out.data(bytes);
      else if (target.to.stream === "stderr") await writeAll(ctx.io.stderr, bytes).catch(() => {});
      continue;
    }
    await writeOutputFile(target.to, target.label, bytes);
    log("check").debug`wrote the ${target.format} report to ${target.path}`;
  }
}

/** GitHub Actions: an annotation per failed check, and the step summary. */
async function github(
  ctx: Context,
  report: RunReport,
  terminal: TerminalReport,
): Promise<void> {
  if (ctx.io.env("GITHUB_ACTIONS") !== "true") return;
  await terminal.raw(githubAnnotations(report));
  const summary = ctx.io.env("GITHUB_STEP_SUMMARY");
  if (!summary) return;
  const bytes = new TextEncoder().encode(markdownSummary(report));
  try {
    await Deno.writeFile(summary, bytes, { append: true });
  } catch (error) {
    await ctx.out.error(
      `Cannot append to $GITHUB_STEP_SUMMARY "${summary}": ${describePathError(summary, error)}`,
    );
  }
}

/**
 * `-k` makes every http check `insecure: true`; one warning on stderr (even with `-q`) names the
 * selected checks whose certificates will not be verified.
 */
async function warnInsecure(ctx: Context, planned: PlannedCheck[]): Promise<void> {
  const names: string[] = [];
  for (const { check, skip } of planned) {
    const http = check.probe.http;
    if (http === undefined) continue;
    if (ctx.args.flag("insecure")) http.insecure = true;
    if (http.insecure && skip === undefined) names.push(JSON.stringify(check.name));
  }
  if (names.length === 0) return;
  const which = names.length === 1 ? `check ${names[0]}` : `checks ${names.join(", ")}`;
  await ctx.out.note(insecureWarning(`insecure: true in ${which}`));
}
