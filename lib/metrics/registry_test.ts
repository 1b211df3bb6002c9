import assert from "node:assert/strict";
import { MetricsRegistry } from "./registry.ts";

Deno.test("histogram samples count cumulatively per bucket, +Inf last, then _sum and _count", () => {
  const duration = new MetricsRegistry().histogram("duration_seconds", {
    help: "Duration.",
    labelNames: ["check"],
    buckets: [0.1, 0.5, 1],
  });
  for (const value of [0.05, 0.1, 0.3, 2, 7]) duration.observe({ check: "web" }, value);
  assert.deepEqual(duration.samples(), [
    { suffix: "_bucket", labelValues: ["web"], le: 0.1, value: 2 },
    { suffix: "_bucket", labelValues: ["web"], le: 0.5, value: 3 },
    { suffix: "_bucket", labelValues: ["web"], le: 1, value: 3 },
    { suffix: "_bucket", labelValues: ["web"], le: Infinity, value: 5 },
    { suffix: "_sum", labelValues: ["web"], value: 9.45 },
    { suffix: "_count", labelValues: ["web"], value: 5 },
  ]);
});

Deno.test("a histogram refuses a negative or NaN observation", () => {
  const duration = new MetricsRegistry().histogram("duration_seconds", { help: "x", buckets: [1] });
  assert.throws(() => duration.observe({}, -0.5), /Cannot observe -0.5 in histogram/);
  assert.throws(() => duration.observe({}, NaN), RangeError);
  assert.equal(duration.samples().at(-1)!.value, 0);
});

Deno.test("series keep the order their label set was first used, whatever the key order", () => {
  const up = new MetricsRegistry().gauge("up", { help: "Up.", labelNames: ["check", "file"] });
  up.set({ check: "b", file: "x" }, 1);
  up.set({ file: "x", check: "a" }, 0);
  up.set({ check: "b", file: "x" }, 0);
  assert.deepEqual(up.samples().map((sample) => sample.labelValues), [["b", "x"], ["a", "x"]]);
  up.remove({ check: "b", file: "x" });
  assert.deepEqual(up.samples().map((sample) => sample.labelValues), [["a", "x"]]);
});

Deno.test("a series with missing or unknown labels is refused", () => {
  const up = new MetricsRegistry().gauge("up", { help: "Up.", labelNames: ["check"] });
  assert.throws(() => up.set({}, 1), /Cannot use labels \{\} for metric "up": it takes \{check\}/);
  assert.throws(() => up.set({ check: "a", instance: "b" }, 1), TypeError);
});

Deno.test("a counter only goes up and starts at zero when it has no labels", () => {
  const registry = new MetricsRegistry();
  const runs = registry.counter("runs_total", { help: "Runs." });
  assert.deepEqual(runs.samples(), [{ suffix: "", labelValues: [], value: 0 }]);
  assert.throws(() => runs.inc({}, -1), RangeError);
  assert.throws(() => runs.inc({}, NaN), RangeError);
});

Deno.test("names against the Prometheus naming rules are refused with the rule", () => {
  const registry = new MetricsRegistry();
  const refused: [() => unknown, RegExp][] = [
    [() => registry.counter("runs", { help: "x" }), /a counter's name ends with _total/],
    [() => registry.gauge("runs_total", { help: "x" }), /only a counter's name ends with _total/],
    [() => registry.gauge("checkSuccess", { help: "x" }), /snake_case/],
    [() => registry.gauge("a:b", { help: "x" }), /snake_case/],
    [() => registry.gauge("up", { help: " " }), /help text is empty/],
    [() => registry.gauge("took_milliseconds", { help: "x" }), /base unit seconds/],
    [() => registry.gauge("took", { help: "x", unit: "seconds" }), /end with its unit: _seconds/],
    [
      () => registry.counter("took_total", { help: "x", unit: "seconds" }),
      /_seconds_total/,
    ],
    [() => registry.gauge("x_count", { help: "x" }), /histogram's samples/],
    [() => registry.gauge("x", { help: "x", labelNames: ["__name"] }), /label name "__name"/],
    [() => registry.gauge("x", { help: "x", labelNames: ["a", "a"] }), /repeated/],
    [() => registry.histogram("h", { help: "x", buckets: [1, 1] }), /increasing/],
    [() => registry.histogram("h", { help: "x", buckets: [] }), /increasing/],
    [() => registry.histogram("h", { help: "x", buckets: [-1, 1] }), /from 0/],
    [() => registry.histogram("h", { help: "x", buckets: [1], labelNames: ["le"] }), /"le"/],
  ];
  for (const [register, message] of refused) assert.throws(register, message);
  assert.equal(registry.families().length, 0);
});

Deno.test("a name another family's samples already use is refused", () => {
  const registry = new MetricsRegistry();
  registry.histogram("duration_seconds", { help: "x", buckets: [1] });
  registry.counter("runs_total", { help: "x" });
  assert.throws(() => registry.counter("duration_seconds_sum_total", { help: "x" }), TypeError);
  assert.throws(() => registry.gauge("runs", { help: "x" }), /already exposes/);
  assert.throws(() => registry.gauge("duration_seconds", { help: "x" }), /already exposes/);
  assert.throws(() => registry.gauge("runs_created", { help: "x" }), /already exposes/);
});

Deno.test("an info family's label sets have the value 1", () => {
  const rcode = new MetricsRegistry().info("dns_rcode", { help: "x", labelNames: ["rcode"] });
  rcode.set({ rcode: "NXDOMAIN" });
  rcode.set({ rcode: "NXDOMAIN" });
  assert.deepEqual(rcode.samples(), [{ suffix: "", labelValues: ["NXDOMAIN"], value: 1 }]);
  rcode.clear();
  assert.deepEqual(rcode.samples(), []);
});
