/**
 * `sockit wait`'s output: a log line per attempt and target ready (or a live board on a
 * terminal), the `done` and `exit` JSON lines, and the timeout that names each target not ready.
 *
 * @module
 */
import { formatDuration } from "../../net/deadline.ts";
import { TimeoutError } from "../../net/errors.ts";
import { writeAll } from "../../net/io.ts";
import { formatTargetName, parseTarget } from "../../probe/target.ts";
import type { Target } from "../../probe/target.ts";
import type { WaitEvent, WaitResult } from "../../probe/wait.ts";
import type { Context } from "../command.ts";
import { log } from "../log.ts";
import { formatMs, roundMs, StdoutClosedError } from "../output.ts";
import type { Io } from "../output.ts";
import { outcomeTail, writeJsonResult } from "../result.ts";
import type { ChildOutcome } from "./child.ts";
import type { WaitPlan } from "./plan.ts";
import { terminalWidth } from "../width.ts";

/** The error a finished wait ends with, or `undefined` when it succeeded. */
export function failureOf(plan: WaitPlan, result: WaitResult): Error | undefined {
  if (result.fatal) return result.fatal;
  if (result.ready) return undefined;
  const waiting = result.targets.filter((s) => !s.ready);
  const what = plan.reverse ? "still ready" : "not ready";
  const list = waiting.map((s) =>
    `${formatTargetName(s.target)} (${s.last}, ${s.attempts} attempt${s.attempts === 1 ? "" : "s"})`
  );
  const count = plan.any
    ? `none of ${result.targets.length} targets is ready`
    : `${waiting.length} of ${result.targets.length} target${
      result.targets.length === 1 ? "" : "s"
    } ${what}`;
  return new TimeoutError(`Timed out after ${formatDuration(plan.timeoutMs)}`, {
    why: `${count}: ${list.join("; ")}`,
    kind: "deadline",
  });
}

/** One attempt or a target ready, as a log line (and a JSON event with --json). */
export function reportEvent(ctx: Context, event: WaitEvent): void {
  const logger = log("wait");
  if (event.event === "ready") {
    logger.info`ready: ${event.target} after ${event.attempts} attempt${
      event.attempts === 1 ? "" : "s"
    }, ${formatMs(event.elapsed_ms)}`;
    if (ctx.json) void ctx.out.event(event);
  } else {
    logger.debug`attempt ${event.attempt} at ${event.target}: ${
      event.ok ? "ok" : "not yet"
    }: ${event.reason}`;
    if (ctx.json && ctx.args.flag("verbose")) void ctx.out.event(event);
  }
}

/**
 * The `done` JSON line: whether the wait succeeded and each target's attempts. With COMMAND to
 * run (`runs`), sockit's exit code is COMMAND's, which the `exit` line says.
 */
export async function writeDone(
  ctx: Context,
  result: WaitResult,
  failure: Error | undefined,
  options: { insecure: boolean; runs: boolean },
): Promise<void> {
  const tail = outcomeTail(failure);
  await writeJsonResult(ctx, {
    event: "done",
    ready: result.ready,
    elapsed_ms: roundMs(result.elapsedMs),
    targets: result.targets.map((s) => ({
      target: s.target.text,
      ready: s.ready,
      attempts: s.attempts,
      last_error: s.ready ? null : s.last,
    })),
    insecure: options.insecure,
  }, options.runs ? { ...tail, exit_code: null } : tail);
}

/** The `exit` JSON line: how COMMAND ended, `elapsedMs` after it started. */
export async function writeExit(
  ctx: Context,
  command: string[],
  outcome: ChildOutcome,
  elapsedMs: number,
): Promise<void> {
  await writeJsonResult(ctx, {
    event: "exit",
    // The program only: its arguments may hold what should not be in a log (a password).
    command: command[0],
    signal: outcome.signal,
    elapsed_ms: roundMs(elapsedMs),
  }, { exit_code: outcome.code }).catch((error) => {
    // COMMAND's own code stands even when nobody reads stdout any more.
    if (!(error instanceof StdoutClosedError)) throw error;
  });
}

/** One live line per target on a terminal, redrawn in place and cleared when done. */
export class StatusBoard implements Disposable {
  readonly #io: Io;
  readonly #lines: Map<string, string>;
  readonly #width: number;
  #drawn = 0;
  #last = 0;
  #writing: Promise<void> = Promise.resolve();

  constructor(io: Io, targets: Target[]) {
    this.#io = io;
    this.#lines = new Map(targets.map((t) => [t.text, `${formatTargetName(t)}: waiting`]));
    // Not a terminal after all: 80 columns.
    this.#width = Math.max(20, (terminalWidth("stderr") ?? 80) - 1);
    this.#draw();
  }

  update(event: WaitEvent): void {
    const name = formatTargetName(parseTarget(event.target));
    this.#lines.set(
      event.target,
      event.event === "ready"
        ? `${name}: ready after ${plural(event.attempts, "attempt")}`
        : `${name}: ${event.ok ? "ok" : "not yet"} (${event.reason}), ${
          plural(event.attempt, "attempt")
        }`,
    );
    if (event.event === "ready" || performance.now() - this.#last >= 100) this.#draw();
  }

  #write(text: string): void {
    const bytes = new TextEncoder().encode(text);
    this.#writing = this.#writing.then(() => writeAll(this.#io.stderr, bytes)).catch(() => {});
  }

  #draw(): void {
    this.#last = performance.now();
    let text = this.#drawn > 0 ? `\x1b[${this.#drawn}F` : "";
    for (const line of this.#lines.values()) text += `\x1b[2K${line.slice(0, this.#width)}\n`;
    this.#drawn = this.#lines.size;
    this.#write(text);
  }

  /** Settles once everything drawn so far is on the terminal. */
  flush(): Promise<void> {
    return this.#writing;
  }

  [Symbol.dispose](): void {
    if (this.#drawn === 0) return;
    // Back to the board's first line, and clear from there to the end of the screen.
    this.#write(`\x1b[${this.#drawn}F\x1b[0J`);
    this.#drawn = 0;
  }
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
