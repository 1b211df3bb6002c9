/**
 * The monitor under time: `sockit check --every --listen` with many checks against local
 * servers (half tcp against a listener, half http against a small HTTP server, both in this
 * process), scraped at a steady pace. Counts each check's runs against the rounds its schedule
 * owes (none missed, none doubled), and follows the monitor's RSS and descriptors.
 * `deno task soak` runs it in full; `tests/monitor_soak_test.ts` runs a shortened plan.
 *
 * @module
 */
import { LineReader, spawnSockit } from "../_helpers.ts";
import { serverState } from "./scenario.ts";

/** How long and how hard. */
export interface MonitorSoakPlan {
  /** Checks in the spec (half tcp, half http). */
  checks: number;
  /** `--every`, in milliseconds. */
  everyMs: number;
  /** How long the monitor runs, in seconds. */
  seconds: number;
  /** How often the metrics, RSS and descriptors are sampled, in seconds. */
  sampleSeconds: number;
  /** Samples before this many seconds are the warm-up, left out of "flat". */
  warmupSeconds: number;
}

/** One sample. */
export interface MonitorSample {
  /** Seconds since the monitor started checking. */
  at: number;
  /** Its RSS, in MB. */
  rssMb: number;
  /** Its open descriptors. */
  fds: number;
  /** Finished runs over every check. */
  runs: number;
  /** Overruns over every check. */
  overruns: number;
  /** How long the scrape of /metrics took, in milliseconds. */
  scrapeMs: number;
}

/** What the soak saw. */
export interface MonitorSoakFigures {
  samples: MonitorSample[];
  /** Checks whose runs, at the end, were fewer than their schedule owed less one (in flight). */
  missed: number;
  /** Checks with more runs than their schedule owed. */
  doubled: number;
  /** Fewest and most runs of one check at the end, and what the schedule owed at most. */
  runsPerCheck: { min: number; max: number; owed: number };
  /** Runs that failed (the servers are local: none should). */
  failedRuns: number;
  /**
   * RSS growth after the warm-up, in MB: the highest RSS of the last third of the samples after
   * the warm-up against the highest of the first third (the heap swings between collections;
   * its peaks settle unless something leaks).
   */
  rssGrowthMb: number;
  /** Descriptors after the warm-up: fewest and most (the most includes the runs in flight). */
  fdsRange: [number, number];
  /**
   * The fewest descriptors in the first and in the last third of the samples after the warm-up:
   * what the monitor holds with no run in flight, which grows when something leaks.
   */
  fdsBaseline: [number, number];
  /** SIGTERM at the end: the exit code. */
  exitCode: number;
}

/** Runs the plan; the monitor is started and stopped here. */
export async function runMonitorSoak(plan: MonitorSoakPlan): Promise<MonitorSoakFigures> {
  const dir = await Deno.makeTempDir({ prefix: "sockit-monitor-soak-" });
  const tcp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = (async () => {
    for await (const conn of tcp) conn.close();
  })().catch(() => {});
  const http = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("ok\n"),
  );
  const lines = ["version: 1", "checks:"];
  for (let i = 0; i < plan.checks; i++) {
    lines.push(
      i % 2 === 0
        ? `  - { name: tcp-${i}, tcp: { host: 127.0.0.1, port: ${tcp.addr.port} } }`
        : `  - { name: http-${i}, http: { url: "http://127.0.0.1:${http.addr.port}/${i}" } }`,
    );
  }
  const spec = `${dir}/soak.yaml`;
  await Deno.writeTextFile(spec, lines.join("\n") + "\n");
  const child = spawnSockit([
    "check",
    "--every",
    `${plan.everyMs}ms`,
    "--listen",
    "127.0.0.1:0",
    "--json",
    "--jobs",
    "64",
    spec,
  ]).process;
  const events = new LineReader(child.stdout);
  const stderr = new Response(child.stderr).text();
  try {
    const listening = await events.nextJson();
    if (listening.event !== "listening") throw new Error(`monitor: ${JSON.stringify(listening)}`);
    const port = listening.port as number;
    const started = performance.now();
    // The result lines are read (and counted) as they come: a reader that lags would stall it.
    let failedRuns = 0;
    const reading = (async () => {
      for (let line = await events.next(); line !== null; line = await events.next()) {
        const event = JSON.parse(line);
        if (event.event === "result" && event.status !== "passed") failedRuns++;
      }
    })();
    const samples: MonitorSample[] = [];
    let perCheck = new Map<string, number>();
    for (let n = 1; n * plan.sampleSeconds <= plan.seconds; n++) {
      const due = started + n * plan.sampleSeconds * 1000;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
      const scrapeStart = performance.now();
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const scrapeMs = performance.now() - scrapeStart;
      perCheck = runsByCheck(text);
      const state = await serverState(child.pid);
      samples.push({
        at: (performance.now() - started) / 1000,
        rssMb: state.rssMb,
        fds: state.fds,
        runs: [...perCheck.values()].reduce((a, b) => a + b, 0),
        overruns: total(text, "sockit_check_overruns_total"),
        scrapeMs,
      });
    }
    const elapsedMs = performance.now() - started;
    child.kill("SIGTERM");
    await reading;
    const exitCode = (await child.status).code;
    // A check's turns fall on a grid from the start, its first offset by its place over the
    // interval: by now it owes floor(elapsed / every) or one more turn.
    const owed = Math.floor(elapsedMs / plan.everyMs) + 1;
    const counts = [...perCheck.values()];
    const warm = samples.filter((s) => s.at >= plan.warmupSeconds);
    const settled = warm.length > 0 ? warm : samples;
    return {
      samples,
      missed: counts.filter((c) => c < owed - 2).length + (plan.checks - counts.length),
      doubled: counts.filter((c) => c > owed).length,
      runsPerCheck: { min: Math.min(...counts), max: Math.max(...counts), owed },
      failedRuns,
      rssGrowthMb: peak(settled.slice(-third(settled))) - peak(settled.slice(0, third(settled))),
      fdsRange: [Math.min(...settled.map((s) => s.fds)), Math.max(...settled.map((s) => s.fds))],
      fdsBaseline: [
        Math.min(...settled.slice(0, third(settled)).map((s) => s.fds)),
        Math.min(...settled.slice(-third(settled)).map((s) => s.fds)),
      ],
      exitCode,
    };
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // Exited.
    }
    await child.status;
    await events.cancel().catch(() => {});
    await stderr;
    tcp.close();
    await accepting;
    await http.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
}

function third(samples: readonly MonitorSample[]): number {
  return Math.max(1, Math.floor(samples.length / 3));
}

function peak(samples: readonly MonitorSample[]): number {
  return Math.max(...samples.map((s) => s.rssMb));
}

/** `sockit_check_runs_total` summed over `result`, by check. */
function runsByCheck(text: string): Map<string, number> {
  const runs = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line.startsWith("sockit_check_runs_total{")) continue;
    const check = /check="([^"]*)"/.exec(line)![1]!;
    runs.set(check, (runs.get(check) ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1)));
  }
  return runs;
}

function total(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return sum;
}
