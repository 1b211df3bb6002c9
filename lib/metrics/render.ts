/**
 * The two Prometheus exposition formats of a {@linkcode MetricsRegistry}: the text format 0.0.4
 * and OpenMetrics 1.0, and the choice between them from a scraper's `Accept` header.
 *
 * @module
 */

import { utf8 } from "../text/utf8.ts";
import type { MetricFamily, MetricsRegistry } from "./registry.ts";

/** An exposition format: the text format 0.0.4 or OpenMetrics 1.0. */
export type MetricsFormat = "text" | "openmetrics";

/** The `Content-Type` to answer with for each format. */
export const METRICS_CONTENT_TYPES: Readonly<Record<MetricsFormat, string>> = {
  text: "text/plain; version=0.0.4; charset=utf-8",
  openmetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8",
};

/**
 * `registry` in the Prometheus text format 0.0.4: for each family `# HELP` and `# TYPE` lines
 * then its samples, families in registration order, series in first-use order. An info-style
 * family is a gauge.
 *
 * @example
 * ```ts
 * import { MetricsRegistry, renderText } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const registry = new MetricsRegistry();
 * registry.gauge("up", { help: "Up.", labelNames: ["check"] }).set({ check: 'say "hi"' }, 1);
 * assert.equal(renderText(registry), '# HELP up Up.\n# TYPE up gauge\nup{check="say \\"hi\\""} 1\n');
 * ```
 */
export function renderText(registry: MetricsRegistry): string {
  return textChunks(registry).join("");
}

function textChunks(registry: MetricsRegistry): string[] {
  const chunks = new Chunks();
  for (const family of registry.families()) {
    const type = family.type === "info" ? "gauge" : family.type;
    chunks.add(`# HELP ${family.name} ${escapeHelp(family.help, false)}\n`);
    chunks.add(`# TYPE ${family.name} ${type}\n`);
    samplesOf(family, false, chunks);
  }
  return chunks.done();
}

/**
 * `registry` in OpenMetrics 1.0: for each family `# TYPE`, `# UNIT` (when it has a unit) and
 * `# HELP` lines named without a counter's `_total`, then its samples, and `# EOF` last. An
 * info-style family is a gauge (its name need not end with `_info`).
 *
 * @example
 * ```ts
 * import { MetricsRegistry, renderOpenMetrics } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const registry = new MetricsRegistry();
 * registry.counter("runs_total", { help: "Runs." }).inc();
 * assert.equal(
 *   renderOpenMetrics(registry),
 *   "# TYPE runs counter\n# HELP runs Runs.\nruns_total 1\n# EOF\n",
 * );
 * ```
 */
export function renderOpenMetrics(registry: MetricsRegistry): string {
  return openMetricsChunks(registry).join("");
}

function openMetricsChunks(registry: MetricsRegistry): string[] {
  const chunks = new Chunks();
  for (const family of registry.families()) {
    const type = family.type === "info" ? "gauge" : family.type;
    const name = family.type === "counter" ? family.name.slice(0, -"_total".length) : family.name;
    chunks.add(`# TYPE ${name} ${type}\n`);
    if (family.unit !== undefined) chunks.add(`# UNIT ${name} ${family.unit}\n`);
    chunks.add(`# HELP ${name} ${escapeHelp(family.help, true)}\n`);
    samplesOf(family, true, chunks);
  }
  chunks.add("# EOF\n");
  return chunks.done();
}

/**
 * `registry` in `format`.
 *
 * @example
 * ```ts
 * import { MetricsRegistry, renderMetrics } from "./mod.ts";
 * import assert from "node:assert/strict";
 * assert.equal(renderMetrics(new MetricsRegistry(), "openmetrics"), "# EOF\n");
 * ```
 */
export function renderMetrics(registry: MetricsRegistry, format: MetricsFormat): string {
  return format === "openmetrics" ? renderOpenMetrics(registry) : renderText(registry);
}

/**
 * `registry` in `format` as UTF-8 bytes, what a scrape is answered with: the same text as
 * {@linkcode renderMetrics}, at about half the cost for a large registry. The text is built in
 * pieces of a few hundred lines, each written straight into one buffer of the text's length:
 * one string of megabytes built line by line costs more to flatten for encoding than to build.
 *
 * @example
 * ```ts
 * import { MetricsRegistry, renderMetrics, renderMetricsBytes } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const registry = new MetricsRegistry();
 * registry.gauge("up", { help: "Up.", labelNames: ["check"] }).set({ check: "caf\u00e9" }, 1);
 * assert.equal(
 *   new TextDecoder().decode(renderMetricsBytes(registry, "text")),
 *   renderMetrics(registry, "text"),
 * );
 * ```
 */
export function renderMetricsBytes(registry: MetricsRegistry, format: MetricsFormat): Uint8Array {
  return utf8(format === "openmetrics" ? openMetricsChunks(registry) : textChunks(registry));
}

/** Text built a piece at a time: each piece of about {@linkcode CHUNK_LINES} additions. */
class Chunks {
  readonly #done: string[] = [];
  #text = "";
  #count = 0;

  add(text: string): void {
    this.#text += text;
    if (++this.#count === CHUNK_LINES) {
      this.#done.push(this.#text);
      this.#text = "";
      this.#count = 0;
    }
  }

  done(): string[] {
    if (this.#text !== "") this.#done.push(this.#text);
    return this.#done;
  }
}

/** Lines per piece: small enough to flatten quickly, large enough to be few. */
const CHUNK_LINES = 256;

/**
 * The format to answer a scrape with, from its `Accept` header value: OpenMetrics when the
 * header accepts `application/openmetrics-text` (version 1.0.0, 0.0.1 or none) at least as
 * strongly as `text/plain`, the text format otherwise (also without a header).
 *
 * @example
 * ```ts
 * import { negotiateMetricsFormat } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;" +
 *   "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*\/*;q=0.1";
 * assert.equal(negotiateMetricsFormat(prometheus), "openmetrics");
 * assert.equal(negotiateMetricsFormat("text/plain;version=0.0.4"), "text");
 * assert.equal(negotiateMetricsFormat(null), "text");
 * ```
 */
export function negotiateMetricsFormat(accept: string | null | undefined): MetricsFormat {
  let openMetrics = 0;
  let text = 0;
  for (const range of (accept ?? "").split(",")) {
    const [type = "", ...params] = range.split(";").map((part) => part.trim());
    const values = new Map<string, string>();
    for (const param of params) {
      const equals = param.indexOf("=");
      if (equals === -1) continue;
      values.set(
        param.slice(0, equals).trim().toLowerCase(),
        param.slice(equals + 1).trim().replace(/^"(.*)"$/, "$1"),
      );
    }
    const q = values.has("q") ? Number(values.get("q")) : 1;
    if (!(q > 0)) continue;
    const mediaType = type.toLowerCase();
    const version = values.get("version");
    if (
      mediaType === "application/openmetrics-text" &&
      (version === undefined || version === "1.0.0" || version === "0.0.1")
    ) {
      openMetrics = Math.max(openMetrics, q);
    } else if (mediaType === "text/plain" || mediaType === "text/*" || mediaType === "*/*") {
      text = Math.max(text, q);
    }
  }
  return openMetrics > 0 && openMetrics >= text ? "openmetrics" : "text";
}

/**
 * A label value escaped for either format: backslash, double quote and line feed as `\\`,
 * `\"` and `\n`.
 *
 * @example
 * ```ts
 * import { escapeLabelValue } from "./mod.ts";
 * import assert from "node:assert/strict";
 * assert.equal(escapeLabelValue('C:\\ "x"\n'), 'C:\\\\ \\"x\\"\\n');
 * ```
 */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (char) => char === "\n" ? "\\n" : `\\${char}`);
}

/** `help` escaped for a `# HELP` line: backslash and line feed, and in OpenMetrics double quote. */
function escapeHelp(help: string, openMetrics: boolean): string {
  const special = openMetrics ? /[\\"\n]/g : /[\\\n]/g;
  return help.replace(special, (char) => char === "\n" ? "\\n" : `\\${char}`);
}

/**
 * The sample lines of `family`, added to `out`. A series' label pairs are escaped once and kept
 * for the next renders (see {@linkcode labelPairs}), and each bucket bound is formatted once per
 * family: a scrape of a thousand checks is mostly those.
 */
function samplesOf(family: MetricFamily, openMetrics: boolean, out: Chunks): void {
  let lastValues: readonly string[] | undefined;
  let pairs = "";
  const bounds = new Map<number, string>();
  for (const sample of family.samples()) {
    if (sample.labelValues !== lastValues) {
      lastValues = sample.labelValues;
      pairs = labelPairs(family, lastValues);
    }
    let labels = pairs;
    if (sample.le !== undefined) {
      let bound = bounds.get(sample.le);
      if (bound === undefined) bounds.set(sample.le, bound = formatBound(sample.le, openMetrics));
      labels = labels === "" ? `le="${bound}"` : `${labels},le="${bound}"`;
    }
    out.add(
      `${family.name}${sample.suffix}${labels === "" ? "" : `{${labels}}`} ${
        formatNumber(sample.value)
      }\n`,
    );
  }
}

/**
 * `name="value",...` for the family's labels (not `le`); empty when there are none. A series
 * hands out the same label-values array, never changed, for as long as it lives: its pairs are
 * kept by that array, the same in both formats, and go with the series.
 */
function labelPairs(family: MetricFamily, labelValues: readonly string[]): string {
  let pairs = PAIRS.get(labelValues);
  if (pairs === undefined) {
    pairs = family.labelNames.map((name, index) =>
      `${name}="${escapeLabelValue(labelValues[index]!)}"`
    ).join(",");
    PAIRS.set(labelValues, pairs);
  }
  return pairs;
}

/** The rendered label pairs of each series, by its label-values array. */
const PAIRS = new WeakMap<readonly string[], string>();

/** `value` as both formats write numbers: `+Inf`, `-Inf`, `NaN`, else the shortest decimal. */
function formatNumber(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/**
 * A bucket bound as the `le` label's value, in the canonical form Prometheus' own clients write
 * it (Go's shortest `%g`: an exponent below 1e-4 and from 1e6, of at least two digits) so that
 * the same bucket has the same label value whatever wrote it; OpenMetrics adds `.0` to a bound
 * without a point or an exponent.
 */
function formatBound(bound: number, openMetrics: boolean): string {
  if (!Number.isFinite(bound)) return formatNumber(bound);
  const [mantissa = "", exponentText = "0"] = bound.toExponential().split("e");
  const exponent = Number(exponentText);
  const text = exponent < -4 || exponent >= 6
    ? `${mantissa}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`
    : String(bound);
  return openMetrics && /^-?\d+$/.test(text) ? `${text}.0` : text;
}
