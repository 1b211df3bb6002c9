/**
 * `sockit echo serve` and `sockit echo send`: flags, help and output. The protocol work is in
 * `lib/echo/`.
 *
 * @module
 */
import { serveEcho } from "../echo/server.ts";
import type { EchoServer, EchoServerEvent } from "../echo/server.ts";
import { pingEcho, sendEcho } from "../echo/client.ts";
import type { PingReply, SendEchoResult } from "../echo/client.ts";
import { checkPort, formatAddr } from "../net/addr.ts";
import { withConn } from "../net/conn.ts";
import { describeNetError, formatTarget } from "../net/dial.ts";
import type { Dialed, DialTarget } from "../net/dial.ts";
import { formatDuration } from "../net/deadline.ts";
import { startTimer } from "../net/timer.ts";
import { CheckError, ConnectError } from "../net/errors.ts";
import { bytesReader } from "../net/io.ts";
import { summarize } from "../net/stats.ts";
import type { ByteReader } from "../net/io.ts";
import { suggest, UsageError, withCommon } from "./args.ts";
import type { CommandSpec, OptionSpec, ParsedArgs } from "./args.ts";
import { describeError, runCommand } from "./command.ts";
import type { Context } from "./command.ts";
import { ExitCode, exitCodeFor } from "./exit_codes.ts";
import { log } from "./log.ts";
import { formatMs, OutputError, roundMs } from "./output.ts";
import type { Io } from "./output.ts";

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
  summary: "run a TCP (or Unix socket) echo server",
  usage: ["echo serve [--host HOST] [--port PORT | --unix PATH] [options]"],
  description: [
    "Echoes every byte each client sends, for many clients at once. When a client shuts down its",
    "write side, the rest of its bytes are echoed and the connection is closed. A client that stops",
    "reading stops being read from, so memory per connection stays at one buffer (256 KiB).",
    "",
    'Prints "listening on HOST:PORT" on stdout once bound (with --json, a JSON line; with',
    "--port 0, read the port from it). Over --max-conns, a new connection is accepted and closed",
    "at once, with no byte read or written, and logged as rejected. SIGINT or SIGTERM stops",
    "accepting, gives open connections --grace to finish, closes the rest and exits 0.",
    "--timeout stops the server the same way after that long.",
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
  ]),
  positionals: { min: 0, max: 0 },
  examples: [
    ["Serve on 127.0.0.1:35555", "sockit echo serve"],
    ["Pick a free port and print events as JSON lines", "sockit echo serve --port 0 --json"],
    [
      "Serve one client on a Unix socket, showing the bytes",
      "sockit echo serve --unix /tmp/echo.sock --once --trace",
    ],
  ],
};

/** `sockit echo send`. */
export const ECHO_SEND: CommandSpec = {
  name: "echo send",
  summary: "send bytes to an echo server and check they come back",
  usage: ["echo send [MESSAGE | -] [--host HOST] [--port PORT | --unix PATH] [options]"],
  description: [
    "Sends MESSAGE (with a newline, like echo(1); -n leaves it out), or stdin when MESSAGE is",
    'absent or "-", byte for byte. Then shuts down its write side, reads until the server closes,',
    "and writes the echoed bytes to stdout. Exits 0 when they equal what was sent, 1 otherwise.",
    "",
    "With --count, measures round trips on one connection instead, like ping: one line per",
    "round trip, then min/avg/p50/p99/max.",
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
  ]),
  positionals: { min: 0, max: 1, name: "MESSAGE" },
  examples: [
    ["Send a line and check the echo", "sockit echo send 'hello world'"],
    [
      "Echo a file through the server, verified, with timings as JSON",
      "sockit echo send --json < file.bin",
    ],
    ["Ten round trips, 100ms apart", "sockit echo send --count 10 --interval 100ms ping"],
  ],
};

const SUBCOMMANDS = { serve: ECHO_SERVE, send: ECHO_SEND } as const;

/** `sockit echo --help`. */
export function echoHelp(): string {
  return [
    "sockit echo: a TCP echo server and client",
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
    return await runCommand(ECHO_SERVE, rest, io, serveCommand, { ownSignals: true });
  }
  if (word === "send") return await runCommand(ECHO_SEND, rest, io, sendCommand);
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
    logger.info`accepted #${event.id} from ${event.peer} (${event.active} open)`;
  } else if (event.event === "reject") {
    logger.warn`rejected ${event.peer}: --max-conns reached (${event.active} open)`;
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
 * Binds a server with the CLI's event reporting (JSON lines with --json, unless `jsonEvents` is
 * false, as in the demo, which prints its own). Shared with the demo.
 */
export function startServer(
  ctx: Context,
  target: DialTarget,
  options: { maxConns?: number; idleTimeoutMs?: number; once?: boolean; jsonEvents?: boolean } = {},
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
    throw new ConnectError(`Cannot listen on ${formatTarget(target)}: ${describeNetError(error)}`, {
      cause: error,
    });
  }
}

async function serveCommand(ctx: Context): Promise<number> {
  const { args } = ctx;
  const target = targetFrom(args, "server");
  const maxConns = args.string("max-conns") === undefined
    ? Infinity
    : args.integer("max-conns", 0, { min: 1 });
  const idleTimeoutMs = args.duration("idle-timeout", 60_000);
  const graceMs = args.duration("grace", 5000);
  const timeoutMs = args.duration("timeout");
  const server = startServer(ctx, target, { maxConns, idleTimeoutMs, once: args.flag("once") });
  // Signal handlers go in before "listening" is announced: a script may signal right after it.
  const stopped = waitForStop(server, timeoutMs);
  const addr = server.addr;
  if (ctx.json) {
    await ctx.out.event(
      "hostname" in addr
        ? { event: "listening", transport: "tcp", address: addr.hostname, port: addr.port }
        : { event: "listening", transport: "unix", path: "path" in addr ? addr.path : "" },
    );
  } else if (!ctx.quiet) {
    await ctx.out.line(`listening on ${formatAddr(addr).replace(/^unix:/, "")}`).catch(() => {
      ctx.out.droppedEvents++;
    });
  }
  const stop = await stopped;
  const stopping = server.shutdown(graceMs);
  // "stopping" is announced only once new connections are refused: a script may test that.
  await server.stopAccepting();
  if (stop !== "once") {
    log("echo").info`${stop}: stopped accepting; ${server.active} open, ${
      formatDuration(graceMs)
    } to finish`;
    if (ctx.json) await ctx.out.event({ event: "stopping", reason: stop, open: server.active });
  }
  const summary = await stopping;
  const noun = summary.connections === 1 ? "connection" : "connections";
  log("echo")
    .info`served ${summary.connections} ${noun} (${summary.rejected} rejected, ${summary.forced} closed after the ${
    formatDuration(graceMs)
  } grace), echoed ${summary.bytes} bytes`;
  if (ctx.json) await ctx.out.event({ event: "shutdown", reason: stop, ...summary });
  if (ctx.out.droppedEvents > 0) {
    log("echo").debug`stdout was closed by its reader: ${ctx.out.droppedEvents} lines not written`;
  }
  return ExitCode.Ok;
}

function waitForStop(server: EchoServer, timeoutMs: number | undefined): Promise<string> {
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
    server.served.then(() => done("once"));
    function done(reason: string) {
      timer?.clear();
      for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
      resolve(reason);
    }
  });
}

function messageSource(args: ParsedArgs, io: Io): ByteReader {
  const message = args.positionals[0];
  if (message === undefined || message === "-") return io.stdin;
  const text = args.flag("no-newline") ? message : message + "\n";
  return bytesReader(new TextEncoder().encode(text));
}

/** What one verified echo exchange did. */
export interface ExchangeResult extends SendEchoResult {
  /** The connection's address and timing. */
  dialed: Dialed;
  /** Milliseconds from the start of the connect to the server's close. */
  totalMs: number;
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
): Promise<ExchangeResult> {
  const where = formatTarget(target);
  const started = performance.now();
  const writeData = !ctx.json && !ctx.quiet;
  const result = await withConn(
    target,
    { what: `Echo exchange with ${where}`, timeoutMs, signal: ctx.signal, trace: ctx.trace },
    async (dialed) => {
      const echoed = await sendEcho(dialed.conn, source, {
        trace: ctx.trace,
        onData: writeData ? (chunk) => ctx.out.data(chunk) : undefined,
      });
      return { ...echoed, dialed };
    },
  );
  const totalMs = performance.now() - started;
  log("echo")
    .debug`${result.sent} bytes sent, ${result.received} received from ${result.dialed.remote} in ${
    formatMs(totalMs)
  }`;
  return { ...result, totalMs };
}

/** The error for an echo that did not match, or `undefined` when it did. */
export function mismatchError(result: SendEchoResult): CheckError | undefined {
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
  const timeoutMs = args.duration("timeout", 30_000);
  if (args.string("count") !== undefined) return await pingCommand(ctx, target, timeoutMs);
  if (args.string("interval") !== undefined) {
    throw new UsageError("Option --interval needs --count");
  }
  const result = await exchange(ctx, target, messageSource(args, ctx.io), timeoutMs);
  const mismatch = mismatchError(result);
  if (ctx.json) {
    ctx.jsonPrinted = true;
    await ctx.out.json({
      remote: result.dialed.remote,
      sent: result.sent,
      received: result.received,
      match: result.match,
      ...(result.mismatchOffset === undefined ? {} : { mismatch_offset: result.mismatchOffset }),
      connect_ms: roundMs(result.dialed.resolveMs + result.dialed.connectMs),
      total_ms: roundMs(result.totalMs),
      error: mismatch?.message ?? null,
      exit_code: mismatch ? ExitCode.CheckFailed : ExitCode.Ok,
    });
  }
  if (mismatch) throw mismatch;
  return ExitCode.Ok;
}

const DEFAULT_PING_PAYLOAD = "sockit echo round trip: 64 bytes of payload, as ping sends.....\n";

async function pingCommand(ctx: Context, target: DialTarget, timeoutMs: number): Promise<number> {
  const { args, out } = ctx;
  const count = args.integer("count", 4, { min: 1 });
  const intervalMs = args.duration("interval", 1000);
  const message = args.positionals[0];
  if (message === "-") throw new UsageError("Option --count takes MESSAGE, not stdin");
  const payload = new TextEncoder().encode(
    message === undefined
      ? DEFAULT_PING_PAYLOAD
      : args.flag("no-newline")
      ? message
      : message + "\n",
  );
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
      async (dialed, signal) => {
        remote = dialed.remote;
        connectMs = dialed.resolveMs + dialed.connectMs;
        if (lines) await out.line(`ECHO ${dialed.remote}: ${payload.length} bytes per round trip`);
        const pending: Promise<void>[] = [];
        await pingEcho(dialed.conn, payload, {
          count,
          intervalMs,
          replyTimeoutMs: timeoutMs,
          signal,
          trace: ctx.trace,
          onReply: (reply) => {
            replies.push(reply);
            if (ctx.json) {
              pending.push(out.json({ event: "reply", ...reply, time_ms: roundMs(reply.time_ms) }));
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
      },
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
      min_ms: s.count ? roundMs(s.min) : null,
      avg_ms: s.count ? roundMs(s.avg) : null,
      p50_ms: s.count ? roundMs(s.p50) : null,
      p99_ms: s.count ? roundMs(s.p99) : null,
      max_ms: s.count ? roundMs(s.max) : null,
      error: stopped === undefined ? null : describeError(stopped),
      exit_code: stopped === undefined ? 0 : exitCodeFor(stopped),
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
