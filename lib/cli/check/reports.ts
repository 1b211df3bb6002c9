/**
 * `sockit check --report` and `--json`: each report (JUnit, TAP, JSON, the metrics for a
 * textfile collector) rendered from the run and written where it was asked to go.
 *
 * @module
 */
import { jsonReport, junitReport, tapReport } from "../../check/report.ts";
import type { RunReport } from "../../check/report.ts";
import { writeAll } from "../../net/io.ts";
import { runMetrics } from "../../monitor/one_shot.ts";
import type { PushResult } from "../../monitor/push.ts";
import type { Context } from "../command.ts";
import { log } from "../log.ts";
import { writeOutputFile } from "../paths.ts";
import { buildInfo } from "../version.ts";
import type { CheckPlan, Format } from "./plan.ts";

/** The run's metrics in the Prometheus text format 0.0.4, the vantage point a label on each. */
export function runExposition(report: RunReport): string {
  const { version, commit } = buildInfo();
  return runMetrics(report.results, {
    build: { version, commit },
    constLabels: report.vantage === undefined ? {} : { vantage: report.vantage },
  }).render("text");
}

/** `--json`'s `push`: what `--push` did, every field present. */
function pushJson(push: PushResult) {
  return {
    ok: push.ok,
    url: push.url,
    status: push.status ?? null,
    attempts: push.attempts,
    error: push.error ?? null,
  };
}

/**
 * Writes each `--report` (and `--json`, the json report on stdout, with what `--push` did when
 * it was given).
 */
export async function writeReports(
  ctx: Context,
  plan: CheckPlan,
  report: RunReport,
  push?: PushResult | undefined,
): Promise<void> {
  const render = (format: Format) => {
    switch (format) {
      case "junit":
        return junitReport(report);
      case "tap":
        return tapReport(report);
      case "json":
        return JSON.stringify(jsonReport(report), null, 2) + "\n";
      case "openmetrics":
        // The Prometheus text format: what node_exporter's textfile collector reads.
        return runExposition(report);
    }
  };
  if (ctx.json) {
    ctx.jsonPrinted = true;
    await ctx.out.json(push ? { ...jsonReport(report), push: pushJson(push) } : jsonReport(report));
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
