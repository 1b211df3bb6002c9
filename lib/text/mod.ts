/**
 * Text helpers shared by the command line and the check spec: "did you mean", and file paths
 * as plain strings.
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
export { isAbsolutePath, resolvePath, splitPath } from "./path.ts";
export { suggest } from "./suggest.ts";
