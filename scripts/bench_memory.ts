/**
 * The memory section of `deno task bench`: how much resident memory `echo serve` holds per idle
 * connection. Each server (pinned to the servers' core) is started fresh, warmed with 50
 * connections, then holds 1000 connections that have each had one byte echoed; the growth of
 * its RSS (ps) over the 1000 is divided among them. The floor is a bare Deno echo
 * server with a 4 KiB buffer per connection, the size of the buffer sockit's own connection
 * holds while idle (what Deno itself costs per connection with it); the same bare server with a
 * 1 KiB and a 256 KiB buffer (the throughput floor) and a Node pipe server are beside it.
 *
 * @module
 */
import type { BenchContext } from "./bench.ts";
import { rotated, startFloorServer, startServer } from "./bench_echo.ts";
import type { Server } from "./bench_echo.ts";
import { firstLinePort, sockitPort } from "./bench_udp.ts";

const CONNECTIONS = 1000;

/** Resident memory of a process, in KiB (from ps: Deno reads /proc only with --allow-all). */
async function rssKiB(pid: number): Promise<number> {
  const out = await new Deno.Command("ps", { args: ["-o", "rss=", "-p", String(pid)] }).output();
  const kib = Number(new TextDecoder().decode(out.stdout).trim());
  if (!out.success || !Number.isFinite(kib) || kib <= 0) throw new Error(`No RSS for ${pid}`);
  return kib;
}

/** Opens `count` connections and has one byte echoed on each; they stay open. */
async function holdConnections(port: number, count: number): Promise<Deno.Conn[]> {
  const conns: Deno.Conn[] = [];
  const byte = new Uint8Array([0x78]);
  const buf = new Uint8Array(8);
  try {
    for (let i = 0; i < count; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conns.push(conn);
      await conn.write(byte);
      if (await conn.read(buf) !== 1 || buf[0] !== 0x78) throw new Error("No echo");
    }
  } catch (error) {
    for (const conn of conns) conn.close();
    throw error;
  }
  return conns;
}

function settle(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The growth of a fresh server's RSS per held connection, in KB (1000 bytes). */
async function perConnection(server: Server): Promise<number> {
  for (const conn of await holdConnections(server.port, 50)) conn.close();
  await settle(300);
  const before = await rssKiB(server.pid);
  const conns = await holdConnections(server.port, CONNECTIONS);
  try {
    await settle(500);
    const after = await rssKiB(server.pid);
    return (after - before) * 1.024 / CONNECTIONS;
  } finally {
    for (const conn of conns) conn.close();
  }
}

/** Runs the memory section. */
export async function run(ctx: BenchContext): Promise<void> {
  const rounds = ctx.quick ? 1 : 3;
  ctx.print(
    `== memory: echo serve's RSS per idle connection, ${CONNECTIONS} connections each holding ` +
      `one echoed byte (${rounds} rounds, a fresh server each)`,
  );
  const servers: Array<[string, () => Promise<Server> | undefined]> = [
    [
      "sockit echo serve",
      () =>
        startServer(
          ctx.pin(0, [...ctx.sockit, "echo", "serve", "--port", "0", "--json"]),
          sockitPort,
        ),
    ],
    ["bare deno, 4 KiB buffer", () => startFloorServer(ctx, 4096)],
    ["bare deno, 1 KiB buffer", () => startFloorServer(ctx, 1024)],
    ["bare deno, 256 KiB buffer", () => startFloorServer(ctx)],
    [
      "node pipe server",
      () =>
        ctx.have("node")
          ? startServer(
            ctx.pin(0, ["node", `${ctx.root}scripts/bench_node_server.mjs`]),
            firstLinePort,
          )
          : undefined,
    ],
  ];
  const results = new Map<string, number[]>(servers.map(([name]) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, start] of rotated(servers, round)) {
      const starting = start();
      if (!starting) {
        results.delete(name);
        continue;
      }
      const server = await starting;
      try {
        results.get(name)!.push(await perConnection(server));
      } finally {
        await server.stop();
      }
    }
  }
  const samples = (label: string) => ({ label, values: results.get(label) ?? [] });
  ctx.figure({
    name: `echo serve RSS per idle connection`,
    unit: "KB/conn",
    lowerIsBetter: true,
    sockit: samples("sockit echo serve"),
    against: samples("bare deno, 4 KiB buffer"),
    beside: [...results.keys()].filter((k) => k !== "sockit echo serve" && !k.includes("4 KiB"))
      .map(samples),
    ratio: "cost",
    target: 1.2,
    before: 1.44,
    note: `${CONNECTIONS} connections`,
  });
}
