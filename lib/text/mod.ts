/**
 * Text helpers shared by the command line and the check spec: "did you mean".
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
export { suggest } from "./suggest.ts";
