/**
 * `sockit check` in GitHub Actions: an `::error` annotation per failed check, and the summary
 * table appended to `$GITHUB_STEP_SUMMARY`.
 *
 * @module
 */
import { githubAnnotations, markdownSummary } from "../../check/report.ts";
import type { RunReport } from "../../check/report.ts";
import type { Context } from "../command.ts";
import { describePathError } from "../paths.ts";
import type { TerminalReport } from "./terminal.ts";

/** GitHub Actions: an annotation per failed check, and the step summary. */
export async function github(
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
