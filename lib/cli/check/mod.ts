/**
 * `sockit check`: flags, help, and the run: read the specs, select, run, report. The plan is read
 * in `plan.ts`; the terminal report in `terminal.ts`, the report files in `reports.ts`, GitHub
 * Actions' annotations and step summary in `github.ts`. The spec, the runner and the reports are
 * in `lib/check/`; `--emit-check` for the other commands is in `../emit_check.ts`.
 *
 * @module
 */
import { Redactor } from "../../check/redact.ts";
import { countResults, showMs } from "../../check/report.ts";
import type { RunReport } from "../../check/report.ts";
import { runChecks } from "../../check/runner.ts";
import type { CheckResult } from "../../check/runner.ts";
import { emptySelection, selectChecks } from "../../check/select.ts";
import type { CheckSpec, SpecError } from "../../check/spec.ts";
import { formatDuration } from "../../net/deadline.ts";
import { TimeoutError } from "../../net/errors.ts";
import { startTimer } from "../../net/timer.ts";
import { withCommon } from "../args.ts";
import type { CommandSpec, ParsedArgs } from "../args.ts";
import { runCommand } from "../command.ts";
import type { Context } from "../command.ts";
import type { HintTable } from "../result.ts";
import { ExitCode } from "../exit_codes.ts";
import { log } from "../log.ts";
import { StdoutClosedError } from "../output.ts";
import type { Io } from "../output.ts";
import { github } from "./github.ts";
import { loadSpecs, planFrom } from "./plan.ts";
import type { CheckPlan } from "./plan.ts";
import { pushRun } from "./push.ts";
import { runExposition, writeReports } from "./reports.ts";
import {
  reportSpecErrors,
  reportValid,
  TerminalReport,
  warnInsecure,
  warnShortSecrets,
} from "./terminal.ts";

/** `sockit check`. */
export const CHECK: CommandSpec = {
  name: "check",
  summary: "run a file of smoke checks at once; JUnit, TAP and JSON reports for CI",
  usage: ["check [options] [FILE...]", "check merge [options] REPORT.json..."],
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
    "",
    "With --every, check is a monitor: each check runs once per DURATION, spread over it, never",
    "twice at once, until SIGINT or SIGTERM (exit 0 after --grace). A line is printed when a",
    "check changes state (--json: a JSON line per result). SIGHUP re-reads the spec files; an",
    "invalid one is reported and the old one keeps running. --listen serves /metrics",
    "(Prometheus), /probe?module=CHECK&target=T (blackbox_exporter's), /healthz (200 or 503),",
    "/livez, the status page / and /api/results.",
    "",
    "--vantage names where the checks run from (default: $SOCKIT_VANTAGE, else the host",
    "name): it is in every report and a vantage label on every metric, so that the reports",
    "and metrics of one spec run from many places can be told apart and compared.",
    '"sockit check merge REPORT.json..." merges their JSON reports (see check merge --help).',
    "",
    "--push URL sends the run's metrics (those of --report openmetrics) to a Prometheus",
    "Pushgateway once the checks are done: a PUT to URL/metrics/job/JOB/vantage/NAME, tried",
    "up to 3 times, 1s then 2s apart, when the gateway cannot be reached or answers 429 or",
    "5xx, all within what is left of --timeout. A push that fails is an error line; the exit",
    "code is 9 when every check passed, 1 when one failed (the checks' outcome comes first).",
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
      description: "Write a junit, tap, json or openmetrics report (- for stdout)",
    },
    {
      name: "vantage",
      type: "string",
      value: "NAME",
      description:
        "Name this vantage point in reports and metrics (else $SOCKIT_VANTAGE, host name)",
    },
    {
      name: "push",
      type: "string",
      value: "URL",
      description: "Push the run's metrics to a Prometheus Pushgateway at URL (http or https)",
    },
    {
      name: "push-job",
      type: "string",
      value: "NAME",
      description: "The job of the pushed group (default: sockit)",
      requires: [{ name: "push", reason: "it names the pushed group" }],
    },
    {
      name: "push-cacert",
      type: "string",
      value: "FILE",
      description: "Trust this CA (PEM) for an https --push gateway, on top of the system's",
      requires: [{ name: "push", reason: "it verifies the gateway" }],
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
    {
      name: "every",
      type: "string",
      value: "DURATION",
      description: "Monitor: run each check every DURATION (or its every:) until stopped",
      conflicts: [
        { name: "validate", reason: "--validate runs nothing" },
        { name: "fail-fast", reason: "a monitor keeps running every check" },
        { name: "timeout", reason: "a monitor runs until stopped; each check keeps its timeout" },
        { name: "report", reason: "a monitor's results are on --listen's /metrics and /healthz" },
      ],
    },
    {
      name: "listen",
      type: "string",
      value: "[HOST]:PORT",
      description: "Monitor: serve /metrics, /probe, /healthz, / (:PORT for all interfaces)",
      requires: [{ name: "every", reason: "a one-shot run has nothing to serve" }],
    },
    {
      name: "grace",
      type: "string",
      value: "DURATION",
      default: "5s",
      description: "Monitor: time for checks in flight after SIGINT/SIGTERM",
      requires: [{ name: "every", reason: "it bounds a monitor's stop" }],
    },
    {
      name: "probe-any-target",
      type: "boolean",
      description: "Monitor: let /probe?target= probe any target, not only the spec's",
      requires: [{ name: "listen", reason: "it opens /probe" }],
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
    [
      "Monitor: every 30s, metrics for Prometheus on port 9115",
      "sockit check --every 30s --listen 127.0.0.1:9115 sockit.yaml",
    ],
    [
      "From one of many places: its name in the JSON report (and on every metric)",
      "sockit check --vantage eu-west-1 --report json=reports/eu-west-1.json",
    ],
    [
      "From a CI runner: the metrics to a Pushgateway, grouped by job and vantage point",
      "sockit check --vantage ci-linux --push http://pushgateway:9091",
    ],
    [
      "For node_exporter's textfile collector (from cron)",
      "sockit check --report openmetrics=/var/lib/node_exporter/sockit.prom",
    ],
  ],
};

/** Runs `sockit check ...`. */
export async function runCheck(argv: string[], io: Io): Promise<number> {
  // `merge` first is the subcommand, always: a spec file named merge is `./merge`.
  if (argv[0] === "merge") {
    return await (await import("./merge.ts")).runCheckMerge(argv.slice(1), io);
  }
  const monitoring = (args: ParsedArgs) => args.given("every");
  return await runCommand(CHECK, argv, io, checkCommand, {
    hints: HINTS,
    ownSignals: monitoring,
    keepsServing: monitoring,
  });
}

/** What to add to a library error of each kind, in a spec's terms. */
const HINTS: HintTable = {
  "unknown-issuer": 'is its CA trusted? trust a private CA with "cacert" in the check',
  "self-signed": 'trust it with "cacert", a file holding the server\'s own certificate',
  "ca-as-leaf": 'trust it with "cacert", a file holding the server\'s own certificate',
  "max-redirects": 'raise it with "max_redirects"',
};

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
  const planned = selectChecks(specs, plan);
  if (planned.every((p) => p.skip !== undefined)) {
    return await reportSpecErrors(ctx, emptySelection(specs, plan));
  }
  if (plan.validate) return await reportValid(ctx, specs, planned);
  await warnInsecure(ctx, planned);
  if (plan.monitor) {
    // Loaded only for a monitor: its server, routes and page are most of this command's code.
    const { monitorSpecs } = await import("./monitor.ts");
    return await monitorSpecs(ctx, plan, specs, redactor);
  }

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
    vantage: plan.vantage,
  };
  await terminal.summary(report);
  // Pushed before the reports are written, so that --json can say how the push went; in what is
  // left of --timeout, which bounds the whole run.
  const push = plan.push && !ctx.signal.aborted
    ? await pushRun(ctx, plan.push, plan.vantage, runExposition(report), {
      deadline: {
        ms: plan.timeoutMs - (performance.now() - started),
        why: `not finished within the run's --timeout of ${formatDuration(plan.timeoutMs)}`,
      },
    })
    : undefined;
  await writeReports(ctx, plan, report, push);
  await github(ctx, report, terminal);
  if (ctx.signal.aborted) throw ctx.signal.reason;
  const counts = countResults(results);
  // A failed check is the run's outcome: a failed push does not hide it (its error is printed).
  if (counts.failed > 0) return ExitCode.CheckFailed;
  return push && !push.ok ? ExitCode.PushFailed : ExitCode.Ok;
}
