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
 * The kinds of {@linkcode TlsError} that are the certificate's: it will not verify on the next
 * attempt either, so a waiter stops and a check does not retry.
 */
export const CERTIFICATE_KINDS: ReadonlySet<string> = new Set([
  "unknown-issuer",
  "self-signed",
  "ca-as-leaf",
  "wrong-name",
  "wrong-purpose",
  "expired",
  "not-yet-valid",
  "revoked",
  "bad-certificate",
  "no-certificate",
  "certificate",
]);

/**
 * Whether `error` is a certificate that did not verify (any of {@linkcode CERTIFICATE_KINDS}),
 * as opposed to a handshake cut short or garbled.
 */
export function isCertificateFailure(error: unknown): error is TlsError {
  return error instanceof TlsError && error.kind !== undefined && CERTIFICATE_KINDS.has(error.kind);
}

/** What OpenSSL's verify codes (node:tls's `error.code`) mean, as a `kind` and a few words. */
const NODE_CODES: Readonly<Record<string, { kind: string; why: string }>> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: { kind: "self-signed", why: "certificate is self-signed" },
  SELF_SIGNED_CERT_IN_CHAIN: {
    kind: "unknown-issuer",
    why: "certificate chain ends in a self-signed certificate that is not trusted",
  },
  UNABLE_TO_GET_ISSUER_CERT: { kind: "unknown-issuer", why: "certificate has an unknown issuer" },
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: {
    kind: "unknown-issuer",
    why: "certificate has an unknown issuer",
  },
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: {
    kind: "unknown-issuer",
    why: "certificate has an unknown issuer (or its signature does not verify)",
  },
  CERT_HAS_EXPIRED: { kind: "expired", why: "certificate has expired" },
  CERT_NOT_YET_VALID: { kind: "not-yet-valid", why: "certificate is not valid yet" },
  CERT_REVOKED: { kind: "revoked", why: "certificate is revoked" },
  CERT_SIGNATURE_FAILURE: {
    kind: "bad-certificate",
    why: "certificate is malformed or badly signed",
  },
  ERR_TLS_CERT_ALTNAME_INVALID: { kind: "wrong-name", why: "" },
};

/** The most of a TLS library's own text that a message repeats. */
const MAX_LIBRARY_TEXT = 120;

/**
 * Why a TLS handshake failed, and the `kind` of {@linkcode TlsError} for it. Every failure of
 * the peer's certificate has one of {@linkcode CERTIFICATE_KINDS} (`certificate` when the
 * library names a reason not listed here, put in plain words); a handshake cut short is
 * `closed`, a peer that echoed our hello `not-tls`; anything else has none.
 *
 * @example
 * ```ts
 * import { tlsFailure } from "./tls.ts";
 * import assert from "node:assert/strict";
 * const error = new Error("invalid peer certificate: Other(OtherError(UnsupportedCertVersion))");
 * assert.deepEqual(tlsFailure(error, "a.test"), {
 *   why: "certificate is refused: unsupported cert version",
 *   kind: "certificate",
 * });
 * ```
 */
export function tlsFailure(error: unknown, host: string): { why: string; kind?: string } {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const known = typeof code === "string" ? NODE_CODES[code] : undefined;
  if (known?.kind === "wrong-name") {
    // node: "Hostname/IP does not match certificate's altnames: Host: a. is not in the cert's
    // altnames: DNS:localhost, IP Address:127.0.0.1"
    const names = /altnames: (?:DNS|IP Address):.*$/.exec(message)?.[0]
      .replace(/^altnames: /, "").replace(/(?:DNS|IP Address):/g, "");
    return { why: notForHost(host, names ? names.split(/,\s*/) : []), kind: "wrong-name" };
  }
  if (known) return known;
  if (typeof code === "string" && /CERT|ISSUER|SELF_SIGNED|CHAIN/.test(code)) {
    return { why: `certificate is refused: ${libraryText(message)}`, kind: "certificate" };
  }
  const certificate = /invalid peer certificate:\s*(.*)$/is.exec(message)?.[1];
  if (certificate !== undefined) return certificateFailure(certificate, host);
  if (/peer sent no certificates/i.test(message)) {
    return { why: "the server sent no certificate", kind: "no-certificate" };
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
  return { why: libraryText(message.replace(/\s*\(os error \d+\)$/, "")) };
}

/** What follows rustls' "invalid peer certificate: ", as a kind and a few words. */
function certificateFailure(text: string, host: string): { why: string; kind: string } {
  if (/UnknownIssuer|unknown issuer/i.test(text)) {
    return { why: "certificate has an unknown issuer", kind: "unknown-issuer" };
  }
  if (/CaUsedAsEndEntity/i.test(text)) {
    return {
      why: "certificate is a CA certificate, used as the server's own (self-signed?)",
      kind: "ca-as-leaf",
    };
  }
  if (/NotValidForName|not valid for name/i.test(text)) {
    const names = [...text.matchAll(/(?:DnsName|IpAddress)\(\\?"?([^")\\]*)\\?"?\)/g)].map((m) =>
      m[1]!
    );
    return { why: notForHost(host, names), kind: "wrong-name" };
  }
  if (/NotValidYet|not valid yet/i.test(text)) {
    return { why: "certificate is not valid yet", kind: "not-yet-valid" };
  }
  if (/Expired|certificate expired/i.test(text)) {
    return { why: "certificate has expired", kind: "expired" };
  }
  if (/Revoked/i.test(text)) return { why: "certificate is revoked", kind: "revoked" };
  if (/InvalidPurpose|extended key usage/i.test(text)) {
    return {
      why: "certificate is not for server authentication (its extended key usage)",
      kind: "wrong-purpose",
    };
  }
  if (/BadSignature|BadEncoding|UnsupportedSignature|signature/i.test(text)) {
    return { why: "certificate is malformed or badly signed", kind: "bad-certificate" };
  }
  return { why: `certificate is refused: ${plainWords(text)}`, kind: "certificate" };
}

function notForHost(host: string, names: string[]): string {
  return `certificate is not valid for "${host}"${
    names.length > 0 ? ` (it is for ${names.join(", ")})` : ""
  }`;
}

/**
 * A reason rustls names by its Rust identifier (`Other(OtherError(UnsupportedCertVersion))`)
 * in words (`unsupported cert version`); its own sentences as they are.
 */
function plainWords(text: string): string {
  const ident = /^(?:\w+\()*([A-Z][A-Za-z0-9]*)\)*$/.exec(text.trim())?.[1];
  if (ident === undefined) return libraryText(text);
  return ident.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();
}

/** A TLS library's text, on one line and at most {@linkcode MAX_LIBRARY_TEXT} characters. */
function libraryText(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > MAX_LIBRARY_TEXT ? `${line.slice(0, MAX_LIBRARY_TEXT - 3)}...` : line;
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
