/**
 * The UDP section of `deno task bench`: echo datagrams per second (64-byte datagrams, 32 in
 * flight, every echo checked) for sockit's `echo serve --udp`, the two bare Deno echo loops
 * (`Deno.listenDatagram` with --unstable-net, and `node:dgram`) and a Node `node:dgram` server,
 * all in the same run, interleaved, servers on core 0 and the load on core 1.
 *
 * @module
 */
import type { BenchContext } from "./bench.ts";
import { rotated, runClient, startServer } from "./bench_echo.ts";
import type { Server } from "./bench_echo.ts";

const ROUNDS = 5;
const SECONDS = 3;
const INFLIGHT = 32;
const SIZE = 64;

/** Node's own UDP echo, as most people would write it. */
const NODE_SERVER = `import dgram from "node:dgram";
const s = dgram.createSocket("udp4");
s.on("message", (m, r) => s.send(m, r.port, r.address));
s.bind(0, "127.0.0.1", () => process.stdout.write(s.address().port + "\\n"));`;

/** Builds the UDP/TLS load generator (with TLS when OpenSSL's headers are there). */
export async function buildUdpTlsClient(
  ctx: BenchContext,
): Promise<{ path: string; tls: boolean }> {
  const dir = `${ctx.root}.bench-build`;
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir}/bench_udp_tls_client`;
  const source = `${ctx.root}scripts/bench_udp_tls_client.c`;
  const withTls = await new Deno.Command("cc", {
    args: ["-O2", "-o", path, source, "-lssl", "-lcrypto"],
    stderr: "null",
  }).output();
  if (withTls.success) return { path, tls: true };
  const plain = await new Deno.Command("cc", { args: ["-O2", "-DNO_TLS", "-o", path, source] })
    .output();
  if (!plain.success) {
    throw new Error(
      `Cannot build the UDP/TLS load generator: ${new TextDecoder().decode(plain.stderr)}`,
    );
  }
  return { path, tls: false };
}

/** The port on the first line of a server's output. */
export function firstLinePort(text: string): number | undefined {
  const m = /^(\d+)\n/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The port of sockit's first `listening` JSON line. */
export function sockitPort(text: string): number | undefined {
  return text.includes("\n") ? JSON.parse(text.split("\n")[0]!).port : undefined;
}

/** Runs the UDP section. */
export async function run(ctx: BenchContext): Promise<void> {
  ctx.print(
    `== udp: echo datagrams/s, ${SIZE}-byte datagrams, ${INFLIGHT} in flight, every echo checked ` +
      `(best of ${ROUNDS} interleaved rounds of ${SECONDS}s)`,
  );
  if (!ctx.have("cc")) return;
  const { path: client } = await buildUdpTlsClient(ctx);
  const deno = (script: string, flags: string[] = []) =>
    startServer(
      ctx.pin(0, [
        Deno.execPath(),
        "run",
        "-q",
        ...flags,
        "--allow-net=127.0.0.1",
        `${ctx.root}scripts/${script}`,
      ]),
      firstLinePort,
    );
  const servers: Array<[string, () => Promise<Server> | undefined]> = [
    [
      "sockit",
      () =>
        startServer(
          ctx.pin(0, [...ctx.sockit, "echo", "serve", "--udp", "--port", "0", "--json"]),
          sockitPort,
        ),
    ],
    ["deno listenDatagram", () => deno("bench_udp_floor_datagram.ts", ["--unstable-net"])],
    ["deno node:dgram", () => deno("bench_udp_floor_dgram.ts")],
    [
      "node dgram",
      () =>
        ctx.have("node")
          ? startServer(
            ctx.pin(0, ["node", "--input-type=module", "-e", NODE_SERVER]),
            firstLinePort,
          )
          : undefined,
    ],
  ];
  const running: Array<[string, Server]> = [];
  const best = new Map<string, { perS: number; p99: number; lost: number }>();
  try {
    for (const [name, start] of servers) {
      const starting = start();
      if (starting) running.push([name, await starting]);
    }
    for (const [name] of running) best.set(name, { perS: 0, p99: 0, lost: 0 });
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, server] of rotated(running, round)) {
        const args = [
          "udp",
          "127.0.0.1",
          String(server.port),
          String(INFLIGHT),
          String(SIZE),
          String(SECONDS),
        ];
        const r = await runClient(ctx, client, args) as {
          per_s: number;
          p99_us: number;
          lost: number;
        };
        const b = best.get(name)!;
        if (r.per_s > b.perS) best.set(name, { perS: r.per_s, p99: r.p99_us, lost: r.lost });
      }
    }
  } finally {
    for (const [, server] of running) await server.stop();
  }
  ctx.print("");
  ctx.print(
    `${"server".padEnd(22)}${"datagrams/s".padStart(12)}${"p99 us".padStart(9)}${
      "lost".padStart(7)
    }`,
  );
  for (const [name, r] of best) {
    ctx.print(
      `${name.padEnd(22)}${r.perS.toFixed(0).padStart(12)}${r.p99.toFixed(0).padStart(9)}${
        String(r.lost).padStart(7)
      }`,
    );
  }
  ctx.print("");
  const sockit = best.get("sockit")!;
  const datagram = best.get("deno listenDatagram")!;
  const dgram = best.get("deno node:dgram")!;
  const [floorName, floor] = datagram.perS >= dgram.perS
    ? ["deno listenDatagram", datagram]
    : ["deno node:dgram", dgram];
  const ratio = sockit.perS / floor.perS;
  ctx.print(
    `${`udp: sockit / faster bare deno (${floorName})`.padEnd(52)}${
      ratio.toFixed(2).padStart(6)
    }x  ` +
      `target >= 0.9x  ${ratio >= 0.9 ? "PASS" : "FAIL"}`,
  );
  ctx.print(
    `floors: Deno.listenDatagram ${datagram.perS.toFixed(0)}/s, node:dgram in Deno ${
      dgram.perS.toFixed(0)
    }/s (${(datagram.perS / dgram.perS).toFixed(2)}x)`,
  );
  const node = best.get("node dgram");
  if (node) {
    ctx.print(
      `beside: Node node:dgram ${node.perS.toFixed(0)}/s (sockit ${
        (sockit.perS / node.perS).toFixed(2)
      }x)`,
    );
  }
}
