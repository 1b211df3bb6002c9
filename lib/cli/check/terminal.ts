/**
 * What `sockit check` tells a person: a line per check in file order and the counts, the spec's
 * problems, what `--validate` found, and the warnings (short secrets, `-k`).
 *
 * @module
 */
import { MASK, SHORT_SECRET } from "../../check/redact.ts";
import { countResults, showMs, summaryLine } from "../../check/report.ts";
import type { RunReport } from "../../check/report.ts";
import type { CheckResult, PlannedCheck } from "../../check/runner.ts";
import type { CheckSpec, SpecError } from "../../check/spec.ts";
import type { SpecProblem } from "../../check/tree.ts";
import type { Context } from "../command.ts";
import { ExitCode } from "../exit_codes.ts";
import { insecureWarning } from "../http_options.ts";
import { outcomeTail, writeJsonResult } from "../result.ts";
import type { CheckPlan } from "./plan.ts";

/** The lines a person reads: one per check in file order, then the counts. */
export class TerminalReport {
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

/** Prints every problem as `error: FILE:LINE:COL: why`; exit 2. */
export async function reportSpecErrors(
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
    const first = problems[0]!;
    const tail = {
      error: `${first.file}:${first.line}:${first.col}: ${first.message}`,
      exit_code: ExitCode.Usage,
    };
    // The tail leads here, before the problems, as it always has: written again after them,
    // its fields keep their first place.
    await writeJsonResult(ctx, { ...tail, problems }, tail);
  }
  return ExitCode.Usage;
}

/** `--validate`: what would run. */
export async function reportValid(
  ctx: Context,
  specs: CheckSpec[],
  planned: PlannedCheck[],
): Promise<number> {
  const selected = (spec: CheckSpec) =>
    planned.filter((p) => p.check.file === spec.file && p.skip === undefined).length;
  if (ctx.json) {
    await writeJsonResult(ctx, {
      valid: true,
      files: specs.map((spec) => ({
        file: spec.file,
        checks: spec.checks.length,
        selected: selected(spec),
      })),
    }, outcomeTail(undefined));
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

/**
 * Says on stderr which secrets are too short to mask safely: each is still masked wherever it is
 * carried, so text there that holds the same characters shows `***` too.
 */
export async function warnShortSecrets(ctx: Context, specs: CheckSpec[]): Promise<void> {
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

/**
 * `-k` makes every http check `insecure: true`; one warning on stderr (even with `-q`) names the
 * selected checks whose certificates will not be verified.
 */
export async function warnInsecure(ctx: Context, planned: PlannedCheck[]): Promise<void> {
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
