/**
 * Where `sockit get` writes a body: stdout, stderr, a discard, a device, or a file renamed into
 * place once the body is whole. Every sink counts its bytes and starts an attempt over the same
 * way ({@linkcode bodySink}); they differ in how a chunk is written and what ends them.
 *
 * @module
 */
import { describeNetError } from "../../net/dial.ts";
import { closeQuietly } from "../../net/close.ts";
import { writeAll } from "../../net/io.ts";
import type { Context } from "../command.ts";
import { OutputError } from "../output.ts";
import type { Output } from "../output.ts";
import { AtomicFile, describePathError } from "../paths.ts";
import type { OutputTarget } from "../paths.ts";

/** Where a body goes: stdout, or a temporary file renamed into place at the end. */
interface BodySink {
  /** Bytes written in this attempt. */
  written: number;
  /** Whether an attempt's bytes can be taken back (a file can; stdout cannot). */
  rewindable: boolean;
  write(chunk: Uint8Array): Promise<void>;
  /** Starts an attempt over. */
  reset(): Promise<void>;
  /** Keeps what was written (renames the file into place). */
  commit(): Promise<void>;
  /** Drops what was written. */
  abort(): Promise<void>;
}

/** What makes one sink differ from another: see {@linkcode bodySink}. */
interface SinkParts {
  /** Whether an attempt's bytes can be taken back. */
  rewindable: boolean;
  /** Writes one chunk. */
  write(chunk: Uint8Array): Promise<void>;
  /** Takes back what was written, when an attempt starts over. @default {nothing} */
  rewind?: () => Promise<void>;
  /** Keeps what was written. @default {nothing} */
  commit?: () => Promise<void>;
  /** Drops what was written. @default {nothing} */
  abort?: () => Promise<void>;
}

const NOTHING = () => Promise.resolve();

/**
 * The one sink: counts the bytes of each attempt (`reset` sets the count back to 0 and
 * rewinds), and hands writing, keeping and dropping to `parts`.
 */
function bodySink(parts: SinkParts): BodySink {
  const { rewind = NOTHING } = parts;
  return {
    written: 0,
    rewindable: parts.rewindable,
    async write(chunk) {
      this.written += chunk.length;
      await parts.write(chunk);
    },
    async reset() {
      this.written = 0;
      await rewind();
    },
    commit: parts.commit ?? NOTHING,
    abort: parts.abort ?? NOTHING,
  };
}

/** The largest chunk {@linkcode LaterStdout} copies rather than writes while the caller waits. */
const MAX_LATER_CHUNK = 64 * 1024;

/**
 * Body bytes to stdout, written while the client goes on: a chunk of at most 64 KiB is copied
 * and handed to stdout, and the next response is read (or the next request sent) while that
 * write is in flight, instead of after it. At most one such write is in flight; a larger chunk
 * is written while the caller waits, after the one in flight. A failed write is thrown by the
 * next `write` or by {@linkcode LaterStdout.settle}, which `sockit get` calls before it prints
 * a URL's verdict and at its end, so that a body always reaches stdout before what stderr says
 * of it and no write error goes unreported.
 */
export class LaterStdout {
  readonly #out: Output;
  #inFlight: Promise<void> | undefined;

  /** @param out Where stdout's writes go. */
  constructor(out: Output) {
    this.#out = out;
  }

  /** Writes `chunk` (which may change once this settles) after every write before it. */
  async write(chunk: Uint8Array): Promise<void> {
    await this.settle();
    if (chunk.length > MAX_LATER_CHUNK) return await this.#out.data(chunk);
    const write = this.#out.data(chunk.slice());
    // Kept for settle(); caught here so that a failure waiting for it is not unhandled.
    write.catch(() => {});
    this.#inFlight = write;
  }

  /** Waits for the write in flight, and throws its error (once). */
  async settle(): Promise<void> {
    const write = this.#inFlight;
    this.#inFlight = undefined;
    await write;
  }

  /**
   * Waits for the write in flight without taking its error, which the next `write` or `settle`
   * throws: for what goes to stderr after it.
   */
  async idle(): Promise<void> {
    await this.#inFlight?.catch(() => {});
  }
}

/**
 * The sink for an output target (stdout when there is none). `stdout` writes the bodies that go
 * to stdout, for every URL of the command.
 */
export async function openSink(
  ctx: Context,
  target: OutputTarget | undefined,
  stdout: LaterStdout,
): Promise<BodySink> {
  // -q: nothing on stdout unless asked for by name (-o -); -s only hides the progress bar.
  if (target === undefined) return stdoutSink(stdout, !ctx.json && !ctx.quiet);
  if (target.kind === "file") return await fileSink(target);
  if (target.kind === "special") return await deviceSink(target.path);
  if (target.stream === "stdout") return stdoutSink(stdout, true);
  if (target.stream === "stderr") return stderrSink(ctx, stdout);
  return discardSink();
}

function stdoutSink(stdout: LaterStdout, enabled: boolean): BodySink {
  return bodySink({
    rewindable: false,
    write: enabled ? (chunk) => stdout.write(chunk) : NOTHING,
  });
}

/** `-o /dev/stderr`: the body on sockit's own stderr, after what went to stdout before it. */
function stderrSink(ctx: Context, stdout: LaterStdout): BodySink {
  return bodySink({
    rewindable: false,
    write: (chunk) =>
      stdout.idle().then(() => writeAll(ctx.io.stderr, chunk)).catch((error) => {
        throw new OutputError(`Cannot write to stderr: ${describeNetError(error)}`, {
          cause: error,
        });
      }),
  });
}

/** `-o /dev/null`: counts the bytes and keeps none, so an attempt can always start over. */
function discardSink(): BodySink {
  return bodySink({ rewindable: true, write: NOTHING });
}

/**
 * A file written as curl writes it, but atomically ({@linkcode AtomicFile}): renamed over the
 * file once the body is whole, removed on every other way out.
 */
async function fileSink(target: OutputTarget & { kind: "file" }): Promise<BodySink> {
  const file = await AtomicFile.create(target, `-o "${target.path}"`);
  return bodySink({
    rewindable: true,
    write: (chunk) => file.write(chunk),
    rewind: () => file.truncate(),
    commit: () => file.commit(),
    abort: () => file.abort(),
  });
}

/** A sink for an existing special file such as a named pipe: written directly, nothing to rename. */
async function deviceSink(path: string): Promise<BodySink> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { write: true });
  } catch (error) {
    throw new OutputError(`Cannot write -o "${path}": ${describePathError(path, error)}`, {
      cause: error,
    });
  }
  let open = true;
  const finish = () => {
    if (open) closeQuietly(file);
    open = false;
    return Promise.resolve();
  };
  return bodySink({
    rewindable: false,
    write: (chunk) =>
      writeAll(file, chunk).catch((error) => {
        throw new OutputError(`Cannot write -o "${path}": ${describePathError(path, error)}`, {
          cause: error,
        });
      }),
    commit: finish,
    abort: finish,
  });
}
