/**
 * `sockit check merge`: the JSON reports of one spec from many vantage points, read, merged and
 * printed as a matrix (a row per check, a column per vantage point), then the checks whose
 * vantage points saw different things; merged JUnit, TAP and JSON reports. Reading, merging and
 * judging are in `lib/check/merge.ts`.
 *
 * @module
 */
import {
  cellText,
  distinctViews,
  mergeCounts,
  mergedJsonReport,
  mergedJunitReport,
  mergedTapReport,
  MergeError,
  mergeReports,
  parseFailOn,
  parseReport,
  viewText,
} from "../../check/merge.ts";
import type { FailOn, MergedRun, VantageReport } from "../../check/merge.ts";
import { writeAll } from "../../net/io.ts";
import { COMMON_OPTIONS, UsageError } from "../args.ts";
import type { CommandSpec } from "../args.ts";
import { runCommand } from "../command.ts";
import type { Context } from "../command.ts";
import { ExitCode } from "../exit_codes.ts";
import type { Io } from "../output.ts";
import {
  checkOutput,
  fileIdentityOf,
  readInput,
  refuseSameFile,
  standardStream,
  writeOutputFile,
} from "../paths.ts";
import type { OutputTarget } from "../paths.ts";

const FORMATS = ["junit", "tap", "json"] as const;
type MergeFormat = typeof FORMATS[number];

/** `sockit check merge`. */
export const CHECK_MERGE: CommandSpec = {
  name: "check merge",
  summary: "merge the JSON reports of one spec run from many vantage points",
  usage: ["check merge [--report FORMAT=PATH] [--fail-on any|differs|all|N] REPORT.json..."],
  description: [
    "Reads the JSON reports (check --vantage NAME --report json=FILE) of one spec run from",
    "many vantage points and prints a matrix: a row per check, a column per vantage point,",
    "the state and time in each cell; then each check whose vantage points saw different",
    "things (the status, the DNS answers, the error), with what each of them saw.",
    "",
    "The reports must be of one spec (the same files and check names) and each from its own",
    "vantage point; a missing, truncated or malformed report is exit 2, naming the file.",
    "",
    "Exit 0 unless a check fails the merge, then 1. --fail-on says when one does: any (it",
    "failed from any vantage point; the default), differs (its vantage points disagree), all",
    "(it failed from every one that ran it) or N (from at least N of them: a quorum).",
    "",
    "The first argument merge is this command: a spec file named merge is ./merge.",
  ].join("\n"),
  options: [
    {
      name: "report",
      type: "string",
      multiple: true,
      value: "FORMAT=PATH",
      description: "Write a merged junit, tap or json report (- for stdout)",
    },
    {
      name: "fail-on",
      type: "string",
      value: "WHEN",
      default: "any",
      description: "Exit 1 for a check that failed: any, differs, all, or from N vantage points",
    },
    ...COMMON_OPTIONS.filter((o) => o.name !== "timeout" && o.name !== "trace"),
  ],
  positionals: { min: 1, max: Infinity, name: "REPORT.json" },
  examples: [
    ["Merge the reports of three regions", "sockit check merge reports/*.json"],
    [
      "In CI: a JUnit file with a suite per vantage point",
      "sockit check merge --report junit=merged.xml reports/*.json",
    ],
    [
      "Fail only where the vantage points disagree",
      "sockit check merge --fail-on differs reports/*.json",
    ],
    ["Fail where at least two failed", "sockit check merge --fail-on 2 a.json b.json c.json"],
    ["The merged JSON for jq", "sockit check merge --report json=- reports/*.json | jq .failing"],
  ],
};

/** Runs `sockit check merge ...` (the arguments after `merge`). */
export async function runCheckMerge(argv: string[], io: Io): Promise<number> {
  return await runCommand(CHECK_MERGE, argv, io, mergeCommand);
}

interface MergeTarget {
  format: MergeFormat;
  label: string;
  path: string;
  to: OutputTarget;
}

async function mergeCommand(ctx: Context): Promise<number> {
  const files = ctx.args.positionals;
  const targets: MergeTarget[] = [];
  for (const text of ctx.args.strings("report")) {
    const eq = text.indexOf("=");
    const format = (eq < 0 ? text : text.slice(0, eq)) as MergeFormat;
    if (eq < 0 || !FORMATS.includes(format)) {
      throw new UsageError(
        `Invalid --report "${text}": expected FORMAT=PATH with FORMAT one of ${FORMATS.join(", ")}`,
      );
    }
    const label = `--report "${text}"`;
    const path = text.slice(eq + 1);
    targets.push({ format, label, path, to: await checkOutput(path, { label, createDirs: true }) });
  }
  const onStdout = targets.filter((t) => t.to.kind === "stream" && t.to.stream === "stdout");
  if (onStdout.length + (ctx.json ? 1 : 0) > 1) {
    throw new UsageError("Only one report can go to stdout (--json is the json report on stdout)");
  }
  refuseSameFile(targets.map((t) => ({ label: t.label, target: t.to })));
  if (files.filter((f) => standardStream(f, "input") === "stdin").length > 1) {
    throw new UsageError("Only one report can be read from stdin");
  }
  for (const file of files) {
    const identity = standardStream(file, "input") ? undefined : await fileIdentityOf(file);
    const target = targets.find((t) => t.to.kind !== "stream" && t.to.identity === identity);
    if (target) throw new UsageError(`Cannot write ${target.label}: it is the report "${file}"`);
  }
  const reports: VantageReport[] = [];
  for (const file of files) {
    const text = await readInput(ctx.io, file, "report");
    try {
      reports.push(parseReport(text, file));
    } catch (error) {
      if (error instanceof MergeError) throw new UsageError(error.message);
      throw error;
    }
  }
  let failOn: FailOn;
  try {
    failOn = parseFailOn(ctx.args.string("fail-on") ?? "any", reports.length);
  } catch (error) {
    throw new UsageError(
      `Invalid --fail-on "${ctx.args.string("fail-on")}": ${(error as Error).message}`,
    );
  }
  let run: MergedRun;
  try {
    run = mergeReports(reports, { failOn });
  } catch (error) {
    if (error instanceof MergeError) throw new UsageError(error.message);
    throw error;
  }
  const stdoutTaken = ctx.json || onStdout.length > 0;
  if (!ctx.quiet) await printMatrix(ctx, run, stdoutTaken ? "stderr" : "stdout");
  if (ctx.json) await ctx.out.line(JSON.stringify(mergedJsonReport(run)));
  for (const target of targets) {
    const text = target.format === "junit"
      ? mergedJunitReport(run)
      : target.format === "tap"
      ? mergedTapReport(run)
      : JSON.stringify(mergedJsonReport(run), null, 2) + "\n";
    const bytes = new TextEncoder().encode(text);
    if (target.to.kind === "stream") {
      if (target.to.stream === "stdout") await ctx.out.data(bytes);
      else if (target.to.stream === "stderr") await writeAll(ctx.io.stderr, bytes).catch(() => {});
      continue;
    }
    await writeOutputFile(target.to, target.label, bytes);
  }
  return mergeCounts(run).failing > 0 ? ExitCode.CheckFailed : ExitCode.Ok;
}

/** The longest vantage point name a column shows; longer ones are cut, with `~`. */
const MAX_COLUMN_NAME = 20;
/** The widest check name column. */
const MAX_NAME_WIDTH = 40;

/** The terminal's width: `COLUMNS`, else the terminal's own, else 100. */
function widthOf(ctx: Context, stream: "stdout" | "stderr"): number {
  const columns = Number(ctx.io.env("COLUMNS"));
  if (Number.isInteger(columns) && columns > 0) return columns;
  try {
    const terminal = stream === "stdout" ? Deno.stdout : Deno.stderr;
    if (terminal.isTerminal()) return Deno.consoleSize().columns;
  } catch {
    // not a terminal after all
  }
  return 100;
}

/** The matrix, the checks that differ, and the counts. */
async function printMatrix(
  ctx: Context,
  run: MergedRun,
  stream: "stdout" | "stderr",
): Promise<void> {
  const write = (text: string) => stream === "stdout" ? ctx.out.line(text) : ctx.out.note(text);
  const color = ctx.out.color &&
    (stream === "stderr" || (ctx.io.stderrIsTerminal && Deno.stdout.isTerminal()));
  const paint = (code: string, text: string) => color ? `\x1b[${code}m${text}\x1b[0m` : text;
  const length = (text: string) => [...text].length;
  const pad = (text: string, width: number) => text + " ".repeat(Math.max(0, width - length(text)));
  const cut = (text: string, max: number) =>
    length(text) <= max ? text : [...text].slice(0, max - 1).join("") + "~";
  const several = run.files.length > 1;
  const label = (c: MergedRun["checks"][number]) => several ? `${c.file}: ${c.name}` : c.name;
  const nameWidth = Math.max(
    5,
    ...run.checks.map((c) => Math.min(MAX_NAME_WIDTH, length(label(c)))),
  );
  const columns = run.vantages.map((v, i) => {
    const header = cut(v.vantage, MAX_COLUMN_NAME);
    const cells = run.checks.map((c) => cellText(c.views[i]!.entry));
    return { header, cells, width: Math.max(length(header), ...cells.map(length)) };
  });
  const cellColor = (text: string) =>
    text.startsWith("ok")
      ? paint("32", text)
      : text.startsWith("skip")
      ? paint("2", text)
      : paint("1;31", text);
  // Columns that do not fit side by side go into another block below, each with the names.
  const width = widthOf(ctx, stream);
  const blocks: Array<typeof columns> = [];
  let used = nameWidth + 10;
  for (const column of columns) {
    const last = blocks.at(-1);
    if (last === undefined || used + column.width + 2 > width) {
      blocks.push([column]);
      used = nameWidth + 10 + column.width + 2;
    } else {
      last.push(column);
      used += column.width + 2;
    }
  }
  for (const [b, block] of blocks.entries()) {
    if (b > 0) await write("");
    await write(
      paint(
        "1",
        `${pad("check", nameWidth)}  ${block.map((c) => pad(c.header, c.width)).join("  ")}`,
      )
        .trimEnd(),
    );
    for (const [row, check] of run.checks.entries()) {
      const cells = block.map((c) => cellColor(pad(c.cells[row]!, c.width))).join("  ");
      const mark = check.differs ? `  ${paint("33", "differs")}` : "";
      await write(`${pad(label(check), nameWidth)}  ${cells}${mark}`.trimEnd());
    }
  }
  const differing = run.checks.filter((c) => c.differs);
  if (differing.length > 0) {
    await write("");
    await write(paint("1", "Differs between vantage points:"));
    for (const check of differing) {
      await write(`  ${check.name} (${check.kind}, ${check.file}:${check.line})`);
      for (const group of distinctViews(check)) {
        const names = group.map((v) => v.vantage).join(", ");
        const entry = group[0]!.entry;
        const targets = new Set(group.map((v) => v.entry.target));
        const target = targets.size === 1 ? ` ${entry.target}` : "";
        const fingerprint = group[0]!.fingerprint;
        await write(
          `    ${names}:${target}${fingerprint ? ` [${fingerprint}]` : ""}`,
        );
        await write(`      ${viewText(group[0]!).replace(/[\r\n]+/g, " ")}`);
      }
    }
  }
  const counts = mergeCounts(run);
  const n = run.vantages.length;
  const line = `${counts.total} check${counts.total === 1 ? "" : "s"} from ${n} vantage point${
    n === 1 ? "" : "s"
  }: ${counts.passedEverywhere} passed everywhere, ${counts.differing} differ${
    counts.differing === 1 ? "s" : ""
  }, ${counts.failing} fail${counts.failing === 1 ? "s" : ""} with --fail-on ${run.failOn}`;
  await write("");
  await write(counts.failing > 0 ? paint("1;31", line) : paint("32", line));
}
