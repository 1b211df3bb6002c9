/**
 * `sockit check --report` and `--json`: each report rendered from the run and written where it
 * was asked to go.
 *
 * @module
 */
import { jsonReport, junitReport, tapReport } from "../../check/report.ts";
import type { RunReport } from "../../check/report.ts";
import { writeAll } from "../../net/io.ts";
import type { Context } from "../command.ts";
import { log } from "../log.ts";
import { writeOutputFile } from "../paths.ts";
import type { CheckPlan, Format } from "./plan.ts";

/** Writes each `--report` (and `--json`, the json report on stdout). */
export async function writeReports(
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
