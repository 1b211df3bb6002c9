/**
 * Prometheus metrics: a registry of metric families (counters, gauges, histograms, info-style
 * gauges) whose names follow the Prometheus naming rules, rendered in the text format 0.0.4 or
 * in OpenMetrics 1.0 as the scraper's `Accept` header asks. No I/O: serving the text is the
 * caller's part.
 *
 * @example
 * ```ts
 * import { METRICS_CONTENT_TYPES, MetricsRegistry, negotiateMetricsFormat, renderMetrics } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const registry = new MetricsRegistry();
 * const duration = registry.histogram("check_duration_seconds", {
 *   help: "How long the check took.",
 *   unit: "seconds",
 *   labelNames: ["check"],
 *   buckets: [0.1, 1],
 * });
 * duration.observe({ check: "web" }, 0.25);
 * const format = negotiateMetricsFormat("text/plain;version=0.0.4;q=0.5,*\/*;q=0.1");
 * assert.equal(METRICS_CONTENT_TYPES[format], "text/plain; version=0.0.4; charset=utf-8");
 * assert.match(renderMetrics(registry, format), /^check_duration_seconds_bucket\{check="web",le="\+Inf"\} 1$/m);
 * ```
 *
 * @module
 */
export {
  Counter,
  type FamilyOptions,
  Gauge,
  Histogram,
  type HistogramOptions,
  Info,
  type Labels,
  MetricFamily,
  MetricsRegistry,
  type MetricType,
  type Sample,
} from "./registry.ts";
export {
  escapeLabelValue,
  METRICS_CONTENT_TYPES,
  type MetricsFormat,
  negotiateMetricsFormat,
  renderMetrics,
  renderMetricsBytes,
  renderOpenMetrics,
  renderText,
} from "./render.ts";
