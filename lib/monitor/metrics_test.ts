/**
 * The monitor's metrics: what a realistic set of checks renders (and that promtool finds nothing
 * in it), runs counted per run and never per render, series that follow the latest run and
 * disappear with their check.
 */
import assert from "node:assert/strict";
import { havePromtool, PROMTOOL, promtoolCheck } from "../metrics/_promtool.ts";
import { resultFingerprint } from "../check/fingerprint.ts";
import { MASK, Redactor } from "../check/redact.ts";
import { jsonResult } from "../check/report.ts";
import { runChecks } from "../check/runner.ts";
import type { CheckResult } from "../check/runner.ts";
import { loadSpec } from "../check/spec.ts";
import type { CheckDef } from "../check/spec.ts";
import { startResponder } from "../dns/responder.ts";
import { ReplayServer } from "../../tests/_http.ts";
import { MonitorMetrics } from "./metrics.ts";
import { checkKey, runResultLabel } from "./snapshot.ts";
import type { CheckState } from "./snapshot.ts";

const BUILD = { version: "0.1.0", commit: "abc1234" };

/** The checks of a spec (a list of check items) in `s.yaml`, with `env` for its secrets. */
async function checksOf(items: string[], env: Record<string, string> = {}, head = "") {
  return await loadSpec(`version: 1\n${head}checks:\n${items.map((i) => `  - ${i}\n`).join("")}`, {
    file: "s.yaml",
    baseDir: ".",
    env: (name) => env[name],
  });
}

/** The state of a check after `results` (its latest last), as the scheduler keeps it. */
function stateAfter(check: CheckDef, results: CheckResult[], everyMs = 10_000): CheckState {
  const runs = { success: 0, failure: 0, error: 0 };
  for (const result of results) {
    if (result.status !== "skipped") runs[runResultLabel(result.status)]++;
  }
  return {
    key: checkKey(check),
    check,
    everyMs,
    latest: results.at(-1),
    history: [],
    runs,
    retries: 0,
    overruns: 0,
    running: false,
    nextRunAt: undefined,
  };
}

/** A finished run of `check` made by hand. */
function made(check: CheckDef, extra: Partial<CheckResult> = {}): CheckResult {
  return {
    check,
    status: "passed",
    attempts: [{ attempt: 1, ok: true, startMs: 0, durationMs: 42, reason: "200" }],
    startedAt: new Date("2026-12-07T12:00:00.000Z"),
    durationMs: 42,
    message: "200",
    failures: [],
    errorType: undefined,
    errorKind: undefined,
    errorCode: undefined,
    facts: {},
    ...extra,
  };
}

/** The sample lines of `text` whose name is `name` (with its labels), without the others. */
function samples(text: string, name: string): string[] {
  return text.split("\n").filter((line) =>
    line.startsWith(`${name}{`) || line.startsWith(`${name} `)
  );
}

const promtoolInstalled = havePromtool();
if (!promtoolInstalled) {
  // deno-lint-ignore no-console
  console.warn(
    `${PROMTOOL} is not installed: the promtool test of the monitor's metrics is ignored`,
  );
}

/**
 * A realistic monitor: an https check passing with its phases and certificate (facts by hand,
 * as the http probe reports them), and real runs of a DNS NXDOMAIN, a refused port, a 503, a
 * check with a tricky name and one whose target holds a secret.
 */
async function realisticMetrics(): Promise<{ metrics: MonitorMetrics; text: string }> {
  const refused = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedPort = refused.addr.port;
  refused.close();
  await using web = new ReplayServer([
    "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
  ]);
  await using dns = await startResponder({ "a.example.test": ["192.0.2.1"] });
  const spec = await checksOf(
    [
      `{ name: front, http: { url: "https://front.example.test/" } }`,
      `{ name: gone, dns: { name: gone.example.test, type: A, server: "127.0.0.1:${dns.server.port}" } }`,
      `{ name: db, tcp: { host: 127.0.0.1, port: ${closedPort} } }`,
      `{ name: api, http: { url: "${web.url("/health")}" } }`,
      `{ name: "say \\"hi\\" C:\\\\ b\u00fccher \u2713", http: { url: "${web.url("/")}" } }`,
      `{ name: private, http: { url: "${web.url("/?token=\${TOKEN}")}" } }`,
    ],
    { TOKEN: "hunter22" },
    "secrets: [TOKEN]\n",
  );
  const redactor = new Redactor(spec.secrets);
  const [front, ...real] = spec.checks;
  // A name is one line, but a file name may hold a line feed.
  real[3] = { ...real[3]!, file: "odd\ndir/s.yaml" };
  const results = [
    made(front!, {
      facts: {
        status: 200,
        phase_resolve_ms: 1.5,
        phase_connect_ms: 2.25,
        phase_tls_ms: 8,
        phase_processing_ms: 30,
        phase_transfer_ms: 0.25,
        cert_not_after: "2027-03-01T00:00:00.000Z",
        tls: true,
      },
    }),
    ...await runChecks(real.map((check) => ({ check })), { jobs: 1, redactor }),
  ];
  const metrics = new MonitorMetrics({ build: BUILD });
  for (const result of results) metrics.record(stateAfter(result.check, [result]), result);
  return { metrics, text: metrics.render("text") };
}

Deno.test("a realistic monitor renders every check's latest result, with each family's HELP and TYPE", async () => {
  const { text } = await realisticMetrics();
  assert.deepEqual(samples(text, "sockit_build_info"), [
    'sockit_build_info{version="0.1.0",commit="abc1234"} 1',
  ]);
  assert.deepEqual(
    samples(text, "sockit_check_success").map((line) =>
      line.split("{")[1]!.split(",")[0] + " " + line.split(" ").at(-1)
    ),
    [
      'check="front" 1',
      'check="gone" 0',
      'check="db" 0',
      'check="api" 0',
      'check="say \\"hi\\" C:\\\\ b\u00fccher \u2713" 1',
      'check="private" 1',
    ],
  );
  assert.deepEqual(
    samples(text, "sockit_check_failure_info").map((line) =>
      line.match(/check="(\w+)".*reason="(\w+)"/)!.slice(1).join(" ")
    ),
    [
      "gone dns_nxdomain",
      "db connect_refused",
      "api status_mismatch",
    ],
  );
  assert.match(
    text,
    /^sockit_dns_rcode\{check="gone",file="s\.yaml",kind="dns",target="[^"]+",rcode="NXDOMAIN"\} 1$/m,
  );
  assert.match(text, /^sockit_http_status_code\{check="api",[^}]*\} 503$/m);
  assert.match(text, /^sockit_http_status_code\{check="front",[^}]*\} 200$/m);
  assert.match(
    text,
    /^sockit_http_phase_duration_seconds\{check="front",[^}]*,phase="tls"\} 0\.008$/m,
  );
  assert.equal(samples(text, "sockit_http_phase_duration_seconds").length, 5);
  assert.deepEqual(samples(text, "sockit_tls_cert_not_after_timestamp_seconds"), [
    'sockit_tls_cert_not_after_timestamp_seconds{check="front",file="s.yaml",kind="http",target="https://front.example.test/"} 1803859200',
  ]);
  assert.match(
    text,
    /^sockit_check_last_run_timestamp_seconds\{check="front",[^}]*\} 1796644800\.042$/m,
  );
  assert.match(text, /^sockit_check_duration_seconds_bucket\{check="front",[^}]*,le="0\.05"\} 1$/m);
  assert.match(
    text,
    /^sockit_check_duration_seconds_bucket\{check="front",[^}]*,le="0\.025"\} 0$/m,
  );
  // The secret is masked in the target label, and the spec's own names are kept.
  assert.ok(!text.includes("hunter22"));
  assert.match(
    text,
    new RegExp(
      `check="private",file="s\\.yaml",kind="http",target="[^"]*token=${
        MASK.replace(/[*]/g, "\\*")
      }"`,
    ),
  );
  assert.ok(!/[{,]instance=/.test(text), "no instance label");
  const families = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((match) =>
    match.slice(1).join(" ")
  );
  assert.deepEqual(families, [
    "sockit_build_info gauge",
    "sockit_check_success gauge",
    "sockit_check_duration_seconds histogram",
    "sockit_check_attempts gauge",
    "sockit_check_last_run_timestamp_seconds gauge",
    "sockit_check_interval_seconds gauge",
    "sockit_check_runs_total counter",
    "sockit_check_retries_total counter",
    "sockit_check_overruns_total counter",
    "sockit_check_failure_info gauge",
    "sockit_http_status_code gauge",
    "sockit_http_phase_duration_seconds gauge",
    "sockit_tls_cert_not_after_timestamp_seconds gauge",
    "sockit_dns_rcode gauge",
    "sockit_check_result_fingerprint gauge",
  ]);
  assert.equal([...text.matchAll(/^# HELP /gm)].length, families.length);
});

Deno.test({
  name: "promtool check metrics finds nothing in a realistic monitor's metrics",
  ignore: !promtoolInstalled,
  fn: async () => {
    const { text } = await realisticMetrics();
    assert.deepEqual(await promtoolCheck(text), { code: 0, output: "" });
  },
});

Deno.test("OpenMetrics names counters without _total, says the units and ends with # EOF", async () => {
  const { metrics } = await realisticMetrics();
  const text = metrics.render("openmetrics");
  assert.match(text, /^# TYPE sockit_check_runs counter$/m);
  assert.match(text, /^# UNIT sockit_check_duration_seconds seconds$/m);
  assert.match(text, /^sockit_check_runs_total\{check="db",[^}]*,result="error"\} 1$/m);
  assert.ok(text.endsWith("\n# EOF\n"));
});

Deno.test("runs are counted once per run, never per render", async () => {
  const spec = await checksOf(["{ name: a, http: { url: 'http://h/' } }"]);
  const check = spec.checks[0]!;
  const metrics = new MonitorMetrics({ build: BUILD });
  const runs = [
    made(check),
    made(check, { status: "error", errorType: "ConnectError", errorKind: "connect" }),
    made(check, {
      attempts: [1, 2, 3].map((attempt) => ({
        attempt,
        ok: attempt === 3,
        startMs: 0,
        durationMs: 1,
        reason: "",
      })),
    }),
  ];
  runs.forEach((result, index) =>
    metrics.record(stateAfter(check, runs.slice(0, index + 1)), result)
  );
  const first = metrics.render("text");
  assert.equal(metrics.render("text"), first);
  const value = (name: string) =>
    samples(first, name).map((line) =>
      line.replace(
        /\{check="a",[^}]*?(?:,result="(\w+)")?\}/,
        (_, result) => result ? ` ${result}` : "",
      )
    );
  assert.deepEqual(value("sockit_check_runs_total"), [
    "sockit_check_runs_total success 2",
    "sockit_check_runs_total failure 0",
    "sockit_check_runs_total error 1",
  ]);
  assert.deepEqual(value("sockit_check_retries_total"), ["sockit_check_retries_total 2"]);
  assert.deepEqual(value("sockit_check_attempts"), ["sockit_check_attempts 3"]);
  assert.deepEqual(value("sockit_check_duration_seconds_count"), [
    "sockit_check_duration_seconds_count 3",
  ]);
});

Deno.test("overruns are counted, those before the first run's end once it has ended", async () => {
  const spec = await checksOf(["{ name: a, tcp: { host: h, port: 1 } }"]);
  const check = spec.checks[0]!;
  const metrics = new MonitorMetrics({ build: BUILD });
  metrics.overrun(stateAfter(check, []));
  metrics.overrun(stateAfter(check, []));
  assert.ok(!metrics.render("text").includes('check="a"'));
  metrics.record(stateAfter(check, []), made(check, { status: "failed" }));
  metrics.overrun(stateAfter(check, []));
  const text = metrics.render("text");
  assert.match(text, /^sockit_check_overruns_total\{check="a",[^}]*\} 3$/m);
  assert.match(text, /^sockit_check_runs_total\{check="a",[^}]*,result="success"\} 0$/m);
});

Deno.test("a target holding a secret is labelled as the runner masked it, never as the spec has it", async () => {
  const spec = await checksOf(["{ name: a, tcp: { host: h, port: 1 } }"]);
  const masked = spec.checks[0]!;
  const plain = { ...masked, targetText: "hunter22.example.test:1" };
  const metrics = new MonitorMetrics({ build: BUILD });
  metrics.overrun(stateAfter(plain, []));
  metrics.record(stateAfter(plain, []), made(masked));
  metrics.overrun(stateAfter(plain, []));
  const text = metrics.render("text");
  assert.ok(!text.includes("hunter22"), text);
  assert.match(
    text,
    /^sockit_check_overruns_total\{check="a",file="s\.yaml",kind="tcp",target="h:1"\} 2$/m,
  );
});

Deno.test("the failure reason follows the latest run, and goes when the check passes", async () => {
  const spec = await checksOf(["{ name: a, tcp: { host: h, port: 1 } }"]);
  const check = spec.checks[0]!;
  const metrics = new MonitorMetrics({ build: BUILD });
  const reasons = () =>
    samples(metrics.render("text"), "sockit_check_failure_info").map((line) =>
      line.match(/reason="(\w+)"/)![1]
    );
  metrics.record(
    stateAfter(check, []),
    made(check, { status: "error", errorKind: "connect", errorCode: "ECONNREFUSED" }),
  );
  assert.deepEqual(reasons(), ["connect_refused"]);
  metrics.record(stateAfter(check, []), made(check, { status: "error", errorKind: "deadline" }));
  assert.deepEqual(reasons(), ["connect_timeout"]);
  metrics.record(stateAfter(check, []), made(check));
  assert.deepEqual(reasons(), []);
});

Deno.test("an http check without a response has status 0 and no phases or certificate series", async () => {
  const spec = await checksOf(["{ name: a, http: { url: 'https://h/' } }"]);
  const check = spec.checks[0]!;
  const metrics = new MonitorMetrics({ build: BUILD });
  metrics.record(
    stateAfter(check, []),
    made(check, {
      facts: { status: 200, phase_connect_ms: 1, cert_not_after: "2027-01-01T00:00:00Z" },
    }),
  );
  metrics.record(
    stateAfter(check, []),
    made(check, { status: "error", errorKind: "expired", facts: {} }),
  );
  const text = metrics.render("text");
  assert.match(text, /^sockit_http_status_code\{check="a",[^}]*\} 0$/m);
  assert.deepEqual(samples(text, "sockit_http_phase_duration_seconds"), []);
  assert.deepEqual(samples(text, "sockit_tls_cert_not_after_timestamp_seconds"), []);
});

Deno.test("remove() drops every series of a check and keeps the others'", async () => {
  const spec = await checksOf([
    "{ name: a, dns: { name: a.test, type: A, server: 127.0.0.1 } }",
    "{ name: b, tcp: { host: h, port: 1 } }",
  ]);
  const [a, b] = spec.checks as [CheckDef, CheckDef];
  const metrics = new MonitorMetrics({ build: BUILD });
  metrics.record(
    stateAfter(a, []),
    made(a, {
      status: "failed",
      failures: [{ expectation: "rcode", expected: "", got: "", message: "" }],
      facts: { rcode: "NXDOMAIN" },
    }),
  );
  metrics.record(stateAfter(b, []), made(b));
  metrics.overrun(stateAfter(a, []));
  metrics.remove(a);
  const text = metrics.render("text");
  assert.ok(!text.includes('check="a"'), text);
  assert.match(text, /^sockit_check_success\{check="b",[^}]*\} 1$/m);
  metrics.remove(a);
});

Deno.test("a check whose target changed in a reload starts again under its new labels", async () => {
  const before = (await checksOf(["{ name: a, tcp: { host: old.test, port: 1 } }"])).checks[0]!;
  const after = (await checksOf(["{ name: a, tcp: { host: new.test, port: 1 } }"])).checks[0]!;
  const metrics = new MonitorMetrics({ build: BUILD });
  metrics.record(stateAfter(before, []), made(before));
  metrics.record(stateAfter(after, []), made(after));
  const text = metrics.render("text");
  assert.ok(!text.includes("old.test"), text);
  assert.match(
    text,
    /^sockit_check_runs_total\{check="a",file="s\.yaml",kind="tcp",target="new\.test:1",result="success"\} 1$/m,
  );
});

Deno.test("constant labels follow the check's own on every series; a name the metrics use is refused", async () => {
  const check = (await checksOf(["{ name: a, tcp: { host: h, port: 1 } }"])).checks[0]!;
  const metrics = new MonitorMetrics({ build: BUILD, constLabels: { vantage: "eu-1" } });
  metrics.record(stateAfter(check, []), made(check));
  const lines = metrics.render("text").split("\n").filter((line) =>
    line !== "" && !line.startsWith("#")
  );
  for (const line of lines) assert.match(line, /vantage="eu-1"/, line);
  assert.match(
    lines.join("\n"),
    /^sockit_check_runs_total\{check="a",file="s\.yaml",kind="tcp",target="h:1",result="success",vantage="eu-1"\} 1$/m,
  );
  assert.throws(
    () => new MonitorMetrics({ build: BUILD, constLabels: { target: "x" } }),
    /constant label "target"/,
  );
  assert.throws(
    () => new MonitorMetrics({ build: BUILD, constLabels: { "bad-name": "x" } }),
    TypeError,
  );
});

Deno.test("the result fingerprint is one series per check, replaced when what the check saw changes", async () => {
  const spec = await checksOf([
    "{ name: a, dns: { name: a.example.test, type: A, server: 127.0.0.1 } }",
  ]);
  const check = spec.checks[0]!;
  const metrics = new MonitorMetrics({ build: BUILD, constLabels: { vantage: "eu-1" } });
  const fingerprints = () =>
    samples(metrics.render("text"), "sockit_check_result_fingerprint").map((line) =>
      line.match(/fingerprint="([0-9a-f]{12})",vantage="eu-1"\} 1$/)![1]
    );
  const seen = (answers: string[], timeMs: number) =>
    made(check, { facts: { rcode: "NOERROR", answers, time_ms: timeMs } });
  const first = seen(["192.0.2.1", "192.0.2.2"], 1.5);
  metrics.record(stateAfter(check, []), first);
  assert.deepEqual(fingerprints(), [resultFingerprint(jsonResult(first))]);
  // The same answers in another order, at another speed: the same view.
  metrics.record(stateAfter(check, []), seen(["192.0.2.2", "192.0.2.1"], 9));
  assert.deepEqual(fingerprints(), [resultFingerprint(jsonResult(first))]);
  const changed = seen(["192.0.2.66"], 1);
  metrics.record(stateAfter(check, []), changed);
  assert.deepEqual(fingerprints(), [resultFingerprint(jsonResult(changed))]);
  assert.notEqual(fingerprints()[0], resultFingerprint(jsonResult(first)));
  metrics.remove(check);
  assert.deepEqual(fingerprints(), []);
});
