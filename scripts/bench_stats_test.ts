/** The bench's verdicts: every-run targets and the comparison with the figures before the work. */
import assert from "node:assert/strict";
import {
  againstBefore,
  figurePasses,
  formatFigure,
  formatSummary,
  roundRatios,
} from "./bench_stats.ts";
import type { Figure } from "./bench_stats.ts";

const figure = (sockit: number[], against: number[], extra: Partial<Figure> = {}): Figure => ({
  name: "resolve",
  unit: "ms",
  lowerIsBetter: true,
  sockit: { label: "sockit", values: sockit },
  against: { label: "dig", values: against },
  ratio: "speed",
  target: 1.5,
  ...extra,
});

Deno.test("an every-run target fails on one slow round that the medians hide", () => {
  const runs = figure([50, 50, 80], [100, 100, 100]);
  assert.deepEqual(roundRatios(runs), [2, 2, 1.25]);
  assert.equal(figurePasses(runs), true);
  assert.equal(figurePasses({ ...runs, everyRun: true }), false);
  assert.equal(figurePasses({ ...figure([50, 50, 60], [100, 100, 100]), everyRun: true }), true);
  assert.match(formatFigure({ ...runs, everyRun: true }).join("\n"), /worst round's ratio 1\.25x/);
});

Deno.test("a figure is better, the same or worse than before by more than the noise", () => {
  // speed: higher is better; cost: lower is better.
  assert.equal(againstBefore(figure([50], [100], { before: 1.37 })), "better");
  assert.equal(againstBefore(figure([70], [100], { before: 1.37 })), "same");
  assert.equal(againstBefore(figure([100], [100], { before: 1.37 })), "worse");
  const cost = (ms: number) => figure([ms], [100], { ratio: "cost", target: 1.2, before: 1.44 });
  assert.equal(againstBefore(cost(100)), "better");
  assert.equal(againstBefore(cost(150)), "same");
  assert.equal(againstBefore(cost(170)), "worse");
  assert.equal(againstBefore(figure([50], [100])), undefined);
  assert.match(formatSummary([cost(170)]).join("\n"), /1\.44x {2}MISSED, WORSE than before$/m);
  assert.match(formatFigure(cost(150)).join("\n"), /before this work: 1\.44x; this run is within/);
});
