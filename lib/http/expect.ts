/**
 * Expectations about an HTTP response: a status list, text and a pattern in the body, patterns
 * for header fields. `get --expect-*`, `wait` and `check` all judge a response with these, and
 * each names the failure in its own terms.
 *
 * @module
 */
import { formatSize } from "./size.ts";
import type { ResponseHead } from "./response.ts";
import { invalidInput } from "../net/errors.ts";

/** Bodies kept in memory for body expectations, at most: 16 MiB. */
export const MAX_CHECKED_BODY = 16 * 1024 * 1024;

/** A list of statuses and classes, as written: `200,204,3xx`. */
export interface StatusList {
  /** The list as written. */
  text: string;
  /** Whether `status` is in it. */
  matches(status: number): boolean;
}

/** A header field that must be present with a value that matches `pattern`. */
export interface HeaderExpectation {
  /** The field name. */
  name: string;
  /** What one of its values must match. */
  pattern: RegExp;
  /** The expectation as written (`X-A: ^1`), for messages. */
  text: string;
}

/** What a response must show; absent fields are not checked. */
export interface HttpExpectations {
  /** Statuses accepted. */
  status?: StatusList | undefined;
  /** Text the body (as UTF-8) must contain. */
  bodyContains?: string | undefined;
  /** A pattern the body must match. */
  bodyRegex?: RegExp | undefined;
  /** Header fields that must be present and match. */
  headers?: HeaderExpectation[] | undefined;
}

/** One expectation that did not hold. */
export interface ExpectationFailure {
  /** Which one. */
  expectation: "status" | "body" | "body-regex" | "header";
  /** The expectation as written: the status list, the text, the pattern, `Name: RE`. */
  text: string;
  /** Why it failed, in a few words: `status 503, expected 2xx`, `no X-A header`. */
  reason: string;
  /** What the response showed instead, when there is something to show: `503`, a field's values. */
  got?: string;
}

/**
 * Parses a status list: three-digit codes and classes such as `3xx`, comma-separated.
 *
 * @throws {TypeError} When an item is neither.
 *
 * @example
 * ```ts
 * import { parseStatusList } from "./expect.ts";
 * import assert from "node:assert/strict";
 * const list = parseStatusList("200,204,3xx");
 * assert.deepEqual([200, 301, 404].map((s) => list.matches(s)), [true, true, false]);
 * assert.throws(() => parseStatusList("2x"), /use codes and classes/);
 * ```
 */
export function parseStatusList(text: string): StatusList {
  const tests = text.split(",").map((item) => {
    const entry = item.trim();
    if (/^[1-9]\d\d$/.test(entry)) return (status: number) => status === Number(entry);
    if (/^[1-9]xx$/i.test(entry)) {
      return (status: number) => Math.floor(status / 100) === Number(entry[0]);
    }
    throw invalidInput(TypeError, "status list", text, "use codes and classes such as 200,204,3xx");
  });
  return { text, matches: (status) => tests.some((test) => test(status)) };
}

/**
 * Parses `Name: RE` into a header expectation.
 *
 * @throws {TypeError} When there is no name or the pattern is not a regular expression.
 */
export function parseHeaderExpectation(text: string): HeaderExpectation {
  const colon = text.indexOf(":");
  if (colon <= 0) throw invalidInput(TypeError, "header expectation", text, "expected 'Name: RE'");
  return {
    name: text.slice(0, colon).trim(),
    pattern: parseRegex(text.slice(colon + 1).replace(/^[ \t]+/, "")),
    text,
  };
}

/**
 * Compiles a regular expression (JavaScript syntax).
 *
 * @throws {TypeError} Saying why it is not one.
 */
export function parseRegex(text: string): RegExp {
  try {
    return new RegExp(text);
  } catch (error) {
    // The engine's SyntaxError has no fields, only its text: "Invalid regular expression:
    // /(/: Unterminated group". Its reason is what follows the pattern and its flags.
    const why = (error as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, "");
    throw invalidInput(TypeError, "regular expression", text, why);
  }
}

/** Whether the expectations need the body kept (up to {@linkcode MAX_CHECKED_BODY}). */
export function needsBody(expectations: HttpExpectations): boolean {
  return expectations.bodyContains !== undefined || expectations.bodyRegex !== undefined;
}

/**
 * Checks a response against the expectations. `body` is the body as text, or its size in bytes
 * when it was too large to keep (body expectations then fail, saying so).
 *
 * @returns Every failed expectation, in the order status, body, body pattern, headers.
 *
 * @example
 * ```ts
 * import { checkResponse, parseStatusList } from "./expect.ts";
 * import { HttpHeaders } from "./response.ts";
 * import assert from "node:assert/strict";
 * const head = { version: "HTTP/1.1", status: 503, reason: "", headers: new HttpHeaders(), headBytes: 0 };
 * const failures = checkResponse(head, "starting", { status: parseStatusList("2xx"), bodyContains: "ok" });
 * assert.deepEqual(failures.map((f) => f.reason), [
 *   "status 503, expected 2xx",
 *   'the body does not contain "ok"',
 * ]);
 * ```
 */
export function checkResponse(
  head: ResponseHead,
  body: string | number | undefined,
  expectations: HttpExpectations,
): ExpectationFailure[] {
  const failures: ExpectationFailure[] = [];
  const { status } = expectations;
  if (status && !status.matches(head.status)) {
    failures.push({
      expectation: "status",
      text: status.text,
      reason: `status ${head.status}, expected ${status.text}`,
      got: String(head.status),
    });
  }
  const tooLarge = typeof body === "number"
    ? `the body (${formatSize(body)}) is too large to check: over ${formatSize(MAX_CHECKED_BODY)}`
    : undefined;
  const text = typeof body === "string" ? body : "";
  if (expectations.bodyContains !== undefined) {
    const wanted = expectations.bodyContains;
    if (tooLarge || !text.includes(wanted)) {
      failures.push({
        expectation: "body",
        text: wanted,
        reason: tooLarge ?? `the body does not contain ${JSON.stringify(wanted)}`,
        got: bodyExcerpt(body),
      });
    }
  }
  if (expectations.bodyRegex !== undefined) {
    const pattern = expectations.bodyRegex;
    if (tooLarge || !pattern.test(text)) {
      failures.push({
        expectation: "body-regex",
        text: pattern.source,
        reason: tooLarge ?? `the body does not match /${pattern.source}/`,
        got: bodyExcerpt(body),
      });
    }
  }
  for (const expected of expectations.headers ?? []) {
    const values = head.headers.getAll(expected.name);
    if (values.length === 0) {
      failures.push({
        expectation: "header",
        text: expected.text,
        reason: `no ${expected.name} header`,
        got: "no such field",
      });
    } else if (!values.some((value) => expected.pattern.test(value))) {
      const tried = values.map((value) => JSON.stringify(value)).join(", ");
      const oneByOne = values.length > 1 ? "; repeated fields are matched one by one" : "";
      failures.push({
        expectation: "header",
        text: expected.text,
        reason:
          `no ${expected.name} value matches /${expected.pattern.source}/ (tried ${tried}${oneByOne})`,
        got: tried,
      });
    }
  }
  return failures;
}

/** The most of a body that a failure quotes as what was got. */
const EXCERPT_CHARS = 200;

/** The start of a body for a failure message, or its size when it was too large to keep. */
function bodyExcerpt(body: string | number | undefined): string {
  if (typeof body === "number") return `${formatSize(body)} (not kept)`;
  return quotedExcerpt(body ?? "");
}

/**
 * Text for a message, quoted as JSON: at most 200 characters of it, then how many were left out
 * (` (+N characters)`, the mark a mask looks for where a cut may have split a secret).
 *
 * @example
 * ```ts
 * import { quotedExcerpt } from "./expect.ts";
 * import assert from "node:assert/strict";
 * assert.equal(quotedExcerpt("ok\n"), '"ok\\n"');
 * assert.equal(quotedExcerpt("x".repeat(201)), `"${"x".repeat(200)}" (+1 characters)`);
 * ```
 */
export function quotedExcerpt(text: string): string {
  return text.length > EXCERPT_CHARS
    ? `${JSON.stringify(text.slice(0, EXCERPT_CHARS))} (+${text.length - EXCERPT_CHARS} characters)`
    : JSON.stringify(text);
}

/** What a JSON Pointer's value must be: equal to a value, match a pattern, or (not) exist. */
export type JsonMatcher =
  | { kind: "equals"; value: unknown }
  | { kind: "regex"; pattern: RegExp }
  | { kind: "exists"; exists: boolean };

/** One expectation about a JSON body: the value at a JSON Pointer (RFC 6901). */
export interface JsonExpectation {
  /** The pointer as written: `/checks/0/ok`, or `""` for the whole document. */
  pointer: string;
  /** Its reference tokens, unescaped (`~1` is `/`, `~0` is `~`). */
  tokens: string[];
  /** What the value there must be. */
  matcher: JsonMatcher;
}

/** One JSON expectation that did not hold. */
export interface JsonFailure {
  /** The pointer. */
  pointer: string;
  /** What was expected, for reports: `"up"`, `/^2\./`, `present`, `absent`. */
  expected: string;
  /** What was there: the value as JSON, or `absent`. */
  got: string;
  /** In a few words: `/status is "down", expected "up"`. */
  reason: string;
}

/**
 * Parses a JSON Pointer (RFC 6901): empty for the whole document, or `/`-separated reference
 * tokens in which `~1` stands for `/` and `~0` for `~`.
 *
 * @throws {TypeError} When it does not start with `/` or has a `~` not followed by 0 or 1.
 *
 * @example
 * ```ts
 * import { parseJsonPointer } from "./expect.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseJsonPointer("/a~1b/m~0n/0"), ["a/b", "m~n", "0"]);
 * assert.deepEqual(parseJsonPointer(""), []);
 * assert.throws(() => parseJsonPointer("status"), /must start with "\/"/);
 * ```
 */
export function parseJsonPointer(text: string): string[] {
  if (text === "") return [];
  const invalid = (why: string) => invalidInput(TypeError, "JSON Pointer", text, why);
  if (!text.startsWith("/")) {
    throw invalid('it must start with "/" (or be empty for the whole body)');
  }
  return text.slice(1).split("/").map((token) => {
    if (/~(?![01])/.test(token)) {
      throw invalid('"~" must be followed by 0 or 1 (~0 is "~", ~1 is "/")');
    }
    return token.replaceAll("~1", "/").replaceAll("~0", "~");
  });
}

/**
 * The value a pointer's tokens refer to in a JSON document, or `{ found: false }`. Array indexes
 * are decimal without leading zeros; `-` (the element after the last) never exists.
 *
 * @example
 * ```ts
 * import { resolveJsonPointer } from "./expect.ts";
 * import assert from "node:assert/strict";
 * const doc = { checks: [{ ok: true }] };
 * assert.deepEqual(resolveJsonPointer(doc, ["checks", "0", "ok"]), { found: true, value: true });
 * assert.deepEqual(resolveJsonPointer(doc, ["checks", "01"]), { found: false });
 * ```
 */
export function resolveJsonPointer(
  document: unknown,
  tokens: readonly string[],
): { found: true; value: unknown } | { found: false } {
  let value = document;
  for (const token of tokens) {
    if (Array.isArray(value)) {
      if (!/^(0|[1-9]\d*)$/.test(token) || Number(token) >= value.length) return { found: false };
      value = value[Number(token)];
    } else if (value !== null && typeof value === "object" && Object.hasOwn(value, token)) {
      value = (value as Record<string, unknown>)[token];
    } else {
      return { found: false };
    }
  }
  return { found: true, value };
}

/**
 * Whether two JSON values are equal: same type, numbers by value, arrays element by element,
 * objects key by key whatever their order.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length &&
      a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  const aKeys = Object.keys(a), bKeys = Object.keys(b);
  return aKeys.length === bKeys.length &&
    aKeys.every((key) =>
      Object.hasOwn(b, key) &&
      jsonEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])
    );
}

/** A JSON value for a message, cut to a readable length. */
function showJson(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > EXCERPT_CHARS
    ? `${text.slice(0, EXCERPT_CHARS)}... (+${text.length - EXCERPT_CHARS} characters)`
    : text;
}

/** What a matcher expects, for messages. */
export function describeJsonMatcher(matcher: JsonMatcher): string {
  switch (matcher.kind) {
    case "equals":
      return showJson(matcher.value);
    case "regex":
      return `/${matcher.pattern.source}/`;
    case "exists":
      return matcher.exists ? "present" : "absent";
  }
}

/**
 * Checks a body against JSON expectations. `body` is the body as text, or its size when it was
 * too large to keep; a body that is not JSON fails every expectation at once, saying why.
 * A `regex` matches a string as it is, and a number, boolean or null as its JSON text.
 *
 * @example
 * ```ts
 * import { checkJson, parseJsonPointer } from "./expect.ts";
 * import assert from "node:assert/strict";
 * const at = (pointer: string, matcher: import("./expect.ts").JsonMatcher) =>
 *   ({ pointer, tokens: parseJsonPointer(pointer), matcher });
 * const failures = checkJson('{"status":"down","version":"2.1"}', [
 *   at("/status", { kind: "equals", value: "up" }),
 *   at("/version", { kind: "regex", pattern: /^2\./ }),
 *   at("/trace", { kind: "exists", exists: false }),
 * ]);
 * assert.deepEqual(failures.map((f) => f.reason), ['/status is "down", expected "up"']);
 * ```
 */
export function checkJson(
  body: string | number | undefined,
  expectations: readonly JsonExpectation[],
): JsonFailure[] {
  if (expectations.length === 0) return [];
  let document: unknown;
  let notJson: string | undefined;
  if (typeof body === "number") {
    notJson = `the body (${formatSize(body)}) is too large to check: over ${
      formatSize(MAX_CHECKED_BODY)
    }`;
  } else {
    try {
      document = JSON.parse(body ?? "");
    } catch (error) {
      notJson = `the body is not JSON (${(error as Error).message})`;
    }
  }
  const failures: JsonFailure[] = [];
  for (const { pointer, tokens, matcher } of expectations) {
    const expected = describeJsonMatcher(matcher);
    const name = pointer === "" ? "the body" : pointer;
    if (notJson !== undefined) {
      failures.push({ pointer, expected, got: bodyExcerpt(body), reason: notJson });
      continue;
    }
    const at = resolveJsonPointer(document, tokens);
    const got = at.found ? showJson(at.value) : "absent";
    let reason: string | undefined;
    if (matcher.kind === "exists") {
      if (at.found !== matcher.exists) {
        reason = `${name} is ${at.found ? `present (${got})` : "absent"}, expected ${expected}`;
      }
    } else if (!at.found) {
      reason = `${name} is absent, expected ${expected}`;
    } else if (matcher.kind === "equals") {
      if (!jsonEqual(at.value, matcher.value)) reason = `${name} is ${got}, expected ${expected}`;
    } else if (at.value !== null && typeof at.value === "object") {
      reason = `${name} is ${
        Array.isArray(at.value) ? "an array" : "an object"
      }, expected a value matching ${expected}`;
    } else {
      const text = typeof at.value === "string" ? at.value : JSON.stringify(at.value);
      if (!matcher.pattern.test(text)) {
        reason = `${name} is ${got}, which does not match ${expected}`;
      }
    }
    if (reason !== undefined) failures.push({ pointer, expected, got, reason });
  }
  return failures;
}
