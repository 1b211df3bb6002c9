/**
 * `sockit echo serve` and `sockit echo send`: flags, help and output. The protocol work is in
 * `lib/echo/`.
 *
 * @module
 */
import { serveEcho } from "../echo/server.ts";
import type { EchoServer, EchoServerEvent, EchoServerSummary } from "../echo/server.ts";
import { pingEcho, sendEcho } from "../echo/client.ts";
import type { PingReply, SendEchoResult } from "../echo/client.ts";
import { serveUdpEcho } from "../echo/udp_server.ts";
import type { UdpEchoServer, UdpEchoServerEvent } from "../echo/udp_server.ts";
import { echoDatagram, pingUdp, UDP_PING_HEADER_BYTES } from "../echo/udp_client.ts";
import type { UdpPingReply, UdpTarget } from "../echo/udp_client.ts";
import { checkPort, formatAddr, formatHostPort, isIpLiteral } from "../net/addr.ts";
import { closeOnAbort, closeQuietly } from "../net/close.ts";
import { withConn } from "../net/conn.ts";
import { describeNetError, formatTarget, resolveHost } from "../net/dial.ts";
import type { Dialed, DialTarget } from "../net/dial.ts";
import { formatDuration } from "../net/deadline.ts";
import { startTimer } from "../net/timer.ts";
import { CheckError, ConnectError, TimeoutError } from "../net/errors.ts";
import { bytesReader } from "../net/io.ts";
import { summarize } from "../net/stats.ts";
import type { ByteReader } from "../net/io.ts";
import type { LatencySummary } from "../net/stats.ts";
import { checkKeyPair, startTls } from "../net/tls.ts";
import type { TlsKeyPair } from "../net/tls.ts";
import { maxUdpPayload } from "../net/udp.ts";
import { suggest, UsageError, withCommon } from "./args.ts";
import type { CommandSpec, OptionSpec, ParsedArgs } from "./args.ts";
import { describeError, runCommand } from "./command.ts";
import type { Context } from "./command.ts";
import { ExitCode, exitCodeFor } from "./exit_codes.ts";
import { log, preloadLogging } from "./log.ts";
import { formatMs, OutputError, roundMs } from "./output.ts";
import type { Io } from "./output.ts";
import { readInput } from "./paths.ts";

/** The tutorial's port. */
export const DEFAULT_ECHO_PORT = 35555;

const TARGET_OPTIONS: OptionSpec[] = [
  {
    name: "host",
    type: "string",
    value: "HOST",
    default: "127.0.0.1",
    description: "Host name or address",
  },
  {
    name: "port",
    short: "p",
    type: "string",
    value: "PORT",
    default: String(DEFAULT_ECHO_PORT),
    description: "TCP port",
  },
  {
    name: "unix",
    type: "string",
    value: "PATH",
    description: "Use this Unix socket instead of TCP",
  },
];

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
      description: "UDP: echo at most N datagrams per second to each peer",
    },
    { name: "tls", type: "boolean", description: "Serve TLS (needs --cert and --key)" },
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

/** `sockit echo send`. */
export const ECHO_SEND: CommandSpec = {
  name: "echo send",
  summary: "send bytes to an echo server and check they come back",
  usage: [
    "echo send [MESSAGE | -] [--host HOST] [--port PORT | --unix PATH] [options]",
    "echo send --udp [MESSAGE | --size N] [--count N [--max-loss PCT]] [options]",
    "echo send --tls [--cacert FILE] [--servername NAME] [MESSAGE | -] [options]",
  ],
  description: [
    "Sends MESSAGE (with a newline, like echo(1); -n leaves it out), or stdin when MESSAGE is",
    'absent or "-", byte for byte. Then shuts down its write side, reads until the server closes,',
    "and writes the echoed bytes to stdout. Exits 0 when they equal what was sent, 1 otherwise.",
    "",
    "With --count, measures round trips on one connection instead, like ping: one line per",
    "round trip, then min/avg/p50/p99/max.",
    "",
    "--udp sends MESSAGE (or stdin, or --size N bytes) as one datagram and waits up to --timeout",
    "(default 2s) for its echo from the server's address and port; a reply from anywhere else is",
    "ignored (--trace shows it). Exit 0 on a match, 1 on a mismatch, 5 when no echo comes.",
    "--udp --count N pings: sequence-numbered datagrams every --interval, each lost after",
    "--timeout; loss, duplicates and reordering are counted, and a loss over --max-loss exits 1",
    "(5 when nothing came back at all).",
    "",
    "--tls speaks TLS to the server, verifying its certificate and name as get does (trust a",
    "private CA with --cacert; --servername checks another name); a TLS failure exits 6.",
  ].join("\n"),
  options: withCommon([
    ...TARGET_OPTIONS,
    {
      name: "no-newline",
      short: "n",
      type: "boolean",
      description: "Do not add a newline to MESSAGE",
    },
    {
      name: "count",
      short: "c",
      type: "string",
      value: "N",
      description: "Measure N round trips on one connection",
    },
    {
      name: "interval",
      short: "i",
      type: "string",
      value: "DURATION",
      default: "1s",
      description: "Pause between round trips with --count",
    },
    {
      name: "size",
      short: "s",
      type: "string",
      value: "N",
      description: "Send N bytes of a test pattern instead of MESSAGE (with --count: per trip)",
    },
    { name: "udp", short: "u", type: "boolean", description: "Send over UDP (datagrams)" },
    {
      name: "max-loss",
      type: "string",
      value: "PCT",
      default: "0",
      description: "UDP --count: exit 1 when more than PCT% of the datagrams are lost",
    },
    { name: "tls", type: "boolean", description: "Send over TLS" },
    {
      name: "cacert",
      type: "string",
      value: "FILE",
      description: "TLS: trust the CA certificates in FILE (PEM), besides the system's",
    },
    {
      name: "servername",
      type: "string",
      value: "NAME",
      description: "TLS: send NAME as SNI and verify the certificate for it (default: --host)",
    },
    {
      name: "emit-check",
      type: "boolean",
      description: "Print the check (for sockit check) that does the same, instead of sending",
    },
  ]),
  positionals: { min: 0, max: 1, name: "MESSAGE" },
  examples: [
    ["Send a line and check the echo", "sockit echo send 'hello world'"],
    [
      "Echo a file through the server, verified, with timings as JSON",
      "sockit echo send --json < file.bin",
    ],
    ["Ten round trips, 100ms apart", "sockit echo send --count 10 --interval 100ms ping"],
    ["One datagram of 1400 bytes, checked", "sockit echo send --udp --size 1400 -p 7007"],
    [
      "A UDP ping that tolerates 5% loss",
      "sockit echo send --udp --count 100 -i 10ms --max-loss 5",
    ],
    [
      "Through TLS with a private CA",
      "sockit echo send --tls --cacert ca.pem --host echo.internal hi",
    ],
  ],
};

const SUBCOMMANDS = { serve: ECHO_SERVE, send: ECHO_SEND } as const;

/** `sockit echo --help`. */
export function echoHelp(): string {
  return [
    "sockit echo: an echo server and client over TCP, UDP, TLS or a Unix socket",
    "",
    "Usage:",
    "  sockit echo serve [options]     run an echo server",
    "  sockit echo send [MESSAGE]      send bytes and check the echo",
    "",
    'Run "sockit echo serve --help" or "sockit echo send --help" for their options.',
    "",
  ].join("\n");
}

/** Runs `sockit echo ...`. */
export async function runEcho(argv: string[], io: Io): Promise<number> {
  const [word, ...rest] = argv;
  const encoder = new TextEncoder();
  if (word === undefined || word === "--help" || word === "-h" || word === "help") {
    await (word === undefined ? io.stderr : io.stdout).write(encoder.encode(echoHelp()));
    return word === undefined ? ExitCode.Usage : ExitCode.Ok;
  }
  if (word === "serve") {
    return await runCommand(ECHO_SERVE, rest, io, serveCommand, {
      ownSignals: true,
      keepsServing: true,
    });
  }
  if (word === "send") {
    return await runCommand(ECHO_SEND, rest, io, sendCommand, { hints: SEND_HINTS });
  }
  const hint = suggest(word, Object.keys(SUBCOMMANDS));
  const message =
    `error: Unknown subcommand "echo ${word}"${hint ? `: did you mean "echo ${hint}"?` : ""}\n` +
    `Run "sockit echo --help" for usage.\n`;
  await io.stderr.write(encoder.encode(message));
  return ExitCode.Usage;
}

/** The address from --host/--port or --unix; a client cannot connect to port 0. */
function targetFrom(args: ParsedArgs, role: "server" | "client"): DialTarget {
  const unix = args.string("unix");
  if (unix !== undefined) {
    if (args.string("host") !== undefined || args.string("port") !== undefined) {
      throw new UsageError("Options --unix and --host/--port cannot be used together");
    }
    if (unix === "") throw new UsageError('Invalid value "" for --unix: empty path');
    return { path: unix };
  }
  const min = role === "server" ? 0 : 1;
  const port = args.integer("port", DEFAULT_ECHO_PORT, { min, max: 65535 });
  const hostname = args.string("host") ?? "127.0.0.1";
  if (hostname === "") throw new UsageError('Invalid value "" for --host: expected a host name');
  return { hostname, port: checkPort(port) };
}

/** Logs the server's events, and prints them as JSON lines when `json` is set. */
export function reportServerEvent(ctx: Context, event: EchoServerEvent, json: boolean): void {
  const logger = log("echo");
  if (event.event === "accept") {
    logger.info`accepted #${event.id} from ${event.peer} (${event.active} open${
      event.tls ? ", TLS" : ""
    })`;
  } else if (event.event === "reject") {
    if (event.reason === "tls-handshake") {
      logger.warn`rejected ${event.peer}: TLS handshake failed: ${event.error ?? "unknown"}`;
    } else logger.warn`rejected ${event.peer}: --max-conns reached (${event.active} open)`;
  } else {
    const why = event.error ? `${event.reason}: ${event.error}` : event.reason;
    logger.info`closed #${event.id} ${event.peer}: echoed ${event.bytes} bytes in ${
      formatMs(event.duration_ms)
    } (${why})`;
  }
  // Output keeps its writes in order, so events need not be awaited one by one here; a closed
  // stdout drops them and the server keeps serving.
  if (json) void ctx.out.event(event);
}

/**
 * Logs the UDP server's events: a peer's summary only at -v (and then as a JSON line too),
 * never a line per datagram; going over --max-rate as a warning (and a JSON line).
 */
function reportUdpEvent(ctx: Context, event: UdpEchoServerEvent, verbose: boolean): void {
  const logger = log("echo");
  if (event.event === "rate-limit") {
    logger.warn`${event.peer} is over --max-rate ${event.max_rate}/s: dropping its datagrams`;
    if (ctx.json) void ctx.out.event({ ...event, transport: "udp" });
    return;
  }
  if (!verbose) return;
  const noun = event.datagrams === 1 ? "datagram" : "datagrams";
  logger
    .debug`peer ${event.peer}: echoed ${event.datagrams} ${noun} (${event.bytes} bytes), dropped ${event.dropped}, over ${
    formatMs(event.duration_ms)
  } (${event.reason})`;
  if (ctx.json) void ctx.out.event({ ...event, transport: "udp" });
}

/**
 * Binds a server with the CLI's event reporting (JSON lines with --json, unless `jsonEvents` is
 * false, as in the demo, which prints its own). Shared with the demo.
 */
export function startServer(
  ctx: Context,
  target: DialTarget,
  options: {
    maxConns?: number;
    idleTimeoutMs?: number;
    once?: boolean;
    jsonEvents?: boolean;
    tls?: TlsKeyPair;
  } = {},
): EchoServer {
  const { jsonEvents = ctx.json, ...serverOptions } = options;
  try {
    return serveEcho({
      ...("path" in target
        ? { path: target.path }
        : { hostname: target.hostname, port: target.port }),
      ...serverOptions,
      onEvent: (event) => reportServerEvent(ctx, event, jsonEvents),
      ...(ctx.trace ? { trace: ctx.trace } : {}),
    });
  } catch (error) {
    throw listenError(target, error, options.tls !== undefined);
  }
}

/**
 * Binds a UDP echo server with the CLI's event reporting. Shared with the demo.
 */
export function startUdpServer(
  ctx: Context,
  target: { hostname: string; port: number },
  options: { maxRate?: number; idleTimeoutMs?: number; once?: boolean } = {},
): UdpEchoServer {
  const verbose = ctx.args.flag("verbose") || ctx.args.flag("trace");
  try {
    return serveUdpEcho({
      hostname: target.hostname,
      port: target.port,
      ...options,
      onEvent: (event) => reportUdpEvent(ctx, event, verbose),
      ...(ctx.trace ? { trace: ctx.trace } : {}),
    });
  } catch (error) {
    throw listenError(target, error, false, "udp");
  }
}

/** Why a server could not start: the address (exit 4), or, with TLS, the certificate or key (2). */
function listenError(target: DialTarget, error: unknown, tls: boolean, proto = ""): Error {
  const bindFailure = error instanceof Deno.errors.AddrInUse ||
    error instanceof Deno.errors.AddrNotAvailable ||
    error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable;
  if (tls && !bindFailure) {
    const message = error instanceof Error ? error.message : String(error);
    const why = /KeyMismatch/i.test(message)
      ? "the key does not belong to the certificate (--cert)"
      : /private key/i.test(message)
      ? "cannot parse the private key (--key)"
      : /No certificates/i.test(message)
      ? "no certificate in --cert"
      : /BadEncoding|certificate/i.test(message)
      ? "a certificate in --cert is malformed"
      : message;
    return new UsageError(`Cannot use the TLS certificate and key: ${why}`);
  }
  const where = proto ? `${formatTarget(target)} (${proto})` : formatTarget(target);
  return new ConnectError(`Cannot listen on ${where}: ${describeNetError(error)}`, {
    cause: error,
  });
}

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
  const unix = args.string("unix") !== undefined;
  if (tls && udp) {
    throw new UsageError("Options --tls and --udp cannot be used together: sockit has no DTLS");
  }
  if (unix && (udp || tls || args.flag("tcp"))) {
    throw new UsageError(
      `Option --unix cannot be used with --${udp ? "udp" : tls ? "tls" : "tcp"}`,
    );
  }
  if (!tls && (args.string("cert") !== undefined || args.string("key") !== undefined)) {
    throw new UsageError("Options --cert and --key need --tls");
  }
  if (args.string("max-rate") !== undefined && !udp) {
    throw new UsageError("Option --max-rate needs --udp: it limits datagrams");
  }
  if (args.string("max-conns") !== undefined && !stream) {
    throw new UsageError("Option --max-conns counts TCP connections: add --tcp to serve both");
  }
  if (args.flag("once") && udp && stream) {
    throw new UsageError("Option --once cannot be used with both --udp and --tcp");
  }
  return { stream, udp, tls };
}

/** How many times to pick a new free port when the UDP half of `--udp --tcp --port 0` collides. */
const BOTH_BIND_TRIES = 20;

async function serveCommand(ctx: Context): Promise<number> {
  const { args } = ctx;
  const mode = serveMode(args);
  const target = targetFrom(args, "server");
  const maxConns = args.string("max-conns") === undefined
    ? Infinity
    : args.integer("max-conns", 0, { min: 1 });
  const maxRate = args.string("max-rate") === undefined
    ? Infinity
    : args.integer("max-rate", 0, { min: 1 });
  const idleTimeoutMs = args.duration("idle-timeout", 60_000);
  const graceMs = args.duration("grace", 5000);
  const timeoutMs = args.duration("timeout");
  const once = args.flag("once");
  const tls = mode.tls ? await readKeyPair(ctx) : undefined;
  await preloadLogging();
  let stream: EchoServer | undefined;
  let udp: UdpEchoServer | undefined;
  for (let attempt = 1; attempt <= BOTH_BIND_TRIES; attempt++) {
    stream = mode.stream
      ? startServer(ctx, target, { maxConns, idleTimeoutMs, once, ...(tls ? { tls } : {}) })
      : undefined;
    if (!mode.udp) break;
    const hostname = "path" in target ? "127.0.0.1" : target.hostname;
    const port = stream ? (stream.addr as Deno.NetAddr).port : "port" in target ? target.port : 0;
    try {
      udp = startUdpServer(ctx, { hostname, port }, { maxRate, idleTimeoutMs, once });
      break;
    } catch (error) {
      await stream?.shutdown(0);
      // With --port 0 the TCP port was free but its UDP twin may not be: pick another.
      const retry = stream && "port" in target && target.port === 0 &&
        error instanceof ConnectError && error.cause instanceof Deno.errors.AddrInUse &&
        attempt < BOTH_BIND_TRIES;
      if (!retry) throw error;
    }
  }
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

function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === "::1" || address === "::ffff:127.0.0.1";
}

function waitForStop(served: Promise<void>, timeoutMs: number | undefined): Promise<string> {
  return new Promise((resolve) => {
    const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
    let timer: { clear(): void } | undefined;
    const handlers = signals.map((signal) => {
      const handler = () => done(`received ${signal}`);
      Deno.addSignalListener(signal, handler);
      return [signal, handler] as const;
    });
    if (timeoutMs !== undefined) {
      timer = startTimer(
        () => done(`--timeout of ${formatDuration(timeoutMs)} reached`),
        timeoutMs,
      );
    }
    served.then(() => done("once"));
    function done(reason: string) {
      timer?.clear();
      for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
      resolve(reason);
    }
  });
}

/** The bytes MESSAGE names (with a newline unless -n), `undefined` for stdin or --size. */
function messageBytes(args: ParsedArgs): Uint8Array | undefined {
  const message = args.positionals[0];
  if (message === undefined || message === "-") return undefined;
  return new TextEncoder().encode(args.flag("no-newline") ? message : message + "\n");
}

/** --size N, checked against MESSAGE (one or the other), or `undefined`. */
function sizeOption(args: ParsedArgs, max = Number.MAX_SAFE_INTEGER, min = 0): number | undefined {
  if (args.string("size") === undefined) return undefined;
  if (args.positionals[0] !== undefined) {
    throw new UsageError("Give MESSAGE or --size, not both");
  }
  return args.integer("size", 0, { min, max });
}

/** `n` bytes of printable test pattern (`!"#$%&'()*+,-./0123...`), so a terminal shows them. */
function patternBytes(n: number, from = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = 0x21 + ((from + i) % 94);
  return out;
}

/** A reader of `n` bytes of test pattern, made as it is read. */
function patternReader(n: number): ByteReader {
  let at = 0;
  return {
    read(buf) {
      if (at >= n) return Promise.resolve(null);
      const chunk = patternBytes(Math.min(buf.length, n - at), at);
      buf.set(chunk);
      at += chunk.length;
      return Promise.resolve(chunk.length);
    },
  };
}

function messageSource(args: ParsedArgs, io: Io): ByteReader {
  const size = sizeOption(args);
  if (size !== undefined) return patternReader(size);
  const message = messageBytes(args);
  return message ? bytesReader(message) : io.stdin;
}

/** What a client's TLS is to check: the name and the extra trusted CAs. */
export interface ClientTls {
  /** The name sent as SNI and verified against the certificate. */
  servername: string;
  /** Extra trusted CA certificates (PEM). */
  caCerts: string[];
}

/** What a TLS handshake gave the client. */
interface TlsUsed {
  alpn: string | null;
  tlsMs: number;
}

/** --tls, --cacert and --servername, checked; `undefined` without --tls. */
async function clientTls(ctx: Context, target: DialTarget): Promise<ClientTls | undefined> {
  const { args } = ctx;
  const cacert = args.string("cacert");
  const servername = args.string("servername");
  if (!args.flag("tls")) {
    if (cacert !== undefined || servername !== undefined) {
      throw new UsageError(
        `Option --${cacert !== undefined ? "cacert" : "servername"} needs --tls`,
      );
    }
    return undefined;
  }
  if ("path" in target) throw new UsageError("Options --tls and --unix cannot be used together");
  if (servername === "") {
    throw new UsageError('Invalid value "" for --servername: expected a host name');
  }
  const caCerts: string[] = [];
  if (cacert !== undefined) {
    const pem = await readInput(ctx.io, cacert, "--cacert");
    if (!/-----BEGIN CERTIFICATE-----/.test(pem)) {
      throw new UsageError(`Invalid --cacert "${cacert}": no PEM "BEGIN CERTIFICATE" block`);
    }
    caCerts.push(pem);
  }
  return { servername: servername ?? target.hostname, caCerts };
}

/**
 * Runs `use` on the dialed connection, or on TLS on top of it (closed when `signal` aborts and
 * when `use` settles).
 */
async function overStream<T>(
  dialed: Dialed,
  tls: ClientTls | undefined,
  signal: AbortSignal,
  use: (conn: Deno.Conn, tls: TlsUsed | undefined) => Promise<T>,
): Promise<T> {
  if (!tls) return await use(dialed.conn, undefined);
  const started = performance.now();
  const remote = dialed.conn.remoteAddr as Deno.NetAddr;
  const upgraded = await startTls(dialed.conn, {
    hostname: tls.servername,
    port: remote.port,
    remote: dialed.remote,
    caCerts: tls.caCerts,
    signal,
  });
  using _closer = closeOnAbort(signal, upgraded.conn);
  try {
    const result = await use(upgraded.conn, {
      alpn: upgraded.alpn,
      tlsMs: performance.now() - started,
    });
    // close_notify, so that the server sees a clean end rather than a truncation.
    await upgraded.conn.closeWrite().catch(() => {});
    return result;
  } finally {
    closeQuietly(upgraded.conn);
  }
}

/** The `tls` object of the JSON output: what Deno 2.9's `Deno.startTls` tells a client. */
function tlsJson(tls: TlsUsed): Record<string, unknown> {
  return { version: null, alpn: tls.alpn, peer_certificate: null };
}

/** Hints for the library's TLS failures, in this command's terms. */
const SEND_HINTS: Readonly<Record<string, string>> = {
  "unknown-issuer": "is its CA trusted? trust a private CA with --cacert",
  "self-signed": "trust it with --cacert FILE, FILE holding the server's own certificate",
  "ca-as-leaf": "trust it with --cacert FILE, FILE holding the server's own certificate",
  "wrong-name": "check another name with --servername",
};

/** What one verified echo exchange did. */
export interface ExchangeResult extends SendEchoResult {
  /** The connection's address and timing. */
  dialed: Dialed;
  /** Milliseconds from the start of the connect to the server's close. */
  totalMs: number;
  /** The TLS handshake, when there was one. */
  tls?: TlsUsed;
}

/**
 * Runs one verified echo exchange, writing the echoed bytes to stdout unless `--json` or
 * `--quiet`. Shared with the demo.
 */
export async function exchange(
  ctx: Context,
  target: DialTarget,
  source: ByteReader,
  timeoutMs: number,
  tls?: ClientTls,
): Promise<ExchangeResult> {
  const where = formatTarget(target);
  const started = performance.now();
  const writeData = !ctx.json && !ctx.quiet;
  const result = await withConn(
    target,
    { what: `Echo exchange with ${where}`, timeoutMs, signal: ctx.signal, trace: ctx.trace },
    (dialed, signal) =>
      overStream(dialed, tls, signal, async (conn, used) => {
        const echoed = await sendEcho(conn, source, {
          trace: ctx.trace,
          onData: writeData ? (chunk) => ctx.out.data(chunk) : undefined,
        });
        return { ...echoed, dialed, ...(used ? { tls: used } : {}) };
      }),
  );
  const totalMs = performance.now() - started;
  log("echo")
    .debug`${result.sent} bytes sent, ${result.received} received from ${result.dialed.remote} in ${
    formatMs(totalMs)
  }`;
  return { ...result, totalMs };
}

/** The error for an echo that did not match, or `undefined` when it did. */
export function mismatchError(
  result: { match: boolean; sent: number; received: number; mismatchOffset?: number },
): CheckError | undefined {
  if (result.match) return undefined;
  const detail = result.sent === result.received
    ? `, first difference at byte ${result.mismatchOffset}`
    : "";
  return new CheckError(
    `Echo mismatch: sent ${result.sent} bytes, received ${result.received}${detail}`,
  );
}

async function sendCommand(ctx: Context): Promise<number> {
  const { args } = ctx;
  const target = targetFrom(args, "client");
  if (args.flag("emit-check")) return await emitSendCheck(ctx, target);
  if (args.flag("udp")) return await sendUdpCommand(ctx, target);
  if (args.string("max-loss") !== undefined) {
    throw new UsageError("Option --max-loss needs --udp and --count");
  }
  const tls = await clientTls(ctx, target);
  const timeoutMs = args.duration("timeout", 30_000);
  if (args.string("count") !== undefined) return await pingCommand(ctx, target, timeoutMs, tls);
  if (args.string("interval") !== undefined) {
    throw new UsageError("Option --interval needs --count");
  }
  const result = await exchange(ctx, target, messageSource(args, ctx.io), timeoutMs, tls);
  const mismatch = mismatchError(result);
  if (ctx.json) {
    ctx.jsonPrinted = true;
    await ctx.out.json({
      remote: result.dialed.remote,
      ...(tls ? { transport: "tls" } : {}),
      sent: result.sent,
      received: result.received,
      match: result.match,
      ...(result.mismatchOffset === undefined ? {} : { mismatch_offset: result.mismatchOffset }),
      connect_ms: roundMs(result.dialed.resolveMs + result.dialed.connectMs),
      ...(result.tls ? { tls_ms: roundMs(result.tls.tlsMs), tls: tlsJson(result.tls) } : {}),
      total_ms: roundMs(result.totalMs),
      error: mismatch?.message ?? null,
      exit_code: mismatch ? ExitCode.CheckFailed : ExitCode.Ok,
    });
  }
  if (mismatch) throw mismatch;
  return ExitCode.Ok;
}

/**
 * `--emit-check`: the check that does what this command line would. A check's echo is one
 * round trip over TCP; what it cannot carry over is said in a note.
 */
async function emitSendCheck(ctx: Context, target: DialTarget): Promise<number> {
  const { emitChecks, notCarriedOver } = await import("./emit_check.ts");
  const { args } = ctx;
  const notes = notCarriedOver(args, [
    "udp",
    "tls",
    "cacert",
    "servername",
    "max-loss",
    "interval",
  ]);
  if (args.string("count") !== undefined) {
    notes.push("a check makes one round trip: --count left out");
  }
  const message = args.positionals[0];
  const payload = args.string("size") !== undefined
    ? undefined
    : message === undefined || message === "-"
    ? undefined
    : args.flag("no-newline")
    ? message
    : message + "\n";
  if (message === undefined || message === "-") {
    notes.push("stdin cannot be carried over: the check sends its default payload");
  }
  if (args.string("size") !== undefined) {
    notes.push("--size left out: the check sends its default payload");
  }
  const timeout = args.string("timeout") === undefined
    ? {}
    : { timeout: formatDuration(args.duration("timeout", 30_000)) };
  if ("path" in target) {
    notes.push("a check's unix kind connects only: it does not echo");
    return await emitChecks(ctx, [{
      name: `unix:${target.path}`,
      unix: { path: target.path },
      ...timeout,
    }], notes);
  }
  const where = formatTarget(target);
  return await emitChecks(ctx, [{
    name: `echo ${where}`,
    echo: {
      host: target.hostname,
      port: target.port,
      ...(payload === undefined ? {} : { payload }),
    },
    ...timeout,
  }], notes);
}

const DEFAULT_PING_PAYLOAD = "sockit echo round trip: 64 bytes of payload, as ping sends.....\n";

async function pingCommand(
  ctx: Context,
  target: DialTarget,
  timeoutMs: number,
  tls: ClientTls | undefined,
): Promise<number> {
  const { args, out } = ctx;
  const count = args.integer("count", 4, { min: 1 });
  const intervalMs = args.duration("interval", 1000);
  if (args.positionals[0] === "-") throw new UsageError("Option --count takes MESSAGE, not stdin");
  const size = sizeOption(args, 64 * 1024 * 1024, 1);
  const payload = size !== undefined
    ? patternBytes(size)
    : messageBytes(args) ?? new TextEncoder().encode(DEFAULT_PING_PAYLOAD);
  const where = formatTarget(target);
  const lines = !ctx.json && !ctx.quiet;
  const replies: PingReply[] = [];
  let remote: string | undefined;
  let connectMs = 0;
  let stopped: unknown;
  try {
    // --timeout bounds the connect and then each round trip, as ping -W bounds each reply: the
    // whole run takes as long as --count and --interval say.
    await withConn(
      target,
      {
        what: `Echo round trips with ${where}`,
        connectTimeoutMs: timeoutMs,
        signal: ctx.signal,
        trace: ctx.trace,
      },
      (dialed, signal) =>
        overStream(dialed, tls, signal, async (conn) => {
          remote = dialed.remote;
          connectMs = dialed.resolveMs + dialed.connectMs;
          if (lines) {
            await out.line(`ECHO ${dialed.remote}: ${payload.length} bytes per round trip`);
          }
          const pending: Promise<void>[] = [];
          await pingEcho(conn, payload, {
            count,
            intervalMs,
            replyTimeoutMs: timeoutMs,
            signal,
            trace: ctx.trace,
            onReply: (reply) => {
              replies.push(reply);
              if (ctx.json) {
                pending.push(
                  out.json({ event: "reply", ...reply, time_ms: roundMs(reply.time_ms) }),
                );
              } else if (lines) {
                pending.push(out.line(
                  `${reply.bytes} bytes from ${dialed.remote}: seq=${reply.seq} time=${
                    formatMs(reply.time_ms)
                  }`,
                ));
              }
            },
          });
          await Promise.all(pending);
        }),
    );
  } catch (error) {
    // A run stopped by a lost reply or Ctrl-C still prints what it measured, as ping does.
    if (remote === undefined || error instanceof OutputError) throw error;
    stopped = error;
  }
  await printPingSummary(
    ctx,
    { remote: remote!, count, bytes: payload.length, connectMs },
    replies,
    stopped,
  );
  if (stopped !== undefined) throw stopped;
  return ExitCode.Ok;
}

/** The server's first address and port for UDP, resolved (UDP cannot try each in turn). */
async function udpTarget(ctx: Context, target: DialTarget): Promise<UdpTarget> {
  if ("path" in target) throw new UsageError("Options --udp and --unix cannot be used together");
  if (!isIpLiteral(target.hostname)) ctx.trace?.({ step: "resolve", detail: target.hostname });
  const addresses = await resolveHost(target.hostname);
  const address = addresses[0]!;
  if (!isIpLiteral(target.hostname)) {
    ctx.trace?.({ step: "resolved", detail: `${target.hostname} -> ${addresses.join(", ")}` });
  }
  return { address, port: target.port };
}

/** Reads all of stdin for one datagram: at most `max` bytes. */
async function readDatagram(io: Io, max: number): Promise<Uint8Array> {
  const out = new Uint8Array(max + 1);
  let at = 0;
  while (at <= max) {
    const n = await io.stdin.read(out.subarray(at));
    if (n === null) return out.slice(0, at);
    at += n;
  }
  throw new UsageError(
    `Stdin holds more than ${max} bytes: that is the most one UDP datagram carries`,
  );
}

function tooLong(bytes: number, max: number): UsageError {
  return new UsageError(
    `MESSAGE is ${bytes} bytes: one UDP datagram carries at most ${max} (use --size to test the limit)`,
  );
}

async function sendUdpCommand(ctx: Context, dialTarget: DialTarget): Promise<number> {
  const { args } = ctx;
  for (const option of ["tls", "cacert", "servername"]) {
    if (args.flag(option) || args.string(option) !== undefined) {
      throw new UsageError(
        `Options --udp and --${option} cannot be used together: sockit has no DTLS`,
      );
    }
  }
  const timeoutMs = args.duration("timeout", 2000);
  if (args.string("count") !== undefined) return await pingUdpCommand(ctx, dialTarget, timeoutMs);
  for (const option of ["interval", "max-loss"]) {
    if (args.string(option) !== undefined) {
      throw new UsageError(`Option --${option} needs --count`);
    }
  }
  if ("path" in dialTarget) {
    throw new UsageError("Options --udp and --unix cannot be used together");
  }
  const max = maxUdpPayload(isIpLiteral(dialTarget.hostname) ? dialTarget.hostname : "0.0.0.0");
  const size = sizeOption(args, max);
  const message = messageBytes(args);
  if (message && message.length > max) throw tooLong(message.length, max);
  const target = await udpTarget(ctx, dialTarget);
  const limit = maxUdpPayload(target.address);
  const payload = size !== undefined
    ? patternBytes(size)
    : message ?? await readDatagram(ctx.io, limit);
  const remote = formatHostPort(target.address, target.port);
  const started = performance.now();
  const echo = await echoDatagram(target, payload, {
    timeoutMs,
    signal: ctx.signal,
    trace: ctx.trace,
  });
  const totalMs = performance.now() - started;
  log("echo").debug`${echo.sent} bytes sent, ${echo.received} received from ${remote} in ${
    formatMs(echo.timeMs)
  }`;
  const mismatch = mismatchError(echo);
  if (ctx.json) {
    ctx.jsonPrinted = true;
    await ctx.out.json({
      remote,
      transport: "udp",
      sent: echo.sent,
      received: echo.received,
      match: echo.match,
      ...(echo.mismatchOffset === undefined ? {} : { mismatch_offset: echo.mismatchOffset }),
      time_ms: roundMs(echo.timeMs),
      total_ms: roundMs(totalMs),
      error: mismatch?.message ?? null,
      exit_code: mismatch ? ExitCode.CheckFailed : ExitCode.Ok,
    });
  } else if (!ctx.quiet) {
    await ctx.out.data(echo.reply);
  }
  if (mismatch) throw mismatch;
  return ExitCode.Ok;
}

/** The latency fields of a ping summary in JSON: `null` when nothing was measured. */
function latencyJson(s: LatencySummary): Record<string, number | null> {
  const ms = (value: number) => s.count ? roundMs(value) : null;
  return {
    min_ms: ms(s.min),
    avg_ms: ms(s.avg),
    p50_ms: ms(s.p50),
    p99_ms: ms(s.p99),
    max_ms: ms(s.max),
  };
}

/** `error` and `exit_code` of a JSON result: `null` and 0 when nothing went wrong. */
function outcomeJson(failure: unknown): { error: string | null; exit_code: number } {
  return failure === undefined
    ? { error: null, exit_code: 0 }
    : { error: describeError(failure), exit_code: exitCodeFor(failure) };
}

/** --max-loss: a percentage from 0 to 100 (`5`, `2.5`, `5%`). */
function maxLossOption(args: ParsedArgs): number {
  const text = args.string("max-loss");
  if (text === undefined) return 0;
  const match = /^(\d+(?:\.\d+)?)%?$/.exec(text.trim());
  const value = match ? Number(match[1]) : NaN;
  if (!(value >= 0 && value <= 100)) {
    throw new UsageError(`Invalid value "${text}" for --max-loss: expected a percentage, 0 to 100`);
  }
  return value;
}

/** A percentage for people: `0%`, `33.3%`, `100%`. */
function formatPct(pct: number): string {
  return `${Math.round(pct * 10) / 10}%`;
}

async function pingUdpCommand(
  ctx: Context,
  dialTarget: DialTarget,
  timeoutMs: number,
): Promise<number> {
  const { args, out } = ctx;
  const count = args.integer("count", 4, { min: 1 });
  const intervalMs = args.duration("interval", 1000);
  const maxLoss = maxLossOption(args);
  if (args.positionals[0] === "-") throw new UsageError("Option --count takes MESSAGE, not stdin");
  if ("path" in dialTarget) {
    throw new UsageError("Options --udp and --unix cannot be used together");
  }
  const max = maxUdpPayload(isIpLiteral(dialTarget.hostname) ? dialTarget.hostname : "0.0.0.0");
  const size = sizeOption(args, max, UDP_PING_HEADER_BYTES);
  const message = messageBytes(args);
  if (message && message.length + UDP_PING_HEADER_BYTES > max) {
    throw tooLong(message.length + UDP_PING_HEADER_BYTES, max);
  }
  const target = await udpTarget(ctx, dialTarget);
  const template = new Uint8Array(
    size ?? (message ? message.length + UDP_PING_HEADER_BYTES : 64),
  );
  template.set(
    message ?? patternBytes(template.length - UDP_PING_HEADER_BYTES),
    UDP_PING_HEADER_BYTES,
  );
  const remote = formatHostPort(target.address, target.port);
  const lines = !ctx.json && !ctx.quiet;
  const pending: Promise<void>[] = [];
  const print = (text: string, json: Record<string, unknown>) => {
    if (ctx.json) pending.push(out.json(json));
    else if (lines) pending.push(out.line(text));
  };
  if (lines) await out.line(`ECHO ${remote} over UDP: ${template.length} bytes per datagram`);
  const result = await pingUdp(target, template, {
    count,
    intervalMs,
    timeoutMs,
    signal: ctx.signal,
    trace: ctx.trace,
    onReply: (reply: UdpPingReply) => {
      const marks = `${reply.duplicate ? " (DUP!)" : ""}${reply.reordered ? " (reordered)" : ""}`;
      const time = reply.duplicate ? "" : ` time=${formatMs(reply.time_ms)}`;
      print(`${reply.bytes} bytes from ${remote}: seq=${reply.seq}${time}${marks}`, {
        event: "reply",
        seq: reply.seq,
        bytes: reply.bytes,
        time_ms: reply.duplicate ? null : roundMs(reply.time_ms),
        duplicate: reply.duplicate,
        reordered: reply.reordered,
      });
    },
    onLost: (seq) =>
      print(`no echo for seq=${seq} within ${formatDuration(timeoutMs)}`, { event: "lost", seq }),
  });
  await Promise.all(pending);
  const lost = result.sent - result.received;
  let failure: Error | undefined;
  if (ctx.signal.aborted) failure = ctx.signal.reason as Error;
  else if (result.mismatched > 0) {
    failure = new CheckError(
      `Echo mismatch: ${result.mismatched} ${
        result.mismatched === 1 ? "datagram" : "datagrams"
      } from ${remote} differed from what was sent`,
    );
  } else if (result.lossPct > maxLoss) {
    failure = result.received === 0
      ? new TimeoutError(
        `No echo from ${remote}: none of ${result.sent} datagrams came back within ${
          formatDuration(timeoutMs)
        }`,
      )
      : new CheckError(
        `Loss of ${
          formatPct(result.lossPct)
        } is over --max-loss ${maxLoss}%: ${lost} of ${result.sent} datagrams not echoed`,
      );
  }
  const s = result.summary;
  if (ctx.json) {
    ctx.jsonPrinted = true;
    await out.json({
      event: "summary",
      remote,
      transport: "udp",
      count: result.received,
      requested: count,
      sent: result.sent,
      received: result.received,
      lost,
      loss_pct: Math.round(result.lossPct * 100) / 100,
      duplicates: result.duplicates,
      reordered: result.reordered,
      late: result.late,
      mismatched: result.mismatched,
      bytes: template.length,
      ...latencyJson(s),
      ...outcomeJson(failure),
    });
  } else if (!ctx.quiet) {
    const f = (ms: number) => ms.toFixed(3);
    const extra = [
      [result.duplicates, "duplicate", "duplicates"],
      [result.reordered, "reordered", "reordered"],
      [result.late, "late", "late"],
      [result.mismatched, "mismatched", "mismatched"],
    ].filter(([n]) => n !== 0).map(([n, one, many]) => `${n} ${n === 1 ? one : many}`);
    const parts = [
      `${result.sent} sent`,
      `${result.received} received`,
      `${formatPct(result.lossPct)} loss`,
      ...extra,
    ];
    if (s.count > 0) {
      parts.push(
        `min/avg/p50/p99/max = ${f(s.min)}/${f(s.avg)}/${f(s.p50)}/${f(s.p99)}/${f(s.max)} ms`,
      );
    }
    await out.line(`--- ${remote} udp echo statistics ---`);
    await out.line(parts.join(", "));
  }
  if (failure) throw failure;
  return ExitCode.Ok;
}

async function printPingSummary(
  ctx: Context,
  run: { remote: string; count: number; bytes: number; connectMs: number },
  replies: PingReply[],
  stopped: unknown,
): Promise<void> {
  const s = summarize(replies.map((r) => r.time_ms));
  if (ctx.json) {
    ctx.jsonPrinted = true;
    await ctx.out.json({
      event: "summary",
      remote: run.remote,
      count: s.count,
      requested: run.count,
      bytes: run.bytes,
      connect_ms: roundMs(run.connectMs),
      ...latencyJson(s),
      ...outcomeJson(stopped),
    });
  } else if (!ctx.quiet) {
    const f = (ms: number) => ms.toFixed(3);
    const noun = run.count === 1 ? "round trip" : "round trips";
    const done = s.count === run.count
      ? `${s.count} ${noun}`
      : `${s.count} of ${run.count} ${noun}`;
    await ctx.out.line(`--- ${run.remote} echo statistics ---`);
    await ctx.out.line(
      s.count === 0
        ? done
        : `${done}, min/avg/p50/p99/max = ${f(s.min)}/${f(s.avg)}/${f(s.p50)}/${f(s.p99)}/${
          f(s.max)
        } ms`,
    );
  }
}
