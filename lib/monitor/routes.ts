/**
 * The monitor's HTTP endpoints, as one handler for `lib/http/server.ts`:
 *
 * | path | answers |
 * | --- | --- |
 * | `/metrics` | every check's latest result as Prometheus metrics (text 0.0.4, or OpenMetrics 1.0 when `Accept` asks); always 200 |
 * | `/probe?module=NAME&target=T` | one check run now, in blackbox_exporter's metric names |
 * | `/healthz` | 200 when every check's latest run passed, 503 otherwise (`?format=json`: the JSON report) |
 * | `/livez` | 200 while the process serves, whatever the checks say (a liveness probe) |
 * | `/` | the status page |
 * | `/api/results` | the status page's data as JSON |
 *
 * Other paths are 404; methods other than GET and HEAD are 405 with `Allow: GET, HEAD`.
 *
 * @module
 */
import type { CheckSpec } from "../check/spec.ts";
import type { Redactor } from "../check/redact.ts";
import { jsonReport } from "../check/report.ts";
import type { CheckResult } from "../check/runner.ts";
import type { HttpHandler, HttpReply, HttpRequest } from "../http/server.ts";
import { METRICS_CONTENT_TYPES, negotiateMetricsFormat } from "../metrics/render.ts";
import type { TraceFn } from "../net/trace.ts";
import type { MonitorMetrics } from "./metrics.ts";
import { renderStatusPage } from "./page.ts";
import { handleProbe } from "./probe_endpoint.ts";
import { resultsJson } from "./results_json.ts";
import type { MonitorSnapshot } from "./snapshot.ts";

/** What the endpoints read. */
export interface MonitorRoutesOptions {
  /** The monitor's state now. */
  snapshot: () => MonitorSnapshot;
  /** The monitor's metrics. */
  metrics: MonitorMetrics;
  /** The specs now running (replaced on a reload): `/probe`'s modules. */
  specs: () => readonly CheckSpec[];
  /** Masks the secrets in what `/probe` shows. */
  redactor: () => Redactor | undefined;
  /** `/probe` takes any target, not only those the spec allows (`--probe-any-target`). */
  anyTarget: boolean;
  /** The status page's title. @default {"sockit"} */
  title?: string;
  /** How often the status page reloads itself, in seconds. @default {10} */
  refreshSeconds?: number;
  /** Receives `/probe`'s socket steps. */
  trace?: TraceFn | undefined;
}

const TEXT = "text/plain; charset=utf-8";
const JSON_TYPE = "application/json; charset=utf-8";
/** Sent with every answer: nothing of the monitor's is to be framed, sniffed or cached. */
const COMMON_FIELDS: Array<[string, string]> = [
  ["Cache-Control", "no-store"],
  ["X-Content-Type-Options", "nosniff"],
];

/**
 * The monitor's endpoints as one handler.
 *
 * @example Serving a monitor's endpoints
 * ```ts ignore
 * import { serveHttp } from "../http/server.ts";
 * import { monitorRoutes } from "./routes.ts";
 * const server = serveHttp({ port: 0, handler: monitorRoutes(options) });
 * ```
 */
export function monitorRoutes(options: MonitorRoutesOptions): HttpHandler {
  return async (request, signal) => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return reply(405, TEXT, `${request.method} is not served here: use GET or HEAD\n`, [
        ["Allow", "GET, HEAD"],
      ]);
    }
    switch (request.path) {
      case "/metrics":
        return metricsReply(options, request);
      case "/probe":
        return await probeReply(options, request, signal);
      case "/healthz":
        return healthReply(options.snapshot(), request);
      case "/livez":
        return reply(200, TEXT, "ok\n");
      case "/": {
        const page = renderStatusPage(options.snapshot(), {
          title: options.title ?? "sockit",
          refreshSeconds: options.refreshSeconds ?? 10,
        });
        return reply(200, "text/html; charset=utf-8", page.html, [
          ["Content-Security-Policy", page.contentSecurityPolicy],
          ["X-Frame-Options", "DENY"],
          ["Referrer-Policy", "no-referrer"],
        ]);
      }
      case "/api/results":
        return reply(200, JSON_TYPE, JSON.stringify(resultsJson(options.snapshot())) + "\n");
      default:
        return reply(
          404,
          TEXT,
          `Not found: ${request.path} (this monitor serves /metrics, /probe, /healthz, /livez, / and /api/results)\n`,
        );
    }
  };
}

function reply(
  status: number,
  contentType: string,
  body: string | Uint8Array,
  fields: Array<[string, string]> = [],
): HttpReply {
  return { status, headers: [["Content-Type", contentType], ...COMMON_FIELDS, ...fields], body };
}

/** `/metrics`: 200 whatever the checks say, in the format the scraper asks for. */
function metricsReply(options: MonitorRoutesOptions, request: HttpRequest): HttpReply {
  const format = negotiateMetricsFormat(request.headers.get("accept"));
  return reply(200, METRICS_CONTENT_TYPES[format], options.metrics.renderBytes(format));
}

async function probeReply(
  options: MonitorRoutesOptions,
  request: HttpRequest,
  signal: AbortSignal,
): Promise<HttpReply> {
  const answer = await handleProbe(options.specs(), {
    module: request.query.get("module"),
    target: request.query.get("target"),
    debug: request.query.get("debug") === "true",
    scrapeTimeoutHeader: request.headers.get("x-prometheus-scrape-timeout-seconds"),
  }, {
    anyTarget: options.anyTarget,
    constLabels: vantageLabel(options.snapshot().vantage),
    redactor: options.redactor(),
    signal,
    trace: options.trace,
  });
  return reply(answer.status, answer.contentType, answer.body);
}

/**
 * `/healthz`: 200 when every check's latest run passed; 503 when one failed or has not run yet
 * (a monitor that has not looked yet is not ready). `?format=json` gives the JSON report of the
 * latest results.
 */
function healthReply(snapshot: MonitorSnapshot, request: HttpRequest): HttpReply {
  const latest = snapshot.checks.map((c) => c.latest);
  const done = latest.filter((r): r is CheckResult => r !== undefined);
  const failing = snapshot.checks.filter((c) => c.latest && c.latest.status !== "passed");
  const pending = snapshot.checks.length - done.length;
  const healthy = failing.length === 0 && pending === 0;
  const status = healthy ? 200 : 503;
  if (request.query.get("format") === "json") {
    const report = jsonReport({
      results: done,
      files: snapshot.files,
      startedAt: snapshot.startedAt,
      durationMs: Date.now() - snapshot.startedAt.getTime(),
      vantage: snapshot.vantage,
    });
    return reply(status, JSON_TYPE, JSON.stringify({ healthy, pending, ...report }) + "\n");
  }
  const total = snapshot.checks.length;
  const passing = done.length - failing.length;
  const parts = [`${passing} of ${total} checks passing`];
  if (failing.length > 0) parts.push(`failing: ${failing.map((c) => c.check.name).join(", ")}`);
  if (pending > 0) parts.push(`${pending} not run yet`);
  return reply(status, TEXT, `${healthy ? "ok" : "not ok"}: ${parts.join("; ")}\n`);
}

/** The `vantage` label of `/probe`'s series, as `/metrics` has it. */
function vantageLabel(vantage: string | undefined): Record<string, string> | undefined {
  return vantage === undefined ? undefined : { vantage };
}
