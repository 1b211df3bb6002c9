/**
 * The monitor's schedule against real sockets (a listener that accepts, a port nobody listens
 * on, one that accepts and says nothing) and against probes the test answers when it says so,
 * where the timing must be controlled: the spread, per-check intervals, overruns, reloads, stops.
 */
import assert from "node:assert/strict";
import { Redactor } from "../check/redact.ts";
import { loadSpec } from "../check/spec.ts";
import type { CheckDef } from "../check/spec.ts";
import type { ProbeOptions } from "../probe/probe.ts";
import type { ProbeResult } from "../probe/result.ts";
import type { Target } from "../probe/target.ts";
import { closedPort } from "../../tests/_helpers.ts";
import { Monitor } from "./scheduler.ts";
import type { MonitorOptions } from "./scheduler.ts";
import { checkKey, HISTORY_LENGTH } from "./snapshot.ts";
import type { CheckState } from "./snapshot.ts";

const UP: ProbeResult = { ready: true, detail: "accepted", facts: {} };
const DOWN: ProbeResult = {
  ready: false,
  reason: "status 503, expected 2xx",
  failures: [{ expectation: "status", expected: "2xx", got: "503", reason: "status 503" }],
};

/** The checks of a spec file `s.yaml` whose `checks:` list is `lines`. */
async function checksOf(...lines: string[]): Promise<CheckDef[]> {
  const text = `version: 1\nchecks:\n${lines.map((line) => `  - ${line}\n`).join("")}`;
  const spec = await loadSpec(text, { file: "s.yaml", baseDir: ".", env: () => undefined });
  return spec.checks;
}

/** `count` tcp checks `c0`, `c1`... against `port`. */
function tcpChecks(count: number, port: number, extra = ""): Promise<CheckDef[]> {
  return checksOf(
    ...Array.from(
      { length: count },
      (_, i) => `{ name: c${i}, tcp: { host: 127.0.0.1, port: ${port} }${extra} }`,
    ),
  );
}

/** A listener that accepts every connection and closes it: tcp checks against it pass. */
function acceptingServer() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    for await (const conn of listener) conn.close();
  })().catch(() => {});
  return {
    port: listener.addr.port,
    async [Symbol.asyncDispose]() {
      listener.close();
      await serving;
    },
  };
}

/** One call of a {@linkcode gatedProbe}: it ends when the test answers it (or its signal aborts). */
interface GatedCall {
  target: Target;
  signal: AbortSignal | undefined;
  answer(result: ProbeResult): void;
}

/** A probe whose every call waits for the test's answer; `call(n)` resolves at the n-th call. */
function gatedProbe() {
  const calls: GatedCall[] = [];
  const waiters = new Map<number, (call: GatedCall) => void>();
  const probe = (target: Target, options: ProbeOptions): Promise<ProbeResult> => {
    const { promise, resolve, reject } = Promise.withResolvers<ProbeResult>();
    options.signal?.addEventListener("abort", () => reject(options.signal!.reason), {
      once: true,
    });
    const call = { target, signal: options.signal, answer: resolve };
    calls.push(call);
    waiters.get(calls.length)?.(call);
    return promise;
  };
  const call = (n: number): Promise<GatedCall> => {
    if (calls.length >= n) return Promise.resolve(calls[n - 1]!);
    const { promise, resolve } = Promise.withResolvers<GatedCall>();
    waiters.set(n, resolve);
    return promise;
  };
  return { probe, calls, call };
}

/**
 * A monitor that tells its results and overruns as promises: `results(key, n)` resolves once the
 * check has `n` results, `overruns(key, n)` once it has `n` overruns.
 */
function watchedMonitor(options: MonitorOptions) {
  const counts = new Map<string, { results: number; overruns: number }>();
  const waiters: Array<{ done: () => boolean; resolve: () => void }> = [];
  const wake = () => {
    for (const waiter of [...waiters]) {
      if (!waiter.done()) continue;
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };
  const countOf = (key: string) => {
    let count = counts.get(key);
    if (!count) counts.set(key, count = { results: 0, overruns: 0 });
    return count;
  };
  const previous: Array<string | undefined> = [];
  const monitor = new Monitor({
    ...options,
    onResult: (state, result, before) => {
      assert.equal(state.latest, result);
      previous.push(before);
      countOf(state.key).results++;
      wake();
    },
    onOverrun: (state) => {
      countOf(state.key).overruns++;
      wake();
    },
  });
  const until = (done: () => boolean) => {
    if (done()) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    waiters.push({ done, resolve });
    return promise;
  };
  return {
    monitor,
    previous,
    results: (key: string, n: number) => until(() => countOf(key).results >= n),
    overruns: (key: string, n: number) => until(() => countOf(key).overruns >= n),
    count: (key: string) => countOf(key).results,
  };
}

function stateOf(monitor: Monitor, name: string): CheckState {
  const state = monitor.snapshot().checks.find((s) => s.check.name === name);
  assert.ok(state, `no check ${name}`);
  return state;
}

const key = (name: string) => checkKey({ file: "s.yaml", name });

Deno.test("a monitor spreads its checks over the interval: the i-th of n first runs i/n of the way in", async () => {
  const checks = await tcpChecks(4, 1);
  const starts: number[] = [];
  const all = Promise.withResolvers<void>();
  const monitor = new Monitor({
    checks,
    everyMs: 400,
    probe: () => {
      starts.push(performance.now());
      if (starts.length === 4) all.resolve();
      return Promise.resolve(UP);
    },
  });
  const before = performance.now();
  monitor.start();
  const snapshot = monitor.snapshot();
  const offsets = snapshot.checks.map((s) => s.nextRunAt!.getTime() - snapshot.startedAt.getTime());
  for (const [i, offset] of offsets.entries()) {
    assert.ok(Math.abs(offset - i * 100) <= 1, `check ${i} is due at +${offset} ms`);
  }
  await all.promise;
  await monitor.stop(1000);
  // They really started so: each at least its phase after the start, in order.
  for (const [i, start] of starts.entries()) {
    assert.ok(start - before >= i * 100 - 2, `check ${i} started at +${start - before} ms`);
    if (i > 0) assert.ok(start > starts[i - 1]!, `check ${i} started with the one before`);
  }
});

Deno.test("a check's own every: wins over the monitor's interval", async () => {
  await using server = acceptingServer();
  const checks = await checksOf(
    `{ name: fast, tcp: { host: 127.0.0.1, port: ${server.port} }, every: 100ms }`,
    `{ name: slow, tcp: { host: 127.0.0.1, port: ${server.port} } }`,
  );
  const watched = watchedMonitor({ checks, everyMs: 60_000 });
  const started = performance.now();
  watched.monitor.start();
  await watched.results(key("fast"), 5);
  const elapsed = performance.now() - started;
  const fast = stateOf(watched.monitor, "fast");
  const slow = stateOf(watched.monitor, "slow");
  await watched.monitor.stop(1000);
  assert.equal(fast.everyMs, 100);
  assert.equal(slow.everyMs, 60_000);
  assert.ok(elapsed >= 400, `five runs 100 ms apart took only ${elapsed} ms`);
  assert.ok(fast.runs.success >= 5);
  // The slow one's first turn is half its interval in: 30 s.
  assert.equal(slow.runs.success, 0);
  assert.equal(watched.count(key("slow")), 0);
});

Deno.test("a turn that comes while the last run still goes is counted, and the check is not started twice", async () => {
  const checks = await tcpChecks(1, 1);
  const gate = gatedProbe();
  const watched = watchedMonitor({ checks, everyMs: 100, probe: gate.probe });
  watched.monitor.start();
  const first = await gate.call(1);
  await watched.overruns(key("c0"), 2);
  let state = stateOf(watched.monitor, "c0");
  assert.equal(gate.calls.length, 1);
  assert.equal(state.running, true);
  assert.equal(state.overruns, 2);
  first.answer(UP);
  await watched.results(key("c0"), 1);
  const second = await gate.call(2);
  state = stateOf(watched.monitor, "c0");
  assert.ok(state.overruns >= 2);
  assert.equal(state.runs.success, 1);
  second.answer(UP);
  await watched.results(key("c0"), 2);
  await watched.monitor.stop(1000);
  assert.deepEqual(watched.previous.slice(0, 2), [undefined, "passed"]);
});

Deno.test("a turn that comes while the last run still waits for a job slot is counted as an overrun", async () => {
  const checks = await checksOf(
    "{ name: a, tcp: { host: 127.0.0.1, port: 1001 } }",
    "{ name: b, tcp: { host: 127.0.0.1, port: 1002 } }",
  );
  const gate = gatedProbe();
  const watched = watchedMonitor({ checks, everyMs: 100, jobs: 1, probe: gate.probe });
  watched.monitor.start();
  const first = await gate.call(1);
  assert.equal(first.target.text, "127.0.0.1:1001");
  // b's turn at 50 ms found no slot; its next, at 150 ms, finds it still waiting.
  await watched.overruns(key("b"), 1);
  assert.equal(gate.calls.length, 1);
  assert.equal(stateOf(watched.monitor, "b").running, false);
  first.answer(UP);
  const second = await gate.call(2);
  assert.equal(second.target.text, "127.0.0.1:1002");
  second.answer(UP);
  await watched.results(key("b"), 1);
  await watched.monitor.stop(0);
  assert.equal(stateOf(watched.monitor, "b").runs.success, 1);
});

Deno.test("each finished run is recorded: latest, history, runs by outcome, retries; the snapshot is a copy", async () => {
  await using server = acceptingServer();
  const refused = closedPort();
  const checks = await checksOf(
    `{ name: up, tcp: { host: 127.0.0.1, port: ${server.port} }, tags: [db] }`,
    `{ name: refused, tcp: { host: 127.0.0.1, port: ${refused} } }`,
  );
  const watched = watchedMonitor({ checks, everyMs: 60_000, files: ["s.yaml", "other.yaml"] });
  const before = Date.now();
  watched.monitor.start();
  await watched.results(key("up"), 1);
  // The second check is due half an interval in: a new monitor for it alone runs it at once.
  const snapshot = watched.monitor.snapshot();
  await watched.monitor.stop(1000);
  assert.ok(snapshot.startedAt.getTime() >= before - 1);
  assert.deepEqual(snapshot.files, ["s.yaml", "other.yaml"]);
  assert.equal(snapshot.everyMs, 60_000);
  assert.equal(snapshot.lastReload, undefined);
  assert.deepEqual(snapshot.checks.map((s) => s.key), [key("up"), key("refused")]);
  const [up, notYet] = snapshot.checks;
  assert.equal(up!.latest?.status, "passed");
  assert.deepEqual(up!.check.tags, ["db"]);
  assert.deepEqual(up!.runs, { success: 1, failure: 0, error: 0 });
  assert.equal(up!.retries, 0);
  assert.equal(up!.overruns, 0);
  assert.equal(up!.running, false);
  assert.deepEqual(Object.keys(up!.history[0]!).sort(), ["at", "durationMs", "message", "status"]);
  assert.equal(up!.history[0]!.status, "passed");
  assert.equal(up!.history[0]!.message, "accepted");
  assert.ok(up!.nextRunAt!.getTime() - snapshot.startedAt.getTime() >= 59_999);
  assert.equal(notYet!.latest, undefined);
  assert.deepEqual(notYet!.history, []);
  assert.ok(notYet!.nextRunAt!.getTime() - snapshot.startedAt.getTime() >= 29_999);
  // The caller's copy is its own.
  snapshot.checks[0]!.history.push(up!.history[0]!);
  snapshot.checks[0]!.runs.success = 99;
  assert.equal(watched.monitor.snapshot().checks[0]!.history.length, 1);
  assert.equal(watched.monitor.snapshot().checks[0]!.runs.success, 1);

  const alone = watchedMonitor({ checks: [checks[1]!], everyMs: 60_000 });
  alone.monitor.start();
  await alone.results(key("refused"), 1);
  await alone.monitor.stop(1000);
  const state = stateOf(alone.monitor, "refused");
  assert.equal(state.latest?.status, "error");
  assert.deepEqual(state.runs, { success: 0, failure: 0, error: 1 });
  assert.match(state.history[0]!.message, /refused/);
  assert.deepEqual(alone.previous, [undefined]);
});

Deno.test("retries are counted as attempts beyond the first, and the history keeps the last runs only", async () => {
  const checks = await tcpChecks(1, 1, ", retry: { attempts: 3, interval: 1ms }");
  const runs = HISTORY_LENGTH + 2;
  const watched = watchedMonitor({ checks, everyMs: 5, probe: () => Promise.resolve(DOWN) });
  watched.monitor.start();
  await watched.results(key("c0"), runs);
  await watched.monitor.stop(1000);
  const state = stateOf(watched.monitor, "c0");
  const finished = state.runs.failure;
  assert.ok(finished >= runs);
  assert.deepEqual(state.runs, { success: 0, failure: finished, error: 0 });
  assert.equal(state.retries, 2 * finished);
  assert.equal(state.history.length, HISTORY_LENGTH);
  assert.equal(state.latest?.attempts.length, 3);
  assert.equal(state.history.at(-1)!.at, state.latest!.startedAt);
  assert.ok(state.history.every((run) => run.status === "failed"));
});

Deno.test("results arrive masked: a secret in what a run saw is never in the monitor's state", async () => {
  const checks = await tcpChecks(1, 1);
  const seen: ProbeResult = {
    ready: false,
    reason: 'got "token hunter22", expected "ok"',
    failures: [{
      expectation: "expect",
      expected: "ok",
      got: "token hunter22",
      reason: "got token hunter22",
    }],
  };
  const watched = watchedMonitor({
    checks,
    everyMs: 60_000,
    redactor: new Redactor(["hunter22"]),
    probe: () => Promise.resolve(seen),
  });
  watched.monitor.start();
  await watched.results(key("c0"), 1);
  await watched.monitor.stop(1000);
  const state = stateOf(watched.monitor, "c0");
  assert.equal(state.latest?.status, "failed");
  assert.doesNotMatch(JSON.stringify(state), /hunter22/);
  assert.match(state.history[0]!.message, /\*\*\*/);
});

Deno.test("a probe that throws is an error result, not an unhandled rejection", async () => {
  const checks = await tcpChecks(1, 1);
  const watched = watchedMonitor({
    checks,
    everyMs: 60_000,
    probe: () => Promise.reject(new TypeError("the probe broke")),
  });
  watched.monitor.start();
  await watched.results(key("c0"), 1);
  await watched.monitor.stop(1000);
  const state = stateOf(watched.monitor, "c0");
  assert.equal(state.latest?.status, "error");
  assert.equal(state.latest?.message, "the probe broke");
  assert.deepEqual(state.runs, { success: 0, failure: 0, error: 1 });
});

Deno.test("replace() keeps the state of kept checks, stops removed ones unreported and spreads new ones in", async () => {
  const checks = await checksOf(
    "{ name: a, tcp: { host: 127.0.0.1, port: 1001 } }",
    "{ name: b, tcp: { host: 127.0.0.1, port: 1002 } }",
    "{ name: c, tcp: { host: 127.0.0.1, port: 1003 } }",
  );
  const targets: string[] = [];
  const bCalled = Promise.withResolvers<AbortSignal>();
  // b's run never ends by itself; the others pass at once.
  const probe = (target: Target, options: ProbeOptions): Promise<ProbeResult> => {
    targets.push(target.text);
    if (!target.text.endsWith(":1002")) return Promise.resolve(UP);
    bCalled.resolve(options.signal!);
    return new Promise((_, reject) => {
      options.signal!.addEventListener("abort", () => reject(options.signal!.reason), {
        once: true,
      });
    });
  };
  const watched = watchedMonitor({ checks, everyMs: 150, probe });
  watched.monitor.start();
  const bSignal = await bCalled.promise;
  await watched.results(key("a"), 2);
  await watched.results(key("c"), 1);
  const a = stateOf(watched.monitor, "a");
  const reloaded = await checksOf(
    "{ name: a, tcp: { host: 127.0.0.1, port: 2001 } }",
    "{ name: c, tcp: { host: 127.0.0.1, port: 1003 } }",
    "{ name: d, tcp: { host: 127.0.0.1, port: 2004 } }",
  );
  const now = Date.now();
  watched.monitor.replace(reloaded);
  assert.equal(bSignal.aborted, true);
  const snapshot = watched.monitor.snapshot();
  assert.deepEqual(snapshot.checks.map((s) => s.check.name), ["a", "c", "d"]);
  assert.equal(snapshot.lastReload?.ok, true);
  assert.equal(snapshot.lastReload?.message, undefined);
  const keptA = snapshot.checks[0]!;
  assert.deepEqual(keptA.runs, a.runs);
  assert.deepEqual(keptA.history, a.history);
  assert.deepEqual(keptA.nextRunAt, a.nextRunAt);
  assert.equal(keptA.check.targetText, "127.0.0.1:2001");
  const d = snapshot.checks[2]!;
  assert.equal(d.latest, undefined);
  assert.ok(d.nextRunAt!.getTime() >= now - 1, "d is due from now on");
  // The kept check runs with its new definition; the new one runs; the removed one said nothing.
  await watched.results(key("d"), 1);
  await watched.results(key("a"), a.runs.success + 1);
  await watched.monitor.stop(1000);
  assert.ok(targets.includes("127.0.0.1:2001"));
  assert.ok(targets.includes("127.0.0.1:2004"));
  assert.equal(targets.filter((t) => t === "127.0.0.1:1001").length, a.runs.success);
  assert.equal(watched.count(key("b")), 0);
  assert.equal(stateOf(watched.monitor, "a").runs.success >= a.runs.success + 1, true);
});

Deno.test("reloadFailed() records the refused reload and leaves the checks as they were", async () => {
  const checks = await tcpChecks(2, 1);
  const monitor = new Monitor({ checks, everyMs: 1000 });
  const before = monitor.snapshot();
  monitor.reloadFailed('s.yaml:3:5: unknown key "tcpp"');
  const after = monitor.snapshot();
  assert.equal(after.lastReload?.ok, false);
  assert.equal(after.lastReload?.message, 's.yaml:3:5: unknown key "tcpp"');
  assert.ok(after.lastReload?.at instanceof Date);
  assert.deepEqual(after.checks, before.checks);
  await monitor.stop(0);
});

Deno.test("stop() lets a run in flight finish within the grace period, and records it", async () => {
  const checks = await tcpChecks(1, 1);
  const gate = gatedProbe();
  const watched = watchedMonitor({ checks, everyMs: 60_000, probe: gate.probe });
  watched.monitor.start();
  const call = await gate.call(1);
  const stopped = watched.monitor.stop(60_000);
  assert.equal(stateOf(watched.monitor, "c0").nextRunAt, undefined);
  call.answer(UP);
  await stopped;
  assert.equal(call.signal?.aborted, false);
  assert.equal(watched.count(key("c0")), 1);
  assert.equal(stateOf(watched.monitor, "c0").running, false);
  assert.equal(gate.calls.length, 1);
  assert.equal(watched.monitor.stop(0), stopped);
});

Deno.test("stop() ends a run still going when the grace period passes, and does not report it", async () => {
  // A server that accepts and says nothing, to a check waiting for a banner.
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const checks = await checksOf(
    `{ name: silent, tcp: { host: 127.0.0.1, port: ${listener.addr.port}, expect: "SSH-" }, timeout: 30s }`,
  );
  const watched = watchedMonitor({ checks, everyMs: 60_000 });
  watched.monitor.start();
  using conn = await listener.accept();
  assert.equal(stateOf(watched.monitor, "silent").running, true);
  const started = performance.now();
  await watched.monitor.stop(150);
  const waited = performance.now() - started;
  assert.ok(waited >= 140 && waited < 10_000, `stopped after ${waited} ms`);
  const state = stateOf(watched.monitor, "silent");
  assert.equal(state.running, false);
  assert.equal(state.latest, undefined);
  assert.equal(watched.count(key("silent")), 0);
  assert.ok(conn);
});

Deno.test("no round is missed or doubled: 20 checks every 200 ms for about 2 s", async () => {
  await using server = acceptingServer();
  const checks = await tcpChecks(20, server.port);
  const every = 200;
  const watched = watchedMonitor({ checks, everyMs: every });
  watched.monitor.start();
  const origin = watched.monitor.snapshot().startedAt.getTime();
  await watched.results(key("c0"), 11);
  const elapsed = Date.now() - origin;
  await watched.monitor.stop(5000);
  for (const [i, state] of watched.monitor.snapshot().checks.entries()) {
    const turns = Math.floor((elapsed - (i * every) / 20) / every) + 1;
    const runs = state.runs.success;
    assert.ok(Math.abs(runs - turns) <= 1, `${state.check.name}: ${runs} runs for ${turns} turns`);
    assert.equal(state.runs.failure + state.runs.error, 0);
    assert.equal(state.overruns, 0);
  }
});
