/**
 * TLS on top of a connection: the client handshake (with a deadline and the caller's trust),
 * why a handshake failed in a few words with a `kind`, and a server's certificate and key.
 * Shared by `get`'s HTTPS and by the TLS echo.
 *
 * @module
 */
import { formatHostPort } from "./addr.ts";
import { closeOnAbort, closeQuietly } from "./close.ts";
import { describeNetError, isPeerGone } from "./dial.ts";
import { TlsError } from "./errors.ts";

/** Options for {@linkcode startTls}. */
export interface StartTlsOptions {
  /** The name to send as SNI and to verify the certificate against. */
  hostname: string;
  /** The port, for messages. */
  port: number;
  /** The address connected to, for messages, when it is not `hostname` (`127.0.0.1:443`). */
  remote?: string | undefined;
  /** Extra trusted root certificates (PEM), on top of the system's. */
  caCerts?: string[] | undefined;
  /** ALPN protocols to offer. */
  alpnProtocols?: string[] | undefined;
  /** Aborting it ends the handshake (the connection is closed). */
  signal: AbortSignal;
}

/** A finished client handshake. */
export interface TlsClientConn {
  /** The TLS connection, to read and write (and close) instead of the one passed in. */
  conn: Deno.TlsConn;
  /** The ALPN protocol the server chose, or `null`. */
  alpn: string | null;
}

/**
 * The TLS client handshake over `conn`, which it takes over: closed when the handshake fails,
 * and the TLS connection closed when `signal` aborts during it (that is what ends a handshake
 * with a peer that never answers).
 *
 * @throws {TlsError} With a `kind` from {@linkcode tlsFailure} when the handshake fails.
 *
 * @example
 * ```ts
 * import { startTls } from "./tls.ts";
 * import { TlsError } from "./errors.ts";
 * import assert from "node:assert/strict";
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const accepted = listener.accept().then((conn) => conn.close()); // not a TLS server
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * const signal = new AbortController().signal;
 * await assert.rejects(startTls(conn, { hostname: "a.test", port: 1, signal }), TlsError);
 * await accepted;
 * ```
 */
export async function startTls(conn: Deno.Conn, options: StartTlsOptions): Promise<TlsClientConn> {
  const { hostname, port, caCerts, alpnProtocols, signal } = options;
  let tls: Deno.TlsConn | undefined;
  try {
    using _closeTcp = closeOnAbort(signal, conn);
    tls = await Deno.startTls(conn as Deno.TcpConn, {
      hostname,
      ...(caCerts && caCerts.length > 0 ? { caCerts } : {}),
      ...(alpnProtocols ? { alpnProtocols } : {}),
    });
    using _closeTls = closeOnAbort(signal, tls);
    const info = await tls.handshake();
    return { conn: tls, alpn: info.alpnProtocol };
  } catch (error) {
    closeQuietly(tls ?? conn);
    if (signal.aborted) throw signal.reason;
    const { why, kind } = tlsFailure(error, hostname);
    const where = options.remote ?? formatHostPort(hostname, port);
    throw new TlsError(`TLS handshake with ${where} failed: ${why}`, {
      cause: error,
      kind,
    });
  }
}

/**
 * Says why a TLS handshake failed in a few words: `certificate has an unknown issuer`.
 *
 * @example
 * ```ts
 * import { describeTlsError } from "./tls.ts";
 * import assert from "node:assert/strict";
 * const error = new Error("invalid peer certificate: UnknownIssuer");
 * assert.equal(describeTlsError(error, "a.test"), "certificate has an unknown issuer");
 * ```
 */
export function describeTlsError(error: unknown, host: string): string {
  return tlsFailure(error, host).why;
}

/**
 * Why a TLS handshake failed, and the `kind` of {@linkcode TlsError} for it: `unknown-issuer`,
 * `wrong-name`, `expired`, `not-yet-valid`, `revoked`, `bad-certificate`, `not-tls` (the peer
 * echoed the hello back), `closed`, or none.
 */
export function tlsFailure(error: unknown, host: string): { why: string; kind?: string } {
  const message = error instanceof Error ? error.message : String(error);
  if (/UnknownIssuer|unknown issuer/i.test(message)) {
    return { why: "certificate has an unknown issuer", kind: "unknown-issuer" };
  }
  if (/NotValidForName|not valid for name/i.test(message)) {
    const names = [...message.matchAll(/(?:DnsName|IpAddress)\(("?)([^")]*)\1\)/g)].map((m) =>
      m[2]
    );
    const why = `certificate is not valid for "${host}"${
      names.length > 0 ? ` (it is for ${names.join(", ")})` : ""
    }`;
    return { why, kind: "wrong-name" };
  }
  if (/Expired/i.test(message)) return { why: "certificate has expired", kind: "expired" };
  if (/NotValidYet/i.test(message)) {
    return { why: "certificate is not valid yet", kind: "not-yet-valid" };
  }
  if (/Revoked/i.test(message)) return { why: "certificate is revoked", kind: "revoked" };
  if (/BadSignature|BadEncoding|UnsupportedSignature/i.test(message)) {
    return { why: "certificate is malformed or badly signed", kind: "bad-certificate" };
  }
  if (/got ClientHello when expecting/i.test(message)) {
    // An echo server (or any plain TCP peer that repeats what it gets) sent our hello back.
    return { why: "the server sent our own TLS hello back: it speaks plain TCP", kind: "not-tls" };
  }
  if (isPeerGone(error) || /eof|reset|closed/i.test(message)) {
    return {
      why: `connection closed during the handshake (${describeNetError(error)})`,
      kind: "closed",
    };
  }
  return { why: message.replace(/\s*\(os error \d+\)$/, "") };
}

/** A server's certificate chain and private key, as PEM text. */
export interface TlsKeyPair {
  /** The certificate, then any intermediates: the chain is served whole, in file order. */
  cert: string;
  /** The private key (PKCS#8, PKCS#1 or SEC1). */
  key: string;
}

/**
 * Checks that `cert` holds at least one PEM certificate and `key` one PEM private key, and
 * says what is wrong otherwise, in terms of the files' contents (`no "BEGIN CERTIFICATE"
 * block`). Returns `undefined` when both look right; the runtime checks the rest (that they
 * parse and that the key fits the certificate) when it binds.
 *
 * @example
 * ```ts
 * import { checkKeyPair } from "./tls.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(checkKeyPair({ cert: "hello", key: "" }), {
 *   which: "cert",
 *   why: 'no PEM "BEGIN CERTIFICATE" block',
 * });
 * ```
 */
export function checkKeyPair(pair: TlsKeyPair): { which: "cert" | "key"; why: string } | undefined {
  if (!/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.test(pair.cert)) {
    return { which: "cert", why: 'no PEM "BEGIN CERTIFICATE" block' };
  }
  if (!/-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(pair.key)) {
    return { which: "key", why: 'no PEM "BEGIN PRIVATE KEY" block' };
  }
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(pair.key)) {
    return { which: "key", why: "the key is encrypted with a passphrase, which is not supported" };
  }
  return undefined;
}
