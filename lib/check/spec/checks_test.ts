/** The top of a spec file and each check's own keys: version, defaults, names, kinds, retry, tags. */
import assert from "node:assert/strict";
import { loadSpec } from "../spec.ts";
import { options, problems } from "../_test_helpers.ts";

Deno.test("defaults apply to every check, and a check's own timeout and retry override them", async () => {
  const spec = await loadSpec(
    [
      "version: 1",
      "defaults: { timeout: 2s, retry: { attempts: 3, interval: 100ms } }",
      "checks:",
      "  - { name: a, tcp: { host: h, port: 1 }, tags: [x, y] }",
      "  - name: b",
      "    tcp: { host: h, port: 2 }",
      "    timeout: 1s",
      "    retry: { backoff: 1.5, max_interval: 1s }",
      "    expect: { time_under: 300ms }",
      "",
    ].join("\n"),
    options(),
  );
  const [a, b] = spec.checks;
  assert.deepEqual([a!.name, a!.line, a!.col, a!.timeoutMs, a!.tags], ["a", 4, 5, 2000, [
    "x",
    "y",
  ]]);
  assert.deepEqual(a!.retry, { attempts: 3, firstPauseMs: 100, factor: 2, maxPauseMs: 30_000 });
  assert.deepEqual([b!.timeoutMs, b!.timeUnderMs, b!.tags], [1000, 300, []]);
  assert.deepEqual(b!.retry, { attempts: 3, firstPauseMs: 100, factor: 1.5, maxPauseMs: 1000 });
  assert.deepEqual(spec.checksPos, { line: 3, col: 1 });
});

Deno.test("the file needs version 1 and a list of checks", async () => {
  assert.deepEqual(await problems("vars: {}\n"), [
    '1:1: missing "version: 1"',
    '1:1: missing "checks": a list of checks',
  ]);
  assert.deepEqual(await problems("version: 2\nchecks: []\nextra: 1\n"), [
    '1:10: "version" must be 1, not the number 2',
    '2:9: "checks" is empty: give at least one',
    '3:1: unknown key "extra" in the file (it takes $schema, version, vars, secrets, defaults, targets_allowed, checks)',
  ]);
  assert.deepEqual(await problems("version: 1\nchecks: {}\n"), [
    '2:9: "checks" must be a list, not a mapping',
  ]);
});

Deno.test("a check needs a unique one-line name and one kind, and a key of another kind is named so", async () => {
  const text = [
    "version: 1",
    "checks:",
    "  - { name: a, tcp: { host: h, port: 1 } }",
    "  - { name: a, tcp: { host: h, port: 1 } }",
    '  - { name: "x\\ty", tcp: { host: h, port: 1 } }',
    "  - { tcp: { host: h, port: 1, url: u }, dns: { name: d } }",
    "  - { name: e }",
    "  - { name: f, tcp: { host: h, port: 1 }, expect: { rcode: NOERROR } }",
    "",
  ].join("\n");
  assert.deepEqual(await problems(text), [
    '4:13: duplicate check name "a" (first at 3:13)',
    '5:13: "name" must be one line without control characters',
    '6:5: a check needs a "name"',
    '6:32: "url" belongs to an http check, not in "tcp" (it takes host, port, send, expect)',
    '6:42: a check has one kind: "dns" after "tcp"',
    "7:5: a check needs one of http, tcp, dns, echo, unix",
    '8:53: "expect.rcode" belongs to a dns check, not a tcp check',
  ]);
});

Deno.test("retry's keys are checked: attempts from 1 to 100, backoff from 1 to 10", async () => {
  assert.deepEqual(
    await problems(
      "version: 1\nchecks:\n  - { name: a, tcp: { host: h, port: 1 }, retry: { attempts: 0, backoff: 11, tries: 2 } }\n",
    ),
    [
      "3:62: attempts must be a whole number from 1 to 100, not the number 0",
      '3:74: "backoff" must be a number from 1 to 10, not the number 11',
      '3:78: unknown key "tries" in "retry" (it takes attempts, interval, backoff, max_interval)',
    ],
  );
});

Deno.test("a check's every: is its monitor interval, at least 100ms", async () => {
  const spec = await loadSpec(
    [
      "version: 1",
      "checks:",
      "  - { name: a, tcp: { host: h, port: 1 }, every: 30s }",
      "  - { name: b, tcp: { host: h, port: 2 } }",
      "",
    ].join("\n"),
    options(),
  );
  assert.deepEqual(spec.checks.map((c) => c.everyMs), [30_000, undefined]);
  assert.deepEqual(
    await problems(
      "version: 1\nchecks:\n  - { name: a, tcp: { host: h, port: 1 }, every: 10ms }\n",
    ),
    ['3:50: "every" must be at least 100ms, not 10ms'],
  );
  assert.deepEqual(
    await problems("version: 1\nchecks:\n  - { name: a, tcp: { host: h, port: 1 }, every: -1s }\n")
      .then((p) => p.length),
    1,
  );
});

Deno.test("targets_allowed: is a list of regular expressions, each anchored to the whole target", async () => {
  const spec = await loadSpec(
    [
      "version: 1",
      'targets_allowed: ["https://.*\\\\.example\\\\.com/.*", "db[0-9]+:5432"]',
      "checks:",
      "  - { name: a, tcp: { host: h, port: 1 } }",
      "",
    ].join("\n"),
    options(),
  );
  const allowed = spec.targetsAllowed!;
  assert.equal(allowed.length, 2);
  assert.ok(allowed[0]!.test("https://api.example.com/health"));
  assert.ok(!allowed[0]!.test("https://api.example.com.evil.net/x"));
  assert.ok(allowed[1]!.test("db12:5432"));
  assert.ok(!allowed[1]!.test("xdb12:5432"));
  const none = await loadSpec(
    "version: 1\nchecks:\n  - { name: a, tcp: { host: h, port: 1 } }\n",
    options(),
  );
  assert.equal(none.targetsAllowed, undefined);
  assert.deepEqual(
    await problems(
      'version: 1\ntargets_allowed: ["a(", 3]\nchecks:\n  - { name: a, tcp: { host: h, port: 1 } }\n',
    ),
    ['2:19: "targets_allowed": invalid regular expression: /^(?:a()$/: Unterminated group'],
  );
  assert.deepEqual(
    await problems(
      "version: 1\ntargets_allowed: x\nchecks:\n  - { name: a, tcp: { host: h, port: 1 } }\n",
    ),
    ['2:18: "targets_allowed" must be a list of regular expressions, not the string "x"'],
  );
});
