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

/** The sink for an output target (stdout when there is none). */
export async function openSink(ctx: Context, target: OutputTarget | undefined): Promise<BodySink> {
  // -q: nothing on stdout unless asked for by name (-o -); -s only hides the progress bar.
  if (target === undefined) return stdoutSink(ctx, !ctx.json && !ctx.quiet);
  if (target.kind === "file") return await fileSink(target);
  if (target.kind === "special") return await deviceSink(target.path);
  if (target.stream === "stdout") return stdoutSink(ctx, true);
  if (target.stream === "stderr") return stderrSink(ctx);
  return discardSink();
}

function stdoutSink(ctx: Context, enabled: boolean): BodySink {
  return bodySink({
    rewindable: false,
    write: enabled ? (chunk) => ctx.out.data(chunk) : NOTHING,
  });
}

/** `-o /dev/stderr`: the body on sockit's own stderr. */
function stderrSink(ctx: Context): BodySink {
  return bodySink({
    rewindable: false,
    write: (chunk) =>
      writeAll(ctx.io.stderr, chunk).catch((error) => {
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
