/**
 * TCP and Unix-socket echo: a server for many clients and a client that verifies the echo.
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
export { DEFAULT_ECHO_BUFFER_SIZE, EchoServer, serveEcho } from "./server.ts";
export type {
  CloseReason,
  EchoServerEvent,
  EchoServerOptions,
  EchoServerSummary,
} from "./server.ts";
export { pingEcho, sendEcho } from "./client.ts";
export type {
  PingEchoOptions,
  PingReply,
  PingResult,
  SendEchoOptions,
  SendEchoResult,
} from "./client.ts";
