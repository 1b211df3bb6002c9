/**
 * Expectations about an HTTP response: a status list, text and a pattern in the body, patterns
 * for header fields. `get --expect-*`, `wait` and `check` all judge a response with these, and
 * each names the failure in its own terms.
 *
 * @module
 */
import { formatSize } from "./size.ts";
import type { ResponseHead } from "./response.ts";

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
    throw new TypeError(
      `Invalid status list "${text}": use codes and classes such as 200,204,3xx`,
    );
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
  if (colon <= 0) throw new TypeError(`Invalid header expectation "${text}": expected 'Name: RE'`);
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
    const why = (error as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, "");
    throw new TypeError(`Invalid regular expression "${text}": ${why}`);
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
      });
    } else if (!values.some((value) => expected.pattern.test(value))) {
      const tried = values.map((value) => JSON.stringify(value)).join(", ");
      const oneByOne = values.length > 1 ? "; repeated fields are matched one by one" : "";
      failures.push({
        expectation: "header",
        text: expected.text,
        reason:
          `no ${expected.name} value matches /${expected.pattern.source}/ (tried ${tried}${oneByOne})`,
      });
    }
  }
  return failures;
}
