/**
 * A small registry of Prometheus metric families: counters, gauges, histograms with given
 * buckets and info-style gauges, each with its help text, optional unit and label names, its
 * name checked against the Prometheus naming rules when it is registered.
 *
 * @module
 */

/** The kinds of metric family the registry holds. An info family is a gauge whose value is 1. */
export type MetricType = "counter" | "gauge" | "histogram" | "info";

/** One label set: label name to label value. */
export type Labels = Readonly<Record<string, string>>;

/** Options of every metric family. */
export interface FamilyOptions {
  /** The help text: one sentence saying what is measured. */
  help: string;
  /**
   * The unit, a base unit (`seconds`, `bytes`, `ratio`, ...) that the name must end with
   * (before `_total` for a counter); rendered as `# UNIT` in OpenMetrics.
   */
  unit?: string;
  /** The names of the labels every series of the family carries, in the order rendered. @default {[]} */
  labelNames?: readonly string[];
}

/** Options of a histogram family. */
export interface HistogramOptions extends FamilyOptions {
  /** The upper bounds of the buckets: finite, from 0, increasing; `+Inf` is added. */
  buckets: readonly number[];
}

/**
 * One sample of a family as the renderers write it: the suffix appended to the family name,
 * the label values in the order of the family's label names, and for a histogram bucket its
 * upper bound (rendered as the `le` label, after the others).
 */
export interface Sample {
  /** Appended to the family's name: `""`, `_bucket`, `_sum` or `_count`. */
  suffix: "" | "_bucket" | "_sum" | "_count";
  /** The label values, in the order of {@linkcode MetricFamily.labelNames}. */
  labelValues: readonly string[];
  /** The upper bound of a histogram bucket. */
  le?: number;
  /** The value. */
  value: number;
}

const NAME = /^[a-z_][a-z0-9_]*$/;
const LABEL_NAME = /^[a-z_][a-z0-9_]*$/;
/** Units the naming rules replace with a base unit, with the base unit to use. */
const NON_BASE_UNITS: Record<string, string> = {
  milliseconds: "seconds",
  microseconds: "seconds",
  nanoseconds: "seconds",
  minutes: "seconds",
  hours: "seconds",
  days: "seconds",
  kilobytes: "bytes",
  megabytes: "bytes",
  gigabytes: "bytes",
  percent: "ratio",
};
/** Suffixes that the samples of a histogram add, so that no other family may end with them. */
const SAMPLE_SUFFIXES = ["_bucket", "_sum", "_count"];
/** The suffix of the creation time OpenMetrics lets a counter or histogram add. */
const CREATED = "_created";

/**
 * A metric family: its metadata and its series, in the order each label set was first used.
 * Obtained from {@linkcode MetricsRegistry}.
 */
export abstract class MetricFamily {
  /** The name, as the text format writes it (a counter's ends with `_total`). */
  readonly name: string;
  /** The kind of family. */
  abstract readonly type: MetricType;
  /** The help text. */
  readonly help: string;
  /** The unit, when one was given. */
  readonly unit: string | undefined;
  /** The label names, in the order rendered. */
  readonly labelNames: readonly string[];
  readonly #series = new Map<string, { labelValues: string[]; state: number[] }>();

  /** Use the methods of {@linkcode MetricsRegistry} rather than this constructor. */
  constructor(name: string, options: FamilyOptions) {
    this.name = name;
    this.help = options.help;
    this.unit = options.unit;
    this.labelNames = [...(options.labelNames ?? [])];
  }

  /** Forgets the series of `labels`, as when the check it describes is gone. */
  remove(labels: Labels = {}): void {
    this.#series.delete(this.#key(labels).key);
  }

  /** Forgets every series. */
  clear(): void {
    this.#series.clear();
  }

  /** The samples of every series, series in first-use order: one per series but for a histogram. */
  samples(): Sample[] {
    return [...this.series()].map(({ labelValues, state }) => ({
      suffix: "",
      labelValues,
      value: state[0]!,
    }));
  }

  /** The state of the series of `labels`, created by `fresh` on first use. */
  protected state(labels: Labels, fresh: () => number[]): number[] {
    const { key, labelValues } = this.#key(labels);
    let series = this.#series.get(key);
    if (series === undefined) {
      series = { labelValues, state: fresh() };
      this.#series.set(key, series);
    }
    return series.state;
  }

  /** Every series: its label values and its state. */
  protected series(): Iterable<{ labelValues: string[]; state: number[] }> {
    return this.#series.values();
  }

  #key(labels: Labels): { key: string; labelValues: string[] } {
    const given = Object.keys(labels);
    const missing = this.labelNames.filter((name) => !Object.hasOwn(labels, name));
    const extra = given.filter((name) => !this.labelNames.includes(name));
    if (missing.length > 0 || extra.length > 0) {
      throw new TypeError(
        `Cannot use labels {${given.join(", ")}} for metric "${this.name}": ` +
          `it takes {${this.labelNames.join(", ")}}`,
      );
    }
    const labelValues = this.labelNames.map((name) => labels[name]!);
    return { key: JSON.stringify(labelValues), labelValues };
  }
}

/** A counter: a value that only goes up, from 0. */
export class Counter extends MetricFamily {
  /** Always `"counter"`. */
  readonly type = "counter";

  /**
   * Adds `amount` to the series of `labels`.
   *
   * @example
   * ```ts
   * import { MetricsRegistry } from "./registry.ts";
   * import assert from "node:assert/strict";
   * const runs = new MetricsRegistry().counter("runs_total", { help: "Runs.", labelNames: ["result"] });
   * runs.inc({ result: "success" });
   * runs.inc({ result: "success" }, 2);
   * assert.equal(runs.samples()[0]!.value, 3);
   * ```
   */
  inc(labels: Labels = {}, amount = 1): void {
    if (!(amount >= 0)) {
      throw new RangeError(`Cannot add ${amount} to counter "${this.name}": it only goes up`);
    }
    this.state(labels, () => [0])[0]! += amount;
  }
}

/** A gauge: a value that is set. */
export class Gauge extends MetricFamily {
  /** Always `"gauge"`. */
  readonly type = "gauge";

  /**
   * Sets the series of `labels` to `value`.
   *
   * @example
   * ```ts
   * import { MetricsRegistry } from "./registry.ts";
   * import assert from "node:assert/strict";
   * const up = new MetricsRegistry().gauge("up", { help: "Up.", labelNames: ["check"] });
   * up.set({ check: "web" }, 1);
   * assert.deepEqual(up.samples(), [{ suffix: "", labelValues: ["web"], value: 1 }]);
   * ```
   */
  set(labels: Labels, value: number): void {
    this.state(labels, () => [0])[0] = value;
  }
}

/** An info-style gauge: each label set present has the value 1. */
export class Info extends MetricFamily {
  /** Always `"info"`. */
  readonly type = "info";

  /**
   * Makes the label set `labels` present (value 1).
   *
   * @example
   * ```ts
   * import { MetricsRegistry } from "./registry.ts";
   * import assert from "node:assert/strict";
   * const build = new MetricsRegistry().info("build_info", {
   *   help: "Build.",
   *   labelNames: ["version"],
   * });
   * build.set({ version: "0.1.0" });
   * assert.equal(build.samples()[0]!.value, 1);
   * ```
   */
  set(labels: Labels): void {
    this.state(labels, () => [1]);
  }
}

/** A histogram: observations counted in cumulative buckets, with their sum and count. */
export class Histogram extends MetricFamily {
  /** Always `"histogram"`. */
  readonly type = "histogram";
  /** The finite upper bounds of the buckets, increasing. */
  readonly buckets: readonly number[];

  /** Use {@linkcode MetricsRegistry.histogram} rather than this constructor. */
  constructor(name: string, options: HistogramOptions) {
    super(name, options);
    this.buckets = [...options.buckets];
  }

  /**
   * Counts `value` (0 or more: a histogram's sum is a counter) in the series of `labels`.
   *
   * @example
   * ```ts
   * import { MetricsRegistry } from "./registry.ts";
   * import assert from "node:assert/strict";
   * const duration = new MetricsRegistry().histogram("duration_seconds", {
   *   help: "Duration.",
   *   unit: "seconds",
   *   buckets: [0.1, 1],
   * });
   * duration.observe({}, 0.5);
   * assert.deepEqual(duration.samples().map((sample) => sample.value), [0, 1, 1, 0.5, 1]);
   * ```
   */
  observe(labels: Labels, value: number): void {
    if (!(value >= 0)) {
      throw new RangeError(
        `Cannot observe ${value} in histogram "${this.name}": it counts values from 0`,
      );
    }
    // state: one count per bucket (not cumulative), then the +Inf count, then the sum
    const state = this.state(labels, () => this.#fresh());
    const index = this.buckets.findIndex((bound) => value <= bound);
    state[index === -1 ? this.buckets.length : index]! += 1;
    state[this.buckets.length + 1]! += value;
  }

  /**
   * The samples of every series: each bucket's cumulative count, `+Inf` last, then `_sum` and
   * `_count`.
   */
  override samples(): Sample[] {
    const out: Sample[] = [];
    for (const { labelValues, state } of this.series()) {
      let cumulative = 0;
      for (const [index, le] of [...this.buckets, Infinity].entries()) {
        cumulative += state[index]!;
        out.push({ suffix: "_bucket", labelValues, le, value: cumulative });
      }
      out.push({ suffix: "_sum", labelValues, value: state[this.buckets.length + 1]! });
      out.push({ suffix: "_count", labelValues, value: cumulative });
    }
    return out;
  }

  /** Makes the series of `labels` present with no observations. */
  init(labels: Labels = {}): void {
    this.state(labels, () => this.#fresh());
  }

  #fresh(): number[] {
    return new Array<number>(this.buckets.length + 2).fill(0);
  }
}

/**
 * The metric families of one exposition, in the order they were registered. Each method checks
 * the name and options against the Prometheus naming rules and throws a `TypeError` saying
 * what is wrong. A counter or histogram without labels starts with its series at zero.
 *
 * @example
 * ```ts
 * import { MetricsRegistry } from "./registry.ts";
 * import assert from "node:assert/strict";
 * const registry = new MetricsRegistry();
 * registry.gauge("sockit_check_success", { help: "Whether the check passed.", labelNames: ["check"] });
 * assert.throws(() => registry.counter("sockit_check_runs", { help: "Runs." }), /_total/);
 * assert.deepEqual(registry.families().map((family) => family.name), ["sockit_check_success"]);
 * ```
 */
export class MetricsRegistry {
  readonly #families: MetricFamily[] = [];

  /** Registers a counter; its name ends with `_total`. */
  counter(name: string, options: FamilyOptions): Counter {
    const family = this.#add(new Counter(name, options));
    if (family.labelNames.length === 0) family.inc({}, 0);
    return family;
  }

  /** Registers a gauge. */
  gauge(name: string, options: FamilyOptions): Gauge {
    return this.#add(new Gauge(name, options));
  }

  /** Registers a histogram with the given bucket upper bounds. */
  histogram(name: string, options: HistogramOptions): Histogram {
    const { buckets } = options;
    if (
      buckets.length === 0 ||
      buckets.some((bound, index) =>
        !Number.isFinite(bound) || bound < 0 || (index > 0 && !(bound > buckets[index - 1]!))
      )
    ) {
      throw new TypeError(
        `Cannot register histogram "${name}": buckets must be finite, from 0 and increasing, got [${
          buckets.join(", ")
        }]`,
      );
    }
    if (options.labelNames?.includes("le")) {
      throw new TypeError(`Cannot register histogram "${name}": the label "le" is reserved`);
    }
    const family = this.#add(new Histogram(name, options));
    if (family.labelNames.length === 0) family.init();
    return family;
  }

  /** Registers an info-style gauge: each label set present has the value 1. */
  info(name: string, options: FamilyOptions): Info {
    return this.#add(new Info(name, options));
  }

  /** The families, in the order they were registered. */
  families(): readonly MetricFamily[] {
    return this.#families;
  }

  #add<T extends MetricFamily>(family: T): T {
    const problem = nameProblem(family, this.#families);
    if (problem !== undefined) {
      throw new TypeError(`Cannot register ${family.type} "${family.name}": ${problem}`);
    }
    this.#families.push(family);
    return family;
  }
}

/** What is wrong with `family`'s name, unit or label names beside `others`, if anything. */
function nameProblem(family: MetricFamily, others: readonly MetricFamily[]): string | undefined {
  const { name, type, unit, labelNames } = family;
  if (!NAME.test(name)) return "a name is lower-case letters, digits and underscores (snake_case)";
  if (family.help.trim() === "") return "the help text is empty";
  const isCounter = type === "counter";
  if (isCounter !== name.endsWith("_total")) {
    return isCounter
      ? "a counter's name ends with _total"
      : "only a counter's name ends with _total";
  }
  const stem = isCounter ? name.slice(0, -"_total".length) : name;
  if (type !== "counter" && SAMPLE_SUFFIXES.some((suffix) => name.endsWith(suffix))) {
    return `the suffixes ${SAMPLE_SUFFIXES.join(", ")} belong to a histogram's samples`;
  }
  for (const word of stem.split("_")) {
    const base = NON_BASE_UNITS[word];
    if (base !== undefined && base !== word) return `use the base unit ${base}, not ${word}`;
  }
  if (unit !== undefined) {
    if (!/^[a-z][a-z0-9_]*$/.test(unit) || NON_BASE_UNITS[unit] !== undefined) {
      return `the unit "${unit}" is not a base unit`;
    }
    if (!stem.endsWith(`_${unit}`)) {
      return `the name must end with its unit: _${unit}${isCounter ? "_total" : ""}`;
    }
  }
  for (const label of labelNames) {
    if (!LABEL_NAME.test(label) || label.startsWith("__")) {
      return `the label name "${label}" is not lower-case letters, digits and underscores`;
    }
  }
  if (new Set(labelNames).size !== labelNames.length) return "a label name is repeated";
  const taken = new Set(others.flatMap(sampleNames));
  if (sampleNames(family).some((sampleName) => taken.has(sampleName))) {
    return "a family already exposes that name";
  }
  return undefined;
}

/** The names `family`'s samples and metadata lines use in either format. */
function sampleNames(family: MetricFamily): string[] {
  const { name } = family;
  if (family.type === "histogram") {
    return [name, ...[...SAMPLE_SUFFIXES, CREATED].map((suffix) => name + suffix)];
  }
  if (family.type === "counter") {
    const stem = name.slice(0, -"_total".length);
    return [name, stem, stem + CREATED];
  }
  return [name];
}
