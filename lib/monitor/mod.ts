/**
 * `sockit check --every` as a library: a spec's checks on a schedule, what the monitor knows at
 * each moment, and its endpoints' answers (Prometheus metrics, blackbox_exporter's `/probe`, the
 * health endpoint and the status page). Serving them over HTTP is `lib/http/server.ts`'s part.
 *
 * @module
 */
export { checkKey, HISTORY_LENGTH, runResultLabel } from "./snapshot.ts";
export type { CheckState, MonitorSnapshot, RunCounts, RunRecord } from "./snapshot.ts";
export { cspHash, htmlText, renderStatusPage } from "./page.ts";
export type { StatusPage, StatusPageOptions } from "./page.ts";
export {
  countStates,
  displayState,
  HIDDEN_TARGET,
  resultsJson,
  shownTarget,
} from "./results_json.ts";
export type { DisplayState, StateCounts } from "./results_json.ts";
export { CHECK_LABELS, DURATION_BUCKETS, MonitorMetrics } from "./metrics.ts";
export type { MonitorMetricsOptions } from "./metrics.ts";
export { FAILURE_REASONS, failureReason } from "./reason.ts";
export type { FailureReason } from "./reason.ts";
export { blackboxMetrics, measuringCheck } from "./blackbox.ts";
export type { BlackboxMetricsOptions } from "./blackbox.ts";
export {
  DEFAULT_SCRAPE_TIMEOUT_SECONDS,
  handleProbe,
  SCRAPE_TIMEOUT_OFFSET_SECONDS,
} from "./probe_endpoint.ts";
export type { ProbeAnswer, ProbeEndpointOptions, ProbeRequest } from "./probe_endpoint.ts";
export { DEFAULT_MONITOR_JOBS, Monitor } from "./scheduler.ts";
export type { MonitorOptions } from "./scheduler.ts";
export { PUSH_RETRY, PUSH_TIMEOUT_MS, pushMetrics, pushUrl } from "./push.ts";
export type { PushOptions, PushResult } from "./push.ts";
