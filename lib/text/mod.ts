/**
 * Text helpers shared by the command line and the check spec: "did you mean", file paths as
 * plain strings, and values quoted for messages.
 *
 * @example
 * ```ts
 * import { suggest } from "./mod.ts";
 * import assert from "node:assert/strict";
 * assert.equal(suggest("hots", ["host", "port"]), "host");
 * ```
 *
 * @module
 */
export { isAbsolutePath, normalPath, resolvePath, splitPath } from "./path.ts";
export { oneLine, quote } from "./quote.ts";
export { suggest } from "./suggest.ts";
