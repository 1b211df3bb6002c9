/**
 * The check reports: JSON, JUnit XML and TAP made from the runner's results.
 */
import assert from "node:assert/strict";
import { loadSpec } from "./spec.ts";
import { options } from "./_test_helpers.ts";
import { runChecks } from "./runner.ts";
import type { ProbeResult } from "../probe/result.ts";
import { jsonReport, junitReport, tapReport, xmlText } from "./report.ts";

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
