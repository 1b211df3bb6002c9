/**
 * UDP sockets: bind, receive a datagram with its sender, send one to an address. One home for
 * the runtime's datagram API, `Deno.listenDatagram`, which Deno ships behind `--unstable-net`
 * (baked into sockit's `deno.json` and binary: it measured about three times as fast as
 * `node:dgram` for small datagrams).
 *
 * @module
 */
import { closeQuietly } from "./close.ts";
import { ipFamily } from "./addr.ts";

/** The largest UDP payload over IPv4: 65535 - 20 (IP header) - 8 (UDP header). */
export const MAX_UDP_PAYLOAD_V4 = 65_507;

/** The largest UDP payload over IPv6 without jumbograms: 65535 - 8 (UDP header). */
export const MAX_UDP_PAYLOAD_V6 = 65_527;

/**
 * The largest payload one datagram to or from `address` can carry: 65507 bytes over IPv4,
 * 65527 over IPv6.
 *
 * @example
 * ```ts
 * import { maxUdpPayload } from "./udp.ts";
 * import assert from "node:assert/strict";
 * assert.equal(maxUdpPayload("127.0.0.1"), 65507);
 * assert.equal(maxUdpPayload("::1"), 65527);
 * ```
 */
export function maxUdpPayload(address: string): number {
  return ipFamily(address) === 6 ? MAX_UDP_PAYLOAD_V6 : MAX_UDP_PAYLOAD_V4;
}

/**
 * A datagram as received: the payload (a view of the buffer passed to `receive`: copy it to keep
 * it), and who sent it. A pair, as the runtime hands it over, so that receiving allocates nothing
 * more than it must.
 */
export type Datagram = [data: Uint8Array, from: Deno.NetAddr];

/**
 * The address of a UDP peer, as {@linkcode UdpSocket.send} takes it.
 *
 * @example
 * ```ts
 * import { udpAddr } from "./udp.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(udpAddr("::1", 7), { transport: "udp", hostname: "::1", port: 7 });
 * ```
 */
export function udpAddr(hostname: string, port: number): Deno.NetAddr {
  return { transport: "udp", hostname, port };
}

/** A bound UDP socket. */
export interface UdpSocket extends Disposable {
  /** The bound address: read the port from here after binding port 0. */
  readonly addr: Deno.NetAddr;
  /**
   * Waits for the next datagram and copies it into `buf`, which should hold 65536 bytes: a
   * longer datagram is cut to the buffer's size. Rejects once the socket is closed.
   */
  receive(buf: Uint8Array): Promise<Datagram>;
  /** Sends `data` as one datagram to `to` (a received datagram's sender, or {@linkcode udpAddr}). */
  send(data: Uint8Array, to: Deno.NetAddr): Promise<number>;
  /** Closes the socket; a pending `receive` rejects. Safe to call more than once. */
  close(): void;
}

/**
 * Binds a UDP socket. Port 0 picks a free one.
 *
 * @throws {Error} The runtime's error when the address cannot be bound (`AddrInUse`), or when
 * this Deno runs without `--unstable-net`.
 *
 * @example Send a datagram from one socket to another
 * ```ts
 * import { bindUdp } from "./udp.ts";
 * import assert from "node:assert/strict";
 * using a = bindUdp({ hostname: "127.0.0.1", port: 0 });
 * using b = bindUdp({ hostname: "127.0.0.1", port: 0 });
 * const receiving = b.receive(new Uint8Array(65536));
 * await a.send(new TextEncoder().encode("hi"), b.addr);
 * const [data, from] = await receiving;
 * assert.equal(new TextDecoder().decode(data), "hi");
 * assert.equal(from.port, a.addr.port);
 * ```
 */
export function bindUdp(options: { hostname: string; port: number }): UdpSocket {
  if (typeof Deno.listenDatagram !== "function") {
    throw new Error("UDP needs Deno's --unstable-net (sockit's deno.json and binary have it)");
  }
  const socket = Deno.listenDatagram({
    hostname: options.hostname,
    port: options.port,
    transport: "udp",
  });
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    closeQuietly(socket);
  };
  return {
    addr: socket.addr as Deno.NetAddr,
    // Straight through: these are the server's hot path, one call per datagram each way.
    receive: (buf) => socket.receive(buf) as Promise<Datagram>,
    send: (data, to) => socket.send(data, to),
    close,
    [Symbol.dispose]: close,
  };
}
