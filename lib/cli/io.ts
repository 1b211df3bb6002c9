/**
 * The streams a command uses, in a module that imports nothing, so that the entrypoint can start
 * without loading any of the CLI.
 *
 * @module
 */

/** Anything with `write(buf)` that may write only part of `buf`. */
interface Writer {
  /** Writes some prefix of `buf`; resolves to the count written. */
  write(buf: Uint8Array): Promise<number>;
}

/** Where a command's output goes; tests pass their own. */
export interface Io {
  /** Data and JSON. */
  stdout: Writer;
  /** Errors, logs, progress. */
  stderr: Writer;
  /** Input, for commands that read it. */
  stdin: { read(buf: Uint8Array): Promise<number | null> };
  /** Whether stderr is a terminal (colours and progress only then). */
  stderrIsTerminal: boolean;
  /** Environment lookup (NO_COLOR). */
  env: (name: string) => string | undefined;
}

/** The process's own streams. */
export function processIo(): Io {
  return {
    stdout: Deno.stdout,
    stderr: Deno.stderr,
    stdin: Deno.stdin,
    stderrIsTerminal: Deno.stderr.isTerminal(),
    env: (name) => Deno.env.get(name),
  };
}

/** Writes all of `text` to `stream`, looping on partial writes. */
export async function print(stream: Writer, text: string): Promise<void> {
  const bytes = new TextEncoder().encode(text);
  for (let at = 0; at < bytes.length;) at += await stream.write(bytes.subarray(at));
}
