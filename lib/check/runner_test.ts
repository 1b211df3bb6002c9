/**
 * The check runner with scripted probes: the retry schedule, the last failure, fail-fast and
 * time limits as the runner applies them.
 */
import assert from "node:assert/strict";
import { loadSpec } from "./spec.ts";
import { options } from "./_test_helpers.ts";
import { runChecks } from "./runner.ts";
import type { ProbeResult } from "../probe/result.ts";

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

Deno.test("a check that cannot connect carries its error's kind and the system's code beneath it", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  const spec = await loadSpec(
    `version: 1\nchecks:\n  - { name: a, tcp: { host: 127.0.0.1, port: ${port} } }\n`,
    options(),
  );
  const [result] = await runChecks([{ check: spec.checks[0]! }]);
  assert.deepEqual(
    [result!.status, result!.errorType, result!.errorKind, result!.errorCode],
    ["error", "ConnectError", "connect", "ECONNREFUSED"],
  );
});

Deno.test("a check that failed or passed has no error kind or code", async () => {
  const spec = await loadSpec(
    "version: 1\nchecks:\n  - { name: a, http: { url: 'http://h/' } }\n",
    options(),
  );
  for (const scripted of [DOWN, UP]) {
    const [result] = await runChecks([{ check: spec.checks[0]! }], {
      probe: () => Promise.resolve(scripted),
    });
    assert.deepEqual([result!.errorKind, result!.errorCode], [undefined, undefined]);
  }
});
