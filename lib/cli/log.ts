/**
 * Logging for the CLI, through `@logtape/logtape`: `time LEVEL logger message` lines on stderr,
 * with ISO times. This is the one module that knows which logging library is used (through
 * `logtape.ts`, which names the parts it loads); library code reports through callbacks and never
 * logs on its own.
 *
 * @module
 */
import type { LogLevel, LogRecord } from "@logtape/logtape";
import type { TraceEvent, TraceFn } from "../net/trace.ts";
import { escapeBytes } from "./output.ts";

/** How much to log. */
export type Verbosity = "quiet" | "normal" | "verbose" | "trace";

/** Options for {@linkcode setupLogging}. */
export interface LogOptions {
  /** `quiet` logs errors only, `normal` info and up, `verbose` debug, `trace` everything. */
  verbosity: Verbosity;
  /** Colour the level names. */
  color: boolean;
  /** Where a finished line goes. @default {writes synchronously to stderr} */
  write?: (line: string) => void;
}

const LEVEL_LABEL: Record<LogLevel, string> = {
  trace: "TRACE",
  debug: "DEBUG",
  info: "INFO",
  warning: "WARN",
  error: "ERROR",
  fatal: "FATAL",
};

const LEVEL_COLOR: Record<LogLevel, string> = {
  trace: "\x1b[2m",
  debug: "\x1b[36m",
  info: "\x1b[32m",
  warning: "\x1b[33m",
  error: "\x1b[31m",
  fatal: "\x1b[1;31m",
};

const encoder = new TextEncoder();

function writeStderr(line: string): void {
  const bytes = encoder.encode(line);
  let offset = 0;
  while (offset < bytes.length) offset += Deno.stderr.writeSync(bytes.subarray(offset));
}

/** Formats a record as `2026-11-25T02:05:09.123Z INFO sockit.echo message`. */
export function formatRecord(record: LogRecord, color: boolean): string {
  const time = new Date(record.timestamp).toISOString();
  const label = LEVEL_LABEL[record.level];
  const level = color ? `${LEVEL_COLOR[record.level]}${label}\x1b[0m` : label;
  const message = record.message
    .map((part) => typeof part === "string" ? part : JSON.stringify(part))
    .join("");
  return `${time} ${level} ${record.category.join(".")} ${message}\n`;
}

/** Options for {@linkcode setupLogging}, beyond {@linkcode LogOptions}. */
export interface SetupOptions extends LogOptions {
  /**
   * Load logtape now: the command logs at the normal level (a server's events, a wait's "ready"
   * lines). Otherwise it is loaded only at `-v`/`--trace`, or when a line is first logged.
   */
  preload?: boolean;
}

const RANK: Record<LogLevel, number> = {
  trace: 0,
  debug: 1,
  info: 2,
  warning: 3,
  error: 4,
  fatal: 5,
};

/** The configuration of this process's logging, set synchronously by setupLogging. */
let current: { lowest: LogLevel; color: boolean; write: (line: string) => void } | undefined;
/** logtape, once loaded and configured. */
let logtape: typeof import("./logtape.ts") | undefined;
let loading: Promise<void> | undefined;
/** Whether logtape is configured for {@linkcode current}: lines go straight to it. */
let ready = false;
/** Lines logged before logtape was loaded, in order. */
const queued: Array<
  { name: string; level: LogLevel; strings: TemplateStringsArray; values: unknown[] }
> = [];

/**
 * Configures logging for this process; call {@linkcode teardownLogging} when done. logtape (and
 * its start-up cost) is loaded only when something can be logged: with `-v` or `--trace`, for a
 * command that logs at the normal level (`preload`), or when the first line is logged.
 */
export async function setupLogging(options: SetupOptions): Promise<void> {
  const lowest: LogLevel = {
    quiet: "error",
    normal: "info",
    verbose: "debug",
    trace: "trace",
  }[options.verbosity] as LogLevel;
  current = { lowest, color: options.color, write: options.write ?? writeStderr };
  if (
    logtape || options.preload || options.verbosity === "verbose" || options.verbosity === "trace"
  ) {
    await load();
  }
}

/**
 * Loads logtape now if a line can be logged at all: for a server, which logs as it serves and
 * must not load a module in the middle of it (with every descriptor taken by clients, Deno
 * 2.9.6 panics when it loads one: it cannot open /proc/self/maps).
 */
export async function preloadLogging(): Promise<void> {
  if (current && !logtape) await (loading ?? load());
}

/** Loads logtape and configures it from {@linkcode current}; flushes what was queued. */
function load(): Promise<void> {
  const config = current;
  ready = false;
  loading = (async () => {
    logtape ??= await import("./logtape.ts");
    if (!config) return;
    await logtape.configure({
      reset: true,
      sinks: {
        stderr: (record: LogRecord) => config.write(formatRecord(record, config.color)),
      },
      loggers: [
        { category: ["sockit"], lowestLevel: config.lowest, sinks: ["stderr"] },
        { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
      ],
    });
    ready = true;
    for (const line of queued.splice(0)) emit(line.name, line.level, line.strings, line.values);
  })();
  return loading;
}

function emit(name: string, level: LogLevel, strings: TemplateStringsArray, values: unknown[]) {
  const logger = logtape!.getLogger(["sockit", name]);
  logger[level](strings, ...values);
}

/** Undoes {@linkcode setupLogging}, once every queued line is written. */
export async function teardownLogging(): Promise<void> {
  await loading;
  if (logtape) await logtape.reset();
  current = undefined;
  ready = false;
  loading = undefined;
}

/** A tagged-template log method: `log("echo").info\`accepted ${peer}\``. */
export type LogMethod = (strings: TemplateStringsArray, ...values: unknown[]) => void;

/** The levels the CLI logs at. */
export interface Log {
  /** Socket steps (`--trace`). */
  trace: LogMethod;
  /** Details for `-v`. */
  debug: LogMethod;
  /** What a server or a wait reports as it goes. */
  info: LogMethod;
  /** Something worth a look. */
  warn: LogMethod;
  /** A failure. */
  error: LogMethod;
}

/**
 * The logger for one part of the CLI: `log("echo")` logs as `sockit.echo`. A line below the
 * current level costs a comparison; logtape is loaded for the first one that is not.
 */
export function log(name: string): Log {
  const method = (level: LogLevel): LogMethod => (strings, ...values) => {
    if (!current || RANK[level] < RANK[current.lowest]) return;
    if (ready) return emit(name, level, strings, values);
    // The first line at this level: logtape is loaded, and the queue flushed once it is.
    queued.push({ name, level, strings, values });
    if (!loading) void load();
  };
  return {
    trace: method("trace"),
    debug: method("debug"),
    info: method("info"),
    warn: method("warning"),
    error: method("error"),
  };
}

/**
 * A {@linkcode TraceFn} that logs each socket step at trace level as `sockit.trace`, with the
 * time since `started`, the byte count and the bytes escaped.
 */
export function traceLogger(started: number): TraceFn {
  const logger = log("trace");
  return (event: TraceEvent) => {
    const elapsed = (performance.now() - started).toFixed(3);
    const parts = [`+${elapsed}ms`];
    if (event.conn) parts.push(event.conn);
    parts.push(event.step);
    if (event.bytes !== undefined) parts.push(`${event.bytes} bytes`);
    if (event.detail) parts.push(event.detail);
    if (event.data) parts.push(escapeBytes(event.data));
    logger.trace`${parts.join(" ")}`;
  };
}
