/**
 * The spec reader and the runner in-process: where variables come from, what secrets need, the
 * problems' positions, and the retry schedule and fail-fast as the runner applies them.
 */
import assert from "node:assert/strict";
import { loadSpec, SpecError } from "../lib/check/spec.ts";
import type { LoadSpecOptions } from "../lib/check/spec.ts";
import { runChecks } from "../lib/check/runner.ts";
import type { ProbeResult } from "../lib/probe/probe.ts";
import { jsonReport, junitReport, tapReport, xmlText } from "../lib/check/report.ts";

function options(extra: Partial<LoadSpecOptions> = {}): LoadSpecOptions {
  return { file: "s.yaml", baseDir: "/srv/checks", env: () => undefined, ...extra };
}

async function problems(text: string, extra: Partial<LoadSpecOptions> = {}): Promise<string[]> {
  try {
    await loadSpec(text, options(extra));
    return [];
  } catch (error) {
    assert.ok(error instanceof SpecError, String(error));
    return error.problems.map((p) => `${p.line}:${p.col}: ${p.message}`);
  }
}

const TCP = (host: string) =>
  `version: 1\nvars: { HOST: vars.test }\nchecks:\n  - { name: a, tcp: { host: "${host}", port: 1 } }\n`;

Deno.test("a variable comes from --var, else the environment, else vars", async () => {
  const host = async (extra: Partial<LoadSpecOptions>) =>
    (await loadSpec(TCP("${HOST}"), options(extra))).checks[0]!.targetText;
  assert.equal(await host({}), "vars.test:1");
  assert.equal(await host({ env: (n) => n === "HOST" ? "env.test" : undefined }), "env.test:1");
  assert.equal(
    await host({
      env: (n) => n === "HOST" ? "env.test" : undefined,
      vars: new Map([["HOST", "cli.test"]]),
    }),
    "cli.test:1",
  );
});

Deno.test("$${ writes a literal ${, and an undeclared name is a problem at its ${", async () => {
  const spec = await loadSpec(
    'version: 1\nchecks:\n  - { name: "cost $${X}", tcp: { host: h, port: 1 } }\n',
    options(),
  );
  assert.equal(spec.checks[0]!.name, "cost ${X}");
  assert.deepEqual(await problems(TCP("a-${NOPE}")), [
    '4:32: undefined variable "NOPE" (declare it under "vars" or "secrets")',
  ]);
  assert.deepEqual(await problems(TCP("${HOST")), [
    '4:30: unterminated "${" (write $${ for a literal ${)',
  ]);
});

Deno.test("a secret must be set and not empty in the environment, and never comes from --var", async () => {
  const spec =
    "version: 1\nsecrets: [TOKEN]\nchecks:\n  - { name: a, tcp: { host: h, port: 1 } }\n";
  assert.deepEqual(await problems(spec), ['2:11: secret "TOKEN" is not set in the environment']);
  assert.deepEqual(await problems(spec, { env: () => "" }), [
    '2:11: secret "TOKEN" is empty in the environment',
  ]);
  assert.match(
    (await problems(spec, { env: () => "x", vars: new Map([["TOKEN", "y"]]) }))[0]!,
    /cannot be given on the command line/,
  );
  const loaded = await loadSpec(spec, options({ env: () => "hunter2" }));
  assert.deepEqual(loaded.secrets, ["hunter2"]);
});

Deno.test("a spec problem that quotes a value a secret went into holds the secret masked", async () => {
  try {
    await loadSpec(
      'version: 1\nsecrets: [T]\nchecks:\n  - { name: a, tcp: { host: h, port: "${T}" } }\n',
      options({ env: () => "hunter2" }),
    );
    assert.fail("no error");
  } catch (error) {
    assert.ok(error instanceof SpecError);
    assert.deepEqual(error.secrets, ["hunter2"]);
    assert.match(error.message, /not "\*\*\*"/);
    assert.ok(!error.message.includes("hunter2"), error.message);
  }
});

Deno.test("relative paths are relative to the spec file's folder", async () => {
  const spec = await loadSpec(
    "version: 1\nchecks:\n  - { name: a, unix: { path: run/app.sock } }\n",
    options(),
  );
  assert.equal(spec.checks[0]!.targetText, "/srv/checks/run/app.sock");
});

/** A probe that answers from a script: one result per attempt, in order. */
function scripted(results: ProbeResult[]) {
  let calls = 0;
  const probe = () => Promise.resolve(results[Math.min(calls++, results.length - 1)]!);
  return { probe, calls: () => calls };
}

const DOWN: ProbeResult = {
  ready: false,
  reason: "status 503, expected 2xx",
  failures: [{
    expectation: "status",
    expected: "2xx",
    got: "503",
    reason: "status 503, expected 2xx",
  }],
};
const UP: ProbeResult = { ready: true, detail: "status 200", facts: { status: 200, time_ms: 1 } };

Deno.test("a check retries on the shared schedule: attempts, the interval, the backoff", async () => {
  const spec = await loadSpec(
    "version: 1\nchecks:\n  - name: a\n    http: { url: 'http://h/' }\n    retry: { attempts: 4, interval: 20ms, backoff: 2 }\n",
    options(),
  );
  const { probe, calls } = scripted([DOWN, DOWN, DOWN, UP]);
  const [result] = await runChecks([{ check: spec.checks[0]! }], { probe });
  assert.equal(result!.status, "passed");
  assert.equal(calls(), 4);
  const starts = result!.attempts.map((a) => a.startMs);
  // Pauses of 20, 40 and 80 ms: each attempt starts at least that long after the one before.
  for (const [i, pause] of [20, 40, 80].entries()) {
    assert.ok(
      starts[i + 1]! - starts[i]! >= pause,
      `pause ${i + 1}: ${starts[i + 1]! - starts[i]!} ms`,
    );
  }
  assert.equal(result!.message, "200");
});

Deno.test("a check that fails every attempt reports its last failure, and --fail-fast skips the rest", async () => {
  const spec = await loadSpec(
    "version: 1\nchecks:\n  - { name: a, http: { url: 'http://h/' }, retry: { attempts: 2, interval: 1ms } }\n" +
      "  - { name: b, http: { url: 'http://h/' } }\n",
    options(),
  );
  const { probe } = scripted([DOWN]);
  const results = await runChecks(spec.checks.map((check) => ({ check })), {
    probe,
    jobs: 1,
    failFast: true,
  });
  assert.deepEqual(results.map((r) => r.status), ["failed", "skipped"]);
  assert.equal(results[0]!.attempts.length, 2);
  assert.deepEqual(results[0]!.failures, [
    { expectation: "status", expected: "2xx", got: "503", message: "status 503, expected 2xx" },
  ]);
  assert.match(results[1]!.message, /fail fast/);
});

Deno.test("time_under fails a check that answered too slowly", async () => {
  const spec = await loadSpec(
    "version: 1\nchecks:\n  - { name: a, http: { url: 'http://h/' }, expect: { time_under: 5ms } }\n",
    options(),
  );
  const slow: ProbeResult = {
    ready: true,
    detail: "status 200",
    facts: { status: 200, time_ms: 12.5 },
  };
  const [result] = await runChecks([{ check: spec.checks[0]! }], {
    probe: () => Promise.resolve(slow),
  });
  assert.equal(result!.status, "failed");
  assert.equal(result!.message, "took 12.5 ms, expected under 5ms");
});

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
