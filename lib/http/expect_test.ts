/**
 * Response expectations: status lists, header and body expectations, JSON Pointer expectations,
 * and the failure each one reports.
 */
import assert from "node:assert/strict";
import {
  checkJson,
  checkResponse,
  describeJsonMatcher,
  jsonEqual,
  needsBody,
  parseHeaderExpectation,
  parseJsonPointer,
  parseRegex,
  parseStatusList,
  resolveJsonPointer,
} from "./expect.ts";
import type { JsonMatcher } from "./expect.ts";
import { HttpHeaders } from "./response.ts";

function head(status: number, fields: [string, string][] = []) {
  return {
    version: "HTTP/1.1",
    status,
    reason: "",
    headers: new HttpHeaders(fields),
    headBytes: 0,
  };
}

function at(pointer: string, matcher: JsonMatcher) {
  return { pointer, tokens: parseJsonPointer(pointer), matcher };
}

Deno.test("parseStatusList() takes codes and classes in any case, with spaces, and refuses anything else", () => {
  const list = parseStatusList("200, 3XX,404");
  assert.deepEqual([200, 204, 301, 399, 404, 500].map((s) => list.matches(s)), [
    true,
    false,
    true,
    true,
    true,
    false,
  ]);
  assert.equal(list.text, "200, 3XX,404");
  for (const bad of ["", "099", "2000", "0xx", "2x", "200,", "ok"]) {
    assert.throws(() => parseStatusList(bad), {
      name: "TypeError",
      message: `Invalid status list "${bad}": use codes and classes such as 200,204,3xx`,
    });
  }
});

Deno.test("parseHeaderExpectation() splits at the first colon and compiles the rest with parseRegex(), which says why a pattern is invalid", () => {
  const expectation = parseHeaderExpectation("Content-Type:  ^text/(html|plain):x");
  assert.equal(expectation.name, "Content-Type");
  assert.equal(expectation.pattern.source, "^text\\/(html|plain):x");
  assert.equal(expectation.text, "Content-Type:  ^text/(html|plain):x");
  assert.throws(() => parseHeaderExpectation(": x"), /expected 'Name: RE'/);
  assert.throws(() => parseHeaderExpectation("no colon"), /expected 'Name: RE'/);
  assert.throws(
    () => parseHeaderExpectation("X-A: ("),
    /^TypeError: Invalid regular expression "\(": /,
  );
  assert.throws(() => parseRegex("[a"), (error: unknown) => {
    assert.ok(error instanceof TypeError);
    assert.match(error.message, /^Invalid regular expression "\[a": \S/);
    assert.doesNotMatch(error.message, /\/\[a\//, "the message does not repeat the pattern");
    return true;
  });
});

Deno.test("needsBody() is true only for body expectations", () => {
  assert.equal(needsBody({}), false);
  assert.equal(needsBody({ status: parseStatusList("2xx"), headers: [] }), false);
  assert.equal(needsBody({ bodyContains: "" }), true);
  assert.equal(needsBody({ bodyRegex: /x/ }), true);
});

Deno.test("checkResponse() reports every failed expectation in order, with what it got", () => {
  const failures = checkResponse(
    head(503, [["X-A", "1"], ["x-a", "22"]]),
    "service starting",
    {
      status: parseStatusList("2xx"),
      bodyContains: "ok",
      bodyRegex: /^up$/,
      headers: [parseHeaderExpectation("X-A: ^3"), parseHeaderExpectation("X-B: .")],
    },
  );
  assert.deepEqual(failures, [
    { expectation: "status", text: "2xx", reason: "status 503, expected 2xx", got: "503" },
    {
      expectation: "body",
      text: "ok",
      reason: 'the body does not contain "ok"',
      got: '"service starting"',
    },
    {
      expectation: "body-regex",
      text: "^up$",
      reason: "the body does not match /^up$/",
      got: '"service starting"',
    },
    {
      expectation: "header",
      text: "X-A: ^3",
      reason: 'no X-A value matches /^3/ (tried "1", "22"; repeated fields are matched one by one)',
      got: '"1", "22"',
    },
    { expectation: "header", text: "X-B: .", reason: "no X-B header", got: "no such field" },
  ]);
});

Deno.test("checkResponse() passes when every expectation holds, and one header value matching is enough", () => {
  assert.deepEqual(
    checkResponse(head(204, [["X-A", "1"], ["X-A", "3"]]), "all ok", {
      status: parseStatusList("200,204"),
      bodyContains: "ok",
      bodyRegex: /ok$/,
      headers: [parseHeaderExpectation("x-a: ^3$")],
    }),
    [],
  );
});

Deno.test("checkResponse() fails body expectations on a body too large to keep, giving its size", () => {
  const failures = checkResponse(head(200), 17 * 1024 * 1024, { bodyContains: "ok" });
  assert.equal(failures.length, 1);
  assert.match(failures[0]!.reason, /^the body \(.+\) is too large to check: over .+$/);
  assert.match(failures[0]!.got!, /\(not kept\)$/);
});

Deno.test("resolveJsonPointer() follows object keys and canonical array indices only", () => {
  const doc = { a: [10, { "b/c": 1, "m~n": 2 }], "": 3 };
  assert.deepEqual(resolveJsonPointer(doc, parseJsonPointer("/a/1/b~1c")), {
    found: true,
    value: 1,
  });
  assert.deepEqual(resolveJsonPointer(doc, parseJsonPointer("/a/1/m~0n")), {
    found: true,
    value: 2,
  });
  assert.deepEqual(resolveJsonPointer(doc, parseJsonPointer("/")), { found: true, value: 3 });
  assert.deepEqual(resolveJsonPointer(doc, parseJsonPointer("")), { found: true, value: doc });
  for (const missing of ["/a/2", "/a/-", "/a/01", "/a/0/x", "/b", "/a/length"]) {
    assert.deepEqual(resolveJsonPointer(doc, parseJsonPointer(missing)), { found: false }, missing);
  }
});

Deno.test("jsonEqual() compares by value, objects whatever their key order", () => {
  assert.equal(jsonEqual({ a: [1, { b: null }], c: "x" }, { c: "x", a: [1, { b: null }] }), true);
  assert.equal(jsonEqual([1, 2], [2, 1]), false);
  assert.equal(jsonEqual({ a: 1 }, { a: 1, b: undefined }), false);
  assert.equal(jsonEqual([], {}), false);
  assert.equal(jsonEqual(null, {}), false);
  assert.equal(jsonEqual(1, "1"), false);
});

Deno.test("checkJson() says for each pointer what it found and what was expected", () => {
  const body = '{"status":"down","n":42,"list":[1],"trace":"x"}';
  const failures = checkJson(body, [
    at("/status", { kind: "equals", value: "up" }),
    at("/n", { kind: "regex", pattern: /^4\d$/ }),
    at("/n", { kind: "regex", pattern: /^5/ }),
    at("/list", { kind: "regex", pattern: /./ }),
    at("/trace", { kind: "exists", exists: false }),
    at("/missing", { kind: "exists", exists: true }),
    at("/missing", { kind: "equals", value: 1 }),
  ]);
  assert.deepEqual(failures.map((f) => [f.pointer, f.expected, f.got, f.reason]), [
    ["/status", '"up"', '"down"', '/status is "down", expected "up"'],
    ["/n", "/^5/", "42", "/n is 42, which does not match /^5/"],
    ["/list", "/./", "[1]", "/list is an array, expected a value matching /./"],
    ["/trace", "absent", '"x"', '/trace is present ("x"), expected absent'],
    ["/missing", "present", "absent", "/missing is absent, expected present"],
    ["/missing", "1", "absent", "/missing is absent, expected 1"],
  ]);
});

Deno.test("checkJson() fails every expectation at once on a body that is not JSON", () => {
  const failures = checkJson("<html>", [
    at("", { kind: "exists", exists: true }),
    at("/a", { kind: "equals", value: 1 }),
  ]);
  assert.equal(failures.length, 2);
  for (const failure of failures) {
    assert.match(failure.reason, /^the body is not JSON \(.+\)$/);
    assert.equal(failure.got, '"<html>"');
  }
  assert.deepEqual(checkJson("<html>", []), []);
});

Deno.test("describeJsonMatcher() cuts a long expected value to 200 characters and names the exists matchers", () => {
  const long = "y".repeat(300);
  const text = describeJsonMatcher({ kind: "equals", value: long });
  assert.equal(text, `"${"y".repeat(199)}... (+102 characters)`);
  assert.equal(describeJsonMatcher({ kind: "exists", exists: false }), "absent");
});
