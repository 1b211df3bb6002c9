/**
 * `sockit demo`: an offline tour. It starts an echo server on a free loopback port in this
 * process, sends a message through it with the trace on, and shows the logs and the bytes.
 *
 * @module
 */
import { bytesReader } from "../net/io.ts";
import { withCommon } from "./args.ts";
import type { CommandSpec } from "./args.ts";
import { runCommand } from "./command.ts";
import type { Context } from "./command.ts";
import { exchange, startServer } from "./echo.ts";
import { demoGet } from "./get.ts";
import { demoResolve } from "./resolve.ts";
import { ExitCode } from "./exit_codes.ts";
import { setupLogging } from "./log.ts";
import type { Io } from "./output.ts";
import { traceLogger } from "./log.ts";

/** `sockit demo`. */
export const DEMO: CommandSpec = {
  name: "demo",
  summary: "an offline tour of sockit on loopback",
  usage: ["demo [--quiet] [--no-color]"],
  description: [
    "Starts an echo server on a free 127.0.0.1 port inside this process, sends a message",
    "through it with --trace on, and shows each socket step on stderr and the echo on stdout.",
    "Then resolves localhost through the system and asks a DNS responder it starts on",
    "loopback, and gets two URLs from a tiny local HTTP server over one kept-alive connection.",
    "Needs no network beyond loopback. Exits 0 when every step worked.",
  ].join("\n"),
  options: withCommon([]),
  positionals: { min: 0, max: 0 },
  examples: [
    ["Take the tour", "sockit demo"],
    ["The same through the task runner", "deno task demo"],
  ],
};

/** Runs `sockit demo`. */
export async function runDemo(argv: string[], io: Io): Promise<number> {
  return await runCommand(DEMO, argv, io, demo);
}

async function demo(ctx: Context): Promise<number> {
  const { out } = ctx;
  const say = (text: string) => ctx.quiet ? Promise.resolve() : out.line(text);
  if (!ctx.quiet) {
    // The tour shows everything: logs and the socket trace.
    await setupLogging({ verbosity: "trace", color: out.color });
    ctx.trace = traceLogger(ctx.started);
  }
  await say(
    "== 1. echo serve: bind 127.0.0.1 port 0 (the kernel picks a free port), listen, accept",
  );
  const server = startServer(ctx, { hostname: "127.0.0.1", port: 0 });
  try {
    const addr = server.addr as Deno.NetAddr;
    await say(`listening on ${addr.hostname}:${addr.port}`);
    await say("");
    await say("== 2. echo send: connect, send all, shut down the write side, recv until EOF");
    const message = new TextEncoder().encode("hello from the sockit demo\n");
    await say(`sending ${message.length} bytes; the echo follows:`);
    await exchange(ctx, { hostname: addr.hostname, port: addr.port }, bytesReader(message), 5000);
    await say("the echo matched what was sent, byte for byte");
  } finally {
    const summary = await server.shutdown(1000);
    await say("");
    await say(
      `== 3. shutdown: ${summary.connections} connection served, ${summary.bytes} bytes echoed`,
    );
  }
  await say("");
  await say(
    "== 4. resolve: localhost the system's way, then a DNS query to a responder on loopback",
  );
  await demoResolve(ctx);
  await say("");
  await say("== 5. get: two GETs on one kept-alive connection, the second with a chunked body");
  await demoGet(ctx);
  await say("");
  await say("Next: run `sockit echo serve` in one terminal and `sockit echo send hi` in another.");
  return ExitCode.Ok;
}
