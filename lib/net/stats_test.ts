import assert from "node:assert/strict";
import { percentile, summarize } from "./stats.ts";

Deno.test("percentile() uses the nearest rank", () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(sorted, 50), 50);
  assert.equal(percentile(sorted, 99), 99);
  assert.equal(percentile(sorted, 100), 100);
  assert.equal(percentile([7], 99), 7);
});

Deno.test("summarize() sorts numerically, not as strings", () => {
  const s = summarize([10, 9, 100, 1]);
  assert.deepEqual([s.min, s.p50, s.max, s.avg], [1, 9, 100, 30]);
});

Deno.test("summarize() of nothing is all NaN, with a count of 0", () => {
  const s = summarize([]);
  assert.equal(s.count, 0);
  assert.ok([s.min, s.avg, s.p50, s.p99, s.max].every(Number.isNaN));
});
