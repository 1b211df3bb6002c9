/**
 * Echo (RFC 862) over TCP, TLS, Unix sockets and UDP: servers for many clients, and clients that
 * verify the echo byte for byte.
 *
 * @example
 * ```ts
 * import { sendEcho, serveEcho } from "./mod.ts";
 * import { bytesReader } from "../net/mod.ts";
 * import assert from "node:assert/strict";
 * await using server = serveEcho({ port: 0 });
 * const conn = await Deno.connect({ port: (server.addr as Deno.NetAddr).port });
 * const result = await sendEcho(conn, bytesReader(new Uint8Array([1, 2, 3])));
 * conn.close();
 * assert.equal(result.match, true);
 * ```
 *
 * @module
 */
export {
  DEFAULT_ECHO_BUFFER_SIZE,
  DEFAULT_LARGE_BUFFERS,
  EchoServer,
  serveEcho,
} from "./server.ts";
export type {
  CloseReason,
  EchoServerEvent,
  EchoServerOptions,
  EchoServerSummary,
  RejectReason,
  TlsSessionInfo,
} from "./server.ts";
export { LOOP_PORTS, serveUdpEcho, UdpEchoServer } from "./udp_server.ts";
export type {
  PeerEndReason,
  UdpEchoServerEvent,
  UdpEchoServerOptions,
  UdpEchoServerSummary,
} from "./udp_server.ts";
export { echoDatagram, pingUdp, resolveUdpTarget, UDP_PING_HEADER_BYTES } from "./udp_client.ts";
export type {
  DatagramEcho,
  EchoDatagramOptions,
  PingUdpOptions,
  ResolveUdpTargetOptions,
  UdpPingReply,
  UdpPingResult,
  UdpTarget,
} from "./udp_client.ts";
export { pingEcho, sendEcho } from "./client.ts";
export type {
  PingEchoOptions,
  PingReply,
  PingResult,
  SendEchoOptions,
  SendEchoResult,
} from "./client.ts";
export { exchangeEcho, mismatchError } from "./exchange.ts";
export type { ExchangeEchoOptions, ExchangeResult } from "./exchange.ts";
export { PAIR_BIND_TRIES, serveEchoPair } from "./pair.ts";
export type { EchoPair, EchoPairOptions } from "./pair.ts";
export { patternBytes, patternReader } from "./pattern.ts";
