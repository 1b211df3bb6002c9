/**
 * How a command's end reads: the message for the error it failed with, and, with `--json`, the
 * `error` and `exit_code` fields that end its last JSON object, written by one function that
 * also records that the result was printed.
 *
 * @module
 */
import { SockitError } from "../net/errors.ts";
import type { ErrorKind } from "../net/errors.ts";
import { UsageError } from "./args.ts";
import { exitCodeFor } from "./exit_codes.ts";
import { OutputError } from "./output.ts";
import type { Output } from "./output.ts";

/** Hints in a command's own terms, by the error kind they answer: a misspelt kind is a type error. */
export type HintTable = Readonly<Partial<Record<ErrorKind, string>>>;

/**
 * The message for an error: sockit's own as they are (with the command's hint for its `kind`,
 * when there is one), others with what kind they are.
 */
export function describeError(
  error: unknown,
  hints: HintTable = {},
): string {
  if (error instanceof SockitError) {
    const hint = error.kind === undefined ? undefined : hints[error.kind];
    return hint ? `${error.message} (${hint})` : error.message;
  }
  if (error instanceof UsageError || error instanceof OutputError) return error.message;
  if (error instanceof Error) return `Unexpected ${error.name}: ${error.message}`;
  return `Unexpected failure: ${String(error)}`;
}

/**
 * The fields that end a command's JSON result. `exit_code` is `null` when sockit's exit code is
 * not settled yet (`wait` runs a COMMAND after it, whose code becomes sockit's); `error` may be
 * left out where the line reports another program's end.
 */
export interface JsonTail {
  /** What failed, or `null`. */
  error?: string | null;
  /** The exit code the command ends with, or `null` while it is not known. */
  exit_code: number | null;
}

/** `error` and `exit_code` for how a command ended: `null` and 0 when nothing failed. */
export function outcomeTail(
  failure: unknown,
  hints: HintTable = {},
): { error: string | null; exit_code: number } {
  return failure === undefined
    ? { error: null, exit_code: 0 }
    : { error: describeError(failure, hints), exit_code: exitCodeFor(failure) };
}

/** Where a result is written, and the record that one was (a command's `Context`). */
export interface ResultWriter {
  /** Writes stdout. */
  out: Output;
  /**
   * Set once the command's result is printed, so that a failure after it prints no second
   * object.
   */
  jsonPrinted: boolean;
}

/**
 * Writes a command's JSON result as one line: `fields`, then the tail's `error` and `exit_code`.
 * A tail with an exit code records in `to.jsonPrinted` that the result is printed (before the
 * write, so that a stdout that fails it gets no second object); a `null` one leaves a later
 * failure free to print its own.
 */
export function writeJsonResult(
  to: ResultWriter,
  fields: Readonly<Record<string, unknown>>,
  tail: JsonTail,
): Promise<void> {
  if (tail.exit_code !== null) to.jsonPrinted = true;
  return to.out.json({ ...fields, ...tail });
}
