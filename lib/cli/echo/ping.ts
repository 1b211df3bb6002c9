/**
 * `sockit echo send --count`: round trips measured like ping, over one TCP (or TLS) connection
 * or as UDP datagrams, one line each and then the statistics.
 *
 * @module
 */
import { pingEcho } from "../../echo/client.ts";
import type { PingReply } from "../../echo/client.ts";
import { patternBytes } from "../../echo/pattern.ts";
import { pingUdp, UDP_PING_HEADER_BYTES } from "../../echo/udp_client.ts";
import type { UdpPingReply } from "../../echo/udp_client.ts";
import { formatHostPort, isIpLiteral } from "../../net/addr.ts";
import { withConn } from "../../net/conn.ts";
import { formatDuration } from "../../net/deadline.ts";
import { formatTarget } from "../../net/dial.ts";
import type { DialTarget } from "../../net/dial.ts";
import { CheckError, TimeoutError } from "../../net/errors.ts";
import { summarize } from "../../net/stats.ts";
import type { LatencySummary } from "../../net/stats.ts";
import { overStream } from "../../net/tls_stream.ts";
import type { ClientTls } from "../../net/tls_stream.ts";
import { maxUdpPayload } from "../../net/udp.ts";
import { UsageError } from "../args.ts";
import type { ParsedArgs } from "../args.ts";
import { outcomeTail, writeJsonResult } from "../result.ts";
import type { Context } from "../command.ts";
import { ExitCode } from "../exit_codes.ts";
import { formatMs, OutputError, roundMs } from "../output.ts";
import { messageBytes, sizeOption, tooLong, udpTarget } from "./options.ts";
import type { HostPort } from "./options.ts";

const DEFAULT_PING_PAYLOAD = "sockit echo round trip: 64 bytes of payload, as ping sends.....\n";

/** `echo send --count`: round trips on one connection, like ping. */
export async function pingCommand(
  ctx: Context,
  target: DialTarget,
  timeoutMs: number,
  tls: ClientTls | undefined,
): Promise<number> {
  const { args, out } = ctx;
  const count = args.integer("count", { min: 1 });
  const intervalMs = args.duration("interval")!;
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
  const summary = summarize(replies.map((r) => r.time_ms));
  const noun = count === 1 ? "round trip" : "round trips";
  await printPingStatistics(ctx, {
    title: `${remote} echo`,
    fields: {
      remote,
      count: summary.count,
      requested: count,
      bytes: payload.length,
      connect_ms: roundMs(connectMs),
    },
    counts: [
      summary.count === count ? `${summary.count} ${noun}` : `${summary.count} of ${count} ${noun}`,
    ],
    summary,
    failure: stopped,
  });
  if (stopped !== undefined) throw stopped;
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

/** --max-loss: a percentage from 0 to 100 (`5`, `2.5`, `5%`). */
function maxLossOption(args: ParsedArgs): number {
  const text = args.string("max-loss") ?? args.defaultOf("max-loss")!;
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

/** `echo send --udp --count`: sequence-numbered datagrams, like ping. */
export async function pingUdpCommand(
  ctx: Context,
  hostPort: HostPort,
  timeoutMs: number,
): Promise<number> {
  const { args, out } = ctx;
  const count = args.integer("count", { min: 1 });
  const intervalMs = args.duration("interval")!;
  const maxLoss = maxLossOption(args);
  if (args.positionals[0] === "-") throw new UsageError("Option --count takes MESSAGE, not stdin");
  const max = maxUdpPayload(isIpLiteral(hostPort.hostname) ? hostPort.hostname : "0.0.0.0");
  const size = sizeOption(args, max, UDP_PING_HEADER_BYTES);
  const message = messageBytes(args);
  if (message && message.length + UDP_PING_HEADER_BYTES > max) {
    throw tooLong(message.length + UDP_PING_HEADER_BYTES, max);
  }
  const target = await udpTarget(ctx, hostPort);
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
  const extra = [
    [result.duplicates, "duplicate", "duplicates"],
    [result.reordered, "reordered", "reordered"],
    [result.late, "late", "late"],
    [result.mismatched, "mismatched", "mismatched"],
  ].filter(([n]) => n !== 0).map(([n, one, many]) => `${n} ${n === 1 ? one : many}`);
  await printPingStatistics(ctx, {
    title: `${remote} udp echo`,
    fields: {
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
    },
    counts: [
      `${result.sent} sent`,
      `${result.received} received`,
      `${formatPct(result.lossPct)} loss`,
      ...extra,
    ],
    summary: result.summary,
    failure,
  });
  if (failure) throw failure;
  return ExitCode.Ok;
}

/** A ping's statistics, for {@linkcode printPingStatistics}. */
interface PingStatistics {
  /** What the text's heading names: `--- TITLE statistics ---`. */
  title: string;
  /** The JSON summary's fields before the latencies. */
  fields: Record<string, unknown>;
  /** The text line's counts, before the latencies. */
  counts: string[];
  /** The round-trip times. */
  summary: LatencySummary;
  /** What ended the run early or failed it, if anything. */
  failure: unknown;
}

/**
 * Prints a ping's statistics, TCP's or UDP's: the `summary` JSON line (its fields, the
 * latencies, `error` and `exit_code`), or a heading and a line of counts and
 * min/avg/p50/p99/max.
 */
async function printPingStatistics(ctx: Context, stats: PingStatistics): Promise<void> {
  const s = stats.summary;
  if (ctx.json) {
    await writeJsonResult(
      ctx,
      { event: "summary", ...stats.fields, ...latencyJson(s) },
      outcomeTail(stats.failure),
    );
  } else if (!ctx.quiet) {
    const f = (ms: number) => ms.toFixed(3);
    const parts = [...stats.counts];
    if (s.count > 0) {
      parts.push(
        `min/avg/p50/p99/max = ${f(s.min)}/${f(s.avg)}/${f(s.p50)}/${f(s.p99)}/${f(s.max)} ms`,
      );
    }
    await ctx.out.line(`--- ${stats.title} statistics ---`);
    await ctx.out.line(parts.join(", "));
  }
}
