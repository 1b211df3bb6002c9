/**
 * The UDP echo client: one datagram and its echo, checked byte for byte, or a ping over UDP
 * with sequence-numbered datagrams that counts loss, duplicates and reordering. Only datagrams
 * from the server's address and port count; anything else is ignored (and traced).
 *
 * @module
 */
import { canonicalIp, formatHostPort, ipFamily, isIpLiteral } from "../net/addr.ts";
import { closeOnAbort } from "../net/close.ts";
import { withDeadline } from "../net/deadline.ts";
import { describeNetError, resolveHost } from "../net/dial.ts";
import { ConnectError } from "../net/errors.ts";
import { summarize } from "../net/stats.ts";
import type { LatencySummary } from "../net/stats.ts";
import { sleep, startTimer } from "../net/timer.ts";
import type { Timer } from "../net/timer.ts";
import type { TraceFn } from "../net/trace.ts";
import { bindUdp, udpAddr } from "../net/udp.ts";
import type { UdpSocket } from "../net/udp.ts";

/** Where an echo goes: an address literal (resolve names first) and a port. */
export interface UdpTarget {
  /** IPv4 or IPv6 address. */
  address: string;
  /** UDP port, 1 to 65535. */
  port: number;
}

/** Options for {@linkcode resolveUdpTarget}. */
export interface ResolveUdpTargetOptions {
  /** Receives the resolve and resolved steps (none for an address literal). */
  trace?: TraceFn | undefined;
}

/**
 * The server's first address for `hostname`, with `port`, as a UDP client needs it: UDP has no
 * connect to fail, so a client cannot try each address in turn and takes the first the system
 * gives (its preferred one, as getaddrinfo sorts them). An address literal is taken as it is.
 *
 * @throws {ResolveError} When the name does not resolve.
 *
 * @example
 * ```ts
 * import { resolveUdpTarget } from "./udp_client.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(await resolveUdpTarget("127.0.0.1", 7), { address: "127.0.0.1", port: 7 });
 * ```
 */
export async function resolveUdpTarget(
  hostname: string,
  port: number,
  options: ResolveUdpTargetOptions = {},
): Promise<UdpTarget> {
  const { trace } = options;
  const literal = isIpLiteral(hostname);
  if (!literal) trace?.({ step: "resolve", detail: hostname });
  const addresses = await resolveHost(hostname);
  const address = addresses[0]!;
  if (!literal) trace?.({ step: "resolved", detail: `${hostname} -> ${addresses.join(", ")}` });
  return { address, port };
}

/** Options for {@linkcode echoDatagram}. */
export interface EchoDatagramOptions {
  /** Most milliseconds to wait for the echo. @default {2000} */
  timeoutMs?: number;
  /** Aborting it ends the wait with `InterruptedError`. */
  signal?: AbortSignal | undefined;
  /** Receives the send and recv steps, and datagrams ignored. */
  trace?: TraceFn | undefined;
}

/** The outcome of {@linkcode echoDatagram}. */
export interface DatagramEcho {
  /** Bytes sent. */
  sent: number;
  /** Bytes of the echo. */
  received: number;
  /** Whether the echo equals what was sent. */
  match: boolean;
  /** Offset of the first byte that differs, or where the shorter one ended; absent on a match. */
  mismatchOffset?: number;
  /** Round-trip time, in milliseconds. */
  timeMs: number;
  /** The echo (a copy). */
  reply: Uint8Array;
}

/**
 * Sends `payload` as one datagram to `target` and waits for its echo from that address and
 * port. A datagram from anywhere else is ignored and shown to `trace`.
 *
 * @throws {TimeoutError} When no echo comes within `timeoutMs`.
 * @throws {ConnectError} When the datagram cannot be sent (no route, say).
 *
 * @example
 * ```ts
 * import { echoDatagram } from "./udp_client.ts";
 * import { serveUdpEcho } from "./udp_server.ts";
 * import assert from "node:assert/strict";
 * await using server = serveUdpEcho({ port: 0 });
 * const target = { address: "127.0.0.1", port: server.addr.port };
 * const echo = await echoDatagram(target, new TextEncoder().encode("hello"));
 * assert.deepEqual([echo.sent, echo.received, echo.match], [5, 5, true]);
 * ```
 */
export async function echoDatagram(
  target: UdpTarget,
  payload: Uint8Array,
  options: EchoDatagramOptions = {},
): Promise<DatagramEcho> {
  const { trace } = options;
  const where = formatHostPort(target.address, target.port);
  using socket = bindFor(target);
  return await withDeadline(options.timeoutMs ?? 2000, `No echo from ${where}`, async (bound) => {
    using _closer = closeOnAbort(bound, socket);
    const buf = new Uint8Array(65_536);
    const started = performance.now();
    await send(socket, target, payload, trace);
    while (true) {
      const [data, from] = await socket.receive(buf);
      const timeMs = performance.now() - started;
      if (!isFrom(from, target)) {
        ignored(trace, data, from);
        continue;
      }
      trace?.({ step: "recv", bytes: data.length, data });
      const mismatchOffset = firstDifference(payload, data);
      return {
        sent: payload.length,
        received: data.length,
        match: mismatchOffset === undefined,
        ...(mismatchOffset === undefined ? {} : { mismatchOffset }),
        timeMs,
        reply: data.slice(),
      };
    }
  }, { signal: options.signal });
}

/** Bytes at the start of each ping datagram: the sequence number and the run's ID. */
export const UDP_PING_HEADER_BYTES = 8;

/** Options for {@linkcode pingUdp}. */
export interface PingUdpOptions {
  /** Datagrams to send. @default {4} */
  count?: number;
  /** Milliseconds between sends. @default {1000} */
  intervalMs?: number;
  /** A datagram not echoed within this many milliseconds of its send is lost. @default {2000} */
  timeoutMs?: number;
  /** Ends the run early; what was measured is still returned. */
  signal?: AbortSignal | undefined;
  /** Called for each echo of a datagram sent (duplicates included). */
  onReply?: ((reply: UdpPingReply) => void) | undefined;
  /** Called when a datagram's time is up with no echo. */
  onLost?: ((seq: number) => void) | undefined;
  /** Receives send and recv steps, and datagrams ignored. */
  trace?: TraceFn | undefined;
}

/** One echo during a UDP ping. */
export interface UdpPingReply {
  /** 1-based sequence number. */
  seq: number;
  /** Bytes echoed. */
  bytes: number;
  /** Round-trip time in milliseconds (from the first send of this sequence number). */
  time_ms: number;
  /** A second (or later) echo of the same datagram. */
  duplicate: boolean;
  /** Echoed after a datagram sent later had been echoed already. */
  reordered: boolean;
}

/** The outcome of {@linkcode pingUdp}. */
export interface UdpPingResult {
  /** Datagrams sent. */
  sent: number;
  /** Distinct datagrams echoed in time and intact. */
  received: number;
  /** Echoes of a datagram already echoed. */
  duplicates: number;
  /** Echoes that came after the echo of a datagram sent later. */
  reordered: number;
  /** Echoes that came after their datagram's time was up (counted lost, not received). */
  late: number;
  /** Datagrams from the server that are not an intact echo of one sent. */
  mismatched: number;
  /** Percentage of datagrams sent that were not echoed (in time, intact): 0 to 100. */
  lossPct: number;
  /** min/avg/p50/p99/max of the round-trip times of the datagrams received. */
  summary: LatencySummary;
}

/**
 * A ping over UDP: sends `count` datagrams built from `template` (its first
 * {@linkcode UDP_PING_HEADER_BYTES} bytes replaced by a sequence number and a random run ID),
 * one every `intervalMs`, and matches each echo to its datagram. It counts loss, duplicates,
 * reordering, late echoes and echoes that differ, and returns when every datagram is echoed or
 * its time is up, or at once when `signal` aborts (datagrams still waiting count as lost).
 *
 * @throws {ConnectError} When a datagram cannot be sent.
 *
 * @example
 * ```ts
 * import { pingUdp } from "./udp_client.ts";
 * import { serveUdpEcho } from "./udp_server.ts";
 * import assert from "node:assert/strict";
 * await using server = serveUdpEcho({ port: 0 });
 * const target = { address: "127.0.0.1", port: server.addr.port };
 * const result = await pingUdp(target, new Uint8Array(64), { count: 3, intervalMs: 0 });
 * assert.deepEqual([result.sent, result.received, result.lossPct], [3, 3, 0]);
 * ```
 */
export async function pingUdp(
  target: UdpTarget,
  template: Uint8Array,
  options: PingUdpOptions = {},
): Promise<UdpPingResult> {
  if (template.length < UDP_PING_HEADER_BYTES) {
    throw new RangeError(`A ping datagram needs at least ${UDP_PING_HEADER_BYTES} bytes`);
  }
  const count = options.count ?? 4;
  const intervalMs = options.intervalMs ?? 1000;
  const timeoutMs = options.timeoutMs ?? 2000;
  const { signal, trace } = options;
  const runId = crypto.getRandomValues(new Uint32Array(1))[0]!;
  const datagram = template.slice();
  const view = new DataView(datagram.buffer);
  view.setUint32(4, runId);
  // Per sequence number: 0 not sent, 1 waiting, 2 echoed, 3 lost. One byte per datagram sent.
  let status = new Uint8Array(1024);
  const sentAt = new Map<number, number>();
  const queue: number[] = []; // waiting sequence numbers, in send order (so by deadline)
  let head = 0;
  const result = { sent: 0, received: 0, duplicates: 0, reordered: 0, late: 0, mismatched: 0 };
  const rtts: number[] = [];
  let highest = 0;
  let sendingDone = false;
  const settled = Promise.withResolvers<void>();
  let timer: Timer | undefined;

  const expire = () => {
    const now = performance.now();
    while (head < queue.length && sentAt.get(queue[head]!)! + timeoutMs <= now) {
      const seq = queue[head++]!;
      sentAt.delete(seq);
      status[seq] = 3;
      options.onLost?.(seq);
    }
    while (head < queue.length && status[queue[head]!] !== 1) head++;
    if (head > 4096) {
      queue.splice(0, head);
      head = 0;
    }
    timer?.clear();
    timer = head < queue.length
      ? startTimer(expire, sentAt.get(queue[head]!)! + timeoutMs - now)
      : undefined;
    if (sendingDone && sentAt.size === 0) settled.resolve();
  };

  const receive = (data: Uint8Array) => {
    const now = performance.now();
    const seq = data.length >= UDP_PING_HEADER_BYTES
      ? new DataView(data.buffer, data.byteOffset).getUint32(0)
      : 0;
    const known = data.length >= UDP_PING_HEADER_BYTES &&
      new DataView(data.buffer, data.byteOffset).getUint32(4) === runId && seq >= 1 &&
      seq <= result.sent;
    if (!known) {
      result.mismatched++;
      trace?.({ step: "recv", bytes: data.length, data, detail: "not an echo of a datagram sent" });
      return;
    }
    view.setUint32(0, seq);
    if (firstDifference(datagram, data) !== undefined) {
      result.mismatched++;
      trace?.({ step: "recv", bytes: data.length, data, detail: `differs from seq=${seq}` });
      return;
    }
    trace?.({ step: "recv", bytes: data.length, data });
    const state = status[seq];
    if (state === 3) {
      result.late++;
      return;
    }
    if (state === 2) {
      result.duplicates++;
      options.onReply?.({
        seq,
        bytes: data.length,
        time_ms: NaN,
        duplicate: true,
        reordered: false,
      });
      return;
    }
    const time = now - sentAt.get(seq)!;
    sentAt.delete(seq);
    status[seq] = 2;
    result.received++;
    const reordered = seq < highest;
    if (reordered) result.reordered++;
    highest = Math.max(highest, seq);
    rtts.push(time);
    options.onReply?.({ seq, bytes: data.length, time_ms: time, duplicate: false, reordered });
    if (sendingDone && sentAt.size === 0) settled.resolve();
  };

  using socket = bindFor(target);
  const receiving = (async () => {
    const buf = new Uint8Array(65_536);
    while (true) {
      let data: Uint8Array, from: Deno.NetAddr;
      try {
        [data, from] = await socket.receive(buf);
      } catch {
        return; // closed: the run is over
      }
      if (isFrom(from, target)) receive(data);
      else ignored(trace, data, from);
    }
  })();
  const interrupted = new Promise<void>((resolve) => {
    if (signal?.aborted) resolve();
    signal?.addEventListener("abort", () => resolve(), { once: true });
  });
  try {
    for (let seq = 1; seq <= count && !signal?.aborted; seq++) {
      if (seq > 1 && intervalMs > 0) await sleep(intervalMs, signal);
      if (signal?.aborted) break;
      if (seq >= status.length) {
        const grown = new Uint8Array(status.length * 2);
        grown.set(status);
        status = grown;
      }
      view.setUint32(0, seq);
      sentAt.set(seq, performance.now());
      status[seq] = 1;
      queue.push(seq);
      result.sent = seq;
      await send(socket, target, datagram, trace);
      if (timer === undefined) expire();
    }
    sendingDone = true;
    if (sentAt.size === 0) settled.resolve();
    await Promise.race([settled.promise, interrupted]);
  } finally {
    timer?.clear();
    socket.close();
    await receiving;
  }
  const lost = result.sent - result.received;
  return {
    ...result,
    lossPct: result.sent === 0 ? 0 : (lost / result.sent) * 100,
    summary: summarize(rtts),
  };
}

/** A socket on the wildcard address of the target's family, on a free port. */
function bindFor(target: UdpTarget): UdpSocket {
  return bindUdp({ hostname: ipFamily(target.address) === 6 ? "::" : "0.0.0.0", port: 0 });
}

function isFrom(from: Deno.NetAddr, target: UdpTarget): boolean {
  return from.port === target.port && canonicalIp(from.hostname) === canonicalIp(target.address);
}

async function send(
  socket: UdpSocket,
  target: UdpTarget,
  data: Uint8Array,
  trace: TraceFn | undefined,
): Promise<void> {
  try {
    await socket.send(data, udpAddr(target.address, target.port));
  } catch (error) {
    const where = formatHostPort(target.address, target.port);
    throw new ConnectError(`Cannot send to ${where}`, {
      cause: error,
      why: describeNetError(error),
      kind: "send",
    });
  }
  trace?.({ step: "send", bytes: data.length, data });
}

function ignored(trace: TraceFn | undefined, data: Uint8Array, from: Deno.NetAddr): void {
  trace?.({
    step: "recv",
    bytes: data.length,
    data,
    detail: `ignored: from ${formatHostPort(from.hostname, from.port)}, not the server`,
  });
}

/** The offset of the first byte where `a` and `b` differ, or `undefined` when they are equal. */
function firstDifference(a: Uint8Array, b: Uint8Array): number | undefined {
  // A datagram is at most 64 KiB: a plain loop, rather than loading node:buffer at start-up.
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i === n && a.length === b.length ? undefined : i;
}
