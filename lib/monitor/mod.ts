/**
 * `sockit check --every` as a library: a spec's checks on a schedule, what the monitor knows at
 * each moment, and its endpoints' answers (Prometheus metrics, blackbox_exporter's `/probe`, the
 * health endpoint and the status page). Serving them over HTTP is `lib/http/server.ts`'s part.
 *
 * @module
 */
export { checkKey, HISTORY_LENGTH, runResultLabel } from "./snapshot.ts";
export type { CheckState, MonitorSnapshot, RunCounts, RunRecord } from "./snapshot.ts";
export { DEFAULT_MONITOR_JOBS, Monitor } from "./scheduler.ts";
export type { MonitorOptions } from "./scheduler.ts";
