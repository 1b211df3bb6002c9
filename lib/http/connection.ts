/**
 * One connection to an origin: opening it (resolve or `--resolve` addresses, connect or a Unix
 * socket, the TLS handshake, under one deadline, with the time of each phase), and reading from
 * it with a limit on each wait for bytes.
 *
 * @module
 */
import { closeQuietly } from "../net/close.ts";
import { formatDuration, withDeadline } from "../net/deadline.ts";
import { dial } from "../net/dial.ts";
import type { Dialed } from "../net/dial.ts";
import { TimeoutError } from "../net/errors.ts";
import type { ByteReader } from "../net/io.ts";
import { overrideKey } from "../net/override.ts";
import { readWithTimeout } from "../net/read_timeout.ts";
import { BufReader } from "../net/reader.ts";
import { startTls } from "../net/tls.ts";
import type { TraceFn } from "../net/trace.ts";
import type { HttpUrl } from "./url.ts";

/** How to open and read a connection: options of {@linkcode openConnection}. */
export interface ConnectionOptions {
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

/** A {@linkcode Timing} with every phase at 0, for a connection that was already open. */
export function zeroTiming(): Timing {
  return { resolveMs: 0, connectMs: 0, tlsMs: 0, firstByteMs: 0, transferMs: 0, totalMs: 0 };
}

/** The default {@linkcode ConnectionOptions.readTimeoutMs}: one minute without a byte. */
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

  /** Use {@linkcode openConnection}. */
  constructor(conn: Deno.Conn, origin: string, remote: string, options: ConnectionOptions) {
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

/** Options for {@linkcode openConnection}. */
export interface OpenOptions extends ConnectionOptions {
  /** Aborting it abandons the open; the promise rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
}

/** What {@linkcode openConnection} returns. */
export interface Opened {
  /** The connection, ready for a request. */
  connection: HttpConnection;
  /** The resolve, connect and TLS phases (the others are 0). */
  timing: Timing;
}

/**
 * Opens a connection to the URL's origin (or to `unixSocket`): resolves its host, or takes the
 * addresses given for it in `resolve` and tries them in order, connects, and shakes hands for
 * https, all under `connectTimeoutMs`.
 *
 * @example Open a connection to a local server
 * ```ts
 * import { openConnection } from "./connection.ts";
 * import { parseHttpUrl } from "./url.ts";
 * import assert from "node:assert/strict";
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const accepted = listener.accept();
 * const url = parseHttpUrl(`http://localhost:${listener.addr.port}/`);
 * const resolve = new Map([[`localhost:${listener.addr.port}`, ["127.0.0.1"]]]);
 * const { connection } = await openConnection(url, { resolve });
 * assert.equal(connection.remote, `127.0.0.1:${listener.addr.port}`);
 * connection.close();
 * (await accepted).close();
 * ```
 *
 * @throws {ResolveError | ConnectError | TimeoutError | TlsError}
 */
export async function openConnection(url: HttpUrl, options: OpenOptions = {}): Promise<Opened> {
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
    { signal: options.signal },
  );
}

/** How a server's certificate was trusted, for the trace. */
const TRUST_WORDS: Readonly<Record<string, string>> = {
  verified: "certificate verified",
  "own-certificate": "the server's own certificate, given as a CA",
  insecure: "certificate NOT verified: insecure",
};

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
