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
  MAX_MERGED_REPORTS,
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
import { oneLine } from "../../text/quote.ts";
import { COMMON_OPTIONS, UsageError } from "../args.ts";
import type { CommandSpec } from "../args.ts";
import { runCommand } from "../command.ts";
import type { Context } from "../command.ts";
import { ExitCode } from "../exit_codes.ts";
import type { Io } from "../output.ts";
import { MAX_INPUT_BYTES, readInput, standardStream, writeOutputFile } from "../paths.ts";
import { writeJsonResult } from "../result.ts";
import { terminalWidth } from "../width.ts";
import { reportTargets } from "./plan.ts";

const FORMATS = ["junit", "tap", "json"] as const;

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
    `One merge takes at most ${MAX_MERGED_REPORTS} reports of at most ${
      MAX_INPUT_BYTES / 1024 / 1024
    } MiB each; the options are`,
    "checked before any report is read.",
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

async function mergeCommand(ctx: Context): Promise<number> {
  const files = ctx.args.positionals;
  // Everything the command line says is checked before any report is read.
  let failOn: FailOn;
  try {
    failOn = parseFailOn(ctx.args.string("fail-on") ?? "any", files.length);
  } catch (error) {
    throw new UsageError(
      `Invalid --fail-on "${ctx.args.string("fail-on")}": ${(error as Error).message}`,
    );
  }
  if (files.length > MAX_MERGED_REPORTS) {
    throw new UsageError(
      `${files.length} reports are more than the ${MAX_MERGED_REPORTS} one merge takes`,
    );
  }
  if (files.filter((f) => standardStream(f, "input") === "stdin").length > 1) {
    throw new UsageError("Only one report can be read from stdin");
  }
  const targets = await reportTargets(ctx, FORMATS, { files, what: "report" });
  let run: MergedRun;
  try {
    const reports: VantageReport[] = [];
    for (const file of files) {
      reports.push(parseReport(await readInput(ctx.io, file, "report"), file));
    }
    run = mergeReports(reports, { failOn });
  } catch (error) {
    if (!(error instanceof MergeError)) throw error;
    return await reportBadReport(ctx, error);
  }
  const stdoutTaken = ctx.json ||
    targets.some((t) => t.to.kind === "stream" && t.to.stream === "stdout");
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

/**
 * A report that cannot be merged (malformed, of another spec, a vantage point twice): exit 2 as
 * for a spec file's problems, `error: ...` without the usage hint (the command line was right).
 */
async function reportBadReport(ctx: Context, error: MergeError): Promise<number> {
  await ctx.out.error(error.message);
  if (ctx.json) await writeJsonResult(ctx, {}, { error: error.message, exit_code: ExitCode.Usage });
  return ExitCode.Usage;
}

/** The longest vantage point name a column shows; longer ones are cut in the middle, with `~`. */
const MAX_COLUMN_NAME = 20;
/** The widest check name column. */
const MAX_NAME_WIDTH = 40;
/** The most characters of a report's text (a name, a target, an error) that one line shows. */
const MAX_SHOWN = 500;

/** The matrix's width: `COLUMNS`, else the terminal's own, else 100 (a CI log). */
function widthOf(ctx: Context, stream: "stdout" | "stderr"): number {
  const columns = Number(ctx.io.env("COLUMNS"));
  if (Number.isInteger(columns) && columns > 0) return columns;
  return terminalWidth(stream) ?? 100;
}

/**
 * The columns' headers: each name cut in the middle to `max` characters, its end kept (where
 * `node-7` and `eu-west-1` differ); names that would still read alike are shown whole.
 */
function columnHeaders(names: readonly string[], max: number): string[] {
  const cut = names.map((name) => {
    const chars = [...name];
    if (chars.length <= max) return name;
    const head = Math.floor((max - 1) / 2);
    return `${chars.slice(0, head).join("")}~${
      chars.slice(chars.length - (max - 1 - head)).join("")
    }`;
  });
  return names.map((name, i) => cut.indexOf(cut[i]!) !== cut.lastIndexOf(cut[i]!) ? name : cut[i]!);
}

/** The matrix, the checks that differ, and the counts; a report's text escaped to one line. */
async function printMatrix(
  ctx: Context,
  run: MergedRun,
  stream: "stdout" | "stderr",
): Promise<void> {
  const write = (text: string) => stream === "stdout" ? ctx.out.line(text) : ctx.out.note(text);
  const color = ctx.out.color &&
    (stream === "stderr" || (ctx.io.stderrIsTerminal && terminalWidth("stdout") !== undefined));
  const paint = (code: string, text: string) => color ? `\x1b[${code}m${text}\x1b[0m` : text;
  const shown = (text: string) => oneLine(text, MAX_SHOWN);
  const length = (text: string) => [...text].length;
  const pad = (text: string, width: number) => text + " ".repeat(Math.max(0, width - length(text)));
  const several = run.files.length > 1;
  const label = (c: MergedRun["checks"][number]) =>
    shown(several ? `${c.file}: ${c.name}` : c.name);
  const nameWidth = Math.max(
    5,
    ...run.checks.map((c) => Math.min(MAX_NAME_WIDTH, length(label(c)))),
  );
  const headers = columnHeaders(run.vantages.map((v) => shown(v.vantage)), MAX_COLUMN_NAME);
  const columns = run.vantages.map((_, i) => {
    const header = headers[i]!;
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
      await write(`  ${shown(`${check.name} (${check.kind}, ${check.file}:${check.line})`)}`);
      for (const group of distinctViews(check)) {
        const names = group.map((v) => v.vantage).join(", ");
        const entry = group[0]!.entry;
        const targets = new Set(group.map((v) => v.entry.target));
        const target = targets.size === 1 ? ` ${entry.target}` : "";
        const fingerprint = group[0]!.fingerprint;
        await write(`    ${shown(`${names}:${target}`)}${fingerprint ? ` [${fingerprint}]` : ""}`);
        await write(`      ${shown(viewText(group[0]!))}`);
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
