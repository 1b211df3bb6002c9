/**
 * A small HTTP/1.1 server for endpoints that serve data (GET and HEAD): keep-alive, pipelined
 * requests answered in order, and the limits an exposed port needs. Every byte a peer sends is
 * read into one bounded buffer; a head must come whole within a deadline and a size; a
 * kept-alive connection that sends nothing is closed; a stalled write is closed; a request with
 * a body is refused, since nothing here takes one.
 *
 * Decisions where RFC 9112 leaves a choice to the server:
 * - A new connection has `headTimeoutMs` for its first request head from the accept; a
 *   kept-alive one has `idleTimeoutMs` for the first byte of the next, then `headTimeoutMs`.
 *   408 is sent only when part of a head came; a connection that sent nothing is just closed.
 * - What a request head may be (its versions, targets, no body) is `request_head.ts`'s.
 * - The handler sees HEAD as HEAD (a router answers it as GET); the server drops the body.
 * - A refusal (400, 413, 431, 505, and 503 over `maxConns`) is sent with `Connection: close`,
 *   then the server half-closes and reads what the peer still sends, for a bounded time and
 *   size, so that the peer reads the answer instead of a reset.
 *
 * @module
 */
import { formatAddr, formatHostPort } from "../net/addr.ts";
import { closeQuietly } from "../net/close.ts";
import { describeNetError, isPeerGone } from "../net/dial.ts";
import { ConnectError } from "../net/errors.ts";
import { writeAll } from "../net/io.ts";
import { BufReader } from "../net/reader.ts";
import { settleWithin, sleep, startTimer } from "../net/timer.ts";
import type { Timer } from "../net/timer.ts";
import { checkField } from "./request.ts";
import { utf8 } from "../text/utf8.ts";
import { readRequestHead, RequestError, wantsKeepAlive } from "./request_head.ts";
import type { HttpRequest } from "./request_head.ts";

export type { HttpRequest };

/** A handler's answer. */
export interface HttpReply {
  /** The status, from 200 to 599. */
  status: number;
  /** Header fields; the server adds Content-Length, Date and Connection (and drops those given). */
  headers?: Array<[string, string]>;
  /** The body; a string is sent as UTF-8. A HEAD request gets the headers only. */
  body?: string | Uint8Array;
}

/** Answers a request; `signal` aborts when a shutdown's grace period runs out. */
export type HttpHandler = (
  request: HttpRequest,
  signal: AbortSignal,
) => HttpReply | Promise<HttpReply>;

/** Options for {@linkcode serveHttp}. */
export interface HttpServerOptions {
  /** Address to bind. @default {"127.0.0.1"} */
  hostname?: string;
  /** Port to bind; 0 picks a free one (read it back from {@linkcode HttpServer.addr}). @default {0} */
  port?: number;
  /** Answers every request that passes the server's checks. */
  handler: HttpHandler;
  /** Connections served at once; one more gets 503 and is closed. @default {256} */
  maxConns?: number;
  /** Closes a kept-alive connection that starts no request, or a write that stalls, after this. @default {60000} */
  idleTimeoutMs?: number;
  /** A request head must come whole within this many milliseconds. @default {10000} */
  headTimeoutMs?: number;
  /** Most bytes in a request head; over it, 431 and close. @default {16384} */
  maxHeadBytes?: number;
  /** Most header fields in a request head; over it, 431 and close. @default {100} */
  maxFields?: number;
  /** Receives accept, request, error, reject and close events, for logs. Must not throw. */
  onEvent?: (event: HttpServerEvent) => void;
}

/**
 * Why a connection ended: the client closed (`eof`), a response said `Connection: close`
 * (`close`), a timeout, a refusal sent (`refused`, with its status), a reset, a shutdown.
 */
export type HttpCloseReason =
  | "eof"
  | "close"
  | "idle"
  | "head-timeout"
  | "refused"
  | "reset"
  | "shutdown"
  | "error";

/** What the server reports as it runs. */
export type HttpServerEvent =
  | { event: "accept"; id: number; peer: string; active: number }
  | { event: "reject"; peer: string; reason: "max-conns"; active: number }
  | {
    event: "request";
    id: number;
    peer: string;
    method: string;
    target: string;
    status: number;
    duration_ms: number;
  }
  | { event: "error"; id: number; peer: string; method: string; target: string; error: string }
  | {
    event: "close";
    id: number;
    peer: string;
    requests: number;
    duration_ms: number;
    reason: HttpCloseReason;
    status?: number;
    error?: string;
  };

/** How long a refused connection is read from after its answer, at most, in milliseconds. */
const LINGER_MS = 2000;
/** How many bytes a refused connection is read from after its answer, at most. */
const LINGER_BYTES = 64 * 1024;
/** Refused connections (over `maxConns`) being answered at once; past it, closed at once. */
const MAX_REJECTS = 64;

const REASONS: Record<number, string> = {
  200: "OK",
  204: "No Content",
  301: "Moved Permanently",
  302: "Found",
  304: "Not Modified",
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  408: "Request Timeout",
  413: "Content Too Large",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  503: "Service Unavailable",
  505: "HTTP Version Not Supported",
};
const SERVER_FIELDS = new Set(["content-length", "connection", "date", "transfer-encoding"]);
const encoder = new TextEncoder();

interface Session {
  id: number;
  conn: Deno.TcpConn;
  peer: string;
  reader: BufReader;
  /** Waiting for a request, answering one, or sending a refusal. */
  state: "wait" | "busy" | "closing";
  reason?: HttpCloseReason;
  status?: number;
  timer?: Timer;
  /** Aborts the handler running now. */
  abort?: AbortController | undefined;
  /** A 408 being sent. */
  tail?: Promise<void>;
  done: Promise<void>;
}

/** A running server. Dispose of it (or call {@linkcode HttpServer.shutdown}) to stop it. */
export class HttpServer implements AsyncDisposable {
  /** The bound address: read the port from here after binding port 0. */
  readonly addr: Deno.NetAddr;
  /** Settles when a shutdown is complete. */
  readonly finished: Promise<void>;
  readonly #listener: Deno.TcpListener;
  readonly #handler: HttpHandler;
  readonly #onEvent: ((event: HttpServerEvent) => void) | undefined;
  readonly #limits: Required<Omit<HttpServerOptions, "hostname" | "port" | "handler" | "onEvent">>;
  readonly #sessions = new Map<number, Session>();
  readonly #rejects = new Map<Deno.Conn, Promise<void>>();
  readonly #stopping = new AbortController();
  readonly #acceptLoop: Promise<void>;
  #resolveFinished!: () => void;
  #shutdown: Promise<void> | undefined;
  #nextId = 1;

  /** Use {@linkcode serveHttp}. */
  constructor(options: HttpServerOptions) {
    const hostname = options.hostname ?? "127.0.0.1";
    const port = options.port ?? 0;
    try {
      this.#listener = Deno.listen({ hostname, port, transport: "tcp" });
    } catch (error) {
      throw new ConnectError(`Cannot listen on ${formatHostPort(hostname, port)}`, {
        cause: error,
        why: describeNetError(error),
      });
    }
    this.addr = this.#listener.addr;
    this.#handler = options.handler;
    this.#onEvent = options.onEvent;
    this.#limits = {
      maxConns: options.maxConns ?? 256,
      idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
      headTimeoutMs: options.headTimeoutMs ?? 10_000,
      maxHeadBytes: options.maxHeadBytes ?? 16 * 1024,
      maxFields: options.maxFields ?? 100,
    };
    this.finished = new Promise((resolve) => this.#resolveFinished = resolve);
    this.#acceptLoop = this.#accept();
  }

  /** Connections open right now. */
  get active(): number {
    return this.#sessions.size;
  }

  /**
   * Stops accepting and closes idle connections at once; requests in flight get `graceMs` to
   * be answered (with `Connection: close`), then their handlers' signals abort and the rest is
   * closed. Safe to call more than once.
   */
  shutdown(graceMs = 5000): Promise<void> {
    this.#shutdown ??= this.#stop(graceMs);
    return this.#shutdown;
  }

  /** Shuts down with no grace period. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown(0);
  }

  async #stop(graceMs: number): Promise<void> {
    this.#stopping.abort();
    closeQuietly(this.#listener);
    await this.#acceptLoop;
    for (const conn of this.#rejects.keys()) closeQuietly(conn);
    const all = () => Promise.all([...this.#sessions.values()].map((s) => s.done));
    for (const s of this.#sessions.values()) if (s.state !== "busy") this.#close(s, "shutdown");
    if (this.#sessions.size > 0 && graceMs > 0) await settleWithin(all(), graceMs);
    for (const s of this.#sessions.values()) {
      s.abort?.abort();
      this.#close(s, "shutdown");
    }
    await Promise.all([all(), ...this.#rejects.values()]);
    this.#resolveFinished();
  }

  #emit(event: HttpServerEvent): void {
    try {
      this.#onEvent?.(event);
    } catch {
      // A log sink that fails is no reason to drop a connection.
    }
  }

  #close(s: Session, reason: HttpCloseReason): void {
    s.reason ??= reason;
    s.timer?.clear();
    closeQuietly(s.conn);
  }

  /** Closes the connection after `ms`; a head timeout sends 408 first when part of a head came. */
  #arm(s: Session, ms: number, reason: "idle" | "head-timeout", mark = Infinity): void {
    s.timer?.clear();
    s.timer = startTimer(() => {
      if (reason === "idle" || s.reader.bytesRead <= mark) return this.#close(s, reason);
      s.reason ??= reason;
      s.status = 408;
      const guard = startTimer(() => closeQuietly(s.conn), LINGER_MS);
      s.tail = writeAll(s.conn, refusalBytes(408, "The request head did not come in time"))
        .catch(() => {}).finally(() => {
          guard.clear();
          closeQuietly(s.conn);
        });
    }, ms);
  }

  async #accept(): Promise<void> {
    let backoffMs = 0;
    while (!this.#stopping.signal.aborted) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
        backoffMs = 0;
      } catch (error) {
        if (this.#stopping.signal.aborted || error instanceof Deno.errors.BadResource) return;
        // A connection reset in the backlog fails only its own accept: take the next at once.
        if (isPeerGone(error)) continue;
        // Out of descriptors or memory: back off (5 ms, doubling up to 1 s), as Go's net/http.
        backoffMs = Math.min(1000, backoffMs * 2 || 5);
        await sleep(backoffMs, this.#stopping.signal);
        continue;
      }
      const peer = formatAddr(conn.remoteAddr);
      if (this.#sessions.size >= this.#limits.maxConns) {
        this.#emit({ event: "reject", peer, reason: "max-conns", active: this.#sessions.size });
        if (this.#rejects.size >= MAX_REJECTS) {
          closeQuietly(conn);
          continue;
        }
        const bytes = refusalBytes(503, "Too many connections");
        const done = lastWords(conn, new BufReader(conn, { bufferSize: 4096 }), bytes);
        this.#rejects.set(conn, done.finally(() => this.#rejects.delete(conn)));
        continue;
      }
      try {
        conn.setNoDelay(true);
      } catch {
        // Reset already: its first read says so.
      }
      const reader = new BufReader(conn, { bufferSize: Math.min(4096, this.#limits.maxHeadBytes) });
      const s: Session = {
        id: this.#nextId++,
        conn,
        peer,
        reader,
        state: "wait",
        done: undefined!,
      };
      this.#sessions.set(s.id, s);
      this.#emit({ event: "accept", id: s.id, peer, active: this.#sessions.size });
      s.done = this.#serve(s);
    }
  }

  async #serve(s: Session): Promise<void> {
    const { conn, reader } = s;
    const { headTimeoutMs, idleTimeoutMs } = this.#limits;
    const started = performance.now();
    let requests = 0;
    let error: unknown;
    try {
      while (true) {
        s.state = "wait";
        if (this.#stopping.signal.aborted) break;
        const mark = reader.bytesRead - reader.buffered;
        // A new connection's head timer runs from the accept; a kept-alive one's from the
        // first byte of its next request, which must come within the idle timeout.
        if (requests > 0) {
          this.#arm(s, idleTimeoutMs, "idle");
          if (!await reader.fill()) break;
        }
        this.#arm(s, headTimeoutMs, "head-timeout", mark);
        if (!await reader.fill()) break;
        let request: HttpRequest;
        try {
          request = await readRequestHead(reader, this.#limits, conn.remoteAddr);
        } catch (e) {
          if (!(e instanceof RequestError) || s.reason !== undefined) throw e;
          s.timer?.clear();
          s.state = "closing";
          s.reason = "refused";
          s.status = e.status;
          await lastWords(conn, reader, refusalBytes(e.status, e.message));
          break;
        }
        s.timer?.clear();
        if (s.reason !== undefined) break; // the head timer fired as the head completed
        s.state = "busy";
        requests++;
        const begun = performance.now();
        const reply = await this.#handle(s, request);
        if (reply === undefined) break;
        const keep = wantsKeepAlive(request) && !this.#stopping.signal.aborted;
        // The head and a large body go out as they are: no copy of the body into one buffer.
        for (const bytes of encodeReplyParts(reply, request.method === "HEAD", keep)) {
          for (let offset = 0; offset < bytes.length;) {
            this.#arm(s, idleTimeoutMs, "idle");
            offset += await conn.write(bytes.subarray(offset));
          }
        }
        s.timer?.clear();
        const { method, target } = request;
        const duration_ms = round(performance.now() - begun);
        this.#emit({
          ...this.#who(s),
          event: "request",
          method,
          target,
          status: reply.status,
          duration_ms,
        });
        if (!keep) {
          s.reason ??= this.#stopping.signal.aborted ? "shutdown" : "close";
          break;
        }
      }
      s.reason ??= this.#stopping.signal.aborted ? "shutdown" : "eof";
    } catch (e) {
      if (s.reason === undefined) {
        // A peer that half-closed in the middle of a head, or went away: nothing went wrong here.
        s.reason = reader.eof
          ? "eof"
          : isPeerGone(e) || e instanceof ConnectError
          ? "reset"
          : "error";
        if (s.reason === "error") error = e;
      }
    } finally {
      s.timer?.clear();
      await s.tail;
      closeQuietly(conn);
      this.#sessions.delete(s.id);
    }
    this.#emit({
      ...this.#who(s),
      event: "close",
      requests,
      duration_ms: round(performance.now() - started),
      reason: s.reason,
      ...(s.status === undefined ? {} : { status: s.status }),
      ...(error === undefined ? {} : { error: describeError(error) }),
    });
  }

  #who(s: Session): { id: number; peer: string } {
    return { id: s.id, peer: s.peer };
  }

  /** The handler's reply, a 500 when it throws, or `undefined` when it was aborted. */
  async #handle(s: Session, request: HttpRequest): Promise<HttpReply | undefined> {
    const abort = s.abort = new AbortController();
    const aborted = new Promise<undefined>((resolve) => {
      abort.signal.addEventListener("abort", () => resolve(undefined), { once: true });
    });
    const answer = Promise.resolve().then(() => this.#handler(request, abort.signal));
    answer.catch(() => {});
    try {
      const reply = await Promise.race([answer, aborted]);
      if (reply !== undefined) checkReply(reply);
      return reply;
    } catch (error) {
      const { method, target } = request;
      this.#emit({ ...this.#who(s), event: "error", method, target, error: describeError(error) });
      return { status: 500, headers: TEXT, body: "Internal server error\n" };
    } finally {
      s.abort = undefined;
    }
  }
}

const TEXT: Array<[string, string]> = [["Content-Type", "text/plain; charset=utf-8"]];

/** @throws {TypeError} When a handler's reply cannot be sent as it is. */
function checkReply(reply: HttpReply): void {
  if (!Number.isInteger(reply.status) || reply.status < 200 || reply.status > 599) {
    throw new TypeError(`Invalid status ${reply.status}: expected 200 to 599`);
  }
  for (const [name, value] of reply.headers ?? []) {
    const why = checkField(name, value);
    if (why !== undefined) throw new TypeError(`Invalid reply: ${why}`);
  }
}

/** A reply's bytes: head and body (no body for HEAD, nor Content-Length for 204 and 304). */
function encodeReply(reply: HttpReply, head: boolean, keep: boolean): Uint8Array {
  const parts = encodeReplyParts(reply, head, keep);
  if (parts.length === 1) return parts[0]!;
  const bytes = new Uint8Array(parts[0]!.length + parts[1]!.length);
  bytes.set(parts[0]!);
  bytes.set(parts[1]!, parts[0]!.length);
  return bytes;
}

/** A reply's head, and its body when it is sent: a small body rides in the head's buffer. */
function encodeReplyParts(reply: HttpReply, head: boolean, keep: boolean): Uint8Array[] {
  const { status } = reply;
  const body = typeof reply.body === "string" ? utf8([reply.body]) : reply.body;
  let text = `HTTP/1.1 ${status} ${REASONS[status] ?? ""}\r\n`;
  for (const [name, value] of reply.headers ?? []) {
    if (!SERVER_FIELDS.has(name.toLowerCase())) text += `${name}: ${value}\r\n`;
  }
  const bodiless = status === 204 || status === 304;
  if (!bodiless) text += `Content-Length: ${body?.length ?? 0}\r\n`;
  text += `Date: ${new Date().toUTCString()}\r\nConnection: ${
    keep ? "keep-alive" : "close"
  }\r\n\r\n`;
  const headBytes = encoder.encode(text);
  if (head || bodiless || body === undefined || body.length === 0) return [headBytes];
  if (body.length > 16 * 1024) return [headBytes, body];
  const bytes = new Uint8Array(headBytes.length + body.length);
  bytes.set(headBytes);
  bytes.set(body, headBytes.length);
  return [bytes];
}

/** A refusal the server sends itself, with `Connection: close` and why as text. */
function refusalBytes(status: number, why: string): Uint8Array {
  return encodeReply({ status, headers: TEXT, body: `${why}\n` }, false, false);
}

/**
 * Sends a last answer, half-closes, and reads what the peer still sends (at most
 * {@linkcode LINGER_BYTES} within {@linkcode LINGER_MS}), so that unread bytes do not make the
 * kernel reset the connection before the peer has read the answer; then closes.
 */
async function lastWords(conn: Deno.TcpConn, reader: BufReader, bytes: Uint8Array): Promise<void> {
  using _ = startTimer(() => closeQuietly(conn), LINGER_MS);
  try {
    await writeAll(conn, bytes);
    await conn.closeWrite();
    for (let n = 0; n < LINGER_BYTES;) {
      const chunk = await reader.readSome();
      if (chunk === null) break;
      n += chunk.length;
    }
  } catch {
    // The peer went away, or the linger ran out: closing is all that is left.
  }
  closeQuietly(conn);
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/**
 * Starts an HTTP/1.1 server. It binds at once and serves in the background until
 * {@linkcode HttpServer.shutdown}.
 *
 * @throws {ConnectError} `Cannot listen on 127.0.0.1:80: address already in use` when the
 * address cannot be bound.
 *
 * @example Answer one request over loopback
 * ```ts
 * import { serveHttp } from "./server.ts";
 * import assert from "node:assert/strict";
 * await using server = serveHttp({
 *   handler: (request) =>
 *     request.path === "/healthz" ? { status: 200, body: "ok\n" } : { status: 404 },
 * });
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
 * await conn.write(new TextEncoder().encode("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
 * const reply = await new Response(conn.readable).text();
 * assert.match(reply, /^HTTP\/1\.1 200 OK\r\n/);
 * assert.ok(reply.endsWith("\r\n\r\nok\n"));
 * ```
 */
export function serveHttp(options: HttpServerOptions): HttpServer {
  return new HttpServer(options);
}
