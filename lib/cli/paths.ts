/**
 * File paths given on the command line. The binary's permission set can read and write files,
 * but Deno opens devices under /dev (and /proc) only with --allow-all, which a compiled binary
 * cannot take. So the paths people type for the standard streams map to sockit's own streams,
 * `/dev/null` is a discard, and any other device is refused with a message that says why.
 *
 * @module
 */
import { UsageError } from "./args.ts";
import type { Io } from "./output.ts";

/** A standard stream, or the discard. */
export type StandardStream = "stdin" | "stdout" | "stderr" | "null";

const ALIASES: Record<string, StandardStream> = {
  "/dev/stdin": "stdin",
  "/dev/stdout": "stdout",
  "/dev/stderr": "stderr",
  "/dev/null": "null",
};

/**
 * The standard stream a path names, or `undefined` for an ordinary path. `-` is stdin for an
 * input and stdout for an output; `/dev/stdin`, `/dev/stdout`, `/dev/stderr`, `/dev/fd/0` to
 * `/dev/fd/2` and `/proc/self/fd/0` to `2` are the streams they name; `/dev/null` is the discard.
 *
 * @example
 * ```ts
 * import { standardStream } from "./paths.ts";
 * import assert from "node:assert/strict";
 * assert.equal(standardStream("-", "output"), "stdout");
 * assert.equal(standardStream("/dev/fd/0", "input"), "stdin");
 * assert.equal(standardStream("out.bin", "output"), undefined);
 * ```
 */
export function standardStream(
  path: string,
  direction: "input" | "output",
): StandardStream | undefined {
  if (path === "-") return direction === "input" ? "stdin" : "stdout";
  const fd = /^\/(?:dev|proc\/self)\/fd\/([012])$/.exec(path);
  if (fd) return (["stdin", "stdout", "stderr"] as const)[Number(fd[1])];
  return ALIASES[path];
}

/** The paths that name sockit's own streams, for messages and help. */
export const STREAM_PATHS = "-, /dev/stdin, /dev/stdout, /dev/stderr, /dev/fd/0-2, /dev/null";

/**
 * Says why a path could not be opened, in a user's terms; a device outside the permission set
 * gets the list of paths that do work.
 */
export function describePathError(path: string, error: unknown): string {
  if (path === "") return "empty path";
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    if (/^\/(dev|proc)\//.test(path)) {
      return `sockit cannot open devices other than the standard streams (${STREAM_PATHS})`;
    }
    if (error instanceof Deno.errors.NotCapable) return "outside sockit's permission set";
    return "permission denied";
  }
  if (error instanceof Deno.errors.NotFound) return "no such file";
  if (error instanceof Deno.errors.IsADirectory) return "it is a directory";
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\(os error \d+\)$/, "").replace(/,? ?(open|read|write) '[^']*'$/, "");
}

/** The most a command reads from one input file or stdin (names, certificates). */
export const MAX_INPUT_BYTES = 16 * 1024 * 1024;

/**
 * Reads a whole input file as UTF-8 text: `-`, `/dev/stdin` and `/dev/fd/0` read sockit's
 * stdin; anything else is read as a file.
 *
 * @param option The option that named it, for messages: `-f`, `--cacert`.
 * @throws {UsageError} When it cannot be read, says why, or is larger than 16 MiB.
 */
export async function readInput(io: Io, path: string, option: string): Promise<string> {
  if (path === "") throw new UsageError(`Cannot read ${option} "": empty path`);
  const stream = standardStream(path, "input");
  if (stream === "null") return "";
  if (stream !== undefined && stream !== "stdin") {
    throw new UsageError(`Cannot read ${option} "${path}": it is an output stream`);
  }
  const bytes = stream === "stdin"
    ? await readAll(io.stdin, path, option)
    : await Deno.readFile(path).catch((error) => {
      throw new UsageError(`Cannot read ${option} "${path}": ${describePathError(path, error)}`);
    });
  if (bytes.length > MAX_INPUT_BYTES) {
    throw new UsageError(`Cannot read ${option} "${path}": larger than 16 MiB`);
  }
  return new TextDecoder().decode(bytes);
}

async function readAll(source: Io["stdin"], path: string, option: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const buf = new Uint8Array(64 * 1024);
  for (let n = await source.read(buf); n !== null; n = await source.read(buf)) {
    total += n;
    if (total > MAX_INPUT_BYTES) {
      throw new UsageError(`Cannot read ${option} "${path}": larger than 16 MiB`);
    }
    chunks.push(buf.slice(0, n));
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

export { splitPath } from "../text/path.ts";
