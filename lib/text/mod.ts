/**
 * Text helpers shared by the command line and the check spec: "did you mean", file paths as
 * plain strings, values quoted for messages, base64 and UTF-8.
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
export { encodeBase64 } from "./base64.ts";
export type { Base64Options } from "./base64.ts";
export { isAbsolutePath, normalPath, resolvePath, splitPath } from "./path.ts";
export { oneLine, quote } from "./quote.ts";
export { sha256, sha256Hex } from "./sha256.ts";
export { suggest } from "./suggest.ts";
export { utf8 } from "./utf8.ts";
