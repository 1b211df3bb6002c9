/**
 * `sockit echo send`: its flags and help, and the command, which sends bytes through an echo
 * server with `lib/echo/` (over TCP, TLS, a Unix socket or UDP), writes the echo, and exits 1
 * on a mismatch. `--count` is in `ping.ts`.
 *
 * @module
 */
import { exchangeEcho, mismatchError } from "../../echo/exchange.ts";
import { patternBytes, patternReader } from "../../echo/pattern.ts";
import { echoDatagram } from "../../echo/udp_client.ts";
import { formatHostPort, isIpLiteral } from "../../net/addr.ts";
import { formatDuration } from "../../net/deadline.ts";
import { formatTarget } from "../../net/dial.ts";
import type { DialTarget } from "../../net/dial.ts";
import { bytesReader } from "../../net/io.ts";
import type { ByteReader } from "../../net/io.ts";
import { checkCertificatePem } from "../../net/tls.ts";
import type { ClientTls, TlsUsed } from "../../net/tls_stream.ts";
import { maxUdpPayload } from "../../net/udp.ts";
import { UsageError, withCommon } from "../args.ts";
import type { CommandSpec, ParsedArgs } from "../args.ts";
import type { Context } from "../command.ts";
import { outcomeTail, writeJsonResult } from "../result.ts";
import type { HintTable } from "../result.ts";
import { logExchange } from "../echo_events.ts";
import { ExitCode } from "../exit_codes.ts";
import { log } from "../log.ts";
import { formatMs, roundMs } from "../output.ts";
import type { Io } from "../output.ts";
import { readInput } from "../paths.ts";
import {
  messageBytes,
  sizeOption,
  TARGET_OPTIONS,
  targetFrom,
  tooLong,
  udpHostPort,
  udpTarget,
} from "./options.ts";
import { pingCommand, pingUdpCommand } from "./ping.ts";

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

/** What to send: MESSAGE, --size bytes of test pattern, or stdin. */
function messageSource(args: ParsedArgs, io: Io): ByteReader {
  const size = sizeOption(args);
  if (size !== undefined) return patternReader(size);
  const message = messageBytes(args);
  return message ? bytesReader(message) : io.stdin;
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
    const why = checkCertificatePem(pem);
    if (why) throw new UsageError(`Invalid --cacert "${cacert}": ${why}`);
    caCerts.push(pem);
  }
  return { servername: servername ?? target.hostname, caCerts };
}

/** The `tls` object of the JSON output: what Deno 2.9's `Deno.startTls` tells a client. */
function tlsJson(tls: TlsUsed): Record<string, unknown> {
  return { alpn: tls.alpn };
}

/** Hints for the library's TLS failures, in this command's terms. */
export const SEND_HINTS: HintTable = {
  "unknown-issuer": "is its CA trusted? trust a private CA with --cacert",
  "self-signed": "trust it with --cacert FILE, FILE holding the server's own certificate",
  "ca-as-leaf": "trust it with --cacert FILE, FILE holding the server's own certificate",
  "wrong-name": "check another name with --servername",
};

/** Runs `sockit echo send`. */
export async function sendCommand(ctx: Context): Promise<number> {
  const { args } = ctx;
  const target = targetFrom(args, "client");
  if (args.flag("emit-check")) return await emitSendCheck(ctx, target);
  if (args.flag("udp")) return await sendUdpCommand(ctx, target);
  if (args.given("max-loss")) {
    throw new UsageError("Option --max-loss needs --udp and --count");
  }
  const tls = await clientTls(ctx, target);
  const timeoutMs = args.duration("timeout", 30_000);
  if (args.given("count")) return await pingCommand(ctx, target, timeoutMs, tls);
  if (args.given("interval")) {
    throw new UsageError("Option --interval needs --count");
  }
  const writeData = !ctx.json && !ctx.quiet;
  const result = await exchangeEcho(target, messageSource(args, ctx.io), {
    timeoutMs,
    signal: ctx.signal,
    trace: ctx.trace,
    tls,
    onData: writeData ? (chunk) => ctx.out.data(chunk) : undefined,
  });
  logExchange(result);
  const mismatch = mismatchError(result);
  if (ctx.json) {
    await writeJsonResult(ctx, {
      remote: result.dialed.remote,
      ...(tls ? { transport: "tls" } : {}),
      sent: result.sent,
      received: result.received,
      match: result.match,
      ...(result.mismatchOffset === undefined ? {} : { mismatch_offset: result.mismatchOffset }),
      connect_ms: roundMs(result.dialed.resolveMs + result.dialed.connectMs),
      ...(result.tls ? { tls_ms: roundMs(result.tls.tlsMs), tls: tlsJson(result.tls) } : {}),
      total_ms: roundMs(result.totalMs),
    }, outcomeTail(mismatch));
  }
  if (mismatch) throw mismatch;
  return ExitCode.Ok;
}

/**
 * `--emit-check`: the check that does what this command line would. A check's echo is one
 * round trip over TCP; what it cannot carry over is said in a note.
 */
async function emitSendCheck(ctx: Context, target: DialTarget): Promise<number> {
  const { emitChecks, notCarriedOver } = await import("../emit_check.ts");
  const { args } = ctx;
  const notes = notCarriedOver(args, [
    "udp",
    "tls",
    "cacert",
    "servername",
    "max-loss",
    "interval",
  ]);
  if (args.given("count")) {
    notes.push("a check makes one round trip: --count left out");
  }
  const message = args.positionals[0];
  const payload = args.given("size")
    ? undefined
    : message === undefined || message === "-"
    ? undefined
    : args.flag("no-newline")
    ? message
    : message + "\n";
  if (message === undefined || message === "-") {
    notes.push("stdin cannot be carried over: the check sends its default payload");
  }
  if (args.given("size")) {
    notes.push("--size left out: the check sends its default payload");
  }
  const timeout = args.given("timeout")
    ? { timeout: formatDuration(args.duration("timeout")!) }
    : {};
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

/** `echo send --udp`: one datagram and its echo, or with --count a ping. */
async function sendUdpCommand(ctx: Context, dialTarget: DialTarget): Promise<number> {
  const { args } = ctx;
  for (const option of ["tls", "cacert", "servername"]) {
    if (args.given(option)) {
      throw new UsageError(
        `Options --udp and --${option} cannot be used together: sockit has no DTLS`,
      );
    }
  }
  const timeoutMs = args.duration("timeout", 2000);
  const hostPort = udpHostPort(dialTarget);
  if (args.given("count")) return await pingUdpCommand(ctx, hostPort, timeoutMs);
  for (const option of ["interval", "max-loss"]) {
    if (args.given(option)) {
      throw new UsageError(`Option --${option} needs --count`);
    }
  }
  const max = maxUdpPayload(isIpLiteral(hostPort.hostname) ? hostPort.hostname : "0.0.0.0");
  const size = sizeOption(args, max);
  const message = messageBytes(args);
  if (message && message.length > max) throw tooLong(message.length, max);
  const target = await udpTarget(ctx, hostPort);
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
    await writeJsonResult(ctx, {
      remote,
      transport: "udp",
      sent: echo.sent,
      received: echo.received,
      match: echo.match,
      ...(echo.mismatchOffset === undefined ? {} : { mismatch_offset: echo.mismatchOffset }),
      time_ms: roundMs(echo.timeMs),
      total_ms: roundMs(totalMs),
    }, outcomeTail(mismatch));
  } else if (!ctx.quiet) {
    await ctx.out.data(echo.reply);
  }
  if (mismatch) throw mismatch;
  return ExitCode.Ok;
}
