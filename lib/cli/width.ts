/**
 * How wide the terminal is: what a command that lays out columns (`check merge`) or redraws lines
 * (`wait`) fits its text to.
 *
 * @module
 */

/**
 * The width in columns of the terminal that `stream` writes to, or `undefined` when the stream
 * is not a terminal (a pipe, a file, a CI log): then each command chooses its own width.
 *
 * @example
 * ```ts
 * import { terminalWidth } from "./width.ts";
 * import assert from "node:assert/strict";
 * const width = terminalWidth("stderr");
 * assert.ok(width === undefined || width > 0);
 * ```
 */
export function terminalWidth(stream: "stdout" | "stderr"): number | undefined {
  try {
    const file = stream === "stdout" ? Deno.stdout : Deno.stderr;
    return file.isTerminal() ? Deno.consoleSize().columns : undefined;
  } catch {
    // Not a terminal after all (closed, or the size cannot be read).
    return undefined;
  }
}
