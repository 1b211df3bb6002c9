/** blackbox_exporter's metric names for a check's result, per kind. */
import assert from "node:assert/strict";
import type { CheckResult } from "../check/runner.ts";
import { loadSpec } from "../check/spec.ts";
import type { CheckDef } from "../check/spec.ts";
import { renderText } from "../metrics/render.ts";
import type { ProbeFacts } from "../probe/result.ts";
import { blackboxMetrics, measuringCheck } from "./blackbox.ts";

async function checkOf(kind: string): Promise<CheckDef> {
  const spec = await loadSpec(`version: 1\nchecks:\n  - { name: c, ${kind} }\n`, {
    file: "s.yaml",
    baseDir: ".",
    env: () => undefined,
  });
  return spec.checks[0]!;
}

function resultOf(check: CheckDef, facts: ProbeFacts, overrides: Partial<CheckResult> = {}) {
  return {
    check,
    status: "passed",
    attempts: [],
    startedAt: new Date(),
    durationMs: 250,
    message: "",
    failures: [],
    errorType: undefined,
    errorKind: undefined,
    errorCode: undefined,
    facts,
    ...overrides,
  } satisfies CheckResult;
}

/** The samples of a rendering, by `name{labels}`. */
function samples(text: string): Record<string, number> {
  return Object.fromEntries(
    text.split("\n").filter((line) => line && !line.startsWith("#")).map((line) => {
      const space = line.lastIndexOf(" ");
      return [line.slice(0, space), Number(line.slice(space + 1))];
    }),
  );
}

const families = (text: string) => [...text.matchAll(/^# TYPE (\S+) gauge$/gm)].map((m) => m[1]);

Deno.test("blackboxMetrics() of an https check has blackbox_exporter's http families, by name", async () => {
  const check = await checkOf("http: { url: 'https://x.test/' }");
  const text = renderText(blackboxMetrics(
    resultOf(check, {
      status: 200,
      redirects: 1,
      phase_resolve_ms: 2,
      phase_connect_ms: 3,
      phase_tls_ms: 4,
      phase_processing_ms: 5,
      phase_transfer_ms: 6,
      content_length: 12,
      tls: true,
      http_version: 1.1,
      ip_protocol: 6,
      cert_not_after: "2030-01-02T03:04:05.000Z",
    }),
    { timeoutSeconds: 4.5 },
  ));
  assert.deepEqual(families(text), [
    "probe_dns_lookup_time_seconds",
    "probe_duration_seconds",
    "probe_failed_due_to_regex",
    "probe_http_content_length",
    "probe_http_duration_seconds",
    "probe_http_redirects",
    "probe_http_ssl",
    "probe_http_status_code",
    "probe_http_version",
    "probe_ip_protocol",
    "probe_ssl_earliest_cert_expiry",
    "probe_success",
    "probe_timeout_seconds",
  ]);
  assert.deepEqual(samples(text), {
    probe_dns_lookup_time_seconds: 0.002,
    probe_duration_seconds: 0.25,
    probe_failed_due_to_regex: 0,
    probe_http_content_length: 12,
    'probe_http_duration_seconds{phase="connect"}': 0.003,
    'probe_http_duration_seconds{phase="processing"}': 0.005,
    'probe_http_duration_seconds{phase="resolve"}': 0.002,
    'probe_http_duration_seconds{phase="tls"}': 0.004,
    'probe_http_duration_seconds{phase="transfer"}': 0.006,
    probe_http_redirects: 1,
    probe_http_ssl: 1,
    probe_http_status_code: 200,
    probe_http_version: 1.1,
    probe_ip_protocol: 6,
    probe_ssl_earliest_cert_expiry: Date.parse("2030-01-02T03:04:05.000Z") / 1000,
    probe_success: 1,
    probe_timeout_seconds: 4.5,
  });
});

Deno.test("blackboxMetrics() of an http check that got no response reads 0 for what it lacks", async () => {
  const check = await checkOf("http: { url: 'http://x.test/' }");
  const result = resultOf(check, { time_ms: 1 }, { status: "error", message: "refused" });
  const got = samples(renderText(blackboxMetrics(result, { timeoutSeconds: 1 })));
  assert.equal(got.probe_success, 0);
  assert.equal(got.probe_http_status_code, 0);
  assert.equal(got.probe_ip_protocol, 0);
  assert.equal(got.probe_ssl_earliest_cert_expiry, undefined);
});

Deno.test("blackboxMetrics() counts a failed body expectation as probe_failed_due_to_regex", async () => {
  const check = await checkOf("http: { url: 'http://x.test/' }");
  const failure = { expectation: "body_regex", expected: "ok", got: "no", message: "no ok" };
  const result = resultOf(check, { status: 200 }, { status: "failed", failures: [failure] });
  const got = samples(renderText(blackboxMetrics(result, { timeoutSeconds: 1 })));
  assert.deepEqual([got.probe_failed_due_to_regex, got.probe_success], [1, 0]);
});

Deno.test("blackboxMetrics() of a tcp check has blackbox_exporter's tcp families only", async () => {
  const check = await checkOf("tcp: { host: 127.0.0.1, port: 22 }");
  const result = resultOf(check, { ip_protocol: 4, phase_resolve_ms: 0 });
  const text = renderText(blackboxMetrics(result, { timeoutSeconds: 1 }));
  assert.deepEqual(families(text), [
    "probe_dns_lookup_time_seconds",
    "probe_duration_seconds",
    "probe_failed_due_to_regex",
    "probe_ip_protocol",
    "probe_success",
    "probe_timeout_seconds",
  ]);
  assert.equal(samples(text).probe_ip_protocol, 4);
});

Deno.test("blackboxMetrics() of a dns check counts the answers and times the lookup", async () => {
  const check = await checkOf("dns: { name: example.test, server: 127.0.0.1 }");
  const result = resultOf(check, {
    server: "127.0.0.1:53",
    answers: ["192.0.2.1", "192.0.2.2"],
    time_ms: 3,
  });
  const got = samples(renderText(blackboxMetrics(result, { timeoutSeconds: 1 })));
  assert.equal(got.probe_dns_answer_rrs, 2);
  assert.equal(got.probe_dns_lookup_time_seconds, 0.003);
  assert.equal(got.probe_ip_protocol, 4);
  assert.equal(got.probe_http_status_code, undefined);
});

Deno.test("measuringCheck() asks tcp and echo probes for their facts and keeps the check's own", async () => {
  const tcp = measuringCheck(await checkOf("tcp: { host: 127.0.0.1, port: 22, expect: SSH- }"));
  assert.equal(tcp.probe.stream?.measure, true);
  assert.deepEqual(tcp.probe.stream?.expect, new TextEncoder().encode("SSH-"));
  const echo = measuringCheck(await checkOf("echo: { host: 127.0.0.1, port: 7 }"));
  assert.equal(echo.probe.echo?.measure, true);
  assert.ok(echo.probe.echo?.payload);
});

Deno.test("blackboxMetrics() puts its constant labels (a vantage point) on every series, the phases' too", async () => {
  const check = await checkOf("http: { url: 'http://x.test/' }");
  const text = renderText(blackboxMetrics(resultOf(check, { status: 200, phase_connect_ms: 3 }), {
    timeoutSeconds: 5,
    constLabels: { vantage: "eu-1" },
  }));
  const lines = text.split("\n").filter((line) => line && !line.startsWith("#"));
  assert.ok(lines.length > 10, text);
  for (const line of lines) assert.match(line, /vantage="eu-1"\} /, line);
  assert.equal(samples(text)['probe_http_duration_seconds{phase="connect",vantage="eu-1"}'], 0.003);
  assert.equal(samples(text)['probe_success{vantage="eu-1"}'], 1);
});
