/**
 * Logging for the CLI, through `@logtape/logtape`: `time LEVEL logger message` lines on stderr,
 * with ISO times. This is the one module that knows which logging library is used; library code
 * reports through callbacks and never logs on its own.
 *
 * @module
 */
import { configure, getLogger, reset } from "@logtape/logtape";
import type { Logger, LogLevel, LogRecord } from "@logtape/logtape";
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

/** Configures logtape for this process; call {@linkcode teardownLogging} when done. */
export async function setupLogging(options: LogOptions): Promise<void> {
  const lowestLevel: LogLevel = {
    quiet: "error",
    normal: "info",
    verbose: "debug",
    trace: "trace",
  }[options.verbosity] as LogLevel;
  const write = options.write ?? writeStderr;
  await configure({
    reset: true,
    sinks: { stderr: (record: LogRecord) => write(formatRecord(record, options.color)) },
    loggers: [
      { category: ["sockit"], lowestLevel, sinks: ["stderr"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
    ],
  });
}

/** Undoes {@linkcode setupLogging}. */
export async function teardownLogging(): Promise<void> {
  await reset();
}

/** The logger for one part of the CLI: `log("echo")` logs as `sockit.echo`. */
export function log(name: string): Logger {
  return getLogger(["sockit", name]);
}

/**
 * A {@linkcode TraceFn} that logs each socket step at trace level as `sockit.trace`, with the
 * time since `started`, the byte count and the bytes escaped.
 */
export function traceLogger(started: number): TraceFn {
  const logger = getLogger(["sockit", "trace"]);
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
