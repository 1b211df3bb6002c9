/**
 * Running one command: parse its arguments, set up output and logging from the common options,
 * run it, and turn whatever it throws into `error: <what failed>: <why>` and an exit code.
 *
 * @module
 */
import { InterruptedError } from "../net/errors.ts";
import { startTimer } from "../net/timer.ts";
import type { TraceFn } from "../net/trace.ts";
import { parseCommand, renderHelp, UsageError } from "./args.ts";
import type { CommandSpec, ParsedArgs } from "./args.ts";
import { ExitCode, exitCodeFor } from "./exit_codes.ts";
import { log, setupLogging, teardownLogging, traceLogger } from "./log.ts";
import type { Verbosity } from "./log.ts";
import { colorWanted, Output, StdoutClosedError } from "./output.ts";
import type { Io } from "./output.ts";
import { describeError, writeJsonResult } from "./result.ts";
import { abortOnSignals } from "./signals.ts";
import type { HintTable } from "./result.ts";

/** Everything a command body needs. */
export interface Context {
  /** The streams. */
  io: Io;
  /** Writes data, JSON and errors. */
  out: Output;
  /** The parsed command line. */
  args: ParsedArgs;
  /** `--json` was given. */
  json: boolean;
  /** `--quiet` was given. */
  quiet: boolean;
  /** The socket trace, when `--trace` was given. */
  trace: TraceFn | undefined;
  /** When the command started (`performance.now()`). */
  started: number;
  /**
   * Set to true once the command has printed its JSON result (by `writeJsonResult`, from
   * `result.ts`), so that a failure after it does not print a second object.
   */
  jsonPrinted: boolean;
  /**
   * Aborted with an `InterruptedError` on SIGINT or SIGTERM (unless the command handles signals
   * itself): pass it to every wait, so that a partial file is removed and statistics printed.
   */
  signal: AbortSignal;
}

/** How {@linkcode runCommand} treats a command. */
export interface RunOptions {
  /**
   * The command installs its own SIGINT/SIGTERM handlers (a server's graceful stop); otherwise
   * runCommand turns them into an abort of `ctx.signal`. A function decides from the parsed
   * arguments (`check` serves only with `--every`).
   */
  ownSignals?: boolean | ((args: ParsedArgs) => boolean);
  /**
   * A server: when stdout's reader goes away, its events are dropped and it keeps serving.
   * Any other command is stopped at its first write into a closed stdout (exit 141), whether or
   * not it awaits that write: `ctx.signal` aborts with the {@linkcode StdoutClosedError}.
   */
  keepsServing?: boolean | ((args: ParsedArgs) => boolean);
  /**
   * Hints in the command's own terms for library errors of a given `kind`: `{ "max-redirects":
   * "raise it with --max-redirs" }`. The library never names a flag; the command does.
   */
  hints?: HintTable;
}

/** How long a command may take to tidy up (remove a partial file) after SIGINT or SIGTERM. */
const SIGNAL_GRACE_MS = 2000;

/** A command body: returns the exit code, or throws an error of sockit's family. */
export type CommandBody = (ctx: Context) => Promise<number>;

/**
 * Runs a command with the shared conventions. Usage errors name the help to read; with
 * `--json`, a failure also prints `{"error": "...", "exit_code": N}` on stdout. A closed stdout
 * ends the command quietly with exit 141 at its next write (a server keeps serving); SIGINT and
 * SIGTERM abort `ctx.signal`, give the command a moment to tidy up, and exit 130 or 143.
 */
export async function runCommand(
  spec: CommandSpec,
  argv: string[],
  io: Io,
  body: CommandBody,
  options: RunOptions = {},
): Promise<number> {
  const started = performance.now();
  const early = new Output(io, colorWanted(io, argv.includes("--no-color")));
  const jsonWanted = argv.includes("--json");
  let args: ParsedArgs;
  try {
    args = parseCommand(spec, argv);
  } catch (error) {
    return await reportUsage(early, spec, error, jsonWanted);
  }
  if (args.flag("help")) {
    await early.data(new TextEncoder().encode(renderHelp(spec))).catch(() => {});
    return ExitCode.Ok;
  }
  const color = colorWanted(io, args.flag("no-color"));
  const verbosity: Verbosity = args.flag("trace")
    ? "trace"
    : args.flag("verbose")
    ? "verbose"
    : args.flag("quiet")
    ? "quiet"
    : "normal";
  await setupLogging({ verbosity, color });
  const interrupt = new AbortController();
  const ctx: Context = {
    io,
    out: new Output(io, color),
    args,
    json: args.flag("json"),
    quiet: args.flag("quiet"),
    trace: args.flag("trace") ? traceLogger(started) : undefined,
    started,
    jsonPrinted: false,
    signal: interrupt.signal,
  };
  const choose = (option: boolean | ((args: ParsedArgs) => boolean) | undefined) =>
    typeof option === "function" ? option(args) : option ?? false;
  using _signals = choose(options.ownSignals) ? undefined : abortOnSignals(interrupt);
  using _stdout = choose(options.keepsServing)
    ? undefined
    : abortOnStdoutClosed(ctx.out, interrupt);
  try {
    const running = body(ctx);
    return await Promise.race([running, afterInterrupt(interrupt.signal, running)]);
  } catch (error) {
    // However the body ended once stdout went away (an abort it saw as an interruption, say),
    // the reader has gone: exit 141, quietly.
    const reason = interrupt.signal.reason;
    const cause = reason instanceof StdoutClosedError ? reason : error;
    return await report(ctx, spec, cause, options.hints ?? {});
  } finally {
    await ctx.out.flush();
    await teardownLogging();
  }
}

async function report(
  ctx: Context,
  spec: CommandSpec,
  error: unknown,
  hints: HintTable,
): Promise<number> {
  if (error instanceof UsageError) return await reportUsage(ctx.out, spec, error, ctx.json);
  const code = exitCodeFor(error);
  if (error instanceof StdoutClosedError) {
    log("cli").debug`stdout was closed by its reader: stopping (exit ${code})`;
    return code;
  }
  const message = describeError(error, hints);
  if (code === ExitCode.Internal) {
    log("cli").debug`${error instanceof Error ? (error.stack ?? message) : message}`;
  }
  // Ctrl-C needs no explanation on a terminal (the shell shows ^C); JSON still says what happened.
  if (!(error instanceof InterruptedError && error.signal)) await ctx.out.error(message);
  if (ctx.json && !ctx.jsonPrinted && !ctx.out.stdoutClosed) {
    await writeJsonResult(ctx, {}, { error: message, exit_code: code }).catch(() => {});
  }
  return code;
}

/** Aborts `controller` with the {@linkcode StdoutClosedError} once stdout's reader has gone. */
function abortOnStdoutClosed(out: Output, controller: AbortController): Disposable {
  const onClosed = () => {
    if (!controller.signal.aborted) controller.abort(out.closed.reason);
  };
  out.closed.addEventListener("abort", onClosed, { once: true });
  return {
    [Symbol.dispose]() {
      out.closed.removeEventListener("abort", onClosed);
    },
  };
}

/**
 * Settles (by throwing the interruption) once `signal` has aborted and the command either
 * finished tidying up or took longer than {@linkcode SIGNAL_GRACE_MS}, so that a command which
 * ignores its signal cannot keep the process alive after Ctrl-C.
 */
function afterInterrupt(signal: AbortSignal, running: Promise<number>): Promise<never> {
  return new Promise((_, reject) => {
    const onAbort = () => {
      const timer = startTimer(() => reject(signal.reason), SIGNAL_GRACE_MS);
      running.finally(() => {
        timer.clear();
        reject(signal.reason);
      }).catch(() => {});
    };
    signal.addEventListener("abort", onAbort, { once: true });
    running.finally(() => signal.removeEventListener("abort", onAbort)).catch(() => {});
  });
}

async function reportUsage(
  out: Output,
  spec: CommandSpec,
  error: unknown,
  json: boolean,
): Promise<number> {
  if (!(error instanceof UsageError)) throw error;
  await out.error(error.message);
  await out.note(`Run "sockit ${spec.name} --help" for usage.`);
  if (json) {
    // Even after a result: the command line was wrong, and the last line says so.
    const to = { out, jsonPrinted: false };
    await writeJsonResult(to, {}, { error: error.message, exit_code: ExitCode.Usage })
      .catch(() => {});
  }
  return ExitCode.Usage;
}
