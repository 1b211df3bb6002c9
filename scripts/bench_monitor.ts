/**
 * The `monitor` section of `deno task bench`: `check --every --listen` as Prometheus sees it.
 *
 * - CPU seconds per `/probe` of one nginx URL: sockit's monitor against blackbox_exporter's
 *   `/probe` (module http_2xx), the same requests in the same run, 4 at a time; the CPU each
 *   exporter spent (user + system, from /proc/PID/stat) over the probes it answered. A bare Deno
 *   server that answers each request with one raw GET of the target (scripts/bench_probe_floor.ts)
 *   is measured beside them as the floor.
 * - The time to answer a `/metrics` scrape of a monitor running 1,000 tcp checks (an absolute
 *   target: under 20 ms), with a bare Deno server answering a text of the same size beside it.
 *
 * @module
 */
import type { BenchContext } from "./bench.ts";
import { freePort, hasNginx, Nginx } from "../tests/_http.ts";
import { LineReader } from "../tests/_helpers.ts";

/** CPU seconds (user + system) a process has used so far. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await new Deno.Command("cat", { args: [`/proc/${pid}/stat`] }).output();
  const text = new TextDecoder().decode(stat.stdout);
  // The fields after the command name (which may hold spaces) in parentheses.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100;
}

/** Starts a server process and reads its port from its first stdout line (`read` picks it). */
async function startServer(
  cmd: string[],
  read: (line: string) => number | undefined,
): Promise<{ child: Deno.ChildProcess; port: number; lines: LineReader }> {
  const child = new Deno.Command(cmd[0]!, {
    args: cmd.slice(1),
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const lines = new LineReader(child.stdout);
  for (let line = await lines.next(); line !== null; line = await lines.next()) {
    const port = read(line);
    if (port !== undefined) return { child, port, lines };
  }
  throw new Error(`${cmd.join(" ")} did not start`);
}

/** GETs `url` `count` times, `concurrency` at once; throws on a status other than 200. */
async function hammer(url: string, count: number, concurrency: number): Promise<number[]> {
  const times: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      const started = performance.now();
      const response = await fetch(url);
      const body = await response.text();
      if (
        response.status !== 200 ||
        !/^probe_success(\{[^}]*\})? 1$/m.test(body) && url.includes("/probe")
      ) {
        throw new Error(`${url}: ${response.status} ${body.slice(0, 200)}`);
      }
      times.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return times;
}

/** Runs the section. */
export async function run(ctx: BenchContext): Promise<void> {
  const print = ctx.print;
  print("== monitor: check --every --listen as Prometheus sees it");
  const dir = await Deno.makeTempDir({ prefix: "sockit-bench-monitor-" });
  try {
    if (hasNginx() && ctx.have("prometheus-blackbox-exporter")) await probeCpu(ctx, dir);
    await scrapeTime(ctx, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function probeCpu(ctx: BenchContext, dir: string): Promise<void> {
  const probes = ctx.quick ? 300 : 2000;
  const rounds = ctx.quick ? 3 : 5;
  await using nginx = await Nginx.start({ files: { "ok.txt": "ok\n" } });
  await ctx.pinProcess(0, nginx.process.pid);
  const target = nginx.url("/ok.txt");
  await Deno.writeTextFile(
    `${dir}/probe.yaml`,
    `version: 1\nchecks:\n  - { name: web, http: { url: "${target}" } }\n`,
  );
  await Deno.writeTextFile(
    `${dir}/blackbox.yml`,
    "modules:\n  http_2xx:\n    prober: http\n    timeout: 5s\n    http:\n      preferred_ip_protocol: ip4\n",
  );
  const bbPort = freePort();
  const sockit = await startServer(
    ctx.pin(1, [
      ...ctx.sockit,
      "check",
      "--every",
      "1h",
      "--listen",
      "127.0.0.1:0",
      "--json",
      "-q",
      `${dir}/probe.yaml`,
    ]),
    (line) => {
      const event = JSON.parse(line);
      return event.event === "listening" ? event.port : undefined;
    },
  );
  const blackbox = new Deno.Command("prometheus-blackbox-exporter", {
    args: [`--config.file=${dir}/blackbox.yml`, `--web.listen-address=127.0.0.1:${bbPort}`],
    stdout: "null",
    stderr: "null",
  }).spawn();
  await ctx.pinProcess(1, blackbox.pid);
  const floor = await startServer(
    ctx.pin(1, [
      Deno.execPath(),
      "run",
      "-q",
      "--allow-net=127.0.0.1",
      `${ctx.root}scripts/bench_probe_floor.ts`,
    ]),
    (line) => Number(line),
  );
  try {
    const urls = {
      sockit: `http://127.0.0.1:${sockit.port}/probe?module=web&target=${
        encodeURIComponent(target)
      }`,
      blackbox: `http://127.0.0.1:${bbPort}/probe?module=http_2xx&target=${
        encodeURIComponent(target)
      }`,
      floor: `http://127.0.0.1:${floor.port}/probe?target=${encodeURIComponent(target)}`,
    };
    // blackbox_exporter is ready once it answers.
    for (let i = 0; i < 100; i++) {
      const ok = await fetch(`http://127.0.0.1:${bbPort}/-/healthy`).then(
        (r) => r.body?.cancel().then(() => r.ok),
        () => false,
      );
      if (ok) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const pids = { sockit: sockit.child.pid, blackbox: blackbox.pid, floor: floor.child.pid };
    const per: Record<keyof typeof urls, number[]> = { sockit: [], blackbox: [], floor: [] };
    for (const name of Object.keys(urls) as Array<keyof typeof urls>) {
      await hammer(urls[name], 50, 4); // warm-up
    }
    for (let round = 0; round < rounds; round++) {
      for (const name of Object.keys(urls) as Array<keyof typeof urls>) {
        const before = await cpuSeconds(pids[name]);
        await hammer(urls[name], probes, 4);
        per[name].push(((await cpuSeconds(pids[name])) - before) / probes * 1e6);
      }
    }
    ctx.figure({
      name: "CPU per /probe of a local nginx URL, sockit's monitor against blackbox_exporter",
      unit: "us/probe",
      lowerIsBetter: true,
      sockit: { label: "sockit /probe", values: per.sockit },
      against: { label: "blackbox_exporter", values: per.blackbox },
      floor: { label: "bare deno raw GET per request", values: per.floor },
      ratio: "cost",
      target: 1,
      note: `${probes} probes per run, 4 at a time; CPU from /proc (10 ms ticks)`,
    });
  } finally {
    for (const child of [sockit.child, blackbox, floor.child]) {
      try {
        child.kill("SIGTERM");
      } catch {
        // Exited.
      }
      await child.status;
    }
    await sockit.lines.cancel().catch(() => {});
    await floor.lines.cancel().catch(() => {});
  }
}

async function scrapeTime(ctx: BenchContext, dir: string): Promise<void> {
  const checks = 1000;
  const scrapes = ctx.quick ? 30 : 100;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = (async () => {
    for await (const conn of listener) conn.close();
  })().catch(() => {});
  const lines = ["version: 1", "checks:"];
  for (let i = 0; i < checks; i++) {
    lines.push(`  - { name: check-${i}, tcp: { host: 127.0.0.1, port: ${listener.addr.port} } }`);
  }
  await Deno.writeTextFile(`${dir}/many.yaml`, lines.join("\n") + "\n");
  const sockit = await startServer(
    ctx.pin(1, [
      ...ctx.sockit,
      "check",
      "--every",
      "10s",
      "--listen",
      "127.0.0.1:0",
      "--json",
      `${dir}/many.yaml`,
    ]),
    (line) => {
      const event = JSON.parse(line);
      return event.event === "listening" ? event.port : undefined;
    },
  );
  try {
    // Every check has run once (a round is 10 s, spread): read the results as they come.
    let results = 0;
    while (results < checks) {
      const line = await sockit.lines.next();
      if (line === null) throw new Error("the monitor stopped");
      if (line.includes('"event":"result"')) results++;
    }
    const draining = (async () => {
      while (await sockit.lines.next() !== null) { /* results go on */ }
    })();
    const url = `http://127.0.0.1:${sockit.port}/metrics`;
    const size = (await (await fetch(url)).text()).length;
    const floorBody = "x".repeat(size);
    const floor = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      () => new Response(floorBody),
    );
    const timeScrapes = async (at: string) => {
      const values: number[] = [];
      for (let i = 0; i < scrapes; i++) {
        const started = performance.now();
        await (await fetch(at)).text();
        values.push(performance.now() - started);
      }
      return values;
    };
    const ours = await timeScrapes(url);
    const bare = await timeScrapes(`http://127.0.0.1:${floor.addr.port}/`);
    await floor.shutdown();
    ctx.figure({
      name: `a /metrics scrape of a monitor running ${checks} checks`,
      unit: "ms",
      lowerIsBetter: true,
      sockit: { label: "sockit /metrics", values: ours },
      against: { label: `bare Deno.serve, same ${Math.round(size / 1024)} KiB`, values: bare },
      ratio: "absolute",
      target: 20,
      note: `${Math.round(size / 1024)} KiB of text, ${scrapes} scrapes one after another`,
    });
    sockit.child.kill("SIGTERM");
    await draining;
  } finally {
    try {
      sockit.child.kill("SIGKILL");
    } catch {
      // Exited.
    }
    await sockit.child.status;
    listener.close();
    await accepting;
  }
}
