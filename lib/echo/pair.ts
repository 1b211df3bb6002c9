/**
 * Binding echo servers by address: a stream server (TCP, TLS or a Unix socket), a UDP server,
 * or both on one port as RFC 862 has them, with a failure to bind said in one message.
 *
 * @module
 */
import { describeNetError, formatTarget } from "../net/dial.ts";
import type { DialTarget } from "../net/dial.ts";
import { ConnectError, TlsError } from "../net/errors.ts";
import { keyPairFailure } from "../net/tls.ts";
import { serveEcho } from "./server.ts";
import type { EchoServer, EchoServerOptions } from "./server.ts";
import { serveUdpEcho } from "./udp_server.ts";
import type { UdpEchoServer, UdpEchoServerOptions } from "./udp_server.ts";

/**
 * How many times {@linkcode serveEchoPair} picks a new free port when the UDP twin of a stream
 * server bound to port 0 is taken.
 */
export const PAIR_BIND_TRIES = 20;

/** Options for {@linkcode serveEchoPair}: which servers, and their own options. */
export interface EchoPairOptions {
  /** Serve TCP (TLS with `tls`) or, for a `path` target, a Unix socket, with these options. */
  stream?: Omit<EchoServerOptions, "hostname" | "port" | "path"> | undefined;
  /** Serve UDP with these options (on the stream server's port when both are served). */
  udp?: Omit<UdpEchoServerOptions, "hostname" | "port"> | undefined;
  /** Most attempts at binding both on port 0. @default {PAIR_BIND_TRIES} */
  tries?: number;
}

/** The servers {@linkcode serveEchoPair} started. */
export interface EchoPair {
  /** The TCP, TLS or Unix socket server, when one was asked for. */
  stream?: EchoServer;
  /** The UDP server, when one was asked for. */
  udp?: UdpEchoServer;
}

/**
 * Starts the echo servers `options` asks for on `target`. With both on port 0, the UDP server
 * takes the port the kernel gave the stream server; when that UDP port is taken, both are
 * bound again on a new port, up to `tries` times. A UDP server for a `path` target binds
 * 127.0.0.1.
 *
 * @throws {ConnectError} `Cannot listen on 127.0.0.1:7 (udp): ...` when an address cannot be
 * bound (in use, not available, not permitted).
 * @throws {TlsError} When the stream server's TLS certificate or key cannot be used (the
 * runtime's error is its `cause`).
 *
 * @example TCP and UDP on one free port
 * ```ts
 * import { serveEchoPair } from "./pair.ts";
 * import assert from "node:assert/strict";
 * const { stream, udp } = await serveEchoPair({ hostname: "127.0.0.1", port: 0 }, {
 *   stream: {},
 *   udp: {},
 * });
 * assert.equal((stream!.addr as Deno.NetAddr).port, udp!.addr.port);
 * await stream!.shutdown(0);
 * await udp!.shutdown();
 * ```
 */
export async function serveEchoPair(
  target: DialTarget,
  options: EchoPairOptions,
): Promise<EchoPair> {
  const tries = options.tries ?? PAIR_BIND_TRIES;
  for (let attempt = 1;; attempt++) {
    const stream = options.stream ? bindStream(target, options.stream) : undefined;
    if (!options.udp) return stream ? { stream } : {};
    const hostname = "path" in target ? "127.0.0.1" : target.hostname;
    const port = stream ? (stream.addr as Deno.NetAddr).port : "port" in target ? target.port : 0;
    try {
      const udp = bindUdp({ hostname, port }, options.udp);
      return stream ? { stream, udp } : { udp };
    } catch (error) {
      await stream?.shutdown(0);
      // With port 0 the TCP port was free but its UDP twin may not be: pick another.
      const retry = stream && "port" in target && target.port === 0 &&
        error instanceof ConnectError && error.cause instanceof Deno.errors.AddrInUse &&
        attempt < tries;
      if (!retry) throw error;
    }
  }
}

function bindStream(
  target: DialTarget,
  options: Omit<EchoServerOptions, "hostname" | "port" | "path">,
): EchoServer {
  try {
    return serveEcho({
      ...("path" in target
        ? { path: target.path }
        : { hostname: target.hostname, port: target.port }),
      ...options,
    });
  } catch (error) {
    throw listenError(target, error, options.tls !== undefined);
  }
}

function bindUdp(
  target: { hostname: string; port: number },
  options: Omit<UdpEchoServerOptions, "hostname" | "port">,
): UdpEchoServer {
  try {
    return serveUdpEcho({ hostname: target.hostname, port: target.port, ...options });
  } catch (error) {
    throw listenError(target, error, false, "udp");
  }
}

/** Why a server could not start: its address, or, with TLS, its certificate or key. */
function listenError(target: DialTarget, error: unknown, tls: boolean, proto = ""): Error {
  const bindFailure = error instanceof Deno.errors.AddrInUse ||
    error instanceof Deno.errors.AddrNotAvailable ||
    error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable;
  if (tls && !bindFailure) {
    return new TlsError("Cannot use the TLS certificate and key", {
      cause: error,
      ...keyPairFailure(error),
    });
  }
  const where = proto ? `${formatTarget(target)} (${proto})` : formatTarget(target);
  return new ConnectError(`Cannot listen on ${where}`, {
    cause: error,
    why: describeNetError(error),
  });
}
