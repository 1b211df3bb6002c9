/**
 * The echo server under abuse, shortened (`deno task soak` runs it in full, with the figures of
 * SECURITY.md): connections opened and reset at 2,000 a second, half-open clients that send and
 * never read, a client that sends a gibibyte and never reads, SIGTERM in the middle of it, and
 * `--max-conns`; meanwhile a well-behaved client's round trips stay fast and none fails.
 */
import assert from "node:assert/strict";
import { hasProgram } from "./_helpers.ts";
import { type AbusePlan, buildAbuseClient, runAbuse } from "./abuse/scenario.ts";

const PLAN: AbusePlan = {
  churnRate: 2000,
  churnSeconds: 2,
  halfOpen: 200,
  halfOpenBytes: 16 * 1024,
  floodBytes: 1024 ** 3,
  maxConns: 50,
};

Deno.test({
  name: "echo serve under abuse: churn, half-open and never-reading clients, SIGTERM, --max-conns",
  ignore: Deno.build.os !== "linux" || !hasProgram("cc"),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const client = await buildAbuseClient(dir);
      assert.ok(client, "the abuse client did not build");
      const figures = await runAbuse(client, PLAN, 2);
      const show = JSON.stringify(figures);
      const [first, last] = [figures.rounds[0]!, figures.rounds.at(-1)!];
      for (const round of figures.rounds) {
        // The churn rate is held: the server takes every connection, the backlog never fills.
        assert.equal(round.churn.opened, PLAN.churnRate * PLAN.churnSeconds, show);
        assert.equal(round.churn.failed, 0, show);
        assert.ok(round.churn.per_s >= PLAN.churnRate * 0.95, show);
        // A quarter wait for their byte's echo (up to 100 ms) before the reset: nearly all get it
        // (one may not, when the half-open clients' data all arrive at that moment).
        assert.ok(round.churn.echoed >= round.churn.opened / 4 * 0.95, show);
        assert.equal(round.halfOpen.opened, PLAN.halfOpen, show);
        // The client that never reads was stopped being read from, and the server held on.
        assert.ok(round.flood.stalled > 0 && round.flood.stalled < PLAN.floodBytes, show);
        assert.ok(round.fdsDuring >= figures.cold.fds + PLAN.halfOpen + 1, show);
        // The well-behaved client: no round trip failed, the 99th percentile under 20 ms.
        assert.ok(round.rtt.round_trips > 100, show);
        assert.equal(round.rtt.failed, 0, show);
        assert.ok(round.rtt.p99_us < 20_000, show);
        // Afterwards: every descriptor is back.
        assert.equal(round.after.fds, figures.cold.fds, show);
      }
      // Memory does not grow with the dose: the last round ends within 20 MB of the first.
      assert.ok(last.after.rssMb - first.after.rssMb < 20, show);
      assert.ok(figures.peakRssMb - figures.cold.rssMb < 100, show);
      // SIGTERM mid-abuse: exit 0 after the grace period, the clients still connected forced.
      assert.equal(figures.sigterm.code, 0, show);
      assert.ok(figures.sigterm.ms < figures.sigterm.grace_ms + 2000, show);
      assert.ok(figures.sigterm.forced >= PLAN.halfOpen + 1, show);
      // --max-conns: exactly the excess is refused, and the summary counts it.
      assert.equal(figures.maxConns.opened, PLAN.maxConns * 2, show);
      assert.equal(figures.maxConns.served, PLAN.maxConns, show);
      assert.equal(figures.maxConns.refused, PLAN.maxConns, show);
      assert.equal(figures.maxConns.summaryRejected, PLAN.maxConns, show);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
