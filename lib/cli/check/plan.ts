/**
 * What `sockit check` is asked to do, read from its arguments and checked before anything runs:
 * the spec files, the filters, the variables and the report targets; then the specs themselves.
 *
 * @module
 */
import { vantageProblem } from "../../check/report.ts";
import { loadSpec, MIN_EVERY_MS, SpecError } from "../../check/spec.ts";
import type { CheckSpec } from "../../check/spec.ts";
import { formatOf } from "../../check/tree.ts";
import { VAR_NAME } from "../../check/vars.ts";
import { parseRegex } from "../../http/expect.ts";
import { parseHttpUrl } from "../../http/url.ts";
import type { HttpUrl } from "../../http/url.ts";
import { pushUrl } from "../../monitor/push.ts";
import { checkCertificatePem } from "../../net/tls.ts";
import { resolvePath, splitPath } from "../../text/path.ts";
import { quote } from "../../text/quote.ts";
import { UsageError } from "../args.ts";
import type { Context } from "../command.ts";
import { parsedOption } from "../http_options.ts";
import {
  checkOutput,
  fileIdentityOf,
  readInput,
  refuseSameFile,
  standardStream,
} from "../paths.ts";
import type { OutputTarget } from "../paths.ts";
import { PRODUCT } from "../version.ts";
import { formatDuration } from "../../net/deadline.ts";

/** The report formats. */
const FORMATS = ["junit", "tap", "json", "openmetrics"] as const;

export type Format = typeof FORMATS[number];

/** A `--report FORMAT=PATH`, checked. */
export interface ReportTarget<F extends string = Format> {
  /** FORMAT. */
  format: F;
  /** PATH. */
  path: string;
  /** `--report "junit=r.xml"`, for messages. */
  label: string;
  /** Where it goes. */
  to: OutputTarget;
}

export interface CheckPlan {
  files: string[];
  jobs: number;
  failFast: boolean;
  tags: string[];
  nameRegex: RegExp | undefined;
  vars: Map<string, string>;
  reports: ReportTarget[];
  validate: boolean;
  timeoutMs: number;
  /** Where the checks run from: `--vantage`, else `SOCKIT_VANTAGE`, else the host name. */
  vantage: string;
  /** Set with `--every`: the checks run on a schedule until stopped. */
  monitor: MonitorPlan | undefined;
  /** Set with `--push`: where the run's metrics go. */
  push: PushPlan | undefined;
}

/** What `check --push` is asked to do. */
export interface PushPlan {
  /** The Pushgateway's URL, as given (its path a prefix). */
  gateway: HttpUrl;
  /** `--push-job`. */
  job: string;
  /** `--push-cacert`: PEM text, for a gateway whose CA is private. */
  caCerts: string[];
}

/** What `check --every` is asked to do. */
export interface MonitorPlan {
  /** `--every`, in milliseconds. */
  everyMs: number;
  /** `--listen`: where to serve the endpoints. */
  listen: ListenAddress | undefined;
  /** `--grace`, in milliseconds. */
  graceMs: number;
  /** `--probe-any-target`. */
  anyTarget: boolean;
}

/** A `--listen [HOST]:PORT`. */
export interface ListenAddress {
  /** The address to bind: `127.0.0.1` when the host is left out of `HOST:PORT`, `0.0.0.0` for `:PORT`. */
  hostname: string;
  /** The port; 0 picks a free one. */
  port: number;
  /** `:PORT` was given: every interface. */
  everyInterface: boolean;
}

export async function planFrom(ctx: Context): Promise<CheckPlan> {
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
  const reports = await reportTargets(ctx, FORMATS, { files, what: "spec file" });
  const timeout = args.duration("timeout", 0);
  const tags = args.strings("tag");
  if (tags.includes("")) throw new UsageError('Invalid --tag "": empty tag');
  return {
    files,
    jobs: args.integer("jobs", { min: 1, max: 1000 }),
    failFast: args.flag("fail-fast"),
    tags,
    nameRegex: nameText === undefined ? undefined : parsedOption(nameText, "--name", parseRegex),
    vars,
    reports,
    validate: args.flag("validate"),
    timeoutMs: timeout === 0 ? Infinity : timeout,
    vantage: vantageOf(ctx),
    monitor: monitorPlan(ctx),
    push: await pushPlan(ctx),
  };
}

/** The default `--push-job`. */
export const DEFAULT_PUSH_JOB = "sockit";

/** Reads `--push URL`, `--push-job NAME` and `--push-cacert FILE`. */
async function pushPlan(ctx: Context): Promise<PushPlan | undefined> {
  const { args } = ctx;
  const text = args.string("push");
  if (text === undefined) return undefined;
  let gateway: HttpUrl;
  try {
    gateway = parseHttpUrl(text);
    pushUrl(gateway, DEFAULT_PUSH_JOB);
  } catch (error) {
    // The URL is quoted once: `Invalid URL "x": ...` says only why.
    const why = (error as Error).message.replace(/^Invalid URL ".*": /, "");
    throw new UsageError(`Invalid --push ${quote(text)}: ${why}`);
  }
  // A job is a label value like a vantage point's name, under the same rule (and length limit).
  const job = args.string("push-job") ?? DEFAULT_PUSH_JOB;
  const problem = vantageProblem(job);
  if (problem) throw new UsageError(`Invalid --push-job ${quote(job)}: ${problem}`);
  const caCerts: string[] = [];
  const cacert = args.string("push-cacert");
  if (cacert !== undefined) {
    const pem = await readInput(ctx.io, cacert, "--push-cacert");
    const why = checkCertificatePem(pem);
    if (why) throw new UsageError(`Cannot use --push-cacert ${quote(cacert)}: ${why}`);
    caCerts.push(pem);
  }
  return { gateway, job, caCerts };
}

/** The environment variable that names the vantage point when `--vantage` is not given. */
export const VANTAGE_ENV = "SOCKIT_VANTAGE";

/**
 * The vantage point's name: `--vantage NAME`, else `SOCKIT_VANTAGE` when set and not empty (an
 * empty one, as a template leaves an unset variable, counts as unset), else the host name; a name
 * {@linkcode vantageProblem} refuses is a usage error naming where it came from.
 */
function vantageOf(ctx: Context): string {
  const given = ctx.args.string("vantage");
  const fromEnv = ctx.io.env(VANTAGE_ENV);
  let name: string;
  let source: string;
  if (given !== undefined) {
    [name, source] = [given, "--vantage"];
  } else if (fromEnv !== undefined && fromEnv !== "") {
    [name, source] = [fromEnv, VANTAGE_ENV];
  } else {
    try {
      name = Deno.hostname();
    } catch (error) {
      throw new UsageError(
        `Cannot read the host name to name the vantage point: ${
          error instanceof Error ? error.message : error
        } (name it with --vantage NAME or ${VANTAGE_ENV})`,
      );
    }
    source = "the host name";
  }
  const problem = vantageProblem(name);
  if (problem === undefined) return name;
  throw new UsageError(
    source === "the host name"
      ? `Cannot use the host name ${
        quote(name)
      } as the vantage point: ${problem} (name it with --vantage NAME or ${VANTAGE_ENV})`
      : `Invalid ${source} ${quote(name)}: ${problem}`,
  );
}

function monitorPlan(ctx: Context): MonitorPlan | undefined {
  const { args } = ctx;
  const everyMs = args.duration("every");
  if (everyMs === undefined) return undefined;
  if (everyMs < MIN_EVERY_MS) {
    throw new UsageError(
      `Invalid --every "${args.string("every")}": at least ${formatDuration(MIN_EVERY_MS)}`,
    );
  }
  const listenText = args.string("listen");
  return {
    everyMs,
    listen: listenText === undefined ? undefined : parseListen(listenText),
    graceMs: args.duration("grace")!,
    anyTarget: args.flag("probe-any-target"),
  };
}

/**
 * Reads `--listen`: `HOST:PORT`, `[IPV6]:PORT`, `:PORT` (every interface) or `PORT` alone
 * (loopback); port 0 picks a free one.
 */
export function parseListen(text: string): ListenAddress {
  const invalid = (why: string) => new UsageError(`Invalid --listen "${text}": ${why}`);
  const match = /^(?:(?:\[([0-9a-fA-F:.]+)\]|([^:\[\]\s]*)):)?(\d{1,5})$/.exec(text);
  if (!match) {
    throw invalid("expected [HOST]:PORT, [IPV6]:PORT or :PORT (every interface)");
  }
  const port = Number(match[3]);
  if (port > 65535) throw invalid(`port ${port} is out of range (0 to 65535)`);
  const host = match[1] ?? match[2];
  if (host === "") return { hostname: "0.0.0.0", port, everyInterface: true };
  return { hostname: host ?? "127.0.0.1", port, everyInterface: false };
}

/**
 * Checks every `--report FORMAT=PATH` of a command before anything runs, as `get -o` is checked
 * (missing folders are made when a report is written: curl's `--create-dirs`): FORMAT one of
 * `formats`, at most one report on stdout (none with `--json`, which is the json report there),
 * no two to one file, and none to one of the command's input `files` (each a `what`).
 *
 * @throws {UsageError} Naming the `--report` that cannot be.
 */
export async function reportTargets<F extends string>(
  ctx: Context,
  formats: readonly F[],
  inputs: { files: readonly string[]; what: string },
): Promise<ReportTarget<F>[]> {
  const reports: ReportTarget<F>[] = [];
  for (const text of ctx.args.strings("report")) {
    const eq = text.indexOf("=");
    const format = (eq < 0 ? text : text.slice(0, eq)) as F;
    if (eq < 0 || !formats.includes(format)) {
      throw new UsageError(
        `Invalid --report "${text}": expected FORMAT=PATH with FORMAT one of ${formats.join(", ")}`,
      );
    }
    const path = text.slice(eq + 1);
    const label = `--report "${text}"`;
    reports.push({ format, path, label, to: await checkOutput(path, { label, createDirs: true }) });
  }
  const onStdout = reports.filter((r) => r.to.kind === "stream" && r.to.stream === "stdout");
  if (onStdout.length + (ctx.json ? 1 : 0) > 1) {
    throw new UsageError(
      "Only one report can go to stdout (--json is the json report on stdout)",
    );
  }
  refuseSameFile(reports.map((r) => ({ label: r.label, target: r.to })));
  for (const file of inputs.files) {
    const identity = standardStream(file, "input") ? undefined : await fileIdentityOf(file);
    const report = reports.find((r) => r.to.kind !== "stream" && r.to.identity === identity);
    if (report) {
      throw new UsageError(`Cannot write ${report.label}: it is the ${inputs.what} "${file}"`);
    }
  }
  return reports;
}

/** Reads and checks every spec file; all their problems at once. */
export async function loadSpecs(
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
