/**
 * Base64 (RFC 4648), the standard alphabet or the URL-safe one, for text or bytes of any length:
 * one pass over the bytes, never a spread of them into a call's arguments (which a long input
 * turns into a `RangeError`).
 *
 * @module
 */

const STANDARD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const PAD = 0x3d; // "="

/** Options for {@linkcode encodeBase64}. */
export interface Base64Options {
  /**
   * RFC 4648's alphabet: `"standard"` (`+` and `/`, section 4) or `"url"` (`-` and `_`, section
   * 5, for a URL path or a file name). Either is padded with `=`. @default {"standard"}
   */
  alphabet?: "standard" | "url" | undefined;
}

/**
 * `data` in base64, padded with `=`; text is encoded as UTF-8 first.
 *
 * @example
 * ```ts
 * import { encodeBase64 } from "./base64.ts";
 * import assert from "node:assert/strict";
 * assert.equal(encodeBase64("Aladdin:open sesame"), "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
 * assert.equal(encodeBase64("~~~/"), "fn5+Lw==");
 * assert.equal(encodeBase64("~~~/", { alphabet: "url" }), "fn5-Lw==");
 * assert.equal(encodeBase64(new Uint8Array([0xff])), "/w==");
 * ```
 */
export function encodeBase64(data: string | Uint8Array, options: Base64Options = {}): string {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digits = new TextEncoder().encode(options.alphabet === "url" ? URL_SAFE : STANDARD);
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  let at = 0;
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[at++] = digits[n >> 18]!;
    out[at++] = digits[(n >> 12) & 63]!;
    out[at++] = digits[(n >> 6) & 63]!;
    out[at++] = digits[n & 63]!;
  }
  const left = bytes.length - i;
  if (left > 0) {
    const n = (bytes[i]! << 16) | (left === 2 ? bytes[i + 1]! << 8 : 0);
    out[at++] = digits[n >> 18]!;
    out[at++] = digits[(n >> 12) & 63]!;
    out[at++] = left === 2 ? digits[(n >> 6) & 63]! : PAD;
    out[at++] = PAD;
  }
  return new TextDecoder().decode(out);
}
