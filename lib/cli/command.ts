/**
 * Running one command: parse its arguments, set up output and logging from the common options,
 * run it, and turn whatever it throws into `error: <what failed>: <why>` and an exit code.
 *
 * @module
 */
import { SockitError } from "../net/errors.ts";
import type { TraceFn } from "../net/trace.ts";
import { parseCommand, renderHelp, UsageError } from "./args.ts";
import type { CommandSpec, ParsedArgs } from "./args.ts";
import { ExitCode, exitCodeFor } from "./exit_codes.ts";
import { log, setupLogging, teardownLogging, traceLogger } from "./log.ts";
import type { Verbosity } from "./log.ts";
import { colorWanted, Output, OutputError } from "./output.ts";
import type { Io } from "./output.ts";

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
   * Set to true once the command has printed its JSON result, so that a failure after it does
   * not print a second object.
   */
  jsonPrinted: boolean;
}

/** A command body: returns the exit code, or throws an error of sockit's family. */
export type CommandBody = (ctx: Context) => Promise<number>;

/**
 * Runs a command with the shared conventions. Usage errors name the help to read; with
 * `--json`, a failure also prints `{"error": "...", "exit_code": N}` on stdout.
 */
export async function runCommand(
  spec: CommandSpec,
  argv: string[],
  io: Io,
  body: CommandBody,
): Promise<number> {
  const started = performance.now();
  const early = new Output(io, colorWanted(io, argv.includes("--no-color")));
  let args: ParsedArgs;
  try {
    args = parseCommand(spec, argv);
  } catch (error) {
    return await reportUsage(early, spec, error);
  }
  if (args.flag("help")) {
    await early.data(new TextEncoder().encode(renderHelp(spec)));
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
  const ctx: Context = {
    io,
    out: new Output(io, color),
    args,
    json: args.flag("json"),
    quiet: args.flag("quiet"),
    trace: args.flag("trace") ? traceLogger(started) : undefined,
    started,
    jsonPrinted: false,
  };
  try {
    return await body(ctx);
  } catch (error) {
    if (error instanceof UsageError) return await reportUsage(ctx.out, spec, error);
    const code = exitCodeFor(error);
    const message = describeError(error);
    if (code === ExitCode.Internal) {
      log("cli").debug`${error instanceof Error ? (error.stack ?? message) : message}`;
    }
    await ctx.out.error(message);
    if (ctx.json && !ctx.jsonPrinted) await ctx.out.json({ error: message, exit_code: code });
    return code;
  } finally {
    await ctx.out.flush();
    await teardownLogging();
  }
}

async function reportUsage(out: Output, spec: CommandSpec, error: unknown): Promise<number> {
  if (!(error instanceof UsageError)) throw error;
  await out.error(error.message);
  await out.note(`Run "sockit ${spec.name} --help" for usage.`);
  return ExitCode.Usage;
}

/** The message for an error: sockit's own as they are, others with what kind they are. */
export function describeError(error: unknown): string {
  if (error instanceof SockitError || error instanceof UsageError || error instanceof OutputError) {
    return error.message;
  }
  if (error instanceof Error) return `Unexpected ${error.name}: ${error.message}`;
  return `Unexpected failure: ${String(error)}`;
}
