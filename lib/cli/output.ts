/**
 * The one place that writes to the terminal: data and JSON to stdout, errors and notes to
 * stderr, colours only where they are wanted.
 *
 * @module
 */
import { describeNetError } from "../net/dial.ts";
import { writeAll } from "../net/io.ts";
import type { Io } from "./io.ts";

const encoder = new TextEncoder();

/** Writing the command's own output failed (stdout closed, disk full): exit 70. */
export class OutputError extends Error {
  /** @param message What failed and why. @param options The underlying error as `cause`. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "OutputError";
  }
}

/**
 * The reader of stdout went away (`| head -1` has what it wanted). Normal Unix life, not a
 * failure: a client stops at once and exits 141 (128 + SIGPIPE, what shells show for `cat`),
 * saying nothing unless asked with `-v`; a server drops its events and keeps serving.
 */
export class StdoutClosedError extends OutputError {
  /** @param options The underlying error as `cause`. */
  constructor(options?: ErrorOptions) {
    super("Stdout was closed by its reader", options);
    this.name = "StdoutClosedError";
  }
}

export { processIo } from "./io.ts";
export type { Io } from "./io.ts";

/**
 * Tells whether to colour stderr: it must be a terminal, and neither `--no-color` nor a
 * non-empty `NO_COLOR` (https://no-color.org) may say otherwise.
 */
export function colorWanted(io: Io, noColorFlag: boolean): boolean {
  return io.stderrIsTerminal && !noColorFlag && !io.env("NO_COLOR");
}

/** Writes a command's output. */
export class Output {
  readonly #io: Io;
  #stdoutQueue: Promise<void> = Promise.resolve();
  readonly #closed = new AbortController();
  /** Events that {@linkcode Output.event} could not write. */
  droppedEvents = 0;
  /** Whether stderr gets ANSI colours. */
  readonly color: boolean;

  /** @param io Streams to write to. @param color Colour stderr. */
  constructor(io: Io, color: boolean) {
    this.#io = io;
    this.color = color;
  }

  /**
   * Raw bytes to stdout, all of them. Writes happen in call order even when callers do not
   * await each one; `bytes` must not change until the returned promise settles.
   */
  data(bytes: Uint8Array): Promise<void> {
    const write = this.#stdoutQueue.then(() => {
      if (this.stdoutClosed) throw new StdoutClosedError();
      return writeAll(this.#io.stdout, bytes);
    }).catch((error) => {
      if (error instanceof OutputError) throw error;
      if (error instanceof Deno.errors.BrokenPipe) {
        const closed = new StdoutClosedError({ cause: error });
        if (!this.stdoutClosed) this.#closed.abort(closed);
        throw closed;
      }
      throw new OutputError(`Cannot write to stdout: ${describeNetError(error)}`, {
        cause: error,
      });
    });
    this.#stdoutQueue = write.catch(() => {});
    return write;
  }

  /** Whether stdout's reader has gone away (a write met a broken pipe). */
  get stdoutClosed(): boolean {
    return this.#closed.signal.aborted;
  }

  /**
   * Aborted, with a {@linkcode StdoutClosedError}, at the first write that finds stdout's reader
   * gone, whether or not the caller awaits that write: `runCommand` stops a client command with
   * it at once.
   */
  get closed(): AbortSignal {
    return this.#closed.signal;
  }

  /**
   * One JSON line for a long-running command's event stream. It never rejects: when stdout is
   * closed or cannot be written, the event is dropped and counted in
   * {@linkcode Output.droppedEvents}. A server (`keepsServing` in `runCommand`) keeps running; a
   * client is stopped by {@linkcode Output.closed}.
   */
  event(value: unknown): Promise<void> {
    return this.json(value).catch(() => {
      this.droppedEvents++;
    });
  }

  /** A line of text to stdout. */
  line(text: string): Promise<void> {
    return this.data(encoder.encode(text + "\n"));
  }

  /** One JSON value as one line on stdout (JSON Lines). */
  json(value: unknown): Promise<void> {
    return this.line(JSON.stringify(value));
  }

  /** Settles when every stdout write so far has finished. */
  flush(): Promise<void> {
    return this.#stdoutQueue;
  }

  /** A line to stderr. A stderr that cannot be written is ignored: there is nowhere to say so. */
  async note(text: string): Promise<void> {
    await writeAll(this.#io.stderr, encoder.encode(text + "\n")).catch(() => {});
  }

  /** `error: <message>` on stderr. */
  async error(message: string): Promise<void> {
    const label = this.color ? "\x1b[1;31merror\x1b[0m" : "error";
    await this.note(`${label}: ${message}`);
  }
}

/**
 * Shows bytes as an escaped string, the way `--trace` prints what is on the wire: printable
 * ASCII as is, `\r \n \t \\ \"` escaped, anything else as `\xHH`. At most `max` bytes are shown,
 * and the rest is counted, never dropped silently.
 *
 * @example
 * ```ts
 * import { escapeBytes } from "./output.ts";
 * import assert from "node:assert/strict";
 * assert.equal(escapeBytes(new Uint8Array([104, 105, 13, 10, 0])), '"hi\\r\\n\\x00"');
 * assert.equal(escapeBytes(new Uint8Array(5), 2), '"\\x00\\x00" (+3 bytes)');
 * ```
 */
export function escapeBytes(data: Uint8Array, max = 256): string {
  let text = "";
  const shown = Math.min(data.length, max);
  for (let i = 0; i < shown; i++) {
    const byte = data[i]!;
    if (byte === 0x0a) text += "\\n";
    else if (byte === 0x0d) text += "\\r";
    else if (byte === 0x09) text += "\\t";
    else if (byte === 0x5c) text += "\\\\";
    else if (byte === 0x22) text += '\\"';
    else if (byte >= 0x20 && byte < 0x7f) text += String.fromCharCode(byte);
    else text += `\\x${byte.toString(16).padStart(2, "0")}`;
  }
  const rest = data.length - shown;
  return `"${text}"${rest > 0 ? ` (+${rest} bytes)` : ""}`;
}

/** Formats milliseconds for people: `0.412 ms`, `12.3 ms`, `1.52 s`. */
export function formatMs(ms: number): string {
  if (ms < 10) return `${ms.toFixed(3)} ms`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** Rounds milliseconds to microseconds, for JSON. */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
