/**
 * One check's result in blackbox_exporter's own metric names (`probe_success`,
 * `probe_http_status_code`, `probe_http_duration_seconds{phase}`, ...), so that the dashboards
 * and alerts written for blackbox_exporter's `/probe` read sockit's. The series each kind
 * exposes follow what blackbox_exporter's prober of that kind exposes (http, tcp, dns), in its
 * order (by name); what sockit does not measure is left out rather than made up.
 *
 * @module
 */
import type { CheckResult } from "../check/runner.ts";
import type { CheckDef } from "../check/spec.ts";
import { MetricsRegistry } from "../metrics/registry.ts";
import { ipProtocolOf } from "../probe/result.ts";
import type { ProbeFacts } from "../probe/result.ts";

/** Options for {@linkcode blackboxMetrics}. */
export interface BlackboxMetricsOptions {
  /** The time the probe was given, in seconds (`probe_timeout_seconds`). */
  timeoutSeconds: number;
  /**
   * Labels on every series (a monitor's `vantage`), after blackbox_exporter's own: two monitors
   * probing one target for one Prometheus give apart series.
   */
  constLabels?: Readonly<Record<string, string>> | undefined;
}

/** The phases of `probe_http_duration_seconds`, with the fact each is read from. */
const HTTP_PHASES: ReadonlyArray<[phase: string, fact: string]> = [
  ["connect", "phase_connect_ms"],
  ["processing", "phase_processing_ms"],
  ["resolve", "phase_resolve_ms"],
  ["tls", "phase_tls_ms"],
  ["transfer", "phase_transfer_ms"],
];

/** The expectations whose failure blackbox_exporter counts as `probe_failed_due_to_regex`. */
const REGEX_EXPECTATIONS = new Set(["body_contains", "body_regex", "expect"]);

/**
 * The check with its probe asked for every fact the metrics read: the phases, the content
 * length, TLS and the IP version (an HTTP check then reads the whole body, as
 * blackbox_exporter does), and an https check's certificate chain over a second handshake.
 *
 * @example
 * ```ts
 * import { measuringCheck } from "./blackbox.ts";
 * import { loadSpec } from "../check/spec.ts";
 * import assert from "node:assert/strict";
 * const spec = await loadSpec("version: 1\nchecks:\n  - { name: web, http: { url: 'https://x.test/' } }\n",
 *   { file: "s.yaml", baseDir: ".", env: () => undefined });
 * const check = measuringCheck(spec.checks[0]!);
 * assert.deepEqual([check.probe.http?.measure, check.probe.http?.readCertificate], [true, true]);
 * ```
 */
export function measuringCheck(check: CheckDef): CheckDef {
  const probe = { ...check.probe };
  switch (check.kind) {
    case "http":
      probe.http = { ...probe.http, measure: true, readCertificate: true };
      break;
    case "tcp":
    case "unix":
      probe.stream = { ...probe.stream, measure: true };
      break;
    case "echo":
      probe.echo = { ...probe.echo, measure: true };
      break;
    case "dns":
      break;
  }
  return { ...check, probe };
}

/**
 * `result` as blackbox_exporter's `/probe` would have answered for the same probe: every kind
 * has `probe_success`, `probe_duration_seconds` and `probe_timeout_seconds`; an http check adds
 * `probe_http_status_code` (0 without a response), `probe_http_duration_seconds{phase}`,
 * `probe_http_content_length`, `probe_http_redirects`, `probe_http_ssl`, `probe_http_version`
 * and, for https, `probe_ssl_earliest_cert_expiry`; tcp and echo `probe_ip_protocol`; dns
 * `probe_dns_answer_rrs`. Facts are those of {@linkcode measuringCheck}'s probe; one missing
 * (the exchange did not get that far) reads 0, as blackbox_exporter's do.
 *
 * @example A refused port
 * ```ts
 * import { blackboxMetrics } from "./blackbox.ts";
 * import { renderText } from "../metrics/render.ts";
 * import { loadSpec } from "../check/spec.ts";
 * import { runChecks } from "../check/runner.ts";
 * import assert from "node:assert/strict";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const port = listener.addr.port;
 * listener.close();
 * const spec = await loadSpec(`version: 1\nchecks:\n  - { name: db, tcp: { host: 127.0.0.1, port: ${port} } }\n`,
 *   { file: "s.yaml", baseDir: ".", env: () => undefined });
 * const [result] = await runChecks([{ check: spec.checks[0]! }]);
 * const text = renderText(blackboxMetrics(result!, { timeoutSeconds: 5 }));
 * assert.match(text, /^probe_success 0$/m);
 * assert.match(text, /^probe_timeout_seconds 5$/m);
 * ```
 */
export function blackboxMetrics(
  result: CheckResult,
  options: BlackboxMetricsOptions,
): MetricsRegistry {
  const registry = new MetricsRegistry();
  const { facts, check } = result;
  const labels = { ...options.constLabels };
  const gauge = (name: string, help: string, value: number, unit?: string) =>
    registry.gauge(name, { help, ...(unit ? { unit } : {}), labelNames: Object.keys(labels) })
      .set(labels, value);
  const regexFailed = result.failures.some((f) => REGEX_EXPECTATIONS.has(f.expectation));
  const kind = check.kind;
  if (kind === "dns") {
    const answers = Array.isArray(facts.answers) ? facts.answers.length : 0;
    gauge("probe_dns_answer_rrs", "Returns the number of entries in the answer section", answers);
  }
  if (kind !== "unix") {
    // blackbox_exporter's own is the time to resolve the target's name; a dns check's is its
    // whole lookup, the name it asks being the target.
    const lookupMs = kind === "dns" ? num(facts, "time_ms") : num(facts, "phase_resolve_ms");
    gauge(
      "probe_dns_lookup_time_seconds",
      "Returns the time taken to resolve the target in seconds",
      lookupMs / 1000,
      "seconds",
    );
  }
  gauge(
    "probe_duration_seconds",
    "Returns how long the probe took to complete in seconds",
    result.durationMs / 1000,
    "seconds",
  );
  if (kind !== "dns" && kind !== "echo") {
    gauge(
      "probe_failed_due_to_regex",
      "Indicates if the probe failed because what came did not match",
      regexFailed ? 1 : 0,
    );
  }
  if (kind === "http") httpMetrics(registry, facts, labels);
  const ipProtocol = kind === "dns" && typeof facts.server === "string"
    ? ipProtocolOf(facts.server)
    : num(facts, "ip_protocol");
  if (kind !== "unix" && (kind !== "dns" || ipProtocol !== undefined)) {
    gauge(
      "probe_ip_protocol",
      "Specifies whether the probe used IPv4 or IPv6 (0 when it connected nowhere)",
      ipProtocol ?? 0,
    );
  }
  if (kind === "http" && typeof facts.cert_not_after === "string") {
    gauge(
      "probe_ssl_earliest_cert_expiry",
      "Returns the earliest expiry in the certificate chain as a Unix time in seconds",
      Date.parse(facts.cert_not_after) / 1000,
    );
  }
  gauge(
    "probe_success",
    "Displays whether or not the probe was a success",
    result.status === "passed" ? 1 : 0,
  );
  gauge(
    "probe_timeout_seconds",
    "Returns the time the probe was allowed in seconds",
    options.timeoutSeconds,
    "seconds",
  );
  return registry;
}

/** The `probe_http_*` families, in blackbox_exporter's order. */
function httpMetrics(
  registry: MetricsRegistry,
  facts: ProbeFacts,
  labels: Record<string, string>,
): void {
  const gauge = (name: string, help: string, value: number) =>
    registry.gauge(name, { help, labelNames: Object.keys(labels) }).set(labels, value);
  gauge(
    "probe_http_content_length",
    "Length of the HTTP response body as its Content-Length says (-1 when it does not)",
    num(facts, "content_length"),
  );
  const phases = registry.gauge("probe_http_duration_seconds", {
    help: "Duration of the HTTP request by phase, of the final exchange",
    unit: "seconds",
    labelNames: ["phase", ...Object.keys(labels)],
  });
  for (const [phase, fact] of HTTP_PHASES) {
    phases.set({ phase, ...labels }, num(facts, fact) / 1000);
  }
  gauge("probe_http_redirects", "The number of redirects followed", num(facts, "redirects"));
  gauge("probe_http_ssl", "Indicates if TLS was used for the final request", facts.tls ? 1 : 0);
  gauge("probe_http_status_code", "Response HTTP status code", num(facts, "status"));
  gauge(
    "probe_http_version",
    "Returns the HTTP version of the probe's response",
    num(facts, "http_version"),
  );
}

/** A numeric fact, 0 when the attempt did not get that far. */
function num(facts: ProbeFacts, name: string): number {
  const value = facts[name];
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}
