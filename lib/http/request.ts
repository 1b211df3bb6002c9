/**
 * Writing an HTTP/1.1 request head: the request line with an origin-form target, then the
 * fields, each checked so that no value can smuggle a line break onto the wire, all sent as UTF-8.
 *
 * @module
 */
import { isToken } from "./response.ts";
import type { HttpUrl } from "./url.ts";

/** What to send. */
export interface RequestHead {
  /** `GET` or `HEAD` (any token works). */
  method: string;
  /** Where to: the target and the `Host` field come from it. */
  url: HttpUrl;
  /**
   * Fields after `Host`, in order. A field named like a later one is sent as given; the caller
   * merges defaults with the user's fields (see {@linkcode mergeFields}).
   */
  fields: Array<[string, string]>;
  /** Add `Connection: close`: this is the last request on the connection. */
  close: boolean;
  /**
   * The request's body, sent after the head with a `Content-Length` (unless the fields give
   * one). None for a request without a body (`GET`, `HEAD`).
   */
  body?: Uint8Array | undefined;
}

/** The three characters a header field may not hold, and what a message calls each. */
const FORBIDDEN: ReadonlyArray<[string, string]> = [["\r", "CR"], ["\n", "LF"], ["\0", "NUL"]];

/** Which of CR, LF and NUL `text` holds, named in a message (`a CR and an LF`). */
function forbiddenIn(text: string): string | undefined {
  const found = FORBIDDEN.filter(([c]) => text.includes(c)).map(([, what]) => what);
  if (found.length === 0) return undefined;
  const named = found.map((what) => `${what === "LF" ? "an" : "a"} ${what}`);
  return named.length === 1 ? named[0] : `${named.slice(0, -1).join(", ")} and ${named.at(-1)}`;
}

/**
 * Tells what is wrong with a field, or `undefined` when it can be sent: the name must be a
 * token, and the value may hold any character but CR, LF and NUL (it is sent as UTF-8, as curl
 * sends it). One rule for `get -H`, `wait -H` and a check's `headers`.
 *
 * @example
 * ```ts
 * import { checkField } from "./request.ts";
 * import assert from "node:assert/strict";
 * assert.equal(checkField("X-A", "1"), undefined);
 * assert.equal(checkField("X-Token", "\u65e5\u672c"), undefined);
 * assert.equal(checkField("X-A", "1\r\nEvil: 1"), 'header "X-A" has a CR and an LF in its value');
 * assert.equal(checkField("X-A", "a\0b"), 'header "X-A" has a NUL in its value');
 * ```
 */
export function checkField(name: string, value: string): string | undefined {
  const inName = forbiddenIn(name);
  if (inName) return `header name "${name.replace(/[\r\n\0]/g, "?")}" has ${inName} in it`;
  if (!isToken(name)) return `header name "${name}" is not a token`;
  const inValue = forbiddenIn(value);
  if (inValue) return `header "${name}" has ${inValue} in its value`;
  return undefined;
}

/**
 * The fields every sockit request starts with, before the user's are merged in
 * ({@linkcode mergeFields}): `User-Agent` and `Accept: *\/*`.
 *
 * @example
 * ```ts
 * import { defaultFields } from "./request.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(defaultFields("sockit"), [["User-Agent", "sockit"], ["Accept", "*\/*"]]);
 * ```
 */
export function defaultFields(userAgent: string): Array<[string, string]> {
  return [["User-Agent", userAgent], ["Accept", "*/*"]];
}

/** The statuses a client follows as redirects: 301, 302, 303, 307 and 308. */
export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/**
 * Merges the client's default fields with the user's: a user field replaces every default of
 * the same name, and a user field with an empty value only removes the default (as curl's
 * `-H 'Accept:'` does).
 *
 * @example
 * ```ts
 * import { mergeFields } from "./request.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(
 *   mergeFields([["Accept", "*\/*"], ["User-Agent", "a"]], [["accept", "text/html"], ["User-Agent", ""]]),
 *   [["accept", "text/html"]],
 * );
 * ```
 */
export function mergeFields(
  defaults: Array<[string, string]>,
  user: Array<[string, string]>,
): Array<[string, string]> {
  const named = new Set(user.map(([name]) => name.toLowerCase()));
  return [
    ...defaults.filter(([name]) => !named.has(name.toLowerCase())),
    ...user.filter(([, value]) => value !== ""),
  ];
}

/**
 * Encodes a request head: request line, `Host`, the fields, `Content-Length` when there is a
 * body, `Connection: close` when asked, and the empty line (the body is not part of the head).
 *
 * @throws {TypeError} When a field fails {@linkcode checkField}.
 *
 * @example
 * ```ts
 * import { encodeRequestHead } from "./request.ts";
 * import { parseHttpUrl } from "./url.ts";
 * import assert from "node:assert/strict";
 * const bytes = encodeRequestHead({
 *   method: "GET", url: parseHttpUrl("http://example.test:8080/a?b"), fields: [], close: true,
 * });
 * assert.equal(new TextDecoder().decode(bytes),
 *   "GET /a?b HTTP/1.1\r\nHost: example.test:8080\r\nConnection: close\r\n\r\n");
 * ```
 */
export function encodeRequestHead(head: RequestHead): Uint8Array {
  if (!isToken(head.method)) throw new TypeError(`Invalid method "${head.method}"`);
  if (/[\s\0]/.test(head.url.target)) throw new TypeError(`Invalid target "${head.url.target}"`);
  let text = `${head.method} ${head.url.target} HTTP/1.1\r\n`;
  const { lines, hasHost } = fieldLines(head.fields);
  if (!hasHost) text += `Host: ${head.url.hostField}\r\n`;
  text += lines;
  if (head.body !== undefined && !hasLength(head.fields)) {
    text += `Content-Length: ${head.body.length}\r\n`;
  }
  if (head.close) text += "Connection: close\r\n";
  text += "\r\n";
  // UTF-8, as curl sends a header value: the request line and the names are ASCII already.
  return encoder.encode(text);
}

const encoder = new TextEncoder();

/** Whether the caller's fields give a `Content-Length` of their own. */
function hasLength(fields: Array<[string, string]>): boolean {
  return fields.some(([name]) => name.toLowerCase() === "content-length");
}

/** The last fields encoded (a copy), and their lines: a client sends the same ones each time. */
let last: { fields: Array<[string, string]>; lines: string; hasHost: boolean } = {
  fields: [],
  lines: "",
  hasHost: false,
};

/** The field lines for `fields`, each checked, and whether one is `Host`. */
function fieldLines(fields: Array<[string, string]>): { lines: string; hasHost: boolean } {
  const known = last.fields;
  if (
    fields.length === known.length &&
    fields.every(([name, value], i) => name === known[i]![0] && value === known[i]![1])
  ) {
    return last;
  }
  let lines = "";
  let hasHost = false;
  for (const [name, value] of fields) {
    const problem = checkField(name, value);
    if (problem) throw new TypeError(`Cannot send ${problem}`);
    if (name.toLowerCase() === "host") hasHost = true;
    lines += `${name}: ${value}\r\n`;
  }
  last = { fields: fields.map(([name, value]) => [name, value]), lines, hasHost };
  return last;
}
