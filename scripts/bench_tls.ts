/**
 * The TLS section of `deno task bench`: echo stream throughput through TLS (1 GiB, every byte
 * checked, close_notify as the half-close) for sockit's `echo serve --tls`, a bare Deno TLS echo
 * loop and a Node `tls` pipe server, in the same run, interleaved, servers on core 0 and the
 * load (a C client on OpenSSL) on core 1. The certificate is the tests' (made with openssl).
 *
 * @module
 */
import type { BenchContext } from "./bench.ts";
import { rotated, runClient, startServer } from "./bench_echo.ts";
import type { Server } from "./bench_echo.ts";
import { buildUdpTlsClient, firstLinePort, sockitPort } from "./bench_udp.ts";
import { makeTestPki } from "../tests/_http.ts";

const GiB = 1024 ** 3;
const ROUNDS = 3;

/** Node's TLS echo, each socket piped back to itself. Args: CERT KEY. */
const NODE_SERVER = `import tls from "node:tls";
import fs from "node:fs";
const [cert, key] = process.argv.slice(1);
const server = tls.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key), allowHalfOpen: true }, (s) => {
  s.on("error", () => {});
  s.pipe(s);
});
server.listen(0, "127.0.0.1", () => process.stdout.write(server.address().port + "\\n"));`;

/** Runs the TLS section. */
export async function run(ctx: BenchContext): Promise<void> {
  ctx.print(
    `== tls: echo stream through TLS, 1 GiB (best of ${ROUNDS} interleaved rounds, every byte checked)`,
  );
  if (!ctx.have("cc") || !ctx.have("openssl")) return;
  const { path: client, tls } = await buildUdpTlsClient(ctx);
  if (!tls) {
    ctx.print(
      "note: OpenSSL's headers (Debian libssl-dev) are missing: the TLS load generator cannot be built",
    );
    return;
  }
  const pki = await makeTestPki();
  const { cert, key } = pki;
  const servers: Array<[string, () => Promise<Server> | undefined]> = [
    [
      "sockit",
      () =>
        startServer(
          ctx.pin(0, [
            ...ctx.sockit,
            "echo",
            "serve",
            "--tls",
            "--cert",
            cert,
            "--key",
            key,
            "--port",
            "0",
            "--json",
          ]),
          sockitPort,
        ),
    ],
    [
      "deno floor",
      () =>
        startServer(
          ctx.pin(0, [
            Deno.execPath(),
            "run",
            "-q",
            "--allow-net",
            "--allow-read",
            `${ctx.root}scripts/bench_tls_floor.ts`,
            cert,
            key,
          ]),
          firstLinePort,
        ),
    ],
    [
      "node tls",
      () =>
        ctx.have("node")
          ? startServer(
            ctx.pin(0, ["node", "--input-type=module", "-e", NODE_SERVER, cert, key]),
            firstLinePort,
          )
          : undefined,
    ],
  ];
  const running: Array<[string, Server]> = [];
  const best = new Map<string, number>();
  try {
    for (const [name, start] of servers) {
      const starting = start();
      if (starting) running.push([name, await starting]);
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, server] of rotated(running, round)) {
        const r = await runClient(ctx, client, [
          "tls",
          "127.0.0.1",
          String(server.port),
          String(GiB),
        ]) as {
          mb_per_s: number;
        };
        best.set(name, Math.max(best.get(name) ?? 0, r.mb_per_s));
      }
    }
  } finally {
    for (const [, server] of running) await server.stop();
    await pki.remove();
  }
  ctx.print("");
  ctx.print(`${"server".padEnd(14)}${"stream MB/s".padStart(12)}`);
  for (const [name, mbs] of best) ctx.print(`${name.padEnd(14)}${mbs.toFixed(0).padStart(12)}`);
  ctx.print("");
  const sockit = best.get("sockit")!, floor = best.get("deno floor")!;
  const ratio = sockit / floor;
  ctx.print(
    `${"tls stream: sockit / bare deno TLS loop".padEnd(52)}${ratio.toFixed(2).padStart(6)}x  ` +
      `target >= 0.9x  ${ratio >= 0.9 ? "PASS" : "FAIL"}`,
  );
  const node = best.get("node tls");
  if (node) {
    ctx.print(
      `beside: Node tls pipe ${node.toFixed(0)} MB/s (sockit ${(sockit / node).toFixed(2)}x)`,
    );
  }
}
