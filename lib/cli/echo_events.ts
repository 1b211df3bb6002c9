/**
 * How the command line tells what an echo server or client did: log lines, and JSON lines with
 * --json. `echo serve`, `echo send` and the demo show the same events in the same words.
 *
 * @module
 */
import type { ExchangeResult } from "../echo/exchange.ts";
import type { EchoServerEvent, EchoServerOptions } from "../echo/server.ts";
import type { UdpEchoServerEvent, UdpEchoServerOptions } from "../echo/udp_server.ts";
import type { Context } from "./command.ts";
import { log } from "./log.ts";
import { formatMs } from "./output.ts";

/** Logs the server's events, and prints them as JSON lines when `json` is set. */
function reportServerEvent(ctx: Context, event: EchoServerEvent, json: boolean): void {
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
 * The options that give a stream server the CLI's event reporting (JSON lines when `json` is
 * set) and the trace.
 */
export function serverEvents(
  ctx: Context,
  json: boolean,
): Pick<EchoServerOptions, "onEvent" | "trace"> {
  return {
    onEvent: (event) => reportServerEvent(ctx, event, json),
    ...(ctx.trace ? { trace: ctx.trace } : {}),
  };
}

/** The options that give a UDP server the CLI's event reporting and the trace. */
export function udpEvents(ctx: Context): Pick<UdpEchoServerOptions, "onEvent" | "trace"> {
  const verbose = ctx.args.flag("verbose") || ctx.args.flag("trace");
  return {
    onEvent: (event) => reportUdpEvent(ctx, event, verbose),
    ...(ctx.trace ? { trace: ctx.trace } : {}),
  };
}

/** Logs what an echo exchange did, at debug. */
export function logExchange(result: ExchangeResult): void {
  log("echo")
    .debug`${result.sent} bytes sent, ${result.received} received from ${result.dialed.remote} in ${
    formatMs(result.totalMs)
  }`;
}
