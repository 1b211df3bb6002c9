/**
 * The echo server under abuse, shortened (`deno task soak` runs it in full, with the figures of
 * SECURITY.md): connections opened and reset at 2,000 a second, half-open clients that send and
 * never read, a client that sends a gibibyte and never reads, SIGTERM in the middle of it, and
 * `--max-conns`; meanwhile a well-behaved client's round trips stay fast and none fails.
 */
import assert from "node:assert/strict";
import { hasProgram, LineReader, sockitCommand } from "./_helpers.ts";
import { type AbusePlan, Abuser, buildAbuseClient, runAbuse } from "./abuse/scenario.ts";

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

/**
 * Runs `sockit echo serve --port 0 ARGS` with at most `fds` descriptors (prlimit), hands `fn` the
 * abuse client and the server's two streams, then checks that a new client is echoed and that
 * SIGTERM ends it with exit 0.
 */
async function withFewDescriptors(
  fds: number,
  args: string[],
  fn: (client: string, out: LineReader, err: LineReader) => Promise<{
    port: number;
    drained: Promise<unknown>;
  }>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    const client = await buildAbuseClient(dir);
    assert.ok(client, "the abuse client did not build");
    const server = new Deno.Command("prlimit", {
      args: [`--nofile=${fds}:${fds}`, ...sockitCommand(), "echo", "serve", "--port", "0", ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    try {
      const out = new LineReader(server.stdout);
      const { port, drained } = await fn(client, out, new LineReader(server.stderr));
      // Once the clients are gone, a new one is served.
      using conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(new TextEncoder().encode("hi"));
      await conn.closeWrite();
      assert.equal(await new Response(conn.readable).text(), "hi");
      server.kill("SIGTERM");
      const [status] = await Promise.all([server.status, drained]);
      assert.equal(status.code, 0);
    } catch (error) {
      // A failed check leaves no server behind.
      try {
        server.kill("SIGKILL");
      } catch {
        // It had exited.
      }
      await server.status;
      throw error;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const OUT_OF_FDS = "accept failed: too many open files";

Deno.test({
  name: "echo serve out of descriptors backs off, without a busy loop, and serves again after",
  ignore: Deno.build.os !== "linux" || !hasProgram("cc") || !hasProgram("prlimit"),
  async fn() {
    let started = 0;
    let traced: Promise<string[]> = Promise.resolve([]);
    // 200 descriptors, 300 clients: accept() fails with EMFILE until some of them leave.
    await withFewDescriptors(200, ["--trace"], async (client, out, err) => {
      const port = Number(/:(\d+)$/.exec((await out.next())!)![1]);
      const clients = new Abuser(client, ["halfopen", "127.0.0.1", port, 300, 10]);
      let failures = 0;
      for (let line = await err.next(); line !== null; line = await err.next()) {
        if (line.includes(OUT_OF_FDS) && ++failures === 3) break;
      }
      assert.equal(failures, 3, "accept never ran out of descriptors");
      // Go on reading the trace, or the server blocks on a full stderr pipe.
      traced = err.rest();
      started = performance.now();
      assert.ok((await clients.next<{ opened: number }>()).opened >= 200);
      await clients.finish();
      return { port, drained: Promise.all([traced, out.rest()]) };
    });
    // Backing off 5 ms, doubling to 1 s: a handful of failures a second, not thousands.
    const more = (await traced).filter((l) => l.includes(OUT_OF_FDS)).length;
    const seconds = (performance.now() - started) / 1000;
    assert.ok(more <= 10 + 2 * seconds, `${more} more failed accepts in ${seconds.toFixed(1)} s`);
  },
});

Deno.test({
  name: "echo serve out of descriptors, logging at the normal level, does not crash (Deno panic)",
  ignore: Deno.build.os !== "linux" || !hasProgram("cc") || !hasProgram("prlimit"),
  async fn() {
    let stderr: Promise<string[]> = Promise.resolve([]);
    // The first "accepted" line used to load the logger then, with no descriptor left for Deno
    // to read /proc/self/maps: it panicked (exit 101).
    await withFewDescriptors(100, ["--json"], async (client, events, err) => {
      stderr = err.rest();
      const port = (await events.nextJson()).port as number;
      const clients = new Abuser(client, ["halfopen", "127.0.0.1", port, 150, 10]);
      await clients.next();
      let accepted = 0;
      while (accepted < 50) if ((await events.nextJson()).event === "accept") accepted++;
      await clients.finish();
      return { port, drained: Promise.all([stderr, events.rest()]) };
    });
    assert.doesNotMatch((await stderr).join("\n"), /panicked/);
  },
});
