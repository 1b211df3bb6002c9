/**
 * The monitor's own metrics, what `GET /metrics` answers (and `--report openmetrics=FILE`
 * writes): the latest result of every check, the distribution of its run times and the counts
 * of its runs, kept in a {@linkcode MetricsRegistry} that is updated once per finished run and
 * rendered per scrape, so that a scrape never counts anything.
 *
 * Every series but `sockit_build_info`'s carries the labels `check`, `file`, `kind` and
 * `target` (the spec's target text, secrets masked; an http check's URL without its method), then the constant labels given to the
 * constructor (a `vantage`, say); none is called `instance`, which Prometheus sets.
 *
 * | metric | type | labels beside those | what |
 * | --- | --- | --- | --- |
 * | `sockit_build_info` | gauge | `version`, `commit` | 1 |
 * | `sockit_check_success` | gauge | | 1 when the latest run passed, else 0 |
 * | `sockit_check_duration_seconds` | histogram | | every run, first attempt's start to last attempt's end |
 * | `sockit_check_attempts` | gauge | | the latest run's attempts |
 * | `sockit_check_last_run_timestamp_seconds` | gauge | | when the latest run ended (Unix time) |
 * | `sockit_check_interval_seconds` | gauge | | how often the check runs (a monitor only) |
 * | `sockit_check_runs_total` | counter | `result` (`success`, `failure`, `error`) | finished runs |
 * | `sockit_check_retries_total` | counter | | attempts beyond each run's first |
 * | `sockit_check_overruns_total` | counter | | turns not started: the run before was still going |
 * | `sockit_check_failure_info` | gauge | `reason` | 1 while the latest run did not pass (see `reason.ts`) |
 * | `sockit_http_status_code` | gauge | | http: the latest final status; 0 when no response came |
 * | `sockit_http_phase_duration_seconds` | gauge | `phase` (`resolve`, `connect`, `tls`, `processing`, `transfer`) | http: the latest run's phases, as `get --timing` measures them |
 * | `sockit_tls_cert_not_after_timestamp_seconds` | gauge | | https: the earliest notAfter of the latest chain (Unix time) |
 * | `sockit_dns_rcode` | gauge | `rcode` | dns, asking a server: 1 for the latest reply's RCODE |
 * | `sockit_check_result_fingerprint` | gauge | `fingerprint` | 1 for what the latest run saw (`resultFingerprint`) |
 *
 * The duration buckets are {@linkcode DURATION_BUCKETS}: from 1 ms (loopback and LAN) through
 * the 5 s default timeout to 30 s (retries), in 1-2.5-5 steps.
 *
 * @module
 */
import { resultFingerprint } from "../check/fingerprint.ts";
import { jsonResult } from "../check/report.ts";
import type { CheckResult } from "../check/runner.ts";
import type { CheckDef } from "../check/spec.ts";
import { MetricsRegistry } from "../metrics/registry.ts";
import type { Counter, Gauge, Histogram, Info, Labels } from "../metrics/registry.ts";
import { renderMetrics, renderMetricsBytes } from "../metrics/render.ts";
import type { MetricsFormat } from "../metrics/render.ts";
import { failureReason } from "./reason.ts";
import { checkKey, runResultLabel } from "./snapshot.ts";
import type { CheckState, RunCounts } from "./snapshot.ts";

/** The upper bounds of `sockit_check_duration_seconds`' buckets, in seconds. */
export const DURATION_BUCKETS: readonly number[] = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
];

/** The labels every check's series carries, in order (the constant labels follow). */
export const CHECK_LABELS = ["check", "file", "kind", "target"] as const;

/** The HTTP phases of `sockit_http_phase_duration_seconds`, with the fact each is read from. */
const PHASES = [
  ["resolve", "phase_resolve_ms"],
  ["connect", "phase_connect_ms"],
  ["tls", "phase_tls_ms"],
  ["processing", "phase_processing_ms"],
  ["transfer", "phase_transfer_ms"],
] as const;

const RESULTS: ReadonlyArray<keyof RunCounts> = ["success", "failure", "error"];

/** Label names the monitor's families use themselves, which a constant label may not take. */
const RESERVED = new Set<string>([
  ...CHECK_LABELS,
  "result",
  "reason",
  "phase",
  "rcode",
  "fingerprint",
  "version",
  "commit",
  "le",
  "instance",
  "job",
]);

/** Options for {@linkcode MonitorMetrics}. */
export interface MonitorMetricsOptions {
  /** What `sockit_build_info` says. */
  build: { version: string; commit: string };
  /**
   * Labels with the same value on every series, after the check's own: `{ vantage: "eu-1" }`.
   * @default {{}}
   */
  constLabels?: Record<string, string> | undefined;
}

/** What is kept per check: its labels, and the label values of its series that come and go. */
interface Tracked {
  labels: Labels;
  reason: string | undefined;
  rcode: string | undefined;
  fingerprint: string | undefined;
}

/**
 * The monitor's metrics: one call per finished run ({@linkcode MonitorMetrics.record}) and per
 * turn not started ({@linkcode MonitorMetrics.overrun}), one render per scrape.
 *
 * @example A run recorded and rendered
 * ```ts
 * import { MonitorMetrics } from "./metrics.ts";
 * import { checkKey } from "./snapshot.ts";
 * import type { CheckState } from "./snapshot.ts";
 * import { runChecks } from "../check/runner.ts";
 * import { loadSpec } from "../check/spec.ts";
 * import assert from "node:assert/strict";
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const accepted = listener.accept().then((conn) => conn.close());
 * const spec = await loadSpec(
 *   `version: 1\nchecks:\n  - { name: db, tcp: { host: 127.0.0.1, port: ${listener.addr.port} } }\n`,
 *   { file: "s.yaml", baseDir: ".", env: () => undefined },
 * );
 * const check = spec.checks[0]!;
 * const [result] = await runChecks([{ check }]);
 * await accepted;
 * const state: CheckState = {
 *   key: checkKey(check), check, everyMs: 10_000, latest: result, history: [],
 *   runs: { success: 1, failure: 0, error: 0 }, retries: 0, overruns: 0,
 *   running: false, nextRunAt: undefined,
 * };
 * const metrics = new MonitorMetrics({ build: { version: "0.1.0", commit: "abc1234" } });
 * metrics.record(state, result!);
 * assert.match(metrics.render("text"), /^sockit_check_success\{check="db",file="s\.yaml",kind="tcp",target="127\.0\.0\.1:\d+"\} 1$/m);
 * ```
 */
export class MonitorMetrics {
  /** The families, for a caller that renders them with others. */
  readonly registry: MetricsRegistry = new MetricsRegistry();
  readonly #constLabels: Labels;
  readonly #tracked = new Map<string, Tracked>();
  /** Overruns of checks whose first run has not ended, by key. */
  readonly #pendingOverruns = new Map<string, number>();
  readonly #success: Gauge;
  readonly #duration: Histogram;
  readonly #attempts: Gauge;
  readonly #lastRun: Gauge;
  readonly #interval: Gauge;
  readonly #runs: Counter;
  readonly #retries: Counter;
  readonly #overruns: Counter;
  readonly #failure: Info;
  readonly #status: Gauge;
  readonly #phase: Gauge;
  readonly #certNotAfter: Gauge;
  readonly #rcode: Info;
  readonly #fingerprint: Info;

  /**
   * @throws {TypeError} When a constant label's name is not a label name, or is one the
   *   monitor's own series use (`check`, `target`, `reason`...).
   */
  constructor(options: MonitorMetricsOptions) {
    const constLabels = { ...options.constLabels };
    for (const name of Object.keys(constLabels)) {
      if (RESERVED.has(name)) {
        throw new TypeError(
          `Cannot use the constant label "${name}": the monitor's metrics use that name`,
        );
      }
    }
    this.#constLabels = constLabels;
    const own = Object.keys(constLabels);
    const check = [...CHECK_LABELS, ...own];
    const registry = this.registry;
    registry.info("sockit_build_info", {
      help: "The sockit build serving these metrics.",
      labelNames: ["version", "commit", ...own],
    }).set({ ...constLabels, version: options.build.version, commit: options.build.commit });
    this.#success = registry.gauge("sockit_check_success", {
      help: "Whether the check's latest run passed (1) or not (0).",
      labelNames: check,
    });
    this.#duration = registry.histogram("sockit_check_duration_seconds", {
      help:
        "How long each run of the check took, from its first attempt's start to its last's end.",
      unit: "seconds",
      labelNames: check,
      buckets: DURATION_BUCKETS,
    });
    this.#attempts = registry.gauge("sockit_check_attempts", {
      help: "How many attempts the check's latest run made.",
      labelNames: check,
    });
    this.#lastRun = registry.gauge("sockit_check_last_run_timestamp_seconds", {
      help: "When the check's latest run ended, in seconds since the Unix epoch.",
      unit: "seconds",
      labelNames: check,
    });
    this.#interval = registry.gauge("sockit_check_interval_seconds", {
      help: "How often the check runs.",
      unit: "seconds",
      labelNames: check,
    });
    this.#runs = registry.counter("sockit_check_runs_total", {
      help: "Finished runs of the check, by result.",
      labelNames: [...CHECK_LABELS, "result", ...own],
    });
    this.#retries = registry.counter("sockit_check_retries_total", {
      help: "Attempts beyond the first, summed over the check's runs.",
      labelNames: check,
    });
    this.#overruns = registry.counter("sockit_check_overruns_total", {
      help: "Turns of the check not started because its previous run was still going.",
      labelNames: check,
    });
    this.#failure = registry.info("sockit_check_failure_info", {
      help: "Why the check's latest run did not pass (1 while it does not).",
      labelNames: [...CHECK_LABELS, "reason", ...own],
    });
    this.#status = registry.gauge("sockit_http_status_code", {
      help: "The final HTTP status of the check's latest run, 0 when no response came.",
      labelNames: check,
    });
    this.#phase = registry.gauge("sockit_http_phase_duration_seconds", {
      help: "How long each phase of the check's latest HTTP exchange took.",
      unit: "seconds",
      labelNames: [...CHECK_LABELS, "phase", ...own],
    });
    this.#certNotAfter = registry.gauge("sockit_tls_cert_not_after_timestamp_seconds", {
      help: "When the earliest certificate of the chain the check last saw expires, in seconds " +
        "since the Unix epoch.",
      unit: "seconds",
      labelNames: check,
    });
    this.#rcode = registry.info("sockit_dns_rcode", {
      help: "The RCODE of the DNS reply the check last received (1).",
      labelNames: [...CHECK_LABELS, "rcode", ...own],
    });
    this.#fingerprint = registry.info("sockit_check_result_fingerprint", {
      help: "What the check's latest run saw, as a short hash (1): vantage points that saw " +
        "the same thing have the same one.",
      labelNames: [...CHECK_LABELS, "fingerprint", ...own],
    });
  }

  /**
   * Takes a finished run: `state` is the check's state after it (its interval), `result` the
   * run's. The labels are the result's check's, whose target the runner has masked (the spec's
   * own may hold a secret). A skipped result is ignored.
   */
  record(state: CheckState, result: CheckResult): void {
    if (result.status === "skipped") return;
    const tracked = this.#track(result.check);
    const { labels } = tracked;
    const facts = result.facts;
    this.#success.set(labels, result.status === "passed" ? 1 : 0);
    this.#duration.observe(labels, Math.max(0, result.durationMs) / 1000);
    this.#attempts.set(labels, result.attempts.length);
    this.#lastRun.set(labels, (result.startedAt.getTime() + result.durationMs) / 1000);
    // A one-shot run (everyMs 0) has no interval: staleness is then the cron job's to judge.
    if (state.everyMs > 0) this.#interval.set(labels, state.everyMs / 1000);
    this.#runs.inc({ ...labels, result: runResultLabel(result.status) });
    this.#retries.inc(labels, Math.max(0, result.attempts.length - 1));
    const reason = failureReason(result);
    if (reason !== tracked.reason) {
      if (tracked.reason !== undefined) this.#failure.remove({ ...labels, reason: tracked.reason });
      if (reason !== undefined) this.#failure.set({ ...labels, reason });
      tracked.reason = reason;
    }
    const fingerprint = resultFingerprint(jsonResult(result));
    if (fingerprint !== tracked.fingerprint) {
      if (tracked.fingerprint !== undefined) {
        this.#fingerprint.remove({ ...labels, fingerprint: tracked.fingerprint });
      }
      if (fingerprint !== undefined) this.#fingerprint.set({ ...labels, fingerprint });
      tracked.fingerprint = fingerprint;
    }
    if (result.check.kind === "http") {
      this.#status.set(labels, typeof facts.status === "number" ? facts.status : 0);
      for (const [phase, fact] of PHASES) {
        const ms = facts[fact];
        if (typeof ms === "number") this.#phase.set({ ...labels, phase }, ms / 1000);
        else this.#phase.remove({ ...labels, phase });
      }
      const notAfter = typeof facts.cert_not_after === "string"
        ? Date.parse(facts.cert_not_after)
        : NaN;
      if (Number.isFinite(notAfter)) this.#certNotAfter.set(labels, notAfter / 1000);
      else this.#certNotAfter.remove(labels);
    }
    if (result.check.kind === "dns") {
      const rcode = typeof facts.rcode === "string" ? facts.rcode : undefined;
      if (rcode !== tracked.rcode) {
        if (tracked.rcode !== undefined) this.#rcode.remove({ ...labels, rcode: tracked.rcode });
        if (rcode !== undefined) this.#rcode.set({ ...labels, rcode });
        tracked.rcode = rcode;
      }
    }
  }

  /**
   * Counts a turn of the check that was not started because its previous run was going. Before
   * the check's first run has ended its labels are not known masked, so the count waits for it.
   */
  overrun(state: CheckState): void {
    const tracked = this.#tracked.get(state.key);
    if (tracked !== undefined) this.#overruns.inc(tracked.labels);
    else this.#pendingOverruns.set(state.key, (this.#pendingOverruns.get(state.key) ?? 0) + 1);
  }

  /** Forgets a check (gone after a reload): every series of it disappears. */
  remove(check: Pick<CheckDef, "file" | "name">): void {
    const key = checkKey(check);
    this.#pendingOverruns.delete(key);
    const tracked = this.#tracked.get(key);
    if (tracked === undefined) return;
    this.#tracked.delete(key);
    this.#forget(tracked);
  }

  /** The metrics in `format`: the text format 0.0.4 or OpenMetrics 1.0. */
  render(format: MetricsFormat): string {
    return renderMetrics(this.registry, format);
  }

  /** The same as {@linkcode MonitorMetrics.render}, as UTF-8 bytes: what a scrape is sent. */
  renderBytes(format: MetricsFormat): Uint8Array {
    return renderMetricsBytes(this.registry, format);
  }

  /**
   * The check's labels, its series started at zero on first sight; a check whose labels changed
   * in a reload (its kind or target) starts again under the new ones.
   */
  #track(check: CheckDef): Tracked {
    const key = checkKey(check);
    const known = this.#tracked.get(key);
    const target = targetLabel(check);
    if (known !== undefined) {
      const { labels } = known;
      if (labels.kind === check.kind && labels.target === target) return known;
      this.#forget(known);
    }
    const labels: Labels = {
      check: check.name,
      file: check.file,
      kind: check.kind,
      target,
      ...this.#constLabels,
    };
    const tracked: Tracked = {
      labels,
      reason: undefined,
      rcode: undefined,
      fingerprint: undefined,
    };
    this.#tracked.set(key, tracked);
    for (const result of RESULTS) this.#runs.inc({ ...labels, result }, 0);
    this.#retries.inc(labels, 0);
    this.#overruns.inc(labels, this.#pendingOverruns.get(key) ?? 0);
    this.#pendingOverruns.delete(key);
    this.#duration.init(labels);
    return tracked;
  }

  #forget({ labels, reason, rcode, fingerprint }: Tracked): void {
    for (
      const family of [
        this.#success,
        this.#duration,
        this.#attempts,
        this.#lastRun,
        this.#interval,
        this.#retries,
        this.#overruns,
        this.#status,
        this.#certNotAfter,
      ]
    ) family.remove(labels);
    for (const result of RESULTS) this.#runs.remove({ ...labels, result });
    for (const [phase] of PHASES) this.#phase.remove({ ...labels, phase });
    if (reason !== undefined) this.#failure.remove({ ...labels, reason });
    if (rcode !== undefined) this.#rcode.remove({ ...labels, rcode });
    if (fingerprint !== undefined) this.#fingerprint.remove({ ...labels, fingerprint });
  }
}

/**
 * The `target` label: the check's target as reports show it (secrets masked), an http check's
 * without the method before its URL, so that the label is the URL a dashboard links to.
 */
function targetLabel(check: CheckDef): string {
  return check.kind === "http" ? check.targetText.replace(/^[A-Z]+ /, "") : check.targetText;
}
