/**
 * `sockit echo serve`: its flags and help, and the command, which binds the servers of
 * `lib/echo/` (TCP, TLS, a Unix socket, UDP, or TCP and UDP on one port), announces them, and
 * stops them gracefully on a signal or --timeout.
 *
 * @module
 */
import { serveEchoPair } from "../../echo/pair.ts";
import type { EchoServerSummary } from "../../echo/server.ts";
import { formatAddr, isLoopback } from "../../net/addr.ts";
import { formatDuration } from "../../net/deadline.ts";
import { TlsError } from "../../net/errors.ts";
import { startTimer } from "../../net/timer.ts";
import { checkKeyPair } from "../../net/tls.ts";
import type { TlsKeyPair } from "../../net/tls.ts";
import { UsageError, withCommon } from "../args.ts";
import type { CommandSpec, ParsedArgs } from "../args.ts";
import type { Context } from "../command.ts";
import type { HintTable } from "../result.ts";
import { serverEvents, udpEvents } from "../echo_events.ts";
import { ExitCode } from "../exit_codes.ts";
import { log, preloadLogging } from "../log.ts";
import { onSignals } from "../signals.ts";
import { readInput } from "../paths.ts";
import { TARGET_OPTIONS, targetFrom } from "./options.ts";

/** `sockit echo serve`. */
export const ECHO_SERVE: CommandSpec = {
  name: "echo serve",
  summary: "run an echo server over TCP, UDP, TLS or a Unix socket",
  usage: [
    "echo serve [--host HOST] [--port PORT | --unix PATH] [options]",
    "echo serve --udp [--tcp] [--max-rate N] [options]",
    "echo serve --tls --cert FILE --key FILE [options]",
  ],
  description: [
    "Echoes every byte each client sends, for many clients at once. When a client shuts down its",
    "write side, the rest of its bytes are echoed and the connection is closed. A client that stops",
    "reading stops being read from: memory per connection stays at one buffer (4 KiB, or one of",
    "the server's 32 buffers of 256 KiB while it streams).",
    "",
    'Prints "listening on HOST:PORT" on stdout once bound (with --json, a JSON line; with',
    "--port 0, read the port from it). Over --max-conns, a new connection is accepted and closed",
    "at once, with no byte read or written, and logged as rejected. SIGINT or SIGTERM stops",
    "accepting, gives open connections --grace to finish, closes the rest and exits 0.",
    "--timeout stops the server the same way after that long.",
    "",
    "--udp echoes every datagram back to its sender, unchanged (up to 65507 bytes over IPv4);",
    "--udp --tcp serves both on the same port, as RFC 862 does. -v logs a summary per peer",
    "(address and port) once it has been quiet for --idle-timeout, never a line per datagram.",
    "--max-rate bounds the datagrams per second echoed to each peer; datagrams from the ports of",
    "echo, daytime, chargen and time (7, 13, 19, 37) are dropped, so that two servers cannot",
    "echo each other forever.",
    "",
    "--tls serves the TCP echo behind a TLS handshake, with --cert (PEM; a chain is served",
    "whole) and --key. A client whose handshake fails is logged as rejected.",
  ].join("\n"),
  options: withCommon([
    ...TARGET_OPTIONS.map((o) => o.name === "host" ? { ...o, description: "Address to bind" } : o)
      .map((o) =>
        o.name === "port" ? { ...o, description: "TCP port to bind (0 picks a free one)" } : o
      ),
    {
      name: "max-conns",
      type: "string",
      value: "N",
      default: "unlimited",
      description: "Serve at most N connections at once; reject the rest",
    },
    {
      name: "idle-timeout",
      type: "string",
      value: "DURATION",
      default: "60s",
      description: "Close a connection when no byte has moved for this long",
    },
    { name: "once", type: "boolean", description: "Serve one connection, then exit" },
    {
      name: "grace",
      type: "string",
      value: "DURATION",
      default: "5s",
      description: "On SIGINT/SIGTERM, time open connections get to finish",
    },
    { name: "udp", short: "u", type: "boolean", description: "Serve UDP (datagrams)" },
    {
      name: "tcp",
      type: "boolean",
      description: "Serve TCP (the default; with --udp, both on one port)",
    },
    {
      name: "max-rate",
      type: "string",
      value: "N",
      default: "unlimited",
      requires: [{ name: "udp", reason: "it limits datagrams" }],
      description: "UDP: echo at most N datagrams per second to each peer",
    },
    {
      name: "tls",
      type: "boolean",
      conflicts: [{ name: "udp", reason: "sockit has no DTLS" }],
      description: "Serve TLS (needs --cert and --key)",
    },
    {
      name: "cert",
      type: "string",
      value: "FILE",
      description: "TLS certificate chain (PEM), server certificate first",
    },
    { name: "key", type: "string", value: "FILE", description: "TLS private key (PEM)" },
  ]),
  positionals: { min: 0, max: 0 },
  examples: [
    ["Serve on 127.0.0.1:35555", "sockit echo serve"],
    ["Pick a free port and print events as JSON lines", "sockit echo serve --port 0 --json"],
    [
      "Serve one client on a Unix socket, showing the bytes",
      "sockit echo serve --unix /tmp/echo.sock --once --trace",
    ],
    [
      "UDP and TCP on port 7007, at most 100 datagrams/s per peer",
      "sockit echo serve --udp --tcp -p 7007 --max-rate 100",
    ],
    ["A TLS echo", "sockit echo serve --tls --cert server.pem --key server.key"],
  ],
};

/** Reads --cert and --key, and checks that they hold PEM of the right kind, before binding. */
async function readKeyPair(ctx: Context): Promise<TlsKeyPair> {
  const certPath = ctx.args.string("cert");
  const keyPath = ctx.args.string("key");
  if (certPath === undefined || keyPath === undefined) {
    throw new UsageError("Option --tls needs --cert FILE and --key FILE (PEM)");
  }
  const pair = {
    cert: await readInput(ctx.io, certPath, "--cert"),
    key: await readInput(ctx.io, keyPath, "--key"),
  };
  const problem = checkKeyPair(pair);
  if (problem) {
    const [option, path] = problem.which === "cert" ? ["--cert", certPath] : ["--key", keyPath];
    throw new UsageError(`Invalid ${option} "${path}": ${problem.why}`);
  }
  return pair;
}

/**
 * The usage error for a TLS certificate and key the runtime refused, in --cert and --key terms;
 * any other error as it is.
 */
function keyPairError(error: unknown): unknown {
  if (!(error instanceof TlsError)) return error;
  const why = (error.kind && KEY_PAIR_WORDS[error.kind]) ?? error.why ?? error.message;
  return new UsageError(`Cannot use the TLS certificate and key: ${why}`);
}

/** The runtime's refusal of --cert and --key, by kind, in the flags' terms. */
const KEY_PAIR_WORDS: HintTable = {
  "key-mismatch": "the key does not belong to the certificate (--cert)",
  "bad-key": "cannot parse the private key (--key)",
  "missing-certificate": "no certificate in --cert",
  "bad-certificate": "a certificate in --cert is malformed",
};

/** What `echo serve` runs: TCP (plain or TLS) or a Unix socket, UDP, or TCP and UDP together. */
interface ServeMode {
  stream: boolean;
  udp: boolean;
  tls: boolean;
}

function serveMode(args: ParsedArgs): ServeMode {
  const udp = args.flag("udp");
  const tls = args.flag("tls");
  const stream = args.flag("tcp") || !udp;
  // The parser has refused --tls with --udp, and --max-rate without --udp.
  if (args.given("unix") && (udp || tls || args.flag("tcp"))) {
    throw new UsageError(
      `Option --unix cannot be used with --${udp ? "udp" : tls ? "tls" : "tcp"}`,
    );
  }
  if (!tls && (args.given("cert") || args.given("key"))) {
    throw new UsageError("Options --cert and --key need --tls");
  }
  if (args.given("max-conns") && !stream) {
    throw new UsageError("Option --max-conns counts TCP connections: add --tcp to serve both");
  }
  if (args.flag("once") && udp && stream) {
    throw new UsageError("Option --once cannot be used with both --udp and --tcp");
  }
  return { stream, udp, tls };
}

/** --max-conns or --max-rate: 1 or more, or `Infinity` when absent (its default, `unlimited`). */
function limitOption(args: ParsedArgs, name: string): number {
  return args.given(name) ? args.integer(name, { min: 1 }) : Infinity;
}

/** Runs `sockit echo serve`. */
export async function serveCommand(ctx: Context): Promise<number> {
  const { args } = ctx;
  const mode = serveMode(args);
  const target = targetFrom(args, "server");
  const maxConns = limitOption(args, "max-conns");
  const maxRate = limitOption(args, "max-rate");
  const idleTimeoutMs = args.duration("idle-timeout")!;
  const graceMs = args.duration("grace")!;
  const timeoutMs = args.duration("timeout");
  const once = args.flag("once");
  const tls = mode.tls ? await readKeyPair(ctx) : undefined;
  await preloadLogging();
  const { stream, udp } = await serveEchoPair(target, {
    stream: mode.stream
      ? { maxConns, idleTimeoutMs, once, ...(tls ? { tls } : {}), ...serverEvents(ctx, ctx.json) }
      : undefined,
    udp: mode.udp ? { maxRate, idleTimeoutMs, once, ...udpEvents(ctx) } : undefined,
  }).catch((error) => {
    throw keyPairError(error);
  });
  if (udp && maxRate === Infinity && !isLoopback(udp.addr.hostname)) {
    log("echo")
      .warn`UDP bound beyond loopback with no --max-rate: anyone who can forge a source address can reflect datagrams off this server`;
  }
  // Signal handlers go in before "listening" is announced: a script may signal right after it.
  const served = [stream?.served, udp?.served].filter((p) => p !== undefined);
  const stopped = waitForStop(Promise.race(served), timeoutMs);
  if (stream) await announce(ctx, stream.addr, mode.tls ? "tls" : undefined);
  if (udp) await announce(ctx, udp.addr, "udp");
  const stop = await stopped;
  const stopping = stream?.shutdown(graceMs);
  // "stopping" is announced only once new connections are refused: a script may test that.
  await stream?.stopAccepting();
  if (stop !== "once") {
    const open = stream?.active ?? 0;
    log("echo").info`${stop}: stopped accepting; ${open} open, ${
      formatDuration(graceMs)
    } to finish`;
    if (ctx.json) await ctx.out.event({ event: "stopping", reason: stop, open });
  }
  const udpSummary = await udp?.shutdown();
  if (stream && stopping) {
    const summary: EchoServerSummary = await stopping;
    const noun = summary.connections === 1 ? "connection" : "connections";
    log("echo")
      .info`served ${summary.connections} ${noun} (${summary.rejected} rejected, ${summary.forced} closed after the ${
      formatDuration(graceMs)
    } grace), echoed ${summary.bytes} bytes`;
    const transport = mode.tls ? "tls" : "path" in target ? "unix" : "tcp";
    if (ctx.json) await ctx.out.event({ event: "shutdown", reason: stop, transport, ...summary });
  }
  if (udpSummary) {
    const noun = udpSummary.datagrams === 1 ? "datagram" : "datagrams";
    log("echo")
      .info`echoed ${udpSummary.datagrams} ${noun} (${udpSummary.bytes} bytes) to ${udpSummary.peers} peers over UDP, dropped ${udpSummary.dropped}`;
    if (ctx.json) {
      await ctx.out.event({ event: "shutdown", reason: stop, transport: "udp", ...udpSummary });
    }
  }
  if (ctx.out.droppedEvents > 0) {
    log("echo").debug`stdout was closed by its reader: ${ctx.out.droppedEvents} lines not written`;
  }
  return ExitCode.Ok;
}

/** Prints where a server listens: a line of text, or the `listening` JSON event. */
async function announce(ctx: Context, addr: Deno.Addr, transport?: "tls" | "udp"): Promise<void> {
  if (ctx.json) {
    await ctx.out.event(
      "hostname" in addr
        ? {
          event: "listening",
          transport: transport ?? "tcp",
          address: addr.hostname,
          port: addr.port,
        }
        : { event: "listening", transport: "unix", path: "path" in addr ? addr.path : "" },
    );
  } else if (!ctx.quiet) {
    const where = formatAddr(addr).replace(/^unix:/, "");
    await ctx.out.line(`listening on ${where}${transport ? ` (${transport})` : ""}`).catch(() => {
      ctx.out.droppedEvents++;
    });
  }
}

/** Waits for SIGINT or SIGTERM, --timeout, or the end of a --once server; says which. */
function waitForStop(served: Promise<void>, timeoutMs: number | undefined): Promise<string> {
  return new Promise((resolve) => {
    let timer: { clear(): void } | undefined;
    const listening = onSignals(["SIGINT", "SIGTERM"], (signal) => done(`received ${signal}`));
    if (timeoutMs !== undefined) {
      timer = startTimer(
        () => done(`--timeout of ${formatDuration(timeoutMs)} reached`),
        timeoutMs,
      );
    }
    served.then(() => done("once"));
    function done(reason: string) {
      timer?.clear();
      listening[Symbol.dispose]();
      resolve(reason);
    }
  });
}
