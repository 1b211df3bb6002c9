/**
 * The echo server: the tutorial's `accept()` / `recv()` / `sendall()` loop done right, for many
 * clients at once, with half-close, backpressure, idle timeouts, a connection limit and a
 * graceful shutdown. The same server speaks TLS when given a certificate and key.
 *
 * @module
 */
import { formatAddr } from "../net/addr.ts";
import { closeQuietly } from "../net/close.ts";
import { describeNetError, isPeerGone } from "../net/dial.ts";
import { settleWithin, sleep } from "../net/timer.ts";
import { isTlsTruncation } from "../net/tls.ts";
import type { TlsKeyPair } from "../net/tls.ts";
import type { TraceFn } from "../net/trace.ts";

/** The size of the large read buffers lent to connections that stream, in bytes. */
export const DEFAULT_ECHO_BUFFER_SIZE = 256 * 1024;

/**
 * The size of each connection's own read buffer. A connection whose read fills it is lent a
 * large buffer (`bufferSize`) while it streams, and gives it back when its peer slows down, so an
 * idle connection holds only this: a thousand idle clients cost megabytes, not 256 MB.
 */
export const FIRST_ECHO_BUFFER_SIZE = 4096;

/** How many large buffers a server lends at most, at once. */
export const DEFAULT_LARGE_BUFFERS = 32;

/** Options for {@linkcode serveEcho}. */
export interface EchoServerOptions {
  /** Address to bind. @default {"127.0.0.1"} */
  hostname?: string;
  /** Port to bind; 0 picks a free one (read it back from {@linkcode EchoServer.addr}). @default {35555} */
  port?: number;
  /** Listen on this Unix socket path instead of TCP. */
  path?: string | undefined;
  /**
   * Serve TLS with this certificate chain and key (PEM): each connection is echoed once its
   * handshake is done, and one whose handshake fails is reported as `reject`.
   */
  tls?: TlsKeyPair | undefined;
  /**
   * At most this many connections are served at once; a connection over the limit is accepted
   * and closed at once, with no byte read or written, and reported as `reject`.
   * @default {Infinity}
   */
  maxConns?: number;
  /**
   * Closes a connection after this many milliseconds in which no byte moved either way (the client
   * sent nothing and nothing could be written to it). @default {60000}
   */
  idleTimeoutMs?: number;
  /** Serves one connection, then stops listening; {@linkcode EchoServer.finished} settles after it. @default {false} */
  once?: boolean;
  /**
   * Most bytes read at a time per connection, and so the most a connection holds in memory. A
   * connection reads into its own 4 KiB buffer, and into a large buffer of this size, lent by
   * the server, only while its reads fill them.
   * @default {262144}
   */
  bufferSize?: number;
  /**
   * How many large buffers the server lends at once: so many connections stream at full speed,
   * the others read 4 KiB at a time until one is free. Bounds the server's buffers to this many
   * times `bufferSize` (8 MiB by default), however many clients there are.
   * @default {32}
   */
  largeBuffers?: number;
  /** Receives accept, close and reject events. Must not throw. */
  onEvent?: (event: EchoServerEvent) => void;
  /** Receives every socket step with its bytes; costs nothing when absent. */
  trace?: TraceFn;
}

/** Why a connection ended. */
export type CloseReason = "eof" | "idle" | "reset" | "shutdown" | "error";

/**
 * What a TLS connection negotiated, as far as the runtime tells a server: Deno's
 * `Deno.listenTls` gives only the ALPN protocol (not the version, nor the client's SNI name).
 */
export interface TlsSessionInfo {
  /** The ALPN protocol agreed on, or `null`. */
  alpn: string | null;
}

/** Why a connection was turned away: over the limit, or its TLS handshake failed. */
export type RejectReason = "max-conns" | "tls-handshake";

/** What the server reports as it runs. */
export type EchoServerEvent =
  | { event: "accept"; id: number; peer: string; active: number; tls?: TlsSessionInfo }
  | { event: "reject"; peer: string; reason: RejectReason; active: number; error?: string }
  | {
    event: "close";
    id: number;
    peer: string;
    bytes: number;
    duration_ms: number;
    reason: CloseReason;
    error?: string;
  };

/** What a server did over its lifetime. */
export interface EchoServerSummary {
  /** Connections served (accepted within the limit). */
  connections: number;
  /** Connections turned away by `maxConns`, or whose TLS handshake failed. */
  rejected: number;
  /** Bytes echoed, over all connections. */
  bytes: number;
  /** Connections still open when the grace period ran out, closed by force. */
  forced: number;
}

interface Session {
  conn: Deno.Conn;
  lastActive: number;
  reason?: CloseReason;
  done: Promise<void>;
}

/**
 * A running echo server. Dispose of it (or call {@linkcode EchoServer.shutdown}) to stop it.
 */
export class EchoServer implements AsyncDisposable {
  readonly #listener: Deno.Listener;
  readonly #options: Required<
    Omit<EchoServerOptions, "onEvent" | "trace" | "path" | "tls" | "largeBuffers">
  >;
  readonly #pool: BufferPool | undefined;
  readonly #tls: boolean;
  readonly #onEvent: ((event: EchoServerEvent) => void) | undefined;
  readonly #trace: TraceFn | undefined;
  readonly #sessions = new Map<number, Session>();
  readonly #summary: EchoServerSummary = { connections: 0, rejected: 0, bytes: 0, forced: 0 };
  readonly #path: string | undefined;
  #nextId = 1;
  #accepting = true;
  #sweeper: ReturnType<typeof setInterval> | undefined;
  #acceptLoop: Promise<void>;
  #shutdown: Promise<EchoServerSummary> | undefined;
  #servedPromise: Promise<void>;
  #resolveServed!: () => void;

  /** The bound address: read the port from here after binding port 0. */
  readonly addr: Deno.Addr;

  /** Use {@linkcode serveEcho}. */
  constructor(options: EchoServerOptions = {}) {
    this.#options = {
      hostname: options.hostname ?? "127.0.0.1",
      port: options.port ?? 35555,
      maxConns: options.maxConns ?? Infinity,
      idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
      once: options.once ?? false,
      bufferSize: options.bufferSize ?? DEFAULT_ECHO_BUFFER_SIZE,
    };
    const { bufferSize } = this.#options;
    const large = options.largeBuffers ?? DEFAULT_LARGE_BUFFERS;
    if (bufferSize > FIRST_ECHO_BUFFER_SIZE && large > 0) {
      this.#pool = new BufferPool(bufferSize, large);
    }
    this.#onEvent = options.onEvent;
    this.#trace = options.trace;
    this.#path = options.path;
    this.#tls = options.tls !== undefined;
    const { hostname, port } = this.#options;
    this.#listener = options.path !== undefined
      ? Deno.listen({ transport: "unix", path: options.path })
      : options.tls !== undefined
      ? Deno.listenTls({ hostname, port, cert: options.tls.cert, key: options.tls.key })
      : Deno.listen({ hostname, port });
    this.addr = this.#listener.addr;
    this.#servedPromise = new Promise((resolve) => this.#resolveServed = resolve);
    const idle = this.#options.idleTimeoutMs;
    if (Number.isFinite(idle) && idle > 0) {
      this.#sweeper = setInterval(() => this.#sweep(), Math.max(10, Math.min(1000, idle / 4)));
    }
    this.#acceptLoop = this.#accept();
  }

  /** Connections open right now. */
  get active(): number {
    return this.#sessions.size;
  }

  /** Totals so far. */
  get summary(): EchoServerSummary {
    return { ...this.#summary };
  }

  /**
   * Settles when a `once` server has served its connection (never, otherwise, until shutdown).
   */
  get served(): Promise<void> {
    return this.#servedPromise;
  }

  /**
   * Stops accepting at once, lets open connections finish for up to `graceMs`, then closes the
   * rest. Safe to call more than once; every call returns the same summary.
   */
  shutdown(graceMs = 5000): Promise<EchoServerSummary> {
    this.#shutdown ??= this.#stop(graceMs);
    return this.#shutdown;
  }

  /** Shuts down with no grace period. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown(0);
  }

  /**
   * Closes the listening socket; settles once it is really closed, so that a connection attempt
   * made after this is refused. (A listener closed while an `accept()` is pending lets go of its
   * socket only when that pending accept has ended.) Open connections are not touched.
   *
   * @example
   * ```ts
   * import { serveEcho } from "./server.ts";
   * import assert from "node:assert/strict";
   * await using server = serveEcho({ port: 0 });
   * await server.stopAccepting();
   * const { port } = server.addr as Deno.NetAddr;
   * await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port }), Deno.errors.ConnectionRefused);
   * ```
   */
  async stopAccepting(): Promise<void> {
    this.#stopAccepting();
    await this.#acceptLoop;
  }

  async #stop(graceMs: number): Promise<EchoServerSummary> {
    await this.stopAccepting();
    const all = () => Promise.all([...this.#sessions.values()].map((s) => s.done));
    if (this.#sessions.size > 0 && graceMs > 0) await settleWithin(all(), graceMs);
    for (const session of this.#sessions.values()) {
      session.reason = "shutdown";
      this.#summary.forced++;
      closeQuietly(session.conn);
    }
    await all();
    clearInterval(this.#sweeper);
    if (this.#path !== undefined) await Deno.remove(this.#path).catch(() => {});
    this.#resolveServed();
    return this.summary;
  }

  #stopAccepting(): void {
    if (!this.#accepting) return;
    this.#accepting = false;
    closeQuietly(this.#listener);
  }

  async #accept(): Promise<void> {
    let backoffMs = 0;
    while (this.#accepting) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
        backoffMs = 0;
      } catch (error) {
        if (!this.#accepting || error instanceof Deno.errors.BadResource) return;
        this.#trace?.({ step: "accept", detail: `failed: ${describeNetError(error)}` });
        // A connection reset while it waited in the backlog fails its own accept (the runtime
        // asks for its peer's address, and there is none): the next one is taken at once. A
        // pause here let a client that resets 2,000 connections a second fill the backlog and
        // starve everyone else (100 accepts a second, connects timing out).
        if (diedInBacklog(error)) continue;
        // Out of descriptors or memory: back off as Go's net/http does (5 ms, doubling up to
        // 1 s), so that the loop neither spins nor sleeps longer than it must.
        backoffMs = Math.min(1000, backoffMs === 0 ? 5 : backoffMs * 2);
        await sleep(backoffMs);
        continue;
      }
      const peer = formatAddr(conn.remoteAddr);
      if (this.#sessions.size >= this.#options.maxConns) {
        this.#summary.rejected++;
        this.#trace?.({ step: "accept", conn: peer, detail: "rejected: max-conns reached" });
        this.#onEvent?.({
          event: "reject",
          peer,
          reason: "max-conns",
          active: this.#sessions.size,
        });
        closeQuietly(conn);
        continue;
      }
      const id = this.#nextId++;
      if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
      const session: Session = { conn, lastActive: performance.now(), done: Promise.resolve() };
      this.#sessions.set(id, session);
      this.#trace?.({ step: "accept", conn: `#${id} ${peer}` });
      if (!this.#tls) this.#accepted(id, peer);
      const once = this.#options.once;
      if (this.#tls) {
        // With `once`, the one connection served is the first whose handshake succeeds: a
        // client that fails its handshake (a port scan, a wrong CA) does not end the server.
        session.done = this.#handshake(id, peer, session).then((ok) => {
          if (!ok) return;
          if (once) this.#stopAccepting();
          return this.#serve(id, peer, session).then(() => {
            if (once) this.#resolveServed();
          });
        });
        continue;
      }
      session.done = this.#serve(id, peer, session);
      if (once) {
        this.#stopAccepting();
        session.done.then(() => this.#resolveServed());
        return;
      }
    }
  }

  #accepted(id: number, peer: string, tls?: TlsSessionInfo): void {
    this.#summary.connections++;
    this.#onEvent?.({
      event: "accept",
      id,
      peer,
      active: this.#sessions.size,
      ...(tls ? { tls } : {}),
    });
  }

  /**
   * Runs a TLS connection's handshake. A client that stays silent is closed by the idle sweep,
   * as any other; a handshake that fails is a `reject`, and the connection is closed.
   */
  async #handshake(id: number, peer: string, session: Session): Promise<boolean> {
    try {
      const info = await (session.conn as Deno.TlsConn).handshake();
      session.lastActive = performance.now();
      this.#trace?.({ step: "tls", conn: `#${id}`, detail: "handshake done" });
      this.#accepted(id, peer, { alpn: info.alpnProtocol });
      return true;
    } catch (error) {
      closeQuietly(session.conn);
      this.#sessions.delete(id);
      this.#summary.rejected++;
      const why = session.reason === "idle"
        ? "no handshake within the idle timeout"
        : session.reason === "shutdown"
        ? "server shutting down"
        : describeNetError(error);
      this.#trace?.({ step: "tls", conn: `#${id}`, detail: `handshake failed: ${why}` });
      this.#onEvent?.({
        event: "reject",
        peer,
        reason: "tls-handshake",
        active: this.#sessions.size,
        error: why,
      });
      return false;
    }
  }

  async #serve(id: number, peer: string, session: Session): Promise<void> {
    const { conn } = session;
    const started = performance.now();
    const small = new Uint8Array(Math.min(FIRST_ECHO_BUFFER_SIZE, this.#options.bufferSize));
    let buf = small;
    const trace = this.#trace;
    const label = `#${id}`;
    let bytes = 0;
    let error: unknown;
    try {
      // The hot loop: one reused buffer, no extra promise per chunk, and the trace's arguments
      // are not even built when there is no trace. A partial write is the normal case; each one
      // counts as activity for --idle-timeout.
      while (true) {
        const n = await conn.read(buf);
        if (n === null) {
          trace?.({ step: "recv", conn: label, detail: "EOF (peer shut down its write side)" });
          break;
        }
        session.lastActive = performance.now();
        trace?.({ step: "recv", conn: label, bytes: n, data: buf.subarray(0, n) });
        for (let offset = 0; offset < n;) {
          const written = await conn.write(buf.subarray(offset, n));
          trace?.({
            step: "send",
            conn: label,
            bytes: written,
            data: buf.subarray(offset, offset + written),
          });
          offset += written;
          session.lastActive = performance.now();
        }
        bytes += n;
        if (buf === small) {
          // A read that filled the small buffer: this connection streams, so read more at a
          // time, in a large buffer if one is free.
          if (n === small.length) buf = this.#pool?.take() ?? small;
        } else if (n <= small.length) {
          // The peer has slowed down (what came would have fitted the small buffer): the large
          // buffer goes back. Not on any short read: TLS hands out a 16 KiB record at a time,
          // and loopback TCP 64 KiB, while the stream still runs at full speed. A client that
          // sends a burst and then idles keeps its large buffer; there are only 32 of them.
          this.#pool!.give(buf);
          buf = small;
        }
      }
      session.reason ??= "eof";
      // TLS: close_notify before the close, so that the client reads a clean end (a process
      // that exits right after the close, as a --once server does, may not send it otherwise).
      if (this.#tls) await (conn as Deno.TlsConn).closeWrite().catch(() => {});
    } catch (e) {
      if (session.reason === undefined) {
        if (this.#tls && isTlsTruncation(e)) {
          // The client closed without TLS close_notify (ncat, openssl s_client): everything it
          // sent was echoed, so it ends like a half-close.
          session.reason = "eof";
          trace?.({ step: "recv", conn: label, detail: "EOF without TLS close_notify" });
        } else {
          session.reason = isPeerGone(e) ? "reset" : "error";
          error = e;
        }
      }
    } finally {
      closeQuietly(conn);
      this.#sessions.delete(id);
      if (buf !== small) this.#pool!.give(buf);
    }
    this.#summary.bytes += bytes;
    trace?.({ step: "close", conn: label, detail: session.reason });
    this.#onEvent?.({
      event: "close",
      id,
      peer,
      bytes,
      duration_ms: round(performance.now() - started),
      reason: session.reason,
      ...(error === undefined ? {} : { error: describeNetError(error) }),
    });
  }

  #sweep(): void {
    const limit = this.#options.idleTimeoutMs;
    const now = performance.now();
    for (const session of this.#sessions.values()) {
      if (session.reason === undefined && now - session.lastActive > limit) {
        session.reason = "idle";
        closeQuietly(session.conn);
      }
    }
  }
}

/** Whether an accept failed because of that one connection, which is gone, not the server. */
function diedInBacklog(error: unknown): boolean {
  return error instanceof Deno.errors.NotConnected ||
    error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.ConnectionAborted;
}

/**
 * The large read buffers of a server, lent to the connections that stream. There are at most
 * `most` of them, made on demand and kept for reuse: however many clients come and go, the
 * server's large buffers never take more than `most` x `size` bytes, and a burst of clients does
 * not leave memory behind that the allocator keeps (a bare Deno server with a 64 KiB buffer per
 * connection grows by 60 MB per 1,000 connections, and keeps it).
 */
class BufferPool {
  readonly #idle: Uint8Array<ArrayBuffer>[] = [];
  #made = 0;

  constructor(readonly size: number, readonly most: number) {}

  /** A large buffer, or `undefined` when all of them are lent. */
  take(): Uint8Array<ArrayBuffer> | undefined {
    const idle = this.#idle.pop();
    if (idle !== undefined || this.#made >= this.most) return idle;
    this.#made++;
    return new Uint8Array(this.size);
  }

  /** Gives a buffer back. */
  give(buf: Uint8Array<ArrayBuffer>): void {
    this.#idle.push(buf);
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/**
 * Starts an echo server. It binds at once (so a bad address throws here) and serves in the
 * background until {@linkcode EchoServer.shutdown}.
 *
 * @example Echo a message over loopback
 * ```ts
 * import { serveEcho } from "./server.ts";
 * import assert from "node:assert/strict";
 * await using server = serveEcho({ port: 0 });
 * const addr = server.addr as Deno.NetAddr;
 * const conn = await Deno.connect({ hostname: addr.hostname, port: addr.port });
 * await conn.write(new TextEncoder().encode("hi"));
 * await conn.closeWrite();
 * const buf = new Uint8Array(8);
 * const n = await conn.read(buf);
 * assert.equal(new TextDecoder().decode(buf.subarray(0, n ?? 0)), "hi");
 * conn.close();
 * ```
 */
export function serveEcho(options: EchoServerOptions = {}): EchoServer {
  return new EchoServer(options);
}
