/**
 * The connection pool: {@linkcode HttpClient} keeps one idle connection per origin for the next
 * request, and sends a request on a kept-alive connection or a new one, reading up to the final
 * response head (the body is the caller's to read, then to give back with `release`).
 *
 * @module
 */
import { describeNetError, isPeerGone } from "../net/dial.ts";
import { ConnectError, ProtocolError } from "../net/errors.ts";
import { writeAll } from "../net/io.ts";
import { openConnection, zeroTiming } from "./connection.ts";
import type { ConnectionOptions, HttpConnection, Timing } from "./connection.ts";
import { encodeRequestHead } from "./request.ts";
import type { RequestHead } from "./request.ts";
import {
  bodyFraming,
  BodyReader,
  DEFAULT_MAX_FIELDS,
  DEFAULT_MAX_HEAD_BYTES,
  readResponseHead,
} from "./response.ts";
import type { Framing, HeadLimits, ResponseHead } from "./response.ts";

/** Options for {@linkcode HttpClient}. */
export interface HttpClientOptions extends ConnectionOptions, HeadLimits {
  /**
   * Called when a connection that the response would let the client keep is closed instead,
   * with why: `3 unexpected bytes after the response`.
   */
  onNotReused?: ((origin: string, why: string) => void) | undefined;
}

/** What {@linkcode HttpClient.send} returns: the final head, with the body still to read. */
export interface Exchange {
  /** The request as sent. */
  request: RequestHead;
  /** The final (non-1xx) response head. */
  head: ResponseHead;
  /** How the body is framed and whether the connection may be reused. */
  framing: Framing;
  /** The body, to read to its end before the connection is released. */
  body: BodyReader;
  /** The connection it came on. */
  connection: HttpConnection;
  /** Whether the connection had carried a request before. */
  reused: boolean;
  /** Phases so far (first byte, not yet transfer or total). */
  timing: Timing;
  /** When the first response byte arrived (`performance.now()`). */
  firstByteAt: number;
}

/** Options for one {@linkcode HttpClient.send}. */
export interface SendOptions {
  /** Aborting it closes every connection of the client. */
  signal?: AbortSignal | undefined;
  /** Most body bytes. @default {Infinity} */
  maxBodyBytes?: number | undefined;
  /** Called with the bytes of each request head written. */
  onRequest?: ((head: RequestHead, bytes: Uint8Array) => void) | undefined;
  /** Called with each interim (1xx) response, which is otherwise passed over. */
  onInterim?: ((head: ResponseHead) => void) | undefined;
}

/**
 * An HTTP/1.1 client that keeps one idle connection per origin for the next request.
 *
 * @example Two requests over one connection
 * ```ts
 * import { HttpClient } from "./pool.ts";
 * import { parseHttpUrl } from "./url.ts";
 * import assert from "node:assert/strict";
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const served = (async () => {
 *   using conn = await listener.accept();
 *   const buf = new Uint8Array(4096);
 *   for (const body of ["one", "two"]) {
 *     await conn.read(buf);
 *     await conn.write(new TextEncoder().encode(`HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n${body}`));
 *   }
 * })();
 * const client = new HttpClient();
 * const url = parseHttpUrl(`http://127.0.0.1:${listener.addr.port}/`);
 * for (const [close, expected] of [[false, "one"], [true, "two"]] as const) {
 *   const exchange = await client.send({ method: "GET", url, fields: [], close });
 *   const chunk = await exchange.body.read();
 *   assert.equal(new TextDecoder().decode(chunk!), expected);
 *   assert.equal(await exchange.body.read(), null);
 *   client.release(exchange);
 * }
 * client.close();
 * await served;
 * ```
 */
export class HttpClient {
  readonly #options: HttpClientOptions;
  readonly #idle = new Map<string, HttpConnection>();
  readonly #active = new Set<HttpConnection>();
  /** The signals that close this client when they abort, and how many fetches use each. */
  readonly #watched = new Map<AbortSignal, { users: number; onAbort: () => void }>();
  /** The one watched signal no fetch uses now, kept for the next fetch that passes it. */
  #idleSignal: AbortSignal | undefined;

  /** @param options Trust, overrides, timeouts, limits and trace. */
  constructor(options: HttpClientOptions = {}) {
    this.#options = options;
  }

  /**
   * Closes every connection, idle or in use, and stops listening to signals no fetch is using
   * (see {@linkcode HttpClient.closeOnAbort}).
   */
  close(): void {
    for (const connection of [...this.#idle.values(), ...this.#active]) connection.close();
    this.#idle.clear();
    this.#active.clear();
    for (const [signal, entry] of [...this.#watched]) {
      if (entry.users === 0) this.#unwatch(signal);
    }
    this.#idleSignal = undefined;
  }

  /**
   * Closes the client when `signal` aborts, for as long as the work that asked is running: call
   * the function returned when it ends. A listener costs microseconds to add and to remove, so
   * the last signal is kept listened to between uses: a command that passes one signal to a
   * thousand fetches adds one listener, not a thousand. At most one signal is listened to that
   * way, and {@linkcode HttpClient.close} stops that too.
   *
   * @example
   * ```ts
   * import { HttpClient } from "./pool.ts";
   * const client = new HttpClient();
   * const controller = new AbortController();
   * const done = client.closeOnAbort(controller.signal);
   * // ... requests that aborting should end ...
   * done();
   * client.close();
   * ```
   */
  closeOnAbort(signal: AbortSignal): () => void {
    let entry = this.#watched.get(signal);
    if (entry === undefined) {
      entry = { users: 0, onAbort: () => this.close() };
      this.#watched.set(signal, entry);
      signal.addEventListener("abort", entry.onAbort, { once: true });
    }
    if (this.#idleSignal === signal) this.#idleSignal = undefined;
    entry.users++;
    const used = entry;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (--used.users > 0 || this.#watched.get(signal) !== used) return;
      if (this.#idleSignal !== undefined) this.#unwatch(this.#idleSignal);
      this.#idleSignal = signal;
    };
  }

  #unwatch(signal: AbortSignal): void {
    const entry = this.#watched.get(signal);
    if (entry === undefined) return;
    signal.removeEventListener("abort", entry.onAbort);
    this.#watched.delete(signal);
  }

  /**
   * Gives a connection back once its exchange's body has been read to its end: kept for the
   * next request to its origin when the response allows it and the request did not say close,
   * closed otherwise. Bytes already received past the end of the response cannot belong to
   * the next one (it has not been asked for), so a connection holding some is closed too, and
   * `onNotReused` says so.
   */
  release(exchange: Exchange): void {
    const { connection } = exchange;
    this.#active.delete(connection);
    if (
      connection.closed || !exchange.body.done || !exchange.framing.reusable ||
      exchange.request.close || connection.reader.eof
    ) {
      connection.close();
      return;
    }
    const extra = connection.reader.buffered;
    if (extra > 0) {
      const why = `${extra} unexpected ${extra === 1 ? "byte" : "bytes"} after the response`;
      this.#options.onNotReused?.(connection.origin, why);
      connection.close(why);
      return;
    }
    this.#idle.get(connection.origin)?.close();
    this.#idle.set(connection.origin, connection);
  }

  /** Closes a connection whose exchange is abandoned. */
  discard(exchange: Exchange): void {
    this.#active.delete(exchange.connection);
    exchange.connection.close();
  }

  /**
   * Sends a request and reads up to the final response head; 1xx responses are passed over.
   * A kept-alive connection that turns out to be closed by the server before any response byte
   * is replaced by a new one, once.
   *
   * @throws {ResolveError | ConnectError | TimeoutError | TlsError | ProtocolError | LimitError}
   */
  async send(request: RequestHead, options: SendOptions = {}): Promise<Exchange> {
    const started = performance.now();
    const { url } = request;
    const idle = this.#idle.get(url.origin);
    this.#idle.delete(url.origin);
    if (idle) {
      this.#active.add(idle);
      try {
        return await this.#exchange(idle, request, options, started, zeroTiming(), true);
      } catch (error) {
        this.#active.delete(idle);
        idle.close();
        if (options.signal?.aborted || !(error instanceof StaleConnection)) throw error;
        this.#options.trace?.({ step: "retry", detail: "kept-alive connection was closed" });
      }
    }
    const { connection, timing } = await openConnection(url, {
      ...this.#options,
      signal: options.signal,
    });
    this.#active.add(connection);
    try {
      return await this.#exchange(connection, request, options, started, timing, false);
    } catch (error) {
      this.#active.delete(connection);
      connection.close();
      if (error instanceof StaleConnection) {
        throw new ProtocolError(
          `Empty reply from ${url.origin}: the connection closed before a response`,
        );
      }
      throw error;
    }
  }

  async #exchange(
    connection: HttpConnection,
    request: RequestHead,
    options: SendOptions,
    started: number,
    timing: Timing,
    reused: boolean,
  ): Promise<Exchange> {
    const bytes = encodeRequestHead(request);
    const trace = this.#options.trace;
    const receivedBefore = connection.reader.bytesRead;
    try {
      await writeAll(connection.conn, bytes);
      if (request.body !== undefined && request.body.length > 0) {
        await writeAll(connection.conn, request.body);
      }
    } catch (error) {
      if (isPeerGone(error)) {
        if (reused) throw new StaleConnection();
        throw new ConnectError(`Cannot send to ${connection.remote}: ${describeNetError(error)}`, {
          cause: error,
          kind: "send",
        });
      }
      throw error;
    }
    connection.requests++;
    trace?.({ step: "send", bytes: bytes.length, data: bytes });
    if (request.body !== undefined && request.body.length > 0) {
      trace?.({ step: "send", bytes: request.body.length, data: request.body });
    }
    options.onRequest?.(request, bytes);
    const sent = performance.now();
    const maxHeadBytes = this.#options.maxHeadBytes ?? DEFAULT_MAX_HEAD_BYTES;
    const maxFields = this.#options.maxFields ?? DEFAULT_MAX_FIELDS;
    let used = 0;
    let firstByteAt = 0;
    while (true) {
      let head: ResponseHead | null;
      try {
        if (firstByteAt === 0) {
          if (!await connection.reader.fill() && reused) throw new StaleConnection();
          firstByteAt = performance.now();
        }
        head = await readResponseHead(connection.reader, {
          maxHeadBytes: maxHeadBytes - used,
          maxFields,
        });
      } catch (error) {
        if (
          reused && error instanceof ConnectError && connection.reader.bytesRead === receivedBefore
        ) {
          throw new StaleConnection();
        }
        throw error;
      }
      if (head === null) {
        if (connection.reader.bytesRead === receivedBefore) throw new StaleConnection();
        throw new ProtocolError(`Connection closed by ${request.url.origin} before the response`);
      }
      used += head.headBytes;
      if (head.status >= 100 && head.status < 200) {
        if (head.status === 101) {
          throw new ProtocolError("Unexpected 101 Switching Protocols: no upgrade was asked for");
        }
        options.onInterim?.(head);
        continue;
      }
      const framing = bodyFraming(head, request.method);
      const body = new BodyReader(connection.reader, framing.body, {
        maxBytes: options.maxBodyBytes ?? Infinity,
        maxHeadBytes,
        maxFields,
      });
      timing.firstByteMs = firstByteAt - sent;
      timing.totalMs = performance.now() - started;
      return { request, head, framing, body, connection, reused, timing, firstByteAt };
    }
  }
}

/** A kept-alive connection was found closed before any byte of a response. */
class StaleConnection extends Error {
  constructor() {
    super("stale connection");
  }
}
