/**
 * File paths given on the command line. The binary's permission set can read and write files,
 * but Deno opens devices under /dev (and /proc) only with --allow-all, which a compiled binary
 * cannot take. So the paths people type for the standard streams map to sockit's own streams,
 * `/dev/null` is a discard, and any other device is refused with a message that says why.
 *
 * @module
 */
import { closeQuietly } from "../net/close.ts";
import { describeFileError } from "../net/file_error.ts";
import { concatBytes } from "../net/bytes.ts";
import { writeAll } from "../net/io.ts";
import { resolvePath, splitPath } from "../text/path.ts";
import { UsageError } from "./args.ts";
import { OutputError } from "./output.ts";
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
  }
  return describeFileError(error);
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
  if (stream === "stdin") return new TextDecoder().decode(await readAll(io.stdin, path, option));
  const cannot = (error: unknown) =>
    new UsageError(`Cannot read ${option} "${path}": ${describePathError(path, error)}`);
  // Read while counting, not whole: a 2 GB file or /dev/zero stops at the limit.
  const file = await Deno.open(path).catch((error) => {
    throw cannot(error);
  });
  try {
    const bytes = await readAll(file, path, option).catch((error) => {
      throw error instanceof UsageError ? error : cannot(error);
    });
    return new TextDecoder().decode(bytes);
  } finally {
    file.close();
  }
}

/** Reads `source` to its end, refusing more than {@linkcode MAX_INPUT_BYTES}. */
async function readAll(
  source: Pick<Io["stdin"], "read">,
  path: string,
  option: string,
): Promise<Uint8Array> {
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
  return concatBytes(chunks);
}

/**
 * Where an output file (`get -o`, `check --report`) goes, as checked before anything runs: one
 * of sockit's own streams, an existing special file such as a named pipe (written directly), or
 * a file written atomically.
 */
export type OutputTarget =
  | { kind: "stream"; stream: "stdout" | "stderr" | "null"; path: string }
  | {
    kind: "file";
    /** The path as given, for messages. */
    path: string;
    /** The file written: the path with its symbolic links resolved, so that a link stays one. */
    real: string;
    /** The same for every spelling of the same file (a link, `./`, `dir/..`, a hard link). */
    identity: string;
    /** The folder to create first (with its parents), or `undefined` when it exists. */
    createDir: string | undefined;
  }
  | { kind: "special"; path: string; identity: string };

/** Options for {@linkcode checkOutput}. */
export interface CheckOutputOptions {
  /** The option and value, for messages: `-o "out.bin"`, `--report "junit=r.xml"`. */
  label: string;
  /** Create the missing folders of the path, as curl's `--create-dirs`. @default {false} */
  createDirs?: boolean;
}

/**
 * Checks an output path before anything runs, the same way for every command: the path must name
 * a stream, a special file, or a file that can be written in a folder where a file can be
 * created (by trying: read-only files and folders are found whoever runs it). With `createDirs`,
 * missing folders are fine when the nearest existing one allows it; they are made when the file
 * is written.
 *
 * @throws {UsageError} `Cannot write LABEL: why`: an empty path, an input stream, a device
 *   outside the permission set, a directory, a symbolic link to nothing, a missing folder
 *   (without `createDirs`), a path through a file, or no permission.
 */
export async function checkOutput(
  path: string,
  options: CheckOutputOptions,
): Promise<OutputTarget> {
  const refuse = (why: string) => new UsageError(`Cannot write ${options.label}: ${why}`);
  if (path === "") throw refuse("empty path");
  const stream = standardStream(path, "output");
  if (stream === "stdin") throw refuse("it is an input stream");
  if (stream !== undefined) return { kind: "stream", stream, path };
  // Deno opens other devices only with --allow-all: the write at the end could not succeed.
  if (/^\/(dev|proc)\//.test(path)) {
    throw refuse(describePathError(path, new Deno.errors.NotCapable()));
  }
  if (path.endsWith("/") || (Deno.build.os === "windows" && path.endsWith("\\"))) {
    throw refuse("it names a folder (it ends with a separator)");
  }
  const info = await statOrUndefined(path).catch((error) => {
    throw refuse(describePathError(path, error));
  });
  if (info === undefined) {
    const link = await Deno.lstat(path).catch(() => undefined);
    if (link?.isSymlink) throw refuse("a symbolic link to nothing");
  }
  if (info?.isDirectory) throw refuse("it is a directory");
  if (info && !info.isFile) return { kind: "special", path, identity: fileIdentity(info, path) };
  if (info) {
    const real = await Deno.realPath(path);
    // Opened to write without truncating, and closed: only the permission is asked.
    await Deno.open(real, { write: true }).then((file) => file.close(), (error) => {
      throw refuse(describePathError(path, error));
    });
    await probeFolder(splitPath(real).dir, refuse);
    return { kind: "file", path, real, identity: fileIdentity(info, real), createDir: undefined };
  }
  // A new file: the nearest folder that exists decides.
  const dir = splitPath(path).dir;
  let existing = dir;
  for (;;) {
    const found = await statOrUndefined(existing).catch((error) => {
      throw refuse(describePathError(existing, error));
    });
    if (found && !found.isDirectory) throw refuse(`"${existing}" is not a directory`);
    if (found) break;
    if ((await Deno.lstat(existing).catch(() => undefined))?.isSymlink) {
      throw refuse(`"${existing}" is a symbolic link to nothing`);
    }
    if (!options.createDirs) throw refuse(`no such directory "${dir}"`);
    const up = splitPath(existing).dir;
    if (up === existing) throw refuse(`no such directory "${existing}"`);
    existing = up;
  }
  await probeFolder(existing, refuse);
  // The existing folder with its links resolved, and the rest of the path below it as written.
  const real = (await Deno.realPath(existing)).replace(/\/$/, "") +
    resolvePath(path).slice(resolvePath(existing).replace(/\/$/, "").length);
  return {
    kind: "file",
    path,
    real,
    identity: real,
    createDir: existing === dir ? undefined : dir,
  };
}

/** A path's information, or `undefined` when it does not exist (or a folder in it is a file). */
async function statOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    // Said better below: which folder is a file.
    if (error instanceof Deno.errors.NotADirectory) return undefined;
    throw error;
  }
}

/**
 * What {@linkcode OutputTarget}'s `identity` would be for an existing file, or `undefined` when
 * it cannot be read.
 */
export async function fileIdentityOf(path: string): Promise<string | undefined> {
  try {
    return fileIdentity(await Deno.stat(path), await Deno.realPath(path));
  } catch {
    return undefined;
  }
}

/** A file's device and inode where the system gives them, else its real path. */
function fileIdentity(info: Deno.FileInfo, real: string): string {
  return info.dev !== null && info.ino !== null ? `inode ${info.dev}:${info.ino}` : real;
}

/** Creates a file in `dir` and removes it: the one sure way to know that the write will work. */
async function probeFolder(dir: string, refuse: (why: string) => Error): Promise<void> {
  const probe = `${dir}/.sockit-probe.${randomHex()}`;
  try {
    (await Deno.open(probe, { write: true, createNew: true })).close();
  } catch (error) {
    throw refuse(`cannot create a file in "${dir}": ${describePathError(dir, error)}`);
  }
  await Deno.remove(probe).catch(() => {});
}

function randomHex(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(4));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Refuses two outputs to the same file, however each is spelled: one would be lost.
 *
 * @throws {UsageError} `LABEL and LABEL are the same file`.
 */
export function refuseSameFile(
  outputs: ReadonlyArray<{ label: string; target: OutputTarget }>,
): void {
  const seen = new Map<string, string>();
  for (const { label, target } of outputs) {
    if (target.kind === "stream") continue;
    const first = seen.get(target.identity);
    if (first !== undefined) {
      throw new UsageError(`${first} and ${label} are the same file: one would be lost`);
    }
    seen.set(target.identity, label);
  }
}

/**
 * A file written atomically: into `.NAME.<hex>.part` beside it (after its folder is made, when
 * it was missing), renamed over NAME by {@linkcode AtomicFile.commit}, removed by
 * {@linkcode AtomicFile.abort}. The temporary file is created with mode 0666 less the umask, or
 * with the mode of the file it replaces.
 */
export class AtomicFile {
  readonly #target: OutputTarget & { kind: "file" };
  readonly #label: string;
  readonly #temp: string;
  readonly #file: Deno.FsFile;
  #open = true;

  private constructor(
    target: OutputTarget & { kind: "file" },
    label: string,
    temp: string,
    file: Deno.FsFile,
  ) {
    this.#target = target;
    this.#label = label;
    this.#temp = temp;
    this.#file = file;
  }

  /**
   * Creates the temporary file.
   *
   * @param label For messages: `-o "out.bin"`.
   * @throws {OutputError} `Cannot write LABEL: why`.
   */
  static async create(target: OutputTarget & { kind: "file" }, label: string): Promise<AtomicFile> {
    const place = splitPath(target.real);
    const existing = await Deno.stat(target.real).catch(() => undefined);
    const keepMode = existing?.isFile && existing.mode !== null
      ? existing.mode & 0o7777
      : undefined;
    let temp = "";
    let file: Deno.FsFile | undefined;
    try {
      if (target.createDir !== undefined) await Deno.mkdir(target.createDir, { recursive: true });
      for (let tries = 0; file === undefined; tries++) {
        temp = place.sibling(`.${place.name}.${randomHex()}.part`);
        try {
          // The kernel takes the umask off 0666, as for any new file.
          file = await Deno.open(temp, { write: true, createNew: true, mode: 0o666 });
        } catch (error) {
          if (!(error instanceof Deno.errors.AlreadyExists) || tries >= 100) throw error;
        }
      }
      if (keepMode !== undefined) await Deno.chmod(temp, keepMode);
    } catch (error) {
      closeQuietly(file);
      if (file) await Deno.remove(temp).catch(() => {});
      throw failedOutput(target.path, label, error);
    }
    return new AtomicFile(target, label, temp, file);
  }

  /** Appends `bytes`. */
  async write(bytes: Uint8Array): Promise<void> {
    await writeAll(this.#file, bytes).catch((error) => {
      throw failedOutput(this.#target.path, this.#label, error);
    });
  }

  /** Starts over: what was written is dropped. */
  async truncate(): Promise<void> {
    await this.#file.truncate(0);
    await this.#file.seek(0, Deno.SeekMode.Start);
  }

  /** Renames the file into place. */
  async commit(): Promise<void> {
    this.#close();
    await Deno.rename(this.#temp, this.#target.real).catch(async (error) => {
      await Deno.remove(this.#temp).catch(() => {});
      throw failedOutput(this.#target.path, this.#label, error);
    });
  }

  /** Removes the temporary file; the file it would have replaced is left as it was. */
  async abort(): Promise<void> {
    this.#close();
    await Deno.remove(this.#temp).catch(() => {});
  }

  #close(): void {
    if (this.#open) closeQuietly(this.#file);
    this.#open = false;
  }
}

function failedOutput(path: string, label: string, error: unknown): OutputError {
  return new OutputError(`Cannot write ${label}: ${describePathError(path, error)}`, {
    cause: error,
  });
}

/**
 * Writes `bytes` to a checked output file: atomically to a file (see {@linkcode AtomicFile}),
 * directly to a special file.
 *
 * @throws {OutputError} `Cannot write LABEL: why`.
 */
export async function writeOutputFile(
  target: OutputTarget & { kind: "file" | "special" },
  label: string,
  bytes: Uint8Array,
): Promise<void> {
  if (target.kind === "special") {
    await Deno.writeFile(target.path, bytes).catch((error) => {
      throw failedOutput(target.path, label, error);
    });
    return;
  }
  const file = await AtomicFile.create(target, label);
  try {
    await file.write(bytes);
  } catch (error) {
    await file.abort();
    throw error;
  }
  await file.commit();
}

export { splitPath } from "../text/path.ts";
