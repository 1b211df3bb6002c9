/**
 * The UDP echo server (RFC 862): every datagram goes back to its sender, unchanged. It keeps a
 * small record per peer (address and port) for statistics and for a per-peer rate limit, the
 * guard against being used as a reflector when bound beyond loopback.
 *
 * @module
 */
import { formatHostPort } from "../net/addr.ts";
import { describeNetError } from "../net/dial.ts";
import { sleep } from "../net/timer.ts";
import type { TraceFn } from "../net/trace.ts";
import { bindUdp } from "../net/udp.ts";
import type { UdpSocket } from "../net/udp.ts";

/**
 * Source ports of the small services that answer any datagram (echo, daytime, chargen, time).
 * A datagram from one of them is dropped, as inetd does: echoing it would start a loop between
 * two servers that never ends (the classic echo-chargen flood).
 */
export const LOOP_PORTS: ReadonlySet<number> = new Set([0, 7, 13, 19, 37]);

/** Options for {@linkcode serveUdpEcho}. */
export interface UdpEchoServerOptions {
  /** Address to bind. @default {"127.0.0.1"} */
  hostname?: string;
  /** Port to bind; 0 picks a free one. @default {35555} */
  port?: number;
  /**
   * Most datagrams echoed per second to one peer; the rest are dropped (counted as `dropped`).
   * A peer may burst up to one second's worth. @default {Infinity}
   */
  maxRate?: number;
  /**
   * A peer that sends nothing for this many milliseconds is forgotten, and its summary
   * reported as a `peer` event. @default {60000}
   */
  idleTimeoutMs?: number;
  /** Echo one datagram, then stop; {@linkcode UdpEchoServer.served} settles after it. */
  once?: boolean;
  /** Most peers remembered at once; past it the longest-known peer is reported and forgotten. @default {65536} */
  maxPeers?: number;
  /** Receives `peer` and `rate-limit` events. Must not throw. */
  onEvent?: (event: UdpEchoServerEvent) => void;
  /** Receives every datagram step with its bytes; costs nothing when absent. */
  trace?: TraceFn;
}

/** Why a peer's summary was reported. */
export type PeerEndReason = "idle" | "shutdown" | "evicted";

/** What the UDP server reports: a summary per peer, never a line per datagram. */
export type UdpEchoServerEvent =
  | {
    event: "peer";
    peer: string;
    datagrams: number;
    bytes: number;
    dropped: number;
    duration_ms: number;
    reason: PeerEndReason;
  }
  | { event: "rate-limit"; peer: string; max_rate: number };

/** What a UDP server did over its lifetime. */
export interface UdpEchoServerSummary {
  /** Distinct peers (address and port) seen. */
  peers: number;
  /** Datagrams echoed. */
  datagrams: number;
  /** Bytes echoed. */
  bytes: number;
  /** Datagrams not echoed: over the rate limit, from a looping port, or that failed to send. */
  dropped: number;
}

interface Peer {
  hostname: string;
  port: number;
  forgotten: boolean;
  name: string;
  first: number;
  last: number;
  datagrams: number;
  bytes: number;
  dropped: number;
  tokens: number;
  refilled: number;
  limited: boolean;
}

/** A running UDP echo server. Dispose of it (or call {@linkcode UdpEchoServer.shutdown}) to stop it. */
export class UdpEchoServer implements AsyncDisposable {
  readonly #socket: UdpSocket;
  readonly #maxRate: number;
  readonly #idleTimeoutMs: number;
  readonly #maxPeers: number;
  readonly #once: boolean;
  readonly #onEvent: ((event: UdpEchoServerEvent) => void) | undefined;
  readonly #trace: TraceFn | undefined;
  readonly #peers = new Map<string, Peer>();
  readonly #summary: UdpEchoServerSummary = { peers: 0, datagrams: 0, bytes: 0, dropped: 0 };
  readonly #loop: Promise<void>;
  #running = true;
  #sweeper: ReturnType<typeof setInterval> | undefined;
  #shutdown: Promise<UdpEchoServerSummary> | undefined;
  readonly #served = Promise.withResolvers<void>();

  /** The bound address: read the port from here after binding port 0. */
  readonly addr: Deno.NetAddr;

  /** Use {@linkcode serveUdpEcho}. */
  constructor(options: UdpEchoServerOptions = {}) {
    this.#maxRate = options.maxRate ?? Infinity;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    this.#maxPeers = options.maxPeers ?? 65_536;
    this.#once = options.once ?? false;
    this.#onEvent = options.onEvent;
    this.#trace = options.trace;
    this.#socket = bindUdp({
      hostname: options.hostname ?? "127.0.0.1",
      port: options.port ?? 35555,
    });
    this.addr = this.#socket.addr;
    const idle = this.#idleTimeoutMs;
    if (Number.isFinite(idle) && idle > 0) {
      this.#sweeper = setInterval(() => this.#sweep(), Math.max(10, Math.min(1000, idle / 4)));
    }
    this.#loop = this.#serve();
  }

  /** Totals so far. */
  get summary(): UdpEchoServerSummary {
    return { ...this.#summary };
  }

  /** Settles when a `once` server has echoed its datagram (never, otherwise, until shutdown). */
  get served(): Promise<void> {
    return this.#served.promise;
  }

  /**
   * Stops at once (there is nothing in flight to wait for: each datagram is echoed before the
   * next is read), reports every peer still remembered, and returns the totals. Safe to call
   * more than once.
   */
  shutdown(): Promise<UdpEchoServerSummary> {
    this.#shutdown ??= this.#stop();
    return this.#shutdown;
  }

  /** Same as {@linkcode UdpEchoServer.shutdown}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  async #stop(): Promise<UdpEchoServerSummary> {
    this.#running = false;
    this.#socket.close();
    await this.#loop;
    clearInterval(this.#sweeper);
    for (const key of [...this.#peers.keys()]) this.#forget(key, "shutdown");
    this.#served.resolve();
    return this.summary;
  }

  async #serve(): Promise<void> {
    const buf = new Uint8Array(65_536);
    const socket = this.#socket;
    const trace = this.#trace;
    let last: Peer | undefined; // most datagrams come from the peer of the one before
    while (this.#running) {
      let data: Uint8Array, from: Deno.NetAddr;
      try {
        [data, from] = await socket.receive(buf);
      } catch (error) {
        if (!this.#running) return;
        // An ICMP error for an earlier reply, say: keep serving, without spinning.
        trace?.({ step: "recv", detail: `failed: ${describeNetError(error)}` });
        await sleep(10);
        continue;
      }
      const now = performance.now();
      let peer: Peer;
      if (last?.port === from.port && last.hostname === from.hostname && !last.forgotten) {
        peer = last;
      } else {
        // The key is only looked up; the peer's printable name is made once, when it is new.
        const key = `${from.hostname} ${from.port}`;
        peer = last = this.#peers.get(key) ?? this.#remember(key, from, now);
      }
      peer.last = now;
      trace?.({ step: "recv", conn: peer.name, bytes: data.length, data });
      if (!this.#admit(peer, from.port, now)) continue;
      try {
        await socket.send(data, from);
      } catch (error) {
        if (!this.#running) return;
        peer.dropped++;
        this.#summary.dropped++;
        trace?.({ step: "send", conn: peer.name, detail: `failed: ${describeNetError(error)}` });
        continue;
      }
      trace?.({ step: "send", conn: peer.name, bytes: data.length, data });
      peer.datagrams++;
      peer.bytes += data.length;
      this.#summary.datagrams++;
      this.#summary.bytes += data.length;
      if (this.#once) {
        this.#running = false;
        this.#served.resolve();
        return;
      }
    }
  }

  /** Whether to echo this datagram: not from a looping port, and within the peer's rate. */
  #admit(peer: Peer, port: number, now: number): boolean {
    let why: string | undefined;
    if (LOOP_PORTS.has(port)) why = `source port ${port} would make an echo loop`;
    else if (this.#maxRate !== Infinity) {
      // A token bucket: refills at maxRate per second and holds at most one second's worth.
      const rate = this.#maxRate;
      peer.tokens = Math.min(rate, peer.tokens + (now - peer.refilled) * rate / 1000);
      peer.refilled = now;
      if (peer.tokens >= 1) {
        peer.tokens -= 1;
        peer.limited = false;
      } else {
        why = "over the rate limit";
        // Said once each time a peer goes over, not once per datagram dropped.
        if (!peer.limited) {
          this.#onEvent?.({ event: "rate-limit", peer: peer.name, max_rate: rate });
        }
        peer.limited = true;
      }
    }
    if (why === undefined) return true;
    peer.dropped++;
    this.#summary.dropped++;
    this.#trace?.({ step: "drop", conn: peer.name, detail: why });
    return false;
  }

  #remember(key: string, from: Deno.NetAddr, now: number): Peer {
    if (this.#peers.size >= this.#maxPeers) {
      const oldest = this.#peers.keys().next().value;
      if (oldest !== undefined) this.#forget(oldest, "evicted");
    }
    const peer: Peer = {
      hostname: from.hostname,
      port: from.port,
      forgotten: false,
      name: formatHostPort(from.hostname, from.port),
      first: now,
      last: now,
      datagrams: 0,
      bytes: 0,
      dropped: 0,
      tokens: this.#maxRate,
      refilled: now,
      limited: false,
    };
    this.#peers.set(key, peer);
    this.#summary.peers++;
    return peer;
  }

  #forget(key: string, reason: PeerEndReason): void {
    const peer = this.#peers.get(key);
    if (!peer) return;
    peer.forgotten = true;
    this.#peers.delete(key);
    this.#onEvent?.({
      event: "peer",
      peer: peer.name,
      datagrams: peer.datagrams,
      bytes: peer.bytes,
      dropped: peer.dropped,
      duration_ms: Math.round((peer.last - peer.first) * 1000) / 1000,
      reason,
    });
  }

  #sweep(): void {
    const now = performance.now();
    for (const [key, peer] of this.#peers) {
      if (now - peer.last > this.#idleTimeoutMs) this.#forget(key, "idle");
    }
  }
}

/**
 * Starts a UDP echo server. It binds at once (so a bad address throws here) and serves in the
 * background until {@linkcode UdpEchoServer.shutdown}.
 *
 * @example Echo a datagram over loopback
 * ```ts
 * import { serveUdpEcho } from "./udp_server.ts";
 * import { bindUdp } from "../net/udp.ts";
 * import assert from "node:assert/strict";
 * await using server = serveUdpEcho({ port: 0 });
 * using client = bindUdp({ hostname: "127.0.0.1", port: 0 });
 * const reply = client.receive(new Uint8Array(65536));
 * await client.send(new TextEncoder().encode("hi"), server.addr);
 * const [data] = await reply;
 * assert.equal(new TextDecoder().decode(data), "hi");
 * ```
 */
export function serveUdpEcho(options: UdpEchoServerOptions = {}): UdpEchoServer {
  return new UdpEchoServer(options);
}
