/**
 * `sockit check --vantage NAME` (or `SOCKIT_VANTAGE`, or the host name): the name in every report
 * of a one-shot run, read as each report's consumer reads it (JSON.parse, xmllint, tap-parser,
 * promtool), on every line a monitor prints under `--json`, on every series of its `/metrics`, in
 * `/api/results`, `/healthz?format=json` and the status page; and the names refused.
 */
import assert from "node:assert/strict";
import { Parser } from "tap-parser";
import { closedPort, runSockit } from "./_helpers.ts";
import { MonitorProcess } from "./_monitor.ts";
import {
  assertJunitParses,
  assertTapParses,
  ReflectingServer,
  runWithReports,
} from "./_reports.ts";
import { havePromtool, promtoolCheck } from "../lib/metrics/_promtool.ts";

/** A name with every character a report must escape: quotes, a backslash, XML's specials, `#`. */
const ODD = `eu "1" <&> \\ #x`;

/** ODD as a label value of the exposition formats: `\` and `"` escaped. */
const ODD_LABEL = `vantage="eu \\"1\\" <&> \\\\ #x"`;

/** A spec of checks of every kind a run reports on: http and tcp that pass, a name, a refusal. */
function specText(port: number): string {
  return [
    "version: 1",
    "checks:",
    `  - { name: web, http: { url: "http://127.0.0.1:${port}/" } }`,
    `  - { name: db, tcp: { host: 127.0.0.1, port: ${port} } }`,
    "  - { name: name, dns: { name: localhost } }",
    `  - { name: gone, tcp: { host: 127.0.0.1, port: ${closedPort()} }, timeout: 1s }`,
    "",
  ].join("\n");
}

/** Runs `use` with that spec in a temporary file, its peer serving; then removes both. */
async function withSpec(use: (spec: string, server: ReflectingServer) => Promise<void>) {
  await using server = new ReflectingServer();
  const dir = await Deno.makeTempDir({ prefix: "sockit-vantage-" });
  try {
    const spec = `${dir}/sockit.yaml`;
    await Deno.writeTextFile(spec, specText(server.port));
    await use(spec, server);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The sample lines of an exposition (neither comments nor blank). */
function samples(text: string): string[] {
  return text.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
}

/** What xmllint reads as the value of an XPath expression in a file. */
async function xpath(path: string, expression: string): Promise<string> {
  const out = await new Deno.Command("xmllint", { args: ["--xpath", expression, path] }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).replace(/\n$/, "");
}

/** The comments tap-parser sees in a TAP stream, without their `#` and newline. */
function tapComments(text: string): Promise<string[]> {
  return new Promise((resolve) => {
    const comments: string[] = [];
    const parser = new Parser(() => resolve(comments));
    parser.on("comment", (line: string) => comments.push(line.replace(/^# ?/, "").trimEnd()));
    parser.end(text);
  });
}

Deno.test("check --vantage puts the name in the JSON, JUnit, TAP and openmetrics reports, escaped for each", async () => {
  await using server = new ReflectingServer();
  const args = ["--vantage", ODD, "--report", "openmetrics=-"];
  await runWithReports(specText(server.port), { args }, async (run) => {
    assert.equal(run.result.code, 1, run.result.err);
    const json = JSON.parse(run.json);
    assert.equal(Object.keys(json)[0], "vantage");
    assert.equal(json.vantage, ODD);
    assert.deepEqual(
      (json.checks as Array<{ name: string; ok: boolean }>).map((c) => [c.name, c.ok]),
      [["web", true], ["db", true], ["name", true], ["gone", false]],
    );

    assert.match(run.junit, /<testsuites name="sockit check" /);
    assert.ok(
      run.junit.includes(
        '<properties><property name="vantage" value="eu &quot;1&quot; &lt;&amp;&gt; \\ #x"/></properties>',
      ),
      run.junit,
    );
    if (await assertJunitParses(run.junitPath)) {
      const read = (expression: string) => xpath(run.junitPath, expression);
      assert.equal(
        await read('string(//testsuite/properties/property[@name="vantage"]/@value)'),
        ODD,
      );
      const file = json.files[0];
      assert.equal(await read("string(//testsuite/@name)"), `${file} (${ODD})`);
      assert.equal(await read("string(//testsuite/@file)"), file);
    }

    assert.deepEqual(run.tap.split("\n").slice(0, 3), [
      "TAP version 14",
      "1..4",
      `# vantage: ${ODD}`,
    ]);
    const parsed = await assertTapParses(run.tap, 4);
    assert.deepEqual([parsed.pass, parsed.fail], [3, 1]);
    assert.equal((await tapComments(run.tap))[0], `vantage: ${ODD}`);

    const lines = samples(run.result.out);
    assert.ok(lines.some((l) => l.startsWith("sockit_http_status_code{")), run.result.out);
    assert.ok(lines.some((l) => l.startsWith("sockit_check_failure_info{")), run.result.out);
    for (const line of lines) assert.ok(line.includes(ODD_LABEL), line);
    if (havePromtool()) {
      assert.deepEqual(await promtoolCheck(run.result.out), { code: 0, output: "" });
    }
  });
});

Deno.test("the vantage point is --vantage, else SOCKIT_VANTAGE, else the host name (an empty SOCKIT_VANTAGE is unset)", async () => {
  await withSpec(async (spec) => {
    const vantage = async (args: string[], env: Record<string, string>) => {
      const result = await runSockit(["check", "--json", "--name", "^db$", ...args, spec], { env });
      assert.equal(result.code, 0, result.err);
      return JSON.parse(result.out).vantage;
    };
    assert.equal(await vantage([], { SOCKIT_VANTAGE: "" }), Deno.hostname());
    assert.equal(await vantage([], { SOCKIT_VANTAGE: "ci runner 3" }), "ci runner 3");
    assert.equal(await vantage(["--vantage", "laptop"], { SOCKIT_VANTAGE: "ci" }), "laptop");
  });
});

Deno.test("an empty, long, blank-edged or unprintable vantage point is exit 2 before any check runs", async () => {
  await withSpec(async (spec, server) => {
    const refused = async (args: string[], env: Record<string, string>, message: string) => {
      const result = await runSockit(["check", ...args, spec], { env });
      assert.equal(result.code, 2, result.err);
      assert.equal(result.out, "");
      assert.equal(result.err, `error: ${message}\nRun "sockit check --help" for usage.\n`);
    };
    await refused(["--vantage", ""], {}, 'Invalid --vantage "": it is empty');
    await refused(
      ["--vantage", "a\nok 1 - forged"],
      {},
      'Invalid --vantage "a\\nok 1 - forged": it holds a control character (U+000A)',
    );
    await refused(
      ["--vantage", "a\u001b[2Jb"],
      {},
      'Invalid --vantage "a\\u001b[2Jb": it holds a control character (U+001B)',
    );
    await refused(
      ["--vantage", "a\u202eb"],
      {},
      'Invalid --vantage "a\\u202eb": it holds an invisible format character (U+202E)',
    );
    await refused(
      ["--vantage", "eu-1 "],
      {},
      'Invalid --vantage "eu-1 ": it begins or ends with white space',
    );
    await refused(
      ["--vantage", "x".repeat(257)],
      {},
      `Invalid --vantage "${"x".repeat(60)}...": it is 257 characters long, over the 256 allowed`,
    );
    await refused(
      [],
      { SOCKIT_VANTAGE: "a\tb" },
      'Invalid SOCKIT_VANTAGE "a\\tb": it holds a control character (U+0009)',
    );
    // A monitor refuses it the same way, before it listens.
    await refused(
      ["--every", "1s", "--listen", "127.0.0.1:0", "--vantage", "a\rb"],
      {},
      'Invalid --vantage "a\\rb": it holds a control character (U+000D)',
    );
    assert.deepEqual(server.received, [], "no check ran");
    const json = await runSockit(["check", "--json", "--vantage", "", spec]);
    assert.deepEqual([json.code, JSON.parse(json.out)], [2, {
      error: 'Invalid --vantage "": it is empty',
      exit_code: 2,
    }]);
  });
});

Deno.test({
  name:
    "a monitor's JSON lines, every series of /metrics, /api/results, /healthz?format=json and the page carry its vantage point",
  ignore: !havePromtool(),
  async fn() {
    await withSpec(async (spec) => {
      const monitor = await MonitorProcess.start(["--vantage", ODD, spec], { every: "200ms" });
      try {
        const names = new Set<string>();
        while (names.size < 4) {
          const event = await monitor.until((e) => e.event === "result");
          assert.deepEqual(Object.keys(event).slice(0, 3), ["event", "vantage", "at"]);
          assert.equal(event.vantage, ODD);
          names.add(event.name as string);
        }
        monitor.drain();

        const metrics = await monitor.get("/metrics");
        const lines = samples(metrics.body);
        for (
          const family of [
            "sockit_build_info",
            "sockit_check_success",
            "sockit_check_duration_seconds_bucket",
            "sockit_check_interval_seconds",
            "sockit_check_runs_total",
            "sockit_check_overruns_total",
            "sockit_check_failure_info",
            "sockit_http_status_code",
            "sockit_http_phase_duration_seconds",
          ]
        ) assert.ok(lines.some((l) => l.startsWith(`${family}{`)), `${family}:\n${metrics.body}`);
        for (const line of lines) assert.ok(line.includes(ODD_LABEL), line);
        assert.deepEqual(await promtoolCheck(metrics.body), { code: 0, output: "" });
        const openMetrics = await monitor.get("/metrics", {
          Accept: "application/openmetrics-text;version=1.0.0",
        });
        for (const line of samples(openMetrics.body)) assert.ok(line.includes(ODD_LABEL), line);

        const results = JSON.parse((await monitor.get("/api/results")).body);
        assert.equal(Object.keys(results)[0], "vantage");
        assert.equal(results.vantage, ODD);
        const health = await monitor.get("/healthz?format=json");
        assert.equal(health.status, 503);
        assert.equal(JSON.parse(health.body).vantage, ODD);
        const page = (await monitor.get("/")).body;
        assert.ok(page.includes(" &#xB7; from eu &quot;1&quot; &lt;&amp;&gt; \\ #x &#xB7; "), page);
        assert.match(
          page,
          /<title>sockit \(eu &quot;1&quot; &lt;&amp;&gt; \\ #x\): 3 of 4 passing<\/title>/,
        );
      } finally {
        const { code, events, stderr } = await monitor.stop("SIGTERM");
        assert.equal(code, 0, stderr);
        const stopped = JSON.parse(events.at(-1)!);
        assert.deepEqual([stopped.event, stopped.vantage], ["stopped", ODD]);
        assert.match(
          stderr,
          /monitoring 4 checks every 200ms from "eu \\"1\\" <&> \\\\ #x"; metrics at /,
        );
      }
    });
  },
});

Deno.test("a monitor without --vantage labels its series with SOCKIT_VANTAGE", async () => {
  await withSpec(async (spec) => {
    const monitor = await MonitorProcess.start(["--name", "^db$", spec], {
      every: "200ms",
      env: { SOCKIT_VANTAGE: "node-7" },
    });
    try {
      const event = await monitor.until((e) => e.event === "result");
      assert.equal(event.vantage, "node-7");
      const metrics = (await monitor.get("/metrics")).body;
      assert.match(
        metrics,
        /^sockit_check_success\{check="db",file="[^"]+",kind="tcp",target="127\.0\.0\.1:\d+",vantage="node-7"\} 1$/m,
      );
      monitor.drain();
    } finally {
      assert.equal((await monitor.stop("SIGTERM")).code, 0);
    }
  });
});
