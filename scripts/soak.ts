/**
 * `deno task soak`: the echo server under abuse in full, with the figures of
 * SECURITY.md. Six rounds on one `sockit echo serve`, each: 2,000 connections opened and reset
 * per second for 10 s, 1,000 half-open clients sending 64 KiB and never reading, one client
 * sending 1 GiB and never reading, and a well-behaved client doing round trips throughout. Then
 * SIGTERM in the middle of one more, and `--max-conns 500` against 1,000 clients. A bare Deno
 * echo server (scripts/bench_floor_server.ts, 4 KiB buffers) takes the same rounds of churn and
 * half-open clients beside it, as the floor of what memory does. Exits 1 when a target is missed.
 *
 * Then the monitor under time (`check --every --listen`, see tests/abuse/monitor_soak.ts).
 * `--echo` or `--monitor` runs one part only.
 *
 * `deno task soak --quick` runs the shortened plan of `deno task test`.
 *
 * @module
 */
import {
  type AbusePlan,
  buildAbuseClient,
  runAbuse,
  serverState,
} from "../tests/abuse/scenario.ts";
import { type MonitorSoakPlan, runMonitorSoak } from "../tests/abuse/monitor_soak.ts";

const FULL: AbusePlan = {
  churnRate: 2000,
  churnSeconds: 10,
  halfOpen: 1000,
  halfOpenBytes: 64 * 1024,
  floodBytes: 1024 ** 3,
  maxConns: 500,
};
const QUICK: AbusePlan = {
  ...FULL,
  churnSeconds: 2,
  halfOpen: 200,
  halfOpenBytes: 16 * 1024,
  maxConns: 50,
};

// deno-lint-ignore no-console
const print = (line: string) => console.log(line);
const quick = Deno.args.includes("--quick");
const plan = quick ? QUICK : FULL;
const rounds = quick ? 2 : 6;

const parts = Deno.args.includes("--monitor")
  ? ["monitor"]
  : Deno.args.includes("--echo")
  ? ["echo"]
  : ["echo", "monitor"];

if (parts.includes("echo")) {
  const dir = await Deno.makeTempDir();
  try {
    const client = await buildAbuseClient(dir);
    if (!client) throw new Error("soak needs a C compiler (cc) for scripts/abuse_client.c");
    print(
      `soak: ${rounds} rounds of ${plan.churnRate} connections/s reset for ${plan.churnSeconds} s, ` +
        `${plan.halfOpen} half-open x ${plan.halfOpenBytes / 1024} KiB, one ${
          plan.floodBytes / 1024 ** 3
        } GiB sender that never reads; then SIGTERM mid-round; then --max-conns ${plan.maxConns}`,
    );
    const started = performance.now();
    const f = await runAbuse(client, plan, rounds);
    const floor = await floorRounds(client, plan, rounds);
    const mb = (n: number) => `${n.toFixed(1)} MB`;
    const misses: string[] = [];
    const target = (ok: boolean, what: string) => {
      if (!ok) misses.push(what);
      return ok ? "met" : "MISSED";
    };

    print("");
    print(
      "round  churn/s  failed  echoed  half-open  flood stalled at  rtt p50/p99/max us  fds during/after  RSS after (anon)",
    );
    f.rounds.forEach((r, i) =>
      print(
        `${String(i + 1).padEnd(7)}${String(r.churn.per_s).padStart(7)}${
          String(r.churn.failed).padStart(8)
        }${String(r.churn.echoed).padStart(8)}${String(r.halfOpen.opened).padStart(11)}${
          `${(r.flood.stalled / 2 ** 20).toFixed(1)} MiB`.padStart(18)
        }${`${r.rtt.p50_us}/${r.rtt.p99_us}/${r.rtt.max_us}`.padStart(20)}${
          `${r.fdsDuring}/${r.after.fds}`.padStart(18)
        }  ${mb(r.after.rssMb)} (${mb(r.after.anonMb)})`,
      )
    );
    const rttFailed = f.rounds.reduce((n, r) => n + r.rtt.failed, 0);
    const rttTrips = f.rounds.reduce((n, r) => n + r.rtt.round_trips, 0);
    const worstP99 = Math.max(...f.rounds.map((r) => r.rtt.p99_us));
    const churnHeld = Math.min(...f.rounds.map((r) => r.churn.per_s));
    const churnFailed = f.rounds.reduce((n, r) => n + r.churn.failed, 0);
    const last = f.rounds.at(-1)!;
    print("");
    print(
      `cold (after start-up and 20 round trips): ${f.cold.fds} fds, ${mb(f.cold.rssMb)} RSS (${
        mb(f.cold.anonMb)
      } private)`,
    );
    print(`peak RSS over the rounds: ${mb(f.peakRssMb)}`);
    print(
      `server: ${f.server.accepted} connections served, ${f.server.resets} of them closed by a reset`,
    );
    print(
      `floor: a bare Deno echo server (4 KiB buffers), the same churn and half-open clients: ${
        mb(floor.before)
      } before, after each round ${floor.after.map(mb).join(", ")}`,
    );
    print("");
    print(
      `churn held: ${churnHeld}/s, ${churnFailed} connects failed (target ${plan.churnRate}/s, 0): ${
        target(churnHeld >= plan.churnRate * 0.95 && churnFailed === 0, "churn rate")
      }`,
    );
    print(
      `well-behaved client: ${rttTrips} round trips, ${rttFailed} failed, worst p99 ${worstP99} us (target 0 failed, p99 < 20000 us): ${
        target(rttFailed === 0 && worstP99 < 20_000, "round trips")
      }`,
    );
    print(
      `descriptors after every round: ${
        f.rounds.map((r) => r.after.fds).join(", ")
      } (target ${f.cold.fds}): ${
        target(f.rounds.every((r) => r.after.fds === f.cold.fds), "descriptors")
      }`,
    );
    const grown = last.after.rssMb - f.cold.rssMb;
    const floorGrown = floor.after.at(-1)! - floor.before;
    print(
      `RSS after the last round against cold: +${mb(grown)} (target < 20 MB): ${
        target(grown < 20, "memory against cold")
      }; the bare Deno floor after the same rounds: +${mb(floorGrown)}`,
    );
    // Memory settles after a few rounds (the heap and the allocator grow to the load, then stop):
    // a leak would go on growing by about as much every round.
    const settled = f.rounds.at(-3) ?? f.rounds[0]!;
    const lastSteps = last.after.rssMb - settled.after.rssMb;
    print(
      `RSS growth over the last two rounds: ${lastSteps >= 0 ? "+" : ""}${
        mb(lastSteps)
      } (a leak grows every round; target < 10 MB): ${
        target(lastSteps < 10, "memory growth per round")
      }`,
    );
    print(
      `SIGTERM mid-round: exit ${f.sigterm.code} in ${
        f.sigterm.ms.toFixed(0)
      } ms (grace ${f.sigterm.grace_ms} ms), ${f.sigterm.forced} connections closed after the grace: ${
        target(
          f.sigterm.code === 0 && f.sigterm.ms < f.sigterm.grace_ms + 2000 &&
            f.sigterm.forced >= plan.halfOpen + 1,
          "SIGTERM",
        )
      }`,
    );
    print(
      `--max-conns ${plan.maxConns} against ${f.maxConns.opened} clients: ${f.maxConns.served} served, ${f.maxConns.refused} refused (summary: ${f.maxConns.summaryRejected}): ${
        target(
          f.maxConns.served === plan.maxConns &&
            f.maxConns.refused === f.maxConns.opened - plan.maxConns &&
            f.maxConns.summaryRejected === f.maxConns.refused,
          "max-conns",
        )
      }`,
    );
    print("");
    print(
      `${misses.length === 0 ? "all targets met" : `missed: ${misses.join(", ")}`} in ${
        ((performance.now() - started) / 1000).toFixed(0)
      } s`,
    );
    if (misses.length > 0) Deno.exitCode = 1;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (parts.includes("monitor")) await monitorSoak();

/**
 * The same rounds of churn and half-open clients against the bare Deno floor server: its RSS
 * before, and after each round.
 */
async function floorRounds(
  client: string,
  plan: AbusePlan,
  rounds: number,
): Promise<{ before: number; after: number[] }> {
  const server = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-q",
      "--allow-net",
      new URL("./bench_floor_server.ts", import.meta.url).pathname,
      "4096",
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the floor server did not start");
    text += value;
  }
  const port = text.trim();
  try {
    const before = (await serverState(server.pid)).rssMb;
    const after: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const half = new Deno.Command(client, {
        args: ["halfopen", "127.0.0.1", port, String(plan.halfOpen), String(plan.halfOpenBytes)],
        stdin: "piped",
        stdout: "piped",
      }).spawn();
      const halfOut = half.stdout.pipeThrough(new TextDecoderStream()).getReader();
      await halfOut.read();
      await new Deno.Command(client, {
        args: ["churn", "127.0.0.1", port, String(plan.churnRate), String(plan.churnSeconds)],
        stdout: "null",
      }).output();
      await half.stdin.close();
      await half.status;
      await halfOut.cancel();
      // The floor reports no events: give its closes a moment to land (a figure, not a test).
      await new Promise((resolve) => setTimeout(resolve, 500));
      after.push((await serverState(server.pid)).rssMb);
    }
    return { before, after };
  } finally {
    server.kill();
    await reader.cancel();
    await server.status;
  }
}

/**
 * The monitor under time: 500 checks every 2 s for 10 minutes (`--quick`: 200 every second for
 * 30 s), none missed or doubled, RSS flat after the first minute (within 10 MB), descriptors flat.
 */
async function monitorSoak(): Promise<void> {
  const plan: MonitorSoakPlan = quick
    ? { checks: 200, everyMs: 1000, seconds: 30, sampleSeconds: 2, warmupSeconds: 10 }
    : { checks: 500, everyMs: 2000, seconds: 600, sampleSeconds: 10, warmupSeconds: 60 };
  print("");
  print(
    `monitor soak: ${plan.checks} checks (half tcp, half http, local servers) every ${plan.everyMs} ms for ${plan.seconds} s, sampled every ${plan.sampleSeconds} s`,
  );
  const f = await runMonitorSoak(plan);
  print("");
  print("at s  runs     overruns  RSS MB  fds  scrape ms");
  for (const s of f.samples) {
    print(
      `${s.at.toFixed(0).padEnd(6)}${String(s.runs).padEnd(9)}${String(s.overruns).padEnd(10)}${
        s.rssMb.toFixed(1).padEnd(8)
      }${String(s.fds).padEnd(5)}${s.scrapeMs.toFixed(1)}`,
    );
  }
  const misses: string[] = [];
  const target = (ok: boolean, what: string) => {
    if (!ok) misses.push(what);
    return ok ? "met" : "MISSED";
  };
  const { min, max, owed } = f.runsPerCheck;
  print("");
  print(
    `runs per check: ${min} to ${max}, the schedule owed ${
      owed - 1
    } or ${owed}; ${f.missed} checks missed a round, ${f.doubled} ran one twice (target 0, 0): ${
      target(f.missed === 0 && f.doubled === 0, "rounds")
    }`,
  );
  print(
    `overruns: ${f.samples.at(-1)!.overruns}; failed runs: ${f.failedRuns} (target 0, 0): ${
      target(f.samples.at(-1)!.overruns === 0 && f.failedRuns === 0, "overruns")
    }`,
  );
  print(
    `RSS peak, the last third after the warm-up against the first: ${
      f.rssGrowthMb >= 0 ? "+" : ""
    }${f.rssGrowthMb.toFixed(1)} MB (target within 10 MB): ${
      target(Math.abs(f.rssGrowthMb) < 10, "monitor memory")
    }`,
  );
  const [fdsFirst, fdsLast] = f.fdsBaseline;
  print(
    `descriptors after the warm-up: ${f.fdsRange[0]} to ${
      f.fdsRange[1]
    } (the most with runs in flight); fewest in the first third ${fdsFirst}, in the last ${fdsLast} (target flat, within 1): ${
      target(fdsLast <= fdsFirst + 1, "monitor descriptors")
    }`,
  );
  print(`SIGTERM: exit ${f.exitCode} (target 0): ${target(f.exitCode === 0, "monitor SIGTERM")}`);
  print(misses.length === 0 ? "monitor: all targets met" : `monitor: missed ${misses.join(", ")}`);
  if (misses.length > 0) Deno.exitCode = 1;
}
