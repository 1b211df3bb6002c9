/** An http check's expect: status list, body, header patterns, JSON values, certificate time. */
import assert from "node:assert/strict";
import { loadSpec } from "../spec.ts";
import { options, problems } from "../_test_helpers.ts";

Deno.test("an http check's expectations read into what the probe checks", async () => {
  const spec = await loadSpec(
    [
      "version: 1",
      "vars: { V: up }",
      "checks:",
      "  - name: a",
      "    http: { url: 'https://a.test/' }",
      "    expect:",
      "      status: [200, 3xx]",
      "      body_contains: ok",
      "      body_regex: '^o'",
      "      headers: { content-type: ^application/json }",
      "      json: { /status: '${V}', /n: [1, 2], /v: { regex: ^2 }, /t: { exists: false } }",
      "      cert_valid_for: 7d",
      "  - { name: b, http: { url: 'http://b.test/' } }",
      "",
    ].join("\n"),
    options(),
  );
  const [a, b] = spec.checks;
  const http = a!.probe.http!;
  assert.equal(http.expect!.bodyContains, "ok");
  assert.deepEqual(http.expect!.bodyRegex, /^o/);
  assert.equal(http.expect!.headers!.length, 1);
  assert.deepEqual(http.json!.map((j) => [j.pointer, j.matcher]), [
    ["/status", { kind: "equals", value: "up" }],
    ["/n", { kind: "equals", value: [1, 2] }],
    ["/v", { kind: "regex", pattern: /^2/ }],
    ["/t", { kind: "exists", exists: false }],
  ]);
  assert.equal(http.certValidForMs, 7 * 24 * 3600 * 1000);
  assert.deepEqual([200, 302, 404].map((s) => http.expect!.status!.matches(s)), [
    true,
    true,
    false,
  ]);
  const status = b!.probe.http!.expect!.status!;
  assert.deepEqual([200, 299, 302].map((s) => status.matches(s)), [true, true, false]);
  assert.equal(b!.probe.http!.certValidForMs, undefined);
});

Deno.test("an http check's expectations are checked, and HEAD or http rules some out", async () => {
  const text = [
    "version: 1",
    "checks:",
    "  - name: a",
    "    http: { url: 'http://a.test/', method: HEAD }",
    "    expect:",
    "      status: [200, 2x]",
    "      body_contains: x",
    "      body_regex: '('",
    "      headers: [x]",
    "      json: { nope: 1, /a: { regex: '(' } }",
    "      cert_valid_for: 1d",
    "",
  ].join("\n");
  assert.deepEqual(await problems(text), [
    '6:15: invalid status list "200, 2x": use codes and classes such as [200, 204, 3xx]',
    '7:7: "expect.body_contains" needs a body: HEAD responses have none (use method: GET)',
    '8:7: "expect.body_regex" needs a body: HEAD responses have none (use method: GET)',
    '8:19: invalid regular expression "(": Unterminated group',
    '9:16: "expect.headers" must be a mapping of names to patterns, not a list',
    '10:7: "expect.json" needs a body: HEAD responses have none (use method: GET)',
    '10:15: invalid JSON Pointer "nope": it must start with "/" (or be empty for the whole body)',
    '10:37: invalid regular expression "(": Unterminated group',
    '11:7: "expect.cert_valid_for" needs an https URL',
  ]);
});
