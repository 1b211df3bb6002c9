/**
 * Why a file could not be read or written, in a few words, from the runtime's error: its class
 * where it has one, otherwise its text without Deno's `(os error N)` and the path it repeats.
 * The one place that reads the runtime's file-system messages.
 *
 * @module
 */

/**
 * Why opening or reading a file failed: `no such file`, `permission denied`, `it is a directory`,
 * `a folder in the path is a file`, `outside sockit's permission set`, or the runtime's words.
 *
 * @example
 * ```ts
 * import { describeFileError } from "./file_error.ts";
 * import assert from "node:assert/strict";
 * const error = await Deno.readTextFile("/no/such/file").catch((e) => e);
 * assert.equal(describeFileError(error), "no such file");
 * assert.equal(describeFileError(new Error("Too many open files (os error 24)")), "too many open files");
 * ```
 */
export function describeFileError(error: unknown): string {
  if (error instanceof Deno.errors.NotCapable) return "outside sockit's permission set";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.NotFound) return "no such file";
  if (error instanceof Deno.errors.IsADirectory) return "it is a directory";
  if (error instanceof Deno.errors.NotADirectory) return "a folder in the path is a file";
  const message = error instanceof Error ? error.message : String(error);
  const why = message.replace(/[:,]? ?[a-z]+ '[^']*'$/, "").replace(/\s*\(os error \d+\).*$/, "");
  return why.charAt(0).toLowerCase() + why.slice(1);
}
