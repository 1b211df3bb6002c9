/**
 * `sockit check --every`: a monitor over real sockets. Its results as JSON lines and state-change
 * lines, its endpoints (/metrics in both formats, /healthz, /livez, /api/results, the status
 * page, 404 and 405), SIGHUP reloads (a valid spec taken, an invalid one refused and the old one
 * kept), SIGTERM, the options' usage errors, and `--report openmetrics=FILE`.
 */
import assert from "node:assert/strict";
import { closedPort, LineReader, runSockit, spawnSockit } from "./_helpers.ts";
import { SilentServer } from "./_http.ts";
import { MonitorProcess, sampleValue } from "./_monitor.ts";
import { havePromtool, promtoolCheck } from "../lib/metrics/_promtool.ts";

/** A TCP port that accepts and closes every connection, until disposed. */
class OpenPort implements AsyncDisposable {
  readonly #listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  readonly #accepting = (async () => {
    for await (const conn of this.#listener) conn.close();
  })().catch(() => {});

  get port(): number {
    return this.#listener.addr.port;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#accepting;
  }
}

async function specFile(dir: string, lines: string[], name = "mon.yaml"): Promise<string> {
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(path, ["version: 1", "checks:", ...lines, ""].join("\n"));
  return path;
}

Deno.test("a monitor runs every check on its interval, prints a JSON line per result and serves its endpoints", async () => {
  await using open = new OpenPort();
  const refused = closedPort();
  const dir = await Deno.makeTempDir();
  const spec = await specFile(dir, [
    `  - { name: db, tcp: { host: 127.0.0.1, port: ${open.port} }, tags: [core] }`,
    `  - { name: gone, tcp: { host: 127.0.0.1, port: ${refused} }, timeout: 1s }`,
  ]);
  await using monitor = await MonitorProcess.start([spec], { every: "300ms" });
  // Two rounds: every check has a result, and the second round repeats the first.
  const seen = new Map<string, number>();
  while ([...seen.values()].filter((n) => n >= 2).length < 2) {
    const event = await monitor.until((e) => e.event === "result");
    seen.set(event.name as string, (seen.get(event.name as string) ?? 0) + 1);
    assert.equal(event.status, event.name === "db" ? "passed" : "error");
    assert.equal(event.changed, seen.get(event.name as string) === 1);
  }

  const metrics = await monitor.get("/metrics");
  assert.equal(metrics.status, 200);
  assert.match(metrics.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
  assert.equal(sampleValue(metrics.body, "sockit_check_success", { check: "db" }), 1);
  assert.equal(sampleValue(metrics.body, "sockit_check_success", { check: "gone" }), 0);
  assert.ok(
    sampleValue(metrics.body, "sockit_check_runs_total", { check: "db", result: "success" })! >= 2,
  );
  assert.equal(
    sampleValue(metrics.body, "sockit_check_failure_info", {
      check: "gone",
      reason: "connect_refused",
    }),
    1,
  );
  if (havePromtool()) {
    assert.deepEqual(await promtoolCheck(metrics.body), { code: 0, output: "" });
  }
  const openMetrics = await monitor.get("/metrics", {
    Accept: "application/openmetrics-text;version=1.0.0,text/plain;q=0.5",
  });
  assert.match(openMetrics.headers.get("content-type")!, /^application\/openmetrics-text/);
  assert.ok(openMetrics.body.endsWith("# EOF\n"));

  const health = await monitor.get("/healthz");
  assert.equal(health.status, 503);
  assert.match(health.body, /^not ok: 1 of 2 checks passing; failing: gone\n$/);
  const healthJson = await monitor.get("/healthz?format=json");
  assert.equal(healthJson.status, 503);
  const report = JSON.parse(healthJson.body);
  assert.deepEqual([report.healthy, report.passed, report.errors], [false, 1, 1]);
  assert.equal((await monitor.get("/livez")).status, 200);

  const results = JSON.parse((await monitor.get("/api/results")).body);
  assert.ok(JSON.stringify(results).includes('"db"'));
  const page = await monitor.get("/");
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-security-policy")!, /default-src 'none'/);
  assert.match(page.body, /<html/);

  const missing = await monitor.get("/nothing");
  assert.equal(missing.status, 404);
  const post = await fetch(monitor.url("/metrics"), { method: "POST", body: "x" });
  await post.body?.cancel();
  assert.ok(post.status === 405 || post.status === 413, `POST got ${post.status}`);
  const del = await fetch(monitor.url("/metrics"), { method: "DELETE" });
  await del.body?.cancel();
  assert.equal(del.status, 405);
  assert.equal(del.headers.get("allow"), "GET, HEAD");

  const { code, events } = await monitor.stop("SIGTERM");
  assert.equal(code, 0);
  const stopped = JSON.parse(events.at(-1)!);
  assert.equal(stopped.event, "stopped");
  assert.ok(stopped.runs >= 4);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("without --json, a monitor prints a line when a check changes state, and not on every run", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  let accepting = (async () => {
    for await (const conn of listener) conn.close();
  })().catch(() => {});
  const dir = await Deno.makeTempDir();
  const spec = await specFile(dir, [
    `  - { name: svc, tcp: { host: 127.0.0.1, port: ${port} }, timeout: 1s }`,
  ]);
  const child = spawnSockit(["check", "--every", "200ms", spec]).process;
  const lines = new LineReader(child.stdout);
  const stderr = new Response(child.stderr).text();
  try {
    const first = (await lines.next())!;
    assert.match(first, /^\S+Z {2}ok {4}svc {2}accepted in .+$/);
    // The service goes away: one FAIL line, then nothing until it comes back.
    listener.close();
    await accepting;
    const down = (await lines.next())!;
    assert.match(
      down,
      /^\S+Z {2}FAIL {2}svc {2}could not run: Cannot connect to 127\.0\.0\.1:\d+: connection refused in .+ \(was ok\)$/,
    );
    const again = Deno.listen({ hostname: "127.0.0.1", port });
    accepting = (async () => {
      for await (const conn of again) conn.close();
    })().catch(() => {});
    const up = (await lines.next())!;
    assert.match(up, /^\S+Z {2}ok {4}svc {2}accepted in .+ \(was failing\)$/);
    child.kill("SIGINT");
    assert.deepEqual(await lines.rest(), []);
    assert.equal((await child.status).code, 0);
    assert.match(await stderr, /received SIGINT: stopping/);
    again.close();
    await accepting;
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // Exited.
    }
    await child.status;
    await lines.cancel().catch(() => {});
    await stderr;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SIGHUP takes a valid new spec at once and refuses an invalid one, keeping the old checks running", async () => {
  await using open = new OpenPort();
  const dir = await Deno.makeTempDir();
  const spec = await specFile(dir, [
    `  - { name: a, tcp: { host: 127.0.0.1, port: ${open.port} } }`,
  ]);
  await using monitor = await MonitorProcess.start([spec], { every: "200ms" });
  await monitor.until((e) => e.event === "result" && e.name === "a");

  await specFile(dir, [
    `  - { name: a, tcp: { host: 127.0.0.1, port: ${open.port} } }`,
    `  - { name: b, tcp: { host: 127.0.0.1, port: ${open.port} } }`,
  ]);
  monitor.process.kill("SIGHUP");
  const taken = await monitor.until((e) => e.event === "reload");
  assert.deepEqual([taken.ok, taken.checks, taken.added], [true, 2, 1]);
  await monitor.until((e) => e.event === "result" && e.name === "b");

  await Deno.writeTextFile(
    spec,
    "version: 1\nchecks:\n  - { name: a, tcp: { host: 127.0.0.1, port: nope } }\n",
  );
  monitor.process.kill("SIGHUP");
  const refused = await monitor.until((e) => e.event === "reload");
  assert.equal(refused.ok, false);
  assert.match(refused.error as string, /^.*mon\.yaml:3:\d+: /);
  // The old spec still runs: both checks report again.
  const after = new Set<string>();
  while (after.size < 2) {
    after.add((await monitor.until((e) => e.event === "result")).name as string);
  }
  const health = await monitor.get("/healthz");
  assert.equal(health.status, 200);
  assert.equal(health.body, "ok: 2 of 2 checks passing\n");

  const { code, stderr } = await monitor.stop("SIGTERM");
  assert.equal(code, 0);
  assert.match(stderr, /error: .*mon\.yaml:3:\d+: /);
  assert.match(stderr, /Cannot reload the spec: 1 problem; the running checks go on/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("the monitor's options refuse empty, negative, tiny and malformed values, and one-shot options", async () => {
  const dir = await Deno.makeTempDir();
  const spec = await specFile(dir, ["  - { name: a, tcp: { host: 127.0.0.1, port: 9 } }"]);
  const cases: Array<[string[], RegExp]> = [
    [["--every", ""], /--every/],
    [["--every", "-1s"], /--every/],
    [["--every", "abc"], /--every/],
    [["--every", "10ms"], /Invalid --every "10ms": at least 100ms/],
    [["--listen", "127.0.0.1:0"], /Option --listen needs --every/],
    [["--every", "1s", "--listen", "nope"], /Invalid --listen "nope"/],
    [["--every", "1s", "--listen", "127.0.0.1:70000"], /out of range/],
    [
      ["--every", "1s", "--report", `json=${dir}/r.json`],
      /--every and --report cannot be used together/,
    ],
    [["--every", "1s", "--timeout", "5s"], /--every and --timeout cannot be used together/],
    [["--every", "1s", "--probe-any-target"], /--probe-any-target needs --listen/],
    [["--grace", "1s"], /--grace needs --every/],
  ];
  for (const [args, message] of cases) {
    const result = await runSockit(["check", ...args, spec]);
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.err}`);
    assert.match(result.err, message, args.join(" "));
    assert.doesNotMatch(result.err, /\n\s+at /, "no stack trace");
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--listen :PORT binds every interface and says so", async () => {
  await using open = new OpenPort();
  const dir = await Deno.makeTempDir();
  const spec = await specFile(dir, [
    `  - { name: a, tcp: { host: 127.0.0.1, port: ${open.port} } }`,
  ]);
  const child = spawnSockit(["check", "--every", "1s", "--listen", ":0", "--json", spec]).process;
  const events = new LineReader(child.stdout);
  const listening = await events.nextJson();
  assert.deepEqual([listening.event, listening.address], ["listening", "0.0.0.0"]);
  child.kill("SIGTERM");
  await events.rest();
  assert.equal((await child.status).code, 0);
  assert.match(await new Response(child.stderr).text(), /every interface/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test({
  name:
    "--report openmetrics=FILE writes the monitor's metrics for a textfile collector, clean under promtool",
  ignore: !havePromtool(),
  async fn() {
    await using open = new OpenPort();
    const dir = await Deno.makeTempDir();
    const spec = await specFile(dir, [
      `  - { name: db, tcp: { host: 127.0.0.1, port: ${open.port} } }`,
      `  - { name: gone, tcp: { host: 127.0.0.1, port: ${closedPort()} } }`,
    ]);
    const result = await runSockit(["check", "--report", `openmetrics=${dir}/sockit.prom`, spec]);
    assert.equal(result.code, 1, result.err);
    const text = await Deno.readTextFile(`${dir}/sockit.prom`);
    assert.equal(sampleValue(text, "sockit_check_success", { check: "db" }), 1);
    assert.equal(sampleValue(text, "sockit_check_success", { check: "gone" }), 0);
    assert.equal(
      sampleValue(text, "sockit_check_runs_total", { check: "db", result: "success" }),
      1,
    );
    // Only the file: the temporary one it was written to is renamed away.
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "mon.yaml",
      "sockit.prom",
    ]);
    assert.deepEqual(await promtoolCheck(text), { code: 0, output: "" });
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test("on SIGTERM a monitor gives a check in flight --grace, then ends it and exits 0", async () => {
  await using silent = new SilentServer();
  const dir = await Deno.makeTempDir();
  const spec = await specFile(dir, [
    `  - { name: slow, tcp: { host: 127.0.0.1, port: ${silent.port}, expect: "never" }, timeout: 1m }`,
  ]);
  await using monitor = await MonitorProcess.start(["--grace", "300ms", spec], { every: "1m" });
  await silent.accepted;
  const asked = performance.now();
  const { code, events, stderr } = await monitor.stop("SIGTERM");
  const took = performance.now() - asked;
  assert.equal(code, 0, stderr);
  assert.ok(took >= 300 && took < 5000, `stopped after ${took} ms`);
  assert.match(stderr, /received SIGTERM: stopping; checks in flight have 300ms to end/);
  // The run ended by the stop is not a result: the check never finished.
  assert.deepEqual(events.map((e) => JSON.parse(e).event), ["stopped"]);
  await Deno.remove(dir, { recursive: true });
});
