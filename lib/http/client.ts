/**
 * The HTTP/1.1 client: connections (TCP, TLS, Unix sockets) kept alive per origin, one request
 * and response at a time on each, redirects, and body decoding. It speaks the protocol itself
 * over `Deno.connect` and `Deno.startTls`; there is no `fetch` underneath.
 *
 * @module
 */
import { closeQuietly } from "../net/close.ts";
import { formatDuration, withDeadline } from "../net/deadline.ts";
import { describeNetError, dial, isPeerGone } from "../net/dial.ts";
import type { Dialed } from "../net/dial.ts";
import {
  ConnectError,
  LimitError,
  ProtocolError,
  SockitError,
  TimeoutError,
} from "../net/errors.ts";
import { writeAll } from "../net/io.ts";
import { overrideKey } from "../net/override.ts";
import type { ByteReader } from "../net/io.ts";
import { readWithTimeout } from "../net/read_timeout.ts";
import { BufReader } from "../net/reader.ts";
import { startTls } from "../net/tls.ts";
import type { TraceFn } from "../net/trace.ts";
import { encodeRequestHead, REDIRECT_STATUSES } from "./request.ts";
import type { RequestHead } from "./request.ts";
import {
  bodyFraming,
  BodyReader,
  DEFAULT_MAX_FIELDS,
  DEFAULT_MAX_HEAD_BYTES,
  readResponseHead,
} from "./response.ts";
import type { Framing, HeadLimits, ResponseHead } from "./response.ts";
import { parseHttpUrl } from "./url.ts";
import type { HttpUrl } from "./url.ts";

/** Says why a TLS handshake failed; its home is `lib/net/tls.ts`. */
export { describeTlsError } from "../net/tls.ts";

/** Options for {@linkcode HttpClient}. */
export interface HttpClientOptions extends HeadLimits {
  /** Extra trusted root certificates (PEM), on top of the system's. */
  caCerts?: string[] | undefined;
  /** https: accept any certificate, unverified (`-k`). @default {false} */
  insecure?: boolean | undefined;
  /** Addresses to use instead of resolving, by `host:port` (curl's `--resolve`). */
  resolve?: Map<string, string[]> | undefined;
  /** Connect to this Unix socket for every URL (the URL still gives `Host` and the path). */
  unixSocket?: string | undefined;
  /** Limit on resolving, connecting and the TLS handshake together. @default {30000} */
  connectTimeoutMs?: number | undefined;
  /**
   * Limit on one wait for response bytes: a read that receives nothing for this long ends the
   * exchange with a `TimeoutError` of kind `read-timeout`. Time counts only while a read is
   * pending, so an idle kept-alive connection never times out. `Infinity` for none.
   * @default {60000}
   */
  readTimeoutMs?: number | undefined;
  /** Receives socket steps: resolve, connect, tls, send, recv, close. */
  trace?: TraceFn | undefined;
  /** Read buffer per connection, in bytes. @default {1048576} */
  bufferSize?: number | undefined;
  /**
   * Called when a connection that the response would let the client keep is closed instead,
   * with why: `3 unexpected bytes after the response`.
   */
  onNotReused?: ((origin: string, why: string) => void) | undefined;
}

/** How long each phase took, in milliseconds, as httpstat shows them. */
export interface Timing {
  /** Resolving the name (0 on a reused connection or a literal address). */
  resolveMs: number;
  /** The TCP (or Unix socket) connect. */
  connectMs: number;
  /** The TLS handshake. */
  tlsMs: number;
  /** From the request sent to the first byte of the response ("server processing"). */
  firstByteMs: number;
  /** From the first byte to the end of the body. */
  transferMs: number;
  /** Everything, redirects included. */
  totalMs: number;
}

/** The default {@linkcode HttpClientOptions.readTimeoutMs}: one minute without a byte. */
export const DEFAULT_READ_TIMEOUT_MS = 60_000;

/** One kept-alive connection to an origin. */
export class HttpConnection {
  /** The socket (TLS or not). */
  readonly conn: Deno.Conn;
  /** Its reader. */
  readonly reader: BufReader;
  /** `scheme://host:port` it serves. */
  readonly origin: string;
  /** The address connected to. */
  readonly remote: string;
  /** Requests sent on it so far. */
  requests = 0;
  #closed = false;
  readonly #trace: TraceFn | undefined;
  readonly #reads: ByteReader & Disposable;

  /** Use {@linkcode HttpClient}. */
  constructor(conn: Deno.Conn, origin: string, remote: string, options: HttpClientOptions) {
    this.conn = conn;
    this.origin = origin;
    this.remote = remote;
    this.#trace = options.trace;
    const readTimeoutMs = options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
    this.#reads = readWithTimeout(conn, readTimeoutMs, () => `Cannot read from ${origin}`);
    const reads = this.#reads;
    const source: ByteReader = {
      async read(buf) {
        try {
          return await reads.read(buf);
        } catch (error) {
          if (!(error instanceof TimeoutError)) throw error;
          throw new TimeoutError(
            `Cannot read from ${origin}: no data for ${formatDuration(readTimeoutMs)}`,
            { cause: error, kind: "read-timeout" },
          );
        }
      },
    };
    this.reader = new BufReader(source, {
      bufferSize: options.bufferSize ?? 1024 * 1024,
      trace: options.trace,
    });
  }

  /** Whether it has been closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Closes it (once); `why` is added to the trace. */
  close(why?: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#reads[Symbol.dispose]();
    closeQuietly(this.conn);
    this.#trace?.({
      step: "close",
      detail: `${this.remote} after ${this.requests} requests${why ? `: ${why}` : ""}`,
    });
  }
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
 * import { HttpClient } from "./client.ts";
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
   * import { HttpClient } from "./client.ts";
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
    const { connection, timing } = await this.#open(url, options.signal);
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
        throw new ProtocolError(`Connection closed by ${url(request)} before the response`);
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

  async #open(
    url: HttpUrl,
    signal: AbortSignal | undefined,
  ): Promise<{ connection: HttpConnection; timing: Timing }> {
    const options = this.#options;
    const trace = options.trace;
    const timing = zeroTiming();
    const where = options.unixSocket ? `unix:${options.unixSocket}` : url.origin;
    return await withDeadline(
      options.connectTimeoutMs ?? 30_000,
      `Cannot connect to ${where}`,
      async (inner) => {
        let dialed: Dialed;
        const override = options.resolve?.get(overrideKey(url.host, url.port));
        if (options.unixSocket) {
          dialed = await dial({ path: options.unixSocket }, { signal: inner, trace });
        } else if (override) {
          dialed = await dialEach(override, url, inner, trace);
        } else {
          dialed = await dial({ hostname: url.host, port: url.port }, { signal: inner, trace });
        }
        timing.resolveMs = dialed.resolveMs;
        timing.connectMs = dialed.connectMs;
        let conn: Deno.Conn = dialed.conn;
        if (url.scheme === "https") {
          const tlsStarted = performance.now();
          trace?.({ step: "tls", detail: `handshake with ${url.host}` });
          let trust: string;
          ({ conn, trust } = await startTls(dialed.conn, {
            hostname: url.host,
            port: url.port,
            caCerts: options.caCerts,
            insecure: options.insecure,
            alpnProtocols: ["http/1.1"],
            signal: inner,
          }));
          timing.tlsMs = performance.now() - tlsStarted;
          trace?.({ step: "tls", detail: `handshake done (${TRUST_WORDS[trust]})` });
        }
        if (inner.aborted) {
          // The deadline passed while the last step finished: nobody will take this socket.
          closeQuietly(conn);
          throw inner.reason;
        }
        return { connection: new HttpConnection(conn, url.origin, dialed.remote, options), timing };
      },
      { signal },
    );
  }
}

/** How a server's certificate was trusted, for the trace. */
const TRUST_WORDS: Readonly<Record<string, string>> = {
  verified: "certificate verified",
  "own-certificate": "the server's own certificate, given as a CA",
  insecure: "certificate NOT verified: insecure",
};

/** A kept-alive connection was found closed before any byte of a response. */
class StaleConnection extends Error {
  constructor() {
    super("stale connection");
  }
}

function url(request: RequestHead): string {
  return request.url.origin;
}

function zeroTiming(): Timing {
  return { resolveMs: 0, connectMs: 0, tlsMs: 0, firstByteMs: 0, transferMs: 0, totalMs: 0 };
}

async function dialEach(
  addresses: string[],
  url: HttpUrl,
  signal: AbortSignal,
  trace: TraceFn | undefined,
): Promise<Dialed> {
  let last: unknown;
  trace?.({ step: "resolve", detail: `${url.host} -> ${addresses.join(", ")} (given)` });
  for (const address of addresses) {
    try {
      return await dial({ hostname: address, port: url.port }, { signal, trace });
    } catch (error) {
      if (signal.aborted) throw error;
      last = error;
    }
  }
  throw last;
}

/** Where redirects may lead and what to do with the body's content coding. */
export interface FetchOptions {
  /** `GET` or `HEAD`. */
  method: string;
  /** Fields after `Host` (defaults merged with the user's). */
  fields: Array<[string, string]>;
  /** Follow 301, 302, 303, 307 and 308 responses. @default {false} */
  followRedirects?: boolean | undefined;
  /** Most redirects to follow. @default {20} */
  maxRedirects?: number | undefined;
  /**
   * Whether another request will follow to this origin, so the connection is kept open; when it
   * returns false the request says `Connection: close`. @default {() => false}
   */
  keepAlive?: ((origin: string) => boolean) | undefined;
  /** Most body bytes, raw and decoded. @default {Infinity} */
  maxBodyBytes?: number | undefined;
  /** Decode these content codings (from `Content-Encoding`) when they are supported. */
  decode?: boolean | undefined;
  /**
   * Aborting it abandons the fetch (every connection of the client is closed); the fetch then
   * rejects with the signal's reason. The client keeps listening to the last signal it was
   * given until another takes its place or it is closed ({@linkcode HttpClient.closeOnAbort}).
   */
  signal?: AbortSignal | undefined;
  /** Called with each request head as it is written. */
  onRequest?: ((head: RequestHead, bytes: Uint8Array) => void) | undefined;
  /** Called with each interim (1xx) response head. */
  onInterim?: ((head: ResponseHead) => void) | undefined;
  /** Called with each non-1xx response head (redirects and the final one), before its body. */
  onResponse?: ((head: ResponseHead, url: HttpUrl) => void | Promise<void>) | undefined;
  /** Receives the final response's body, decoded, in order (views: copy to keep). */
  onBody?: ((chunk: Uint8Array) => void | Promise<void>) | undefined;
}

/** One redirect followed. */
export interface Redirect {
  /** The URL that answered with the redirect. */
  url: string;
  /** Its status. */
  status: number;
  /** Where it led, resolved against `url`. */
  location: string;
}

/** The outcome of {@linkcode fetchUrl}. */
export interface FetchResult {
  /** The URL of the final response. */
  url: string;
  /** The final response head. */
  head: ResponseHead;
  /** Body bytes handed to `onBody` (decoded). */
  bytes: number;
  /** Body bytes as received (before decoding). */
  rawBytes: number;
  /** Redirects followed, in order. */
  redirects: Redirect[];
  /** Whether the final response came on a kept-alive connection. */
  reused: boolean;
  /** Phases of the final exchange; `totalMs` covers the redirects too. */
  timing: Timing;
  /** The address the final response came from. */
  remote: string;
  /** Content codings decoded, as named in `Content-Encoding`. */
  decoded: string[];
}

const CREDENTIALS = new Set(["authorization", "cookie", "proxy-authorization", "host"]);

/**
 * Fetches a URL with a client: sends the request, follows redirects when asked, and streams the
 * final body to `onBody`, decoded when asked.
 *
 * A redirect to another scheme, host or port drops the `Authorization`, `Cookie`,
 * `Proxy-Authorization` and `Host` fields given by the caller, for the rest of the chain.
 *
 * @throws {LimitError} Past `maxRedirects` or `maxBodyBytes`.
 */
export async function fetchUrl(
  client: HttpClient,
  start: HttpUrl,
  options: FetchOptions,
): Promise<FetchResult> {
  const started = performance.now();
  const maxRedirects = options.maxRedirects ?? 20;
  const maxBodyBytes = options.maxBodyBytes ?? Infinity;
  const redirects: Redirect[] = [];
  let url = start;
  let method = options.method;
  let fields = options.fields;
  const unwatch = options.signal ? client.closeOnAbort(options.signal) : undefined;
  try {
    while (true) {
      options.signal?.throwIfAborted();
      const request: RequestHead = {
        method,
        url,
        fields,
        close: !(options.keepAlive?.(url.origin) ?? false),
      };
      const exchange = await client.send(request, {
        signal: options.signal,
        maxBodyBytes,
        onRequest: options.onRequest,
        onInterim: options.onInterim,
      });
      const { head } = exchange;
      const location = head.headers.get("location");
      const redirect = options.followRedirects && REDIRECT_STATUSES.has(head.status) &&
        location !== undefined;
      await options.onResponse?.(head, url);
      if (redirect) {
        await drain(client, exchange);
        if (redirects.length >= maxRedirects) {
          throw new LimitError(`Too many redirects: more than ${maxRedirects}`, {
            kind: "max-redirects",
          });
        }
        let next: HttpUrl;
        try {
          next = parseHttpUrl(location, url);
        } catch (error) {
          throw new ProtocolError(
            `Cannot follow the redirect from ${url.href}: ${(error as Error).message}`,
          );
        }
        redirects.push({ url: url.href, status: head.status, location: next.href });
        if (head.status === 303 && method !== "HEAD") method = "GET";
        if (next.origin !== url.origin) {
          fields = fields.filter(([name]) => !CREDENTIALS.has(name.toLowerCase()));
        }
        url = next;
        continue;
      }
      for (const coding of exchange.framing.transferCodings) {
        if (!decoders().has(coding)) {
          client.discard(exchange);
          throw new ProtocolError(`Unsupported transfer coding "${coding}"`);
        }
      }
      const codings = [
        ...exchange.framing.transferCodings,
        ...(options.decode ? contentCodings(head) : []),
      ];
      let bytes: number;
      try {
        bytes = codings.length > 0
          ? await decodeBody(exchange.body, codings, maxBodyBytes, options.onBody)
          : await copyBody(exchange.body, options.onBody);
      } catch (error) {
        client.discard(exchange);
        throw error;
      }
      const finished = performance.now();
      client.release(exchange);
      const timing = {
        ...exchange.timing,
        transferMs: finished - exchange.firstByteAt,
        totalMs: finished - started,
      };
      return {
        url: url.href,
        head,
        bytes,
        rawBytes: exchange.body.received,
        redirects,
        reused: exchange.reused,
        timing,
        remote: exchange.connection.remote,
        decoded: codings,
      };
    }
  } catch (error) {
    // The signal's reason, not the closed socket's error it caused.
    throw options.signal?.aborted ? options.signal.reason : error;
  } finally {
    unwatch?.();
  }
}

async function drain(client: HttpClient, exchange: Exchange): Promise<void> {
  // A redirect's body is read and dropped, so that the connection can be reused; a large one
  // is not worth reading.
  if (
    exchange.framing.body.kind === "close" || exchange.framing.body.kind === "length" &&
      exchange.framing.body.length > 1024 * 1024
  ) {
    client.discard(exchange);
    return;
  }
  try {
    while (await exchange.body.read() !== null) {
      if (exchange.body.received > 1024 * 1024) {
        client.discard(exchange);
        return;
      }
    }
  } catch (error) {
    client.discard(exchange);
    throw error;
  }
  client.release(exchange);
}

async function copyBody(
  body: BodyReader,
  onBody: ((chunk: Uint8Array) => void | Promise<void>) | undefined,
): Promise<number> {
  for (let chunk = await body.read(); chunk !== null; chunk = await body.read()) {
    if (onBody) await onBody(chunk);
  }
  return body.received;
}

let supported: ReadonlyMap<string, CompressionFormat> | undefined;

/**
 * The content codings that `DecompressionStream` decodes here, by their HTTP name. Found on first
 * use, not at start-up: making the streams loads the runtime's compression and streams code,
 * about 8 ms that a command which decodes nothing should not pay.
 *
 * @example
 * ```ts
 * import { decoders } from "./client.ts";
 * import assert from "node:assert/strict";
 * assert.equal(decoders().get("x-gzip"), "gzip");
 * ```
 */
export function decoders(): ReadonlyMap<string, CompressionFormat> {
  if (supported) return supported;
  const map = new Map<string, CompressionFormat>();
  const candidates: Array<[string, string]> = [
    ["gzip", "gzip"],
    ["x-gzip", "gzip"],
    ["deflate", "deflate"],
    ["br", "brotli"],
  ];
  for (const [name, format] of candidates) {
    try {
      new DecompressionStream(format as CompressionFormat);
      map.set(name, format as CompressionFormat);
    } catch {
      // This runtime cannot decode it: do not ask for it.
    }
  }
  return supported = map;
}

/** The `Accept-Encoding` value asking for what {@linkcode decoders} can decode. */
export function acceptEncoding(): string {
  return [...decoders().keys()].filter((name) => name !== "x-gzip").join(", ");
}

/**
 * The response's content codings to decode, in the order they were applied, or none when one
 * of them is not supported (the body is then passed on as it came).
 */
export function contentCodings(head: ResponseHead): string[] {
  const codings = head.headers.tokens("content-encoding").filter((c) => c !== "identity");
  const known = decoders();
  return codings.every((c) => known.has(c)) ? codings : [];
}

/**
 * Decodes a body through `DecompressionStream`s and hands the decoded bytes to `onBody`. Only
 * the decoders' own failures become "Cannot decode" protocol errors: an error of sockit's family
 * from reading the body, and anything `onBody` throws (a closed stdout), pass through unchanged.
 */
/** Compressed bytes given to a decoder at a time: at most about 4 MiB come out of them. */
const DECODE_PIECE = 4096;

async function decodeBody(
  body: BodyReader,
  codings: string[],
  maxBytes: number,
  onBody: ((chunk: Uint8Array) => void | Promise<void>) | undefined,
): Promise<number> {
  // The decoder is fed small pieces: deflate expands up to about 1000 times, so one 1 MiB read
  // of a bomb would come out as a gigabyte in one go, before the limit below could stop it.
  let pending: Uint8Array | undefined;
  let stream: ReadableStream<Uint8Array> = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (pending === undefined || pending.length === 0) {
        const chunk = await body.read();
        if (chunk === null) return controller.close();
        pending = chunk.slice();
      }
      controller.enqueue(pending.subarray(0, DECODE_PIECE));
      pending = pending.subarray(DECODE_PIECE);
    },
  }, { highWaterMark: 0 });
  for (const coding of [...codings].reverse()) {
    stream = stream.pipeThrough(
      new DecompressionStream(decoders().get(coding)!) as unknown as TransformStream<
        Uint8Array,
        Uint8Array
      >,
    );
  }
  const reader = stream.getReader();
  let total = 0;
  try {
    while (true) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (error) {
        if (error instanceof SockitError) throw error;
        throw new ProtocolError(
          `Cannot decode the ${codings.join(", ")} body: ${(error as Error).message}`,
          { cause: error },
        );
      }
      if (next.done) return total;
      total += next.value.length;
      if (total > maxBytes) {
        throw new LimitError(`Decoded response body is over the limit of ${maxBytes} bytes`, {
          kind: "max-body",
        });
      }
      if (onBody) await onBody(next.value);
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    throw error;
  } finally {
    reader.releaseLock();
  }
}
