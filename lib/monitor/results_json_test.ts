/**
 * `/api/results`: the JSON report's names for each latest result, and the monitor's own fields.
 */
import assert from "node:assert/strict";
import { jsonResult } from "../check/report.ts";
import { HIDDEN_TARGET, resultsJson } from "./results_json.ts";
import { snapshotOf, specChecks, stateOf } from "./_page_fixture.ts";

Deno.test("resultsJson() gives each latest result in the JSON report's words, and the monitor's fields beside", async () => {
  const checks = await specChecks(
    "version: 1\nchecks:\n" +
      "  - { name: web, tags: [prod], http: { url: 'http://127.0.0.1:1/' } }\n" +
      "  - { name: db, tcp: { host: 127.0.0.1, port: 2 } }\n",
  );
  const web = await stateOf(checks[0]!, { failed: "status 503, expected 2xx" }, {
    history: ["passed"],
    extra: { retries: 2, overruns: 1 },
  });
  const db = await stateOf(checks[1]!, { error: "connection refused" });
  const body = resultsJson({
    ...snapshotOf([web, db]),
    lastReload: { at: new Date(0), ok: false, message: "s.yaml:1:1: bad" },
  });
  const { checks: entries, ...top } = body as { checks: Array<Record<string, unknown>> };
  assert.deepEqual(top, {
    passed: 0,
    failed: 2,
    errors: 1,
    pending: 0,
    total: 2,
    started_at: "2023-11-14T22:12:20.000Z",
    every_ms: 30_000,
    files: ["s.yaml"],
    last_reload: { at: "1970-01-01T00:00:00.000Z", ok: false, message: "s.yaml:1:1: bad" },
  });
  assert.equal(entries[0]!.status, "failed");
  assert.equal(entries[0]!.error, "status 503, expected 2xx");
  assert.deepEqual(entries[0]!.tags, ["prod"]);
  const { skip_reason: _, ...reported } = jsonResult(web.latest!);
  assert.deepEqual(entries[0], {
    ...reported,
    started_at: "2023-11-14T22:13:20.000Z",
    every_ms: 30_000,
    running: false,
    next_run_at: "2023-11-14T22:13:50.000Z",
    runs: { success: 1, failure: 1, error: 0 },
    retries: 2,
    overruns: 1,
    history: [
      {
        started_at: "2023-11-14T22:13:19.000Z",
        status: "passed",
        ok: true,
        duration_ms: 1.5,
        message: "200",
      },
      {
        started_at: "2023-11-14T22:13:20.000Z",
        status: "failed",
        ok: false,
        duration_ms: Math.round(web.latest!.durationMs * 1000) / 1000,
        message: "status 503, expected 2xx",
      },
    ],
  });
  assert.equal(entries[1]!.status, "error");
  assert.equal(entries[1]!.ok, false);
  assert.equal(entries[1]!.target, "127.0.0.1:2");
  // JSON all the way: it survives a round trip unchanged.
  assert.deepEqual(JSON.parse(JSON.stringify(body)), body);
});

Deno.test("resultsJson() gives a check that has not run as pending, with the same keys", async () => {
  const checks = await specChecks(
    "version: 1\nsecrets: [PW]\nchecks:\n" +
      "  - { name: ran, tcp: { host: h, port: 1 } }\n" +
      "  - { name: fresh, http: { url: 'http://u:${PW}@h/' } }\n",
    "s.yaml",
    () => "hunter2",
  );
  const body = resultsJson(snapshotOf([
    await stateOf(checks[0]!, { passed: "accepted" }),
    await stateOf(checks[1]!, undefined, { extra: { running: true, nextRunAt: undefined } }),
  ])) as { pending: number; passed: number; checks: Array<Record<string, unknown>> };
  assert.equal(body.pending, 1);
  assert.equal(body.passed, 1);
  const [ran, fresh] = body.checks;
  assert.deepEqual(Object.keys(fresh!), Object.keys(ran!));
  assert.deepEqual(
    {
      status: fresh!.status,
      ok: fresh!.ok,
      duration_ms: fresh!.duration_ms,
      started_at: fresh!.started_at,
      next_run_at: fresh!.next_run_at,
      running: fresh!.running,
      history: fresh!.history,
      target: fresh!.target,
    },
    {
      status: "pending",
      ok: null,
      duration_ms: null,
      started_at: null,
      next_run_at: null,
      running: true,
      history: [],
      target: HIDDEN_TARGET,
    },
  );
  assert.ok(!JSON.stringify(body).includes("hunter2"));
});

Deno.test("resultsJson() names the monitor's vantage point first, and nothing when it has none", () => {
  const snapshot = snapshotOf([]);
  assert.deepEqual(Object.entries(resultsJson({ ...snapshot, vantage: 'eu "1"' }))[0], [
    "vantage",
    'eu "1"',
  ]);
  assert.ok(!("vantage" in resultsJson(snapshot)));
});
