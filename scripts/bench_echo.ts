/**
 * The echo section of `deno task bench`: stream throughput (1 GiB, verified byte by byte) and
 * round trips (50 clients, 64-byte messages) for sockit's server, a bare Deno loop (the floor of
 * what Deno can do with the same 256 KiB buffer), a Node `net` pipe server and socat, all driven
 * by the same C client.
 *
 * @module
 */
import type { BenchContext } from "./bench.ts";
import { median } from "./bench_stats.ts";

const GiB = 1024 ** 3;
const STREAM_ROUNDS = 5;
const RTT_ROUNDS = 3;

interface StreamResult {
  mb_per_s: number;
}

interface RttResult {
  rtt_per_s: number;
  p99_us: number;
}

/** A server process started for the bench, with the port it listens on. */
export interface Server {
  /** Its port. */
  port: number;
  /** Its process ID (taskset runs the server in its own process). */
  pid: number;
  /** Stops it (SIGTERM) and waits for it to exit. */
  stop: () => Promise<void>;
}

/** Builds the C client into a cache folder beside the repo (ignored by git). */
async function buildClient(ctx: BenchContext): Promise<string> {
  const dir = `${ctx.root}.bench-build`;
  await Deno.mkdir(dir, { recursive: true });
  const out = `${dir}/bench_client`;
  const result = await new Deno.Command("cc", {
    args: ["-O2", "-pthread", "-o", out, `${ctx.root}scripts/bench_client.c`],
  }).output();
  if (!result.success) {
    throw new Error(`Cannot build the bench client: ${new TextDecoder().decode(result.stderr)}`);
  }
  return out;
}

/** Starts a server process and reads its port from its output with `parse`. */
export async function startServer(
  cmd: string[],
  parse: (text: string) => number | undefined,
  from: "stdout" | "stderr" = "stdout",
): Promise<Server> {
  const [program, ...args] = cmd;
  const child = new Deno.Command(program!, {
    args,
    stdin: "null",
    stdout: from === "stdout" ? "piped" : "null",
    stderr: from === "stderr" ? "piped" : "null",
  }).spawn();
  const stream = (from === "stdout" ? child.stdout : child.stderr).pipeThrough(
    new TextDecoderStream(),
  );
  const reader = stream.getReader();
  let seen = "";
  let port: number | undefined;
  while (port === undefined) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${program} exited before listening: ${seen}`);
    seen += value;
    port = parse(seen);
  }
  // Keep draining the output so that the server never blocks on a full pipe.
  const draining = (async () => {
    while (!(await reader.read()).done) { /* discard */ }
  })();
  return {
    port,
    pid: child.pid,
    stop: async () => {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
      await draining.catch(() => {});
    },
  };
}

/** `items` starting at `round`: each round starts with a different server, so none always runs first. */
export function rotated<T>(items: readonly T[], round: number): T[] {
  return items.map((_, i) => items[(i + round) % items.length]!);
}

/** Runs a load generator pinned to core 1 and returns the JSON it prints. */
export async function runClient(
  ctx: BenchContext,
  client: string,
  args: string[],
): Promise<unknown> {
  const [program, ...rest] = ctx.pin(1, [client, ...args]);
  const result = await new Deno.Command(program!, { args: rest, stdout: "piped", stderr: "piped" })
    .output();
  if (!result.success) {
    throw new Error(`bench client failed: ${new TextDecoder().decode(result.stderr).trim()}`);
  }
  return JSON.parse(new TextDecoder().decode(result.stdout));
}

/** Starts the bare Deno echo server (scripts/bench_floor_server.ts) on the servers' core. */
export function startFloorServer(ctx: BenchContext, bufferSize = 256 * 1024): Promise<Server> {
  return startServer(
    ctx.pin(0, [
      Deno.execPath(),
      "run",
      "-q",
      "--allow-net=127.0.0.1",
      `${ctx.root}scripts/bench_floor_server.ts`,
      String(bufferSize),
    ]),
    (text) => {
      const m = /^(\d+)\n/.exec(text);
      return m ? Number(m[1]) : undefined;
    },
  );
}

/** Runs the echo section. */
export async function run(ctx: BenchContext): Promise<void> {
  const streamRounds = ctx.quick ? 2 : STREAM_ROUNDS;
  const rttRounds = ctx.quick ? 1 : RTT_ROUNDS;
  const streamBytes = ctx.quick ? GiB / 4 : GiB;
  ctx.print(
    `== echo: stream ${streamBytes / 1024 / 1024} MiB (${streamRounds} interleaved rounds, ` +
      `every byte checked); 50 clients x 64 B round trips (${rttRounds} rounds)`,
  );
  if (!ctx.have("cc")) return;
  const client = await buildClient(ctx);
  const first = (text: string) => {
    const m = /^(\d+)\n/.exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const servers: Array<[string, () => Promise<Server> | undefined]> = [
    [
      "sockit",
      () =>
        startServer(ctx.pin(0, [...ctx.sockit, "echo", "serve", "--port", "0", "--json"]), (t) => {
          const line = t.split("\n")[0];
          return t.includes("\n") ? JSON.parse(line!).port : undefined;
        }),
    ],
    ["C ceiling", () => startServer(ctx.pin(0, [client, "serve"]), first)],
    ["deno floor", () => startFloorServer(ctx)],
    [
      "node",
      () =>
        ctx.have("node")
          ? startServer(ctx.pin(0, ["node", `${ctx.root}scripts/bench_node_server.mjs`]), first)
          : undefined,
    ],
    ["socat", () =>
      ctx.have("socat")
        ? startServer(
          ctx.pin(0, ["socat", "-d", "-d", "TCP-LISTEN:0,bind=127.0.0.1,fork,reuseaddr", "PIPE"]),
          (t) => {
            const m = /listening on AF=2 127\.0\.0\.1:(\d+)/.exec(t);
            return m ? Number(m[1]) : undefined;
          },
          "stderr",
        )
        : undefined],
  ];
  // All servers run at once (idle but one) and the rounds are interleaved, so that the drift of a
  // shared machine hits every server alike instead of whichever happened to run last.
  const running: Array<[string, Server]> = [];
  const results = new Map<string, { stream: number[]; rtt: number[]; p99: number[] }>();
  try {
    for (const [name, start] of servers) {
      const starting = start();
      if (starting) running.push([name, await starting]);
    }
    for (const [name] of running) results.set(name, { stream: [], rtt: [], p99: [] });
    for (let round = 0; round < streamRounds; round++) {
      for (const [name, server] of rotated(running, round)) {
        const args = ["stream", "127.0.0.1", String(server.port), String(streamBytes)];
        const r = await runClient(ctx, client, args) as StreamResult;
        results.get(name)!.stream.push(r.mb_per_s);
      }
    }
    for (let round = 0; round < rttRounds; round++) {
      for (const [name, server] of rotated(running, round)) {
        const args = ["rtt", "127.0.0.1", String(server.port), "50", "64", "2"];
        const rt = await runClient(ctx, client, args) as RttResult;
        results.get(name)!.rtt.push(rt.rtt_per_s);
        results.get(name)!.p99.push(rt.p99_us);
      }
    }
  } finally {
    for (const [, server] of running) await server.stop();
  }
  ctx.print("");
  ctx.print(
    `${"server (medians)".padEnd(18)}${"stream MB/s".padStart(12)}${"round trips/s".padStart(15)}${
      "p99 us".padStart(9)
    }`,
  );
  const m = (values: number[]) => median(values);
  for (const [name, r] of results) {
    ctx.print(
      `${name.padEnd(18)}${m(r.stream).toFixed(0).padStart(12)}${m(r.rtt).toFixed(0).padStart(15)}${
        m(r.p99).toFixed(0).padStart(9)
      }`,
    );
  }
  ctx.print("");
  const s = results.get("sockit")!;
  const floor = results.get("deno floor")!;
  const ratio = (label: string, value: number, target: number) =>
    ctx.print(
      `${label.padEnd(40)}${value.toFixed(2).padStart(6)}x  target >= ${target}x  ${
        value >= target ? "PASS" : "MISSED"
      }`,
    );
  const node = results.get("node");
  const socat = results.get("socat");
  if (socat) ratio("stream: sockit / socat", m(s.stream) / m(socat.stream), 5);
  ratio("stream: sockit / bare deno floor", m(s.stream) / m(floor.stream), 0.95);
  if (node) ratio("round trips: sockit / node", m(s.rtt) / m(node.rtt), 0.9);
  const ceiling = results.get("C ceiling")!;
  const others = [node, socat].filter((r) => r !== undefined);
  const floorLeads = others.every((r) => m(floor.stream) > 1.2 * m(r.stream));
  ctx.print(
    floorLeads
      ? "load check: the client drives the bare floor clearly faster than node and socat: OK"
      : "load check: the bare floor is not clearly faster than every other server",
  );
  ctx.print(
    `ceiling: a plain C echo server reaches ${m(ceiling.stream).toFixed(0)} MB/s; ` +
      (others.some((r) => m(r.stream) > 0.8 * m(ceiling.stream))
        ? "a peer within 20% of it means the kernel's loopback copies, not the servers, set the pace"
        : "every peer is well below it, so the client is not the bottleneck"),
  );
  if (node) {
    ctx.figure({
      name: "echo stream throughput, against a Node pipe server",
      unit: "MB/s",
      lowerIsBetter: false,
      sockit: { label: "sockit echo serve", values: s.stream },
      against: { label: "node pipe server", values: node.stream },
      floor: { label: "bare deno floor", values: floor.stream },
      ratio: "speed",
      target: 1.5,
      note: `${streamBytes / 1024 / 1024} MiB each way through the C client`,
    });
  }
}
