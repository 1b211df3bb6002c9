/**
 * The check reports: JSON, JUnit XML and TAP made from the runner's results.
 */
import assert from "node:assert/strict";
import { loadSpec } from "./spec.ts";
import { options } from "./_test_helpers.ts";
import { runChecks } from "./runner.ts";
import type { ProbeResult } from "../probe/result.ts";
import { jsonReport, junitReport, tapReport, vantageProblem, xmlText } from "./report.ts";

Deno.test("reports keep XML legal and TAP names escaped", async () => {
  assert.equal(xmlText("a\u0000b\u0007c <&> \ud800 ok"), "abc &lt;&amp;&gt;  ok");
  const spec = await loadSpec(
    'version: 1\nchecks:\n  - { name: "odd #1 \\\\ <x>", tcp: { host: h, port: 1 } }\n',
    options(),
  );
  const failure: ProbeResult = {
    ready: false,
    reason: "bad \u0001 bytes",
    failures: [{
      expectation: "expect",
      expected: '"x"',
      got: '"\u0001"',
      reason: "bad \u0001 bytes",
    }],
  };
  const results = await runChecks([{ check: spec.checks[0]! }], {
    probe: () => Promise.resolve(failure),
  });
  const report = { results, files: ["s.yaml"], startedAt: new Date(), durationMs: 1 };
  assert.match(tapReport(report), /^not ok 1 - odd \\#1 \\\\ <x>$/m);
  const junit = junitReport(report);
  assert.ok(!junit.includes("\u0001"));
  assert.match(junit, /<testcase name="odd #1 \\ &lt;x&gt;" classname="s"/);
  assert.equal((jsonReport(report).checks as Array<{ status: string }>)[0]!.status, "failed");
});

/** A run of one check in `s.yaml` that could not run, reported from `vantage`. */
async function unreachableRun(vantage?: string) {
  const spec = await loadSpec(
    "version: 1\nchecks:\n  - { name: db, tcp: { host: h, port: 1 } }\n",
    options(),
  );
  const results = await runChecks([{ check: spec.checks[0]! }], {
    probe: () => Promise.resolve({ ready: false, reason: "refused" }),
  });
  return {
    results,
    files: ["s.yaml"],
    startedAt: new Date(0),
    durationMs: 1,
    ...(vantage === undefined ? {} : { vantage }),
  };
}

Deno.test("every report names its vantage point, escaped as each format needs", async () => {
  const report = await unreachableRun('eu "1" <&> \\ #2');
  const json = jsonReport(report);
  assert.equal(Object.keys(json)[0], "vantage");
  assert.equal(json.vantage, 'eu "1" <&> \\ #2');
  const junit = junitReport(report);
  assert.match(
    junit,
    /\n {2}<testsuite name="s\.yaml \(eu &quot;1&quot; &lt;&amp;&gt; \\ #2\)" file="s\.yaml" /,
  );
  assert.match(
    junit,
    / timestamp="[^"]+">\n {4}<properties><property name="vantage" value="eu &quot;1&quot; &lt;&amp;&gt; \\ #2"\/><\/properties>\n {4}<testcase /,
  );
  assert.match(junit, /^<testsuites name="sockit check" /m);
  const tap = tapReport(report).split("\n");
  assert.deepEqual(tap.slice(0, 4), [
    "TAP version 14",
    "1..1",
    '# vantage: eu "1" <&> \\ #2',
    "not ok 1 - db",
  ]);
});

Deno.test("a report without a vantage point says nothing of one", async () => {
  const report = await unreachableRun();
  assert.ok(!("vantage" in jsonReport(report)));
  const junit = junitReport(report);
  assert.match(junit, /<testsuite name="s\.yaml" file="s\.yaml" /);
  assert.ok(!junit.includes("<properties>"), junit);
  assert.deepEqual(tapReport(report).split("\n").slice(0, 3), [
    "TAP version 14",
    "1..1",
    "not ok 1 - db",
  ]);
});

Deno.test("a TAP report keeps a library caller's vantage point with a line break on one line", async () => {
  const tap = tapReport(await unreachableRun("a\nok 1 - forged"));
  assert.match(tap, /^# vantage: a ok 1 - forged$/m);
  assert.doesNotMatch(tap, /^ok 1 - forged$/m);
});

Deno.test("vantageProblem() takes printable names and refuses empty, long, blank-edged and unprintable ones", () => {
  for (
    const good of [
      "eu-west-1",
      "node-7.cluster.local",
      'a "b" \\ <c>',
      "Z\u00fcrich",
      "x".repeat(256),
    ]
  ) {
    assert.equal(vantageProblem(good), undefined, good);
  }
  assert.equal(vantageProblem(""), "it is empty");
  assert.equal(vantageProblem("x".repeat(257)), "it is 257 characters long, over the 256 allowed");
  assert.equal(vantageProblem("\u00e9".repeat(256)), undefined);
  assert.equal(vantageProblem(" a"), "it begins or ends with white space");
  assert.equal(vantageProblem("a\u00a0"), "it begins or ends with white space");
  assert.equal(vantageProblem("a\tb"), "it holds a control character (U+0009)");
  assert.equal(vantageProblem("a\u007fb"), "it holds a control character (U+007F)");
  assert.equal(vantageProblem("a\u0085b"), "it holds a control character (U+0085)");
  assert.equal(vantageProblem("a\u202eb"), "it holds an invisible format character (U+202E)");
  assert.equal(vantageProblem("a\u2028b"), "it holds a line or paragraph separator (U+2028)");
  assert.equal(vantageProblem("a\ud800b"), "it holds a lone surrogate (U+D800)");
});
