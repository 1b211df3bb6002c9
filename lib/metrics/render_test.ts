import assert from "node:assert/strict";
import { havePromtool, PROMTOOL, promtoolCheck } from "./_promtool.ts";
import { MetricsRegistry } from "./registry.ts";
import {
  negotiateMetricsFormat,
  renderMetrics,
  renderMetricsBytes,
  renderOpenMetrics,
  renderText,
} from "./render.ts";

/** A registry with one family of each kind and label values that need escaping. */
function trickyRegistry(): MetricsRegistry {
  const registry = new MetricsRegistry();
  const labels = ["check", "target"];
  registry.gauge("sockit_check_success", {
    help: 'Whether the check passed: 1 or 0 (a "path" like C:\\x).\nSecond line.',
    labelNames: labels,
  }).set({ check: 'say "hi"', target: "C:\\temp\nnext" }, 1);
  const runs = registry.counter("sockit_check_runs_total", {
    help: "Runs of the check.",
    labelNames: [...labels, "result"],
  });
  runs.inc({ check: "web", target: "http://x/?a=1,b={2}", result: "success" }, 3);
  runs.inc({ check: "web", target: "http://x/?a=1,b={2}", result: "failure" });
  registry.histogram("sockit_check_duration_seconds", {
    help: "How long the check took.",
    unit: "seconds",
    labelNames: labels,
    buckets: [0.005, 0.5, 1, 10],
  }).observe({ check: "\u00e9t\u00e9 \u2713", target: "" }, 0.75);
  registry.info("sockit_build_info", { help: "The build.", labelNames: ["version", "commit"] })
    .set({ version: "0.1.0", commit: "abc123" });
  return registry;
}

Deno.test("renderText() escapes label values and help text as the text format 0.0.4 does", () => {
  assert.equal(
    renderText(trickyRegistry()),
    [
      '# HELP sockit_check_success Whether the check passed: 1 or 0 (a "path" like C:\\\\x).\\nSecond line.',
      "# TYPE sockit_check_success gauge",
      'sockit_check_success{check="say \\"hi\\"",target="C:\\\\temp\\nnext"} 1',
      "# HELP sockit_check_runs_total Runs of the check.",
      "# TYPE sockit_check_runs_total counter",
      'sockit_check_runs_total{check="web",target="http://x/?a=1,b={2}",result="success"} 3',
      'sockit_check_runs_total{check="web",target="http://x/?a=1,b={2}",result="failure"} 1',
      "# HELP sockit_check_duration_seconds How long the check took.",
      "# TYPE sockit_check_duration_seconds histogram",
      'sockit_check_duration_seconds_bucket{check="\u00e9t\u00e9 \u2713",target="",le="0.005"} 0',
      'sockit_check_duration_seconds_bucket{check="\u00e9t\u00e9 \u2713",target="",le="0.5"} 0',
      'sockit_check_duration_seconds_bucket{check="\u00e9t\u00e9 \u2713",target="",le="1"} 1',
      'sockit_check_duration_seconds_bucket{check="\u00e9t\u00e9 \u2713",target="",le="10"} 1',
      'sockit_check_duration_seconds_bucket{check="\u00e9t\u00e9 \u2713",target="",le="+Inf"} 1',
      'sockit_check_duration_seconds_sum{check="\u00e9t\u00e9 \u2713",target=""} 0.75',
      'sockit_check_duration_seconds_count{check="\u00e9t\u00e9 \u2713",target=""} 1',
      "# HELP sockit_build_info The build.",
      "# TYPE sockit_build_info gauge",
      'sockit_build_info{version="0.1.0",commit="abc123"} 1',
      "",
    ].join("\n"),
  );
});

Deno.test("renderOpenMetrics() names a counter family without _total, writes UNIT and ends with # EOF", () => {
  const lines = renderOpenMetrics(trickyRegistry()).split("\n");
  assert.deepEqual(lines.slice(0, 2), [
    "# TYPE sockit_check_success gauge",
    '# HELP sockit_check_success Whether the check passed: 1 or 0 (a \\"path\\" like C:\\\\x).\\nSecond line.',
  ]);
  assert.deepEqual(lines.slice(3, 6), [
    "# TYPE sockit_check_runs counter",
    "# HELP sockit_check_runs Runs of the check.",
    'sockit_check_runs_total{check="web",target="http://x/?a=1,b={2}",result="success"} 3',
  ]);
  assert.deepEqual(lines.slice(7, 11), [
    "# TYPE sockit_check_duration_seconds histogram",
    "# UNIT sockit_check_duration_seconds seconds",
    "# HELP sockit_check_duration_seconds How long the check took.",
    'sockit_check_duration_seconds_bucket{check="\u00e9t\u00e9 \u2713",target="",le="0.005"} 0',
  ]);
  assert.ok(
    lines.includes(
      'sockit_check_duration_seconds_bucket{check="\u00e9t\u00e9 \u2713",target="",le="1.0"} 1',
    ),
  );
  assert.ok(
    lines.includes(
      'sockit_check_duration_seconds_bucket{check="\u00e9t\u00e9 \u2713",target="",le="+Inf"} 1',
    ),
  );
  assert.deepEqual(lines.slice(-2), ["# EOF", ""]);
});

Deno.test("renderText() writes infinities and NaN as Prometheus spells them", () => {
  const registry = new MetricsRegistry();
  const gauge = registry.gauge("value", { help: "x", labelNames: ["n"] });
  gauge.set({ n: "a" }, Infinity);
  gauge.set({ n: "b" }, -Infinity);
  gauge.set({ n: "c" }, NaN);
  gauge.set({ n: "d" }, 1.5e-7);
  assert.deepEqual(renderText(registry).split("\n").slice(2, 6), [
    'value{n="a"} +Inf',
    'value{n="b"} -Inf',
    'value{n="c"} NaN',
    'value{n="d"} 1.5e-7',
  ]);
});

Deno.test("negotiateMetricsFormat() answers OpenMetrics only when Accept prefers it", () => {
  const cases: [string | null, string][] = [
    [
      "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75," +
      "text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
      "openmetrics",
    ],
    [
      "application/openmetrics-text; version=0.0.1,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
      "openmetrics",
    ],
    ["text/plain;version=0.0.4;q=0.5,*/*;q=0.1", "text"],
    ["application/openmetrics-text;version=2.0.0", "text"],
    ["application/openmetrics-text;q=0", "text"],
    ["text/plain;q=0.9,application/openmetrics-text;q=0.5", "text"],
    ["APPLICATION/OpenMetrics-Text", "openmetrics"],
    ["*/*", "text"],
    ["", "text"],
    [null, "text"],
  ];
  for (const [accept, format] of cases) {
    assert.equal(negotiateMetricsFormat(accept), format, `${accept}`);
  }
});

const promtoolInstalled = havePromtool();
if (!promtoolInstalled) {
  // deno-lint-ignore no-console
  console.warn(`${PROMTOOL} is not installed: the promtool test is ignored`);
}

Deno.test({
  name: "promtool check metrics finds nothing in the text format with tricky labels",
  ignore: !promtoolInstalled,
  fn: async () => {
    assert.deepEqual(await promtoolCheck(renderText(trickyRegistry())), { code: 0, output: "" });
  },
});

Deno.test({
  name: "promtool check metrics reports a counter named against the rules, so its silence counts",
  ignore: !promtoolInstalled,
  fn: async () => {
    const { code, output } = await promtoolCheck(
      "# HELP took_milliseconds x\n# TYPE took_milliseconds counter\ntook_milliseconds 1\n",
    );
    assert.notEqual(code, 0);
    assert.match(output, /_total/);
    assert.match(output, /base unit "seconds"/);
  },
});

Deno.test("renderMetricsBytes() is the rendered text's UTF-8, over many pieces, ASCII or not", () => {
  const cases: Array<[string, string]> = [
    ["Up.", "db-999"],
    ["Up.", "caf\u00e9 \u{1f995}"],
    ["Up.", "x\ud800"],
    ["Up \u00e0 la carte.", "db-999"],
  ];
  for (const [help, last] of cases) {
    const registry = new MetricsRegistry();
    const up = registry.gauge("up", { help, labelNames: ["check"] });
    const took = registry.histogram("took_seconds", {
      help: "Took.",
      labelNames: ["check"],
      buckets: [0.1, 1],
    });
    for (let i = 0; i < 999; i++) {
      up.set({ check: `db-${i}` }, i);
      took.observe({ check: `db-${i}` }, i / 1000);
    }
    up.set({ check: last }, 1);
    for (const format of ["text", "openmetrics"] as const) {
      const text = renderMetrics(registry, format);
      assert.ok(text.split("\n").length > 5000, "more lines than one piece holds");
      assert.deepEqual(
        renderMetricsBytes(registry, format),
        new TextEncoder().encode(text),
        `${format}, ${JSON.stringify([help, last])}`,
      );
    }
  }
});

Deno.test("bucket bounds are written as Prometheus' clients write le, with .0 in OpenMetrics", () => {
  const registry = new MetricsRegistry();
  registry.histogram("size_bytes", { help: "x", buckets: [0, 1e-5, 0.0001, 0.25, 1, 100000, 1e6] });
  const bounds = (text: string) => [...text.matchAll(/le="([^"]*)"/g)].map((match) => match[1]);
  assert.deepEqual(bounds(renderText(registry)), [
    "0",
    "1e-05",
    "0.0001",
    "0.25",
    "1",
    "100000",
    "1e+06",
    "+Inf",
  ]);
  assert.deepEqual(bounds(renderOpenMetrics(registry)), [
    "0.0",
    "1e-05",
    "0.0001",
    "0.25",
    "1.0",
    "100000.0",
    "1e+06",
    "+Inf",
  ]);
});
