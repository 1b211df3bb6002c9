/**
 * The monitor under time, shortened (`deno task soak` runs 500 checks every 2 s for 10 minutes):
 * every check runs on each of its turns, never twice, with descriptors flat. Memory is judged
 * by the full soak only: in half a minute the heap is still growing to its working size.
 */
import assert from "node:assert/strict";
import { runMonitorSoak } from "./abuse/monitor_soak.ts";

Deno.test({
  name: "a monitor of 200 checks every second runs each on its every turn, with descriptors flat",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const figures = await runMonitorSoak({
      checks: 200,
      everyMs: 1000,
      seconds: 24,
      sampleSeconds: 1,
      warmupSeconds: 6,
    });
    const show = JSON.stringify(figures);
    assert.equal(figures.exitCode, 0, show);
    assert.equal(figures.missed, 0, show);
    assert.equal(figures.doubled, 0, show);
    assert.equal(figures.failedRuns, 0, show);
    assert.equal(figures.samples.at(-1)!.overruns, 0, show);
    const [first, last] = figures.fdsBaseline;
    assert.ok(
      last <= first + 1,
      `descriptors with no run in flight went from ${first} to ${last}: ${show}`,
    );
  },
});
