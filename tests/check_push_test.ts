/**
 * `sockit check --push URL`: a one-shot run's metrics sent to a real Prometheus Pushgateway and
 * read back from it, grouped by job and vantage point; a gateway that is stopped, refuses the
 * push or fails for a while; and the exit code of each case, the checks' own outcome first. A
 * monitor's pushes, once per interval and once as it stops.
 */
import assert from "node:assert/strict";
import { closedPort, runSockit, spawnSockit } from "./_helpers.ts";
import { ReplayServer, SilentServer } from "./_http.ts";
import { MonitorProcess } from "./_monitor.ts";
import { hasPushgateway, startPushgateway } from "./_prometheus.ts";

const noGateway = !hasPushgateway();
const OK = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

/**
 * Runs `use` with a spec of one tcp check in a temporary folder: to a port that listens (it
 * passes) or, with `failing`, to one that does not (it fails).
 */
async function withSpec(
  use: (spec: string, dir: string) => Promise<void>,
  { failing = false } = {},
): Promise<void> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = failing ? closedPort() : listener.addr.port;
  const dir = await Deno.makeTempDir({ prefix: "sockit-push-" });
  try {
    const spec = `${dir}/sockit.yaml`;
    await Deno.writeTextFile(
      spec,
      `version: 1\nchecks:\n  - { name: up, tcp: { host: 127.0.0.1, port: ${port} } }\n`,
    );
    await use(spec, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "check --push puts each vantage point's metrics in its own group of a real Pushgateway",
  ignore: noGateway,
  async fn() {
    await withSpec(async (spec, dir) => {
      await using gateway = await startPushgateway({ dir });
      for (const vantage of ["eu/west 1", "ci"]) {
        const run = await runSockit(["check", "--vantage", vantage, "--push", gateway.url, spec]);
        assert.equal(run.code, 0, run.err);
        assert.equal(run.err, "");
      }
      const groups = await gateway.groups();
      assert.deepEqual(
        groups.map((g) => g.labels).sort((a, b) => a.vantage!.localeCompare(b.vantage!)),
        [{ job: "sockit", vantage: "ci" }, { job: "sockit", vantage: "eu/west 1" }],
      );
      for (const group of groups) {
        const success = group.families.get("sockit_check_success");
        assert.ok(success, `no sockit_check_success in ${JSON.stringify(group.labels)}`);
        assert.deepEqual(
          success.map((s) => [s.labels.check, s.labels.job, s.labels.vantage, s.value]),
          [["up", "sockit", group.labels.vantage, "1"]],
        );
      }
      // What Prometheus would scrape from the gateway: both, told apart by vantage.
      const scraped = await (await fetch(`${gateway.url}/metrics`)).text();
      for (const vantage of ["eu/west 1", "ci"]) {
        assert.match(
          scraped,
          new RegExp(`^sockit_check_success\\{check="up",.*vantage="${vantage}"\\} 1$`, "m"),
        );
      }
    });
  },
});

Deno.test({
  name: "check --push puts a vantage point or a job named . or .. in a group of that name",
  ignore: noGateway,
  async fn() {
    await withSpec(async (spec, dir) => {
      await using gateway = await startPushgateway({ dir });
      for (const [job, vantage] of [["sockit", "."], ["sockit", ".."], ["..", "a"]]) {
        const run = await runSockit([
          "check",
          "--vantage",
          vantage!,
          "--push",
          gateway.url,
          "--push-job",
          job!,
          spec,
        ]);
        assert.equal(run.code, 0, run.err);
      }
      const groups = (await gateway.groups()).map((g) => g.labels);
      const key = (labels: Record<string, string>) => `${labels.job} ${labels.vantage}`;
      assert.deepEqual(groups.sort((a, b) => key(a).localeCompare(key(b))), [
        { job: "..", vantage: "a" },
        { job: "sockit", vantage: "." },
        { job: "sockit", vantage: ".." },
      ]);
    });
  },
});

Deno.test({
  name: "check --push-job names the pushed group's job",
  ignore: noGateway,
  async fn() {
    await withSpec(async (spec, dir) => {
      await using gateway = await startPushgateway({ dir });
      const run = await runSockit([
        "check",
        "--vantage=a",
        "--push",
        `${gateway.url}/`,
        "--push-job",
        "smoke/eu",
        spec,
      ]);
      assert.equal(run.code, 0, run.err);
      const groups = await gateway.groups();
      assert.deepEqual(groups.map((g) => g.labels), [{ job: "smoke/eu", vantage: "a" }]);
    });
  },
});

Deno.test({
  name:
    "check --push to a stopped Pushgateway exits 9 after the checks' lines, 1 when a check failed",
  ignore: noGateway,
  async fn() {
    let url = "";
    await withSpec(async (_spec, dir) => {
      const gateway = await startPushgateway({ dir });
      url = gateway.url;
      await gateway.stop();
    });
    const run = (failing: boolean) =>
      withSpec(async (spec) => {
        const result = await runSockit(["check", "--vantage", "a", "--push", url, spec]);
        const pushed = `${url}/metrics/job/sockit/vantage/a`;
        const error = new RegExp(
          `^error: Cannot push the metrics to ${pushed}: Cannot connect to [^\\n]*refused$`,
          "m",
        );
        assert.match(result.err, error);
        // Three attempts: two warnings before the error.
        assert.equal(result.err.match(/push attempt \d failed/g)?.length, 2, result.err);
        assert.match(result.out, failing ? /^FAIL +up\b/m : /^ok +up\b/m);
        assert.match(result.out, failing ? /^0 passed, 1 failed/m : /^1 passed, 0 failed/m);
        assert.equal(result.code, failing ? 1 : 9, result.err);
      }, { failing });
    await Promise.all([run(false), run(true)]);
  },
});

Deno.test("check --push quotes a gateway's 400 and its answer, and --json says so in push", async () => {
  const refusal = "pushed metrics are invalid or inconsistent with existing metrics";
  await using server = new ReplayServer([
    `HTTP/1.1 400 Bad Request\r\nContent-Length: ${refusal.length}\r\n\r\n${refusal}`,
  ]);
  await withSpec(async (spec) => {
    const run = await runSockit([
      "check",
      "--json",
      "--vantage",
      "eu/west 1",
      "--push",
      server.url("/gw"),
      spec,
    ]);
    const url = server.url("/gw/metrics/job/sockit/vantage@base64/ZXUvd2VzdCAx");
    const why = `Pushgateway answered 400 Bad Request: ${refusal}`;
    assert.equal(run.err, `error: Cannot push the metrics to ${url}: ${why}\n`);
    assert.equal(run.code, 9);
    assert.deepEqual(JSON.parse(run.out).push, {
      ok: false,
      url,
      status: 400,
      attempts: 1,
      error: why,
    });
    assert.equal(server.requests.length, 1, "a 400 is not retried");
    const [request] = server.requests;
    assert.match(request!, /^PUT \/gw\/metrics\/job\/sockit\/vantage@base64\/ZXUvd2VzdCAx /);
    assert.match(request!, /\r\nContent-Type: text\/plain; version=0\.0\.4; charset=utf-8\r\n/);
    assert.match(server.bodies[0]!, /^sockit_check_success\{.*vantage="eu\/west 1"\} 1$/m);
  });
});

Deno.test("check --push retries a gateway that answers 503 twice, then pushes: exit 0", async () => {
  const unavailable = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n";
  await using server = new ReplayServer([unavailable, unavailable, OK]);
  await withSpec(async (spec) => {
    const run = await runSockit(["check", "--json", "--vantage=a", "--push", server.url(), spec]);
    assert.equal(run.code, 0, run.err);
    assert.deepEqual(JSON.parse(run.out).push, {
      ok: true,
      url: server.url("/metrics/job/sockit/vantage/a"),
      status: 200,
      attempts: 3,
      error: null,
    });
    const warnings = run.err.trim().split("\n");
    assert.equal(warnings.length, 2, run.err);
    assert.match(warnings[0]!, /push attempt 1 failed: Pushgateway answered 503 .*again in 1s$/);
    assert.match(warnings[1]!, /push attempt 2 failed: Pushgateway answered 503 .*again in 2s$/);
    assert.equal(server.bodies.length, 3);
    assert.equal(new Set(server.bodies).size, 1, "the same exposition each time");
  });
});

Deno.test("check --timeout bounds the push too: a gateway that never answers fails it in what is left, exit 9 or 1", async () => {
  await using silent = new SilentServer();
  const run = (failing: boolean) =>
    withSpec(async (spec) => {
      const started = performance.now();
      const result = await runSockit([
        "check",
        "--json",
        "--timeout",
        "1s",
        "--vantage=a",
        "--push",
        silent.url(),
        spec,
      ]);
      const tookMs = performance.now() - started;
      const url = silent.url("/metrics/job/sockit/vantage/a");
      const why = "not finished within the run's --timeout of 1s";
      assert.equal(result.err, `error: Cannot push the metrics to ${url}: ${why}\n`);
      assert.deepEqual(JSON.parse(result.out).push, {
        ok: false,
        url,
        status: null,
        attempts: 1,
        error: why,
      });
      assert.equal(result.code, failing ? 1 : 9);
      // Each attempt alone has 10s, and three of them used to take over 30s.
      assert.ok(tookMs < 8000, `took ${Math.round(tookMs)}ms`);
    }, { failing });
  await Promise.all([run(false), run(true)]);
  assert.equal(silent.connections, 2, "one attempt each");
});

Deno.test("check --push interrupted during an attempt counts that attempt, and exits 130", async () => {
  await using silent = new SilentServer();
  await withSpec(async (spec) => {
    const { process } = spawnSockit([
      "check",
      "--json",
      "--vantage=a",
      "--push",
      silent.url(),
      spec,
    ]);
    const out = new Response(process.stdout).text();
    const err = new Response(process.stderr).text();
    await silent.accepted;
    process.kill("SIGINT");
    const [status, stdout, stderr] = await Promise.all([process.status, out, err]);
    assert.equal(status.code, 130, stderr);
    assert.deepEqual(JSON.parse(stdout).push, {
      ok: false,
      url: silent.url("/metrics/job/sockit/vantage/a"),
      status: null,
      attempts: 1,
      error: "interrupted",
    });
  });
});

Deno.test("check refuses a --push URL that is not http or https or has a query, and a --push-job no vantage point could be named, before running", async () => {
  const cases: Array<[string[], RegExp]> = [
    [
      ["--push", "ftp://gw:9091"],
      /^error: Invalid --push "ftp:\/\/gw:9091": Unsupported URL scheme/,
    ],
    [["--push", "gw:9091"], /^error: Invalid --push "gw:9091": /],
    [
      ["--push", "http://gw/?a=1"],
      /^error: Invalid --push "http:\/\/gw\/\?a=1": a Pushgateway URL takes no query/,
    ],
    [["--push", "http://gw", "--push-job", ""], /^error: Invalid --push-job "": it is empty\n/],
    [
      ["--push", "http://gw", "--push-job", `${"a".repeat(130_000)}/x`],
      /^error: Invalid --push-job "a{60}\.\.\.": it is 130002 characters long, over the 256 allowed\n/,
    ],
    [
      ["--push", "http://gw", "--push-job", "a\tb"],
      /^error: Invalid --push-job "a\\tb": .*U\+0009/,
    ],
    [["--push-job", "x"], /--push-job.*--push/],
    [["--push", "http://gw", "--push-cacert", "/nonexistent.pem"], /--push-cacert/],
  ];
  await withSpec(async (spec) => {
    for (const [args, expected] of cases) {
      const run = await runSockit(["check", ...args, spec]);
      assert.equal(run.code, 2, `${args.join(" ")}: ${run.err}`);
      assert.match(run.err, expected, args.join(" "));
      assert.equal(run.out, "", args.join(" "));
    }
  });
});

Deno.test({
  name: "check --every --push pushes the monitor's metrics each interval and once more as it stops",
  ignore: noGateway,
  async fn() {
    await withSpec(async (spec, dir) => {
      await using gateway = await startPushgateway({ dir });
      await using monitor = await MonitorProcess.start(
        ["--vantage", "node-1", "--push", gateway.url, spec],
        { every: "200ms" },
      );
      const pushed = await monitor.until((e) => e.event === "push");
      assert.deepEqual(pushed, {
        event: "push",
        vantage: "node-1",
        ok: true,
        url: `${gateway.url}/metrics/job/sockit/vantage/node-1`,
        status: 200,
        attempts: 1,
        error: null,
      });
      const [group] = await gateway.groups();
      assert.deepEqual(group!.labels, { job: "sockit", vantage: "node-1" });
      assert.deepEqual(
        group!.families.get("sockit_check_interval_seconds")?.map((s) => s.value),
        ["0.2"],
      );
      const { code, events, stderr } = await monitor.stop();
      assert.equal(code, 0, stderr);
      const last = events.map((line) => JSON.parse(line)).filter((e) => e.event === "push").at(-1);
      assert.equal(last?.ok, true, events.join("\n"));
      assert.equal(JSON.parse(events.at(-1)!).event, "stopped");
    });
  },
});

Deno.test("check --every --push gives its last push one attempt of at most --grace, and exits 9 even with a check failing", async () => {
  await using silent = new SilentServer();
  await withSpec(async (spec) => {
    await using monitor = await MonitorProcess.start(
      ["--vantage", "node-1", "--grace", "300ms", "--push", silent.url(), spec],
      { every: "1m" },
    );
    const result = await monitor.until((e) => e.event === "result");
    assert.notEqual(result.status, "passed");
    const { code, events, stderr } = await monitor.stop();
    assert.equal(code, 9, stderr);
    const url = silent.url("/metrics/job/sockit/vantage/node-1");
    const why = "not finished within --grace of 300ms";
    assert.match(stderr, new RegExp(`^error: Cannot push the metrics to ${url}: ${why}$`, "m"));
    const pushes = events.map((line) => JSON.parse(line)).filter((e) => e.event === "push");
    assert.deepEqual(pushes.map((e) => [e.ok, e.attempts, e.error]), [[false, 1, why]]);
    assert.equal(silent.connections, 1);
    // A monitor's exit code never tells of its checks: the push's 9 hides no outcome of theirs.
    assert.equal(JSON.parse(events.at(-1)!).event, "stopped");
  }, { failing: true });
});

Deno.test("check --every --push warns of each failed push and exits 9 when the last one fails", async () => {
  const port = closedPort();
  await withSpec(async (spec) => {
    await using monitor = await MonitorProcess.start(
      ["--vantage", "node-1", "--push", `http://127.0.0.1:${port}`, spec],
      { every: "200ms" },
    );
    const pushed = await monitor.until((e) => e.event === "push");
    assert.equal(pushed.ok, false);
    assert.match(String(pushed.error), /^Cannot connect to 127\.0\.0\.1:\d+: connection refused$/);
    const { code, stderr } = await monitor.stop();
    assert.equal(code, 9, stderr);
    const url = `http://127.0.0.1:${port}/metrics/job/sockit/vantage/node-1`;
    assert.match(stderr, new RegExp(`WARN sockit\\.check Cannot push the metrics to ${url}: `));
    assert.match(stderr, new RegExp(`^error: Cannot push the metrics to ${url}: .*refused$`, "m"));
  });
});
