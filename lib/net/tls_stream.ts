/**
 * A client's byte stream, plain or TLS: {@linkcode overStream} runs some work on a dialed
 * connection, or on a TLS handshake made on top of it, and ends the TLS side with close_notify
 * so that the server sees a clean end rather than a truncation.
 *
 * @module
 */
import { closeOnAbort, closeQuietly } from "./close.ts";
import type { Dialed } from "./dial.ts";
import { startTls } from "./tls.ts";

/** What a client's TLS is to check: the name and the extra trusted CAs. */
export interface ClientTls {
  /** The name sent as SNI and verified against the certificate. */
  servername: string;
  /** Extra trusted CA certificates (PEM), on top of the system's. */
  caCerts: string[];
}

/** What a TLS handshake gave the client. */
export interface TlsUsed {
  /** The ALPN protocol the server chose, or `null`. */
  alpn: string | null;
  /** Milliseconds the handshake took. */
  tlsMs: number;
}

/**
 * Runs `use` on the dialed connection, or, with `tls`, on a TLS connection made on top of it
 * (verified as {@linkcode startTls} does). The TLS connection is closed when `signal` aborts
 * and once `use` settles; when `use` succeeds, close_notify is sent first. The dialed
 * connection itself stays the caller's to close.
 *
 * @throws {TlsError} When the handshake fails. And whatever `use` throws.
 *
 * @example Plain TCP: `use` gets the dialed connection itself
 * ```ts
 * import { overStream } from "./tls_stream.ts";
 * import { dial } from "./dial.ts";
 * import assert from "node:assert/strict";
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const accepted = listener.accept();
 * const dialed = await dial({ hostname: "127.0.0.1", port: listener.addr.port });
 * const signal = new AbortController().signal;
 * const same = await overStream(dialed, undefined, signal, (conn, tls) => {
 *   return Promise.resolve(conn === dialed.conn && tls === undefined);
 * });
 * assert.equal(same, true);
 * dialed.conn.close();
 * (await accepted).close();
 * ```
 */
export async function overStream<T>(
  dialed: Dialed,
  tls: ClientTls | undefined,
  signal: AbortSignal,
  use: (conn: Deno.Conn, tls: TlsUsed | undefined) => Promise<T>,
): Promise<T> {
  if (!tls) return await use(dialed.conn, undefined);
  const started = performance.now();
  const remote = dialed.conn.remoteAddr as Deno.NetAddr;
  const upgraded = await startTls(dialed.conn, {
    hostname: tls.servername,
    port: remote.port,
    remote: dialed.remote,
    caCerts: tls.caCerts,
    signal,
  });
  using _closer = closeOnAbort(signal, upgraded.conn);
  try {
    const result = await use(upgraded.conn, {
      alpn: upgraded.alpn,
      tlsMs: performance.now() - started,
    });
    // close_notify, so that the server sees a clean end rather than a truncation.
    await upgraded.conn.closeWrite().catch(() => {});
    return result;
  } finally {
    closeQuietly(upgraded.conn);
  }
}
