/**
 * Asking a DNS server directly: over UDP with `Deno.listenDatagram` (`lib/net/udp.ts`) and over
 * TCP with `withConn` and a two-byte length prefix (RFC 7766). A truncated UDP answer is asked
 * again over TCP. A reply counts only when its source address and port, ID and question match
 * the query (the question compared as DNS compares names: on the wire bytes, ASCII letters in
 * any case); anything else is ignored (and traced) until the try's timeout.
 *
 * A closed UDP port is silence here: dig hears "connection refused" from the ICMP port
 * unreachable that comes back on its connected socket, but Deno 2.9.6 cannot connect a UDP
 * socket (`Deno.listenDatagram` has no `connect`; `node:dgram`'s `connect()` keeps the address
 * and still sends with `sendto` on an unconnected socket, so the kernel reports nothing). What it
 * can do: once a UDP try goes unanswered, knock on the server's TCP port, which a DNS server
 * must serve too (RFC 7766); if that is refused, nothing is there, and the query fails as
 * refused instead of waiting out its other tries.
 *
 * @module
 */
import { canonicalIp, formatHostPort } from "../net/addr.ts";
import { closeQuietly } from "../net/close.ts";
import { withConn } from "../net/conn.ts";
import { withDeadline } from "../net/deadline.ts";
import { dial } from "../net/dial.ts";
import { ConnectError, InterruptedError, ProtocolError, TimeoutError } from "../net/errors.ts";
import { writeAll } from "../net/io.ts";
import { BufReader } from "../net/reader.ts";
import { startTimer } from "../net/timer.ts";
import type { Timer } from "../net/timer.ts";
import type { TraceFn } from "../net/trace.ts";
import { bindUdp, udpAddr } from "../net/udp.ts";
import type { UdpSocket } from "../net/udp.ts";
import { parseDnsName, sameLabels, sameWireNameEnd } from "./name.ts";
import { buildQuery, CLASS_IN, decodeMessage, typeName } from "./wire.ts";
import type { DnsMessage } from "./wire.ts";

/** A DNS server's address and port. */
export interface DnsServer {
  /** IPv4 or IPv6 address. */
  address: string;
  /** UDP and TCP port. @default {53} */
  port: number;
}

/** Options for {@linkcode queryDns}. */
export interface DnsQueryOptions {
  /** `udp` (with TCP fallback on truncation) or `tcp` only. @default {"udp"} */
  transport?: "udp" | "tcp";
  /** Milliseconds to wait for an answer on each try. @default {2000} */
  timeoutMs?: number;
  /** How many times to ask before giving up. @default {3} */
  tries?: number;
  /** Receives send, recv and ignored-reply steps. */
  trace?: TraceFn | undefined;
  /**
   * Ends the queries early: those pending, and any asked later, reject with its reason (a
   * {@linkcode DnsClient} is closed when it aborts).
   */
  signal?: AbortSignal | undefined;
}

/** An answer and how it was obtained. */
export interface DnsQueryResult {
  /** The reply. */
  message: DnsMessage;
  /** The server that answered. */
  server: DnsServer;
  /** The transport of the reply (`tcp` after a truncated UDP answer). */
  transport: "udp" | "tcp";
  /** Milliseconds from the first send to the reply. */
  elapsedMs: number;
  /** Tries used, 1 when the first was answered. */
  tries: number;
  /** Whether a UDP answer came back truncated and was asked again over TCP. */
  truncated: boolean;
}

/** Formats a server as `127.0.0.1#53`, the way dig names it. */
export function formatServer(server: DnsServer): string {
  return `${server.address}#${server.port}`;
}

/** What was asked: the name as given and the type. */
interface Asked {
  name: string;
  type: number;
}

/**
 * Why a reply is not the answer to our query, or `undefined` when it is. The question is first
 * compared on the bytes of both messages, where both start it, uncompressed, at byte 12: that is
 * every real reply, and costs no parsing. A reply that words it otherwise (a compression pointer
 * into the header) is compared name to name.
 */
function mismatch(
  message: DnsMessage,
  id: number,
  asked: Asked,
  reply: Uint8Array,
  query: Uint8Array,
): string | undefined {
  if (message.id !== id) return `ID ${message.id}, expected ${id}`;
  if (!message.flags.qr) return "not a response";
  const q = message.questions[0];
  if (message.questions.length !== 1 || !q) return `${message.questions.length} questions`;
  const end = sameWireNameEnd(reply, query, 12);
  const sameQuestion = end > 0
    ? reply[end] === query[end] && reply[end + 1] === query[end + 1] // the type's two bytes
    : sameLabels(parseDnsName(q.name), parseDnsName(asked.name)) && q.type === asked.type;
  if (sameQuestion && q.class === CLASS_IN) return undefined;
  return `question ${q.name} ${typeName(q.type)}, expected ${asked.name} ${typeName(asked.type)}`;
}

/** The source of a datagram as the server was named: `::ffff:` stripped, IPv6 canonical. */
function normalizeAddress(address: string): string {
  return canonicalIp(
    address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address,
  );
}

/**
 * The longest the TCP knock after an unanswered UDP try may take (at most the try's timeout): a
 * refusal takes one round trip, so a knock that is not answered by then tells nothing.
 */
const KNOCK_MS = 500;

/** A UDP answer: the reply, the tries it took, and the query it answers (to ask over TCP). */
interface UdpAnswer {
  message: DnsMessage;
  tries: number;
  id: number;
  query: Uint8Array;
}

interface Pending {
  id: number;
  asked: Asked;
  query: Uint8Array;
  tries: number;
  /** When the current try gives up (`performance.now()`). */
  deadline: number;
  resolve: (value: UdpAnswer | undefined) => void;
  reject: (error: unknown) => void;
}

/**
 * One UDP socket for many queries to one server: queries go out at once and replies are matched
 * by source, ID and question, so a batch costs one socket rather than one per name. The socket
 * is the runtime's own (`Deno.listenDatagram`, in `lib/net/udp.ts`): it measured about twice as
 * fast as `node:dgram` for a thousand names, and loads no Node module. One timer serves every
 * query: tries all last the same, so the query sent first is the first to give up.
 */
class UdpAsker {
  readonly #socket: UdpSocket;
  readonly #server: DnsServer;
  readonly #to: Deno.NetAddr;
  readonly #where: string;
  readonly #options: DnsQueryOptions & { timeoutMs: number; tries: number };
  readonly #pending = new Map<number, Pending>();
  /** The queries waiting for an answer, in the order their current try ends. */
  readonly #waiting = new Set<Pending>();
  #timer: Timer | undefined;
  /** When the timer fires (`performance.now()`). */
  #timerAt = Infinity;
  readonly #address: string;
  readonly #receiving: Promise<void>;
  #ids = new Uint16Array(0);
  #lastHostname = "";
  #lastSource = "";
  #closed: { reason: unknown } | undefined;
  /** The TCP knock after the first unanswered try: `undefined` before it, then its promise. */
  #knock: Promise<void> | undefined;
  /** Whether the knock has settled (and the server's TCP port was not refused). */
  #knocked = false;
  /** Tries that ended while the knock was under way: sent again (or given up) once it settles. */
  #held: Pending[] = [];

  constructor(server: DnsServer, options: DnsQueryOptions & { timeoutMs: number; tries: number }) {
    this.#server = server;
    this.#address = canonicalIp(server.address);
    this.#to = udpAddr(server.address, server.port);
    this.#where = formatServer(server);
    this.#options = options;
    const v6 = server.address.includes(":");
    this.#socket = bindUdp({ hostname: v6 ? "::" : "0.0.0.0", port: 0 });
    this.#receiving = this.#receive();
  }

  /** A random query ID not in use, from a batch drawn at a time. */
  #newId(): number {
    while (true) {
      if (this.#ids.length === 0) this.#ids = crypto.getRandomValues(new Uint16Array(256));
      const id = this.#ids[0]!;
      this.#ids = this.#ids.subarray(1);
      if (!this.#pending.has(id)) return id;
    }
  }

  /**
   * Asks for one name; resolves `undefined` when every try timed out, and rejects with the
   * reason of {@linkcode UdpAsker.close} when it is closed (before or while asking).
   */
  async ask(
    asked: Asked,
  ): Promise<UdpAnswer | undefined> {
    if (this.#closed) throw this.#closed.reason;
    const id = this.#newId();
    const query = buildQuery(asked.name, asked.type, { id });
    return await new Promise<UdpAnswer | undefined>((resolve, reject) => {
      const pending: Pending = { id, asked, query, tries: 0, deadline: 0, resolve, reject };
      this.#pending.set(id, pending);
      this.#send(pending);
    });
  }

  #send(p: Pending): void {
    if (this.#closed || this.#pending.get(p.id) !== p) return;
    if (p.tries >= this.#options.tries) {
      this.#pending.delete(p.id);
      return p.resolve(undefined);
    }
    p.tries++;
    this.#options.trace?.({
      step: "send",
      detail: `udp ${this.#where} ${p.asked.name} ${
        typeName(p.asked.type)
      } (try ${p.tries} of ${this.#options.tries})`,
      bytes: p.query.length,
      data: p.query,
    });
    this.#socket.send(p.query, this.#to).catch((error: unknown) => {
      this.#finish(
        p,
        new ProtocolError(`Cannot send to ${this.#where}`, { why: (error as Error).message }),
      );
    });
    p.deadline = performance.now() + this.#options.timeoutMs;
    this.#waiting.delete(p);
    this.#waiting.add(p);
    this.#arm();
  }

  /** Sets the timer for the first try to end, unless it is set for then already. */
  #arm(): void {
    const first = this.#waiting.values().next().value;
    if (first === undefined) {
      this.#timer?.clear();
      this.#timer = undefined;
      this.#timerAt = Infinity;
      return;
    }
    if (this.#timer !== undefined && this.#timerAt <= first.deadline) return;
    this.#timer?.clear();
    this.#timerAt = first.deadline;
    this.#timer = startTimer(() => this.#expire(), first.deadline - performance.now());
  }

  /**
   * Sends again (or gives up on) every query whose try has ended; the first time one has, knocks
   * on the server's TCP port first, and holds those until the knock has settled.
   */
  #expire(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = performance.now();
    for (const p of this.#waiting) {
      if (p.deadline > now + 1) break;
      this.#waiting.delete(p);
      if (this.#knocked) this.#send(p);
      else this.#held.push(p);
    }
    if (this.#held.length > 0) this.#knock ??= this.#knockTcp();
    this.#arm();
  }

  /**
   * Connects to the server's TCP port and closes at once. Refused: nothing listens there, so
   * every query fails as refused (the socket closes). Accepted, or no word within the knock's
   * time: the held tries go on over UDP as if nothing had happened.
   */
  async #knockTcp(): Promise<void> {
    const { address, port } = this.#server;
    const trace = this.#options.trace;
    trace?.({ step: "connect", detail: `no answer over UDP: is anything on TCP port ${port}?` });
    let refused: unknown;
    try {
      const { conn } = await withDeadline(
        Math.min(this.#options.timeoutMs, KNOCK_MS),
        `Knock on ${this.#where}`,
        (signal) => dial({ hostname: address, port }, { signal, trace }),
        { signal: this.#options.signal },
      );
      closeQuietly(conn);
    } catch (error) {
      if (error instanceof ConnectError && error.cause instanceof Deno.errors.ConnectionRefused) {
        refused = error;
      }
    }
    if (refused !== undefined) {
      this.#shut(
        new ConnectError(`Cannot connect to ${this.#where}`, {
          cause: refused,
          why: `connection refused (no answer over UDP, and TCP port ${port} refused)`,
          kind: "connect",
        }),
      );
      return;
    }
    this.#knocked = true;
    const held = this.#held;
    this.#held = [];
    for (const p of held) this.#send(p);
    this.#arm();
  }

  #finish(p: Pending, error: unknown, value?: UdpAnswer): void {
    if (this.#pending.get(p.id) !== p) return;
    this.#pending.delete(p.id);
    this.#waiting.delete(p);
    if (this.#waiting.size === 0) this.#arm();
    if (error !== undefined) p.reject(error);
    else p.resolve(value);
  }

  async #receive(): Promise<void> {
    const buf = new Uint8Array(65536);
    while (!this.#closed) {
      let bytes: Uint8Array, from: Deno.NetAddr;
      try {
        [bytes, from] = await this.#socket.receive(buf);
      } catch (error) {
        // The socket failed under us: what is pending, and what is asked later, fails with why.
        this.#shut(error);
        return;
      }
      this.#reply(bytes, from);
    }
  }

  #reply(bytes: Uint8Array, rinfo: Deno.NetAddr): void {
    const trace = this.#options.trace;
    // Replies come from one address: it is put in canonical form once, not once per datagram.
    if (rinfo.hostname !== this.#lastHostname) {
      this.#lastHostname = rinfo.hostname;
      this.#lastSource = normalizeAddress(rinfo.hostname);
    }
    const source = this.#lastSource;
    if (source !== this.#address || rinfo.port !== this.#server.port) {
      trace?.({
        step: "recv",
        detail: `ignored: from ${formatHostPort(source, rinfo.port)}, not ${this.#where}`,
        bytes: bytes.length,
      });
      return;
    }
    const id = bytes.length >= 2 ? (bytes[0]! << 8) | bytes[1]! : -1;
    const p = this.#pending.get(id);
    if (!p) {
      const expected = [...this.#pending.keys()].slice(0, 3).join(", ");
      trace?.({
        step: "recv",
        detail: `ignored: ID ${id}, expected ${expected}`,
        bytes: bytes.length,
      });
      return;
    }
    trace?.({
      step: "recv",
      detail: `udp ${formatHostPort(source, rinfo.port)}`,
      bytes: bytes.length,
      data: bytes,
    });
    let message: DnsMessage;
    try {
      // A copy: `bytes` is a view of the receive buffer, which the next datagram overwrites.
      message = decodeMessage(bytes.slice());
    } catch (error) {
      return this.#finish(p, error);
    }
    const why = mismatch(message, p.id, p.asked, bytes, p.query);
    if (why) {
      trace?.({ step: "recv", detail: `ignored: ${why}` });
      return;
    }
    this.#finish(p, undefined, { message, tries: p.tries, id: p.id, query: p.query });
  }

  /** Fails what is pending, and what is asked later, with `reason`; closes the socket. */
  async close(reason: unknown): Promise<void> {
    this.#shut(reason);
    await this.#receiving;
  }

  #shut(reason: unknown): void {
    if (this.#closed) return;
    this.#closed = { reason };
    for (const p of [...this.#pending.values()]) this.#finish(p, reason);
    this.#timer?.clear();
    this.#socket.close();
  }
}

async function askTcp(
  query: Uint8Array,
  id: number,
  asked: Asked,
  server: DnsServer,
  options: DnsQueryOptions & { timeoutMs: number },
): Promise<DnsMessage> {
  const { trace, signal } = options;
  const where = formatServer(server);
  return await withConn(
    { hostname: server.address, port: server.port },
    { what: `No answer from ${where} over TCP`, timeoutMs: options.timeoutMs, signal, trace },
    async ({ conn }) => {
      const framed = new Uint8Array(2 + query.length);
      framed[0] = query.length >> 8;
      framed[1] = query.length & 0xff;
      framed.set(query, 2);
      trace?.({ step: "send", detail: `tcp ${where}`, bytes: framed.length, data: framed });
      await writeAll(conn, framed);
      const reader = new BufReader(conn, { bufferSize: 65536 + 2 });
      while (true) {
        const prefix = await reader.readExact(2);
        const length = (prefix[0]! << 8) | prefix[1]!;
        const bytes = (await reader.readExact(length)).slice();
        trace?.({ step: "recv", detail: `tcp ${where}`, bytes: length + 2, data: bytes });
        const message = decodeMessage(bytes);
        const why = mismatch(message, id, asked, bytes, query);
        if (!why) return message;
        trace?.({ step: "recv", detail: `ignored: ${why}` });
      }
    },
  );
}

/**
 * Asks one DNS server about many names: UDP queries share one socket and are in flight together
 * (TCP after a truncated answer, or only TCP with `transport: "tcp"`). Close it when done: what
 * is still pending then, and any query asked later, rejects at once (with the reason given to
 * {@linkcode DnsClient.close}, or the signal's when it aborts).
 *
 * @example
 * ```ts
 * import { DnsClient, RecordType, startResponder } from "./mod.ts";
 * import assert from "node:assert/strict";
 * await using responder = await startResponder({ "a.test": ["192.0.2.1"], "b.test": ["192.0.2.2"] });
 * await using client = new DnsClient(responder.server);
 * const [a, b] = await Promise.all([client.query("a.test", RecordType.A), client.query("b.test", RecordType.A)]);
 * assert.deepEqual([a.message.answers.length, b.message.answers.length], [1, 1]);
 * ```
 */
export class DnsClient implements AsyncDisposable {
  readonly #server: DnsServer;
  readonly #options: DnsQueryOptions & { timeoutMs: number; tries: number };
  /** Aborted when the client closes: it ends TCP queries in flight and refuses new ones. */
  readonly #closing = new AbortController();
  readonly #outer: AbortSignal | undefined;
  #udp: UdpAsker | undefined;
  readonly #onAbort = () => void this.close(this.#outer?.reason);

  /** @param server Whom to ask. @param options Transport, per-try timeout, tries, trace, signal. */
  constructor(server: DnsServer, options: DnsQueryOptions = {}) {
    this.#server = server;
    this.#outer = options.signal;
    this.#options = {
      ...options,
      timeoutMs: options.timeoutMs ?? 2000,
      tries: options.tries ?? 3,
      signal: this.#closing.signal,
    };
    if (this.#outer?.aborted) this.#closing.abort(this.#outer.reason);
    else this.#outer?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /**
   * Asks for `name` and `type`.
   *
   * @throws {RangeError} When `name` breaks a rule of `parseDnsName`.
   * @throws {TimeoutError} When no matching answer comes within tries x timeout.
   * @throws {ProtocolError} When the matching reply is malformed.
   * @throws The reason the client was closed or its signal aborted, at once when it already was.
   */
  async query(name: string, type: number): Promise<DnsQueryResult> {
    this.#closing.signal.throwIfAborted();
    const asked: Asked = { name, type };
    const { timeoutMs, tries } = this.#options;
    const server = this.#server;
    const started = performance.now();
    const what = `${name} ${typeName(type)}`;
    if (this.#options.transport === "tcp") {
      const id = crypto.getRandomValues(new Uint16Array(1))[0]!;
      const message = await askTcpWithTries(
        buildQuery(name, type, { id }),
        id,
        asked,
        server,
        this.#options,
      );
      return {
        message,
        server,
        transport: "tcp",
        elapsedMs: performance.now() - started,
        tries: 1,
        truncated: false,
      };
    }
    this.#udp ??= new UdpAsker(server, this.#options);
    const answer = await this.#udp.ask(asked);
    if (!answer) {
      throw new TimeoutError(`No answer from ${formatServer(server)} for ${what}`, {
        why: `timed out after ${tries} ${tries === 1 ? "try" : "tries"} of ${timeoutMs}ms`,
        kind: "no-answer",
      });
    }
    if (!answer.message.flags.tc) {
      return {
        message: answer.message,
        server,
        transport: "udp",
        elapsedMs: performance.now() - started,
        tries: answer.tries,
        truncated: false,
      };
    }
    this.#options.trace?.({
      step: "recv",
      detail: `${what} truncated (TC): asking again over TCP`,
    });
    const message = await askTcpWithTries(answer.query, answer.id, asked, server, this.#options);
    return {
      message,
      server,
      transport: "tcp",
      elapsedMs: performance.now() - started,
      tries: answer.tries,
      truncated: true,
    };
  }

  /**
   * Closes the client: queries pending and asked later reject with `reason` (by default an
   * `InterruptedError` saying the client was closed). Closing twice keeps the first reason.
   */
  async close(reason?: unknown): Promise<void> {
    this.#outer?.removeEventListener("abort", this.#onAbort);
    if (!this.#closing.signal.aborted) {
      this.#closing.abort(
        reason ??
          new InterruptedError(`The DNS client for ${formatServer(this.#server)} was closed`),
      );
    }
    await this.#udp?.close(this.#closing.signal.reason);
  }

  /** Closes the client. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Asks `server` for `name` and `type`, over UDP (asking again over TCP when the answer comes back
 * truncated) or over TCP only. Gives up after `tries` x `timeoutMs`.
 *
 * @throws {RangeError} When `name` breaks a rule of `parseDnsName`.
 * @throws {TimeoutError} When no matching answer comes in time.
 * @throws {ProtocolError} When the matching reply is malformed.
 *
 * @example Ask a responder built on the same codec
 * ```ts
 * import { queryDns, RecordType } from "./mod.ts";
 * import { startResponder } from "./responder.ts";
 * import assert from "node:assert/strict";
 * await using responder = await startResponder({ "demo.test": ["192.0.2.7"] });
 * const { message } = await queryDns("demo.test", RecordType.A, responder.server);
 * assert.deepEqual(message.answers.map((r) => r.data), [{ address: "192.0.2.7" }]);
 * ```
 */
export async function queryDns(
  name: string,
  type: number,
  server: DnsServer,
  options: DnsQueryOptions = {},
): Promise<DnsQueryResult> {
  await using client = new DnsClient(server, options);
  return await client.query(name, type);
}

async function askTcpWithTries(
  query: Uint8Array,
  id: number,
  asked: Asked,
  server: DnsServer,
  options: DnsQueryOptions & { timeoutMs: number; tries: number },
): Promise<DnsMessage> {
  for (let attempt = 1;; attempt++) {
    try {
      return await askTcp(query, id, asked, server, options);
    } catch (error) {
      if (!(error instanceof TimeoutError) || attempt >= options.tries) {
        if (error instanceof TimeoutError) {
          throw new TimeoutError(
            `No answer from ${formatServer(server)} over TCP for ${asked.name} ${
              typeName(asked.type)
            }`,
            {
              why: `timed out after ${options.tries} tries of ${options.timeoutMs}ms`,
              kind: "no-answer",
            },
          );
        }
        throw error;
      }
    }
  }
}
