/**
 * Secrets in what the CLI shows: the values of `Authorization`, `Proxy-Authorization`, `Cookie`
 * and `Set-Cookie` appear as `***` in `-v` heads, `--trace` bytes and `--json` headers, unless
 * `--show-secrets` is given. (The body, and a head printed with `-i`, are data: shown as they
 * came.)
 *
 * @module
 */
import type { TraceFn } from "../net/trace.ts";

/** Header fields whose values are credentials. */
export const SECRET_FIELDS: ReadonlySet<string> = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
]);

/** What a secret is shown as. */
export const MASK = "***";

/**
 * A header field's value as shown: masked when the field carries credentials.
 *
 * @example
 * ```ts
 * import { shownValue } from "./secrets.ts";
 * import assert from "node:assert/strict";
 * assert.equal(shownValue("Authorization", "Bearer abc"), "***");
 * assert.equal(shownValue("Accept", "*\/*"), "*\/*");
 * ```
 */
export function shownValue(name: string, value: string): string {
  return SECRET_FIELDS.has(name.toLowerCase()) ? MASK : value;
}

const FIELD_LINE = /^((?:proxy-)?authorization|cookie|set-cookie)([ \t]*:)[^\r\n]*/gim;

/**
 * Text of a head (or of bytes on the wire, one character per byte) with the credential fields'
 * values masked, line by line.
 *
 * @example
 * ```ts
 * import { maskHeadText } from "./secrets.ts";
 * import assert from "node:assert/strict";
 * assert.equal(
 *   maskHeadText("GET / HTTP/1.1\r\nCookie: a=1\r\nHost: x\r\n"),
 *   "GET / HTTP/1.1\r\nCookie: ***\r\nHost: x\r\n",
 * );
 * ```
 */
export function maskHeadText(text: string): string {
  return text.replace(
    FIELD_LINE,
    (_line, name: string, colon: string) => `${name}${colon} ${MASK}`,
  );
}

/**
 * A trace that masks credential fields in the bytes it shows. Each read is masked on its own, so
 * a field line split across two reads can show its tail; heads are usually read whole.
 */
export function maskingTrace(trace: TraceFn | undefined): TraceFn | undefined {
  if (!trace) return undefined;
  return (event) => {
    if (!event.data) return trace(event);
    let text = "";
    for (const byte of event.data) text += String.fromCharCode(byte);
    const masked = maskHeadText(text);
    if (masked === text) return trace(event);
    trace({ ...event, data: Uint8Array.from(masked, (c) => c.charCodeAt(0)) });
  };
}
