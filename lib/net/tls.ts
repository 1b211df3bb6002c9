/**
 * TLS on top of a connection: the client handshake (with a deadline and the caller's trust),
 * why a handshake failed in a few words with a `kind` (the one place that reads the TLS
 * libraries' messages, rustls' and node:tls'), and a server's certificate and key.
 * Shared by `get`'s HTTPS and by the TLS echo.
 *
 * @module
 */
import { formatHostPort } from "./addr.ts";
import { closeOnAbort, closeQuietly } from "./close.ts";
import { describeNetError, isPeerGone } from "./dial.ts";
import { ConnectError, TlsError } from "./errors.ts";
import type { ErrorKind } from "./errors.ts";
import type { NodeTlsConn, NodeTlsOptions } from "./node_tls.ts";

/** Options for {@linkcode startTls}. */
export interface StartTlsOptions {
  /** The name to send as SNI and to verify the certificate against. */
  hostname: string;
  /** The port, for messages. */
  port: number;
  /** The address connected to, for messages, when it is not `hostname` (`127.0.0.1:443`). */
  remote?: string | undefined;
  /**
   * Extra trusted root certificates (PEM), on top of the system's. A server's own self-signed
   * certificate among them is trusted too (see {@linkcode startTls}).
   */
  caCerts?: string[] | undefined;
  /** Accept any certificate, for any name: no verification at all. @default {false} */
  insecure?: boolean | undefined;
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
  /**
   * How the certificate was trusted: `verified` (a chain to a trusted root, by rustls),
   * `own-certificate` (the server's certificate is itself one of `caCerts`), `insecure` (not
   * verified).
   */
  trust: "verified" | "own-certificate" | "insecure";
}

/**
 * The TLS client handshake over `conn`, which it takes over: closed when the handshake fails,
 * and the TLS connection closed when `signal` aborts during it (that is what ends a handshake
 * with a peer that never answers).
 *
 * Certificates are verified by `Deno.startTls` (rustls): a chain to the system's roots or to
 * `caCerts`, for `hostname`. rustls refuses a certificate marked CA:TRUE as a server's own,
 * which is what `openssl req -x509` makes; curl (OpenSSL) trusts such a certificate when it is
 * given with `--cacert`. So when rustls refuses it for that reason alone and `caCerts` were
 * given, a second connection to the same address is verified by `node:tls` against `caCerts`
 * alone (its chain, dates, name, and the handshake's proof that the server holds the key), and
 * is kept only when the server's certificate is byte for byte one of `caCerts`.
 *
 * With `insecure`, no certificate is verified (`node:tls` with `rejectUnauthorized: false`).
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
  const { hostname, caCerts, alpnProtocols, signal } = options;
  if (options.insecure) {
    const made = await viaNodeTls(conn, { hostname, trust: "any", alpnProtocols }, options);
    return { conn: made.conn, alpn: made.alpn, trust: "insecure" };
  }
  const remote = conn.remoteAddr;
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
    return { conn: tls, alpn: info.alpnProtocol, trust: "verified" };
  } catch (error) {
    closeQuietly(tls ?? conn);
    if (signal.aborted) throw signal.reason;
    const failure = handshakeError(error, peerName(options), hostname);
    if (failure.kind !== "ca-as-leaf" || !caCerts || caCerts.length === 0) throw failure;
    return await ownCertificate(remote, options, failure);
  }
}

/** The address a handshake is with, for messages: `127.0.0.1:443`. */
function peerName(options: StartTlsOptions): string {
  return options.remote ?? formatHostPort(options.hostname, options.port);
}

/**
 * A handshake's error as the {@linkcode TlsError} that says why (`TLS handshake with a:443
 * failed: why`), with the `kind` from {@linkcode tlsFailure}.
 */
function handshakeError(error: unknown, where: string, host: string): TlsError {
  const { why, kind } = tlsFailure(error, host);
  return new TlsError(`TLS handshake with ${where} failed`, { cause: error, why, kind });
}

/** node's `code` for a connection that failed before or under the handshake, not in it. */
const NODE_CONNECT_CODES =
  /^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|EPIPE|ENOTFOUND|EAI_)/;

/**
 * The error of a `node:tls` socket as sockit's: a {@linkcode ConnectError} of kind `connect`
 * when the connection itself failed (refused, reset, unreachable, a name not found, by node's
 * `code`), else the handshake's {@linkcode TlsError} (see {@linkcode tlsFailure}).
 *
 * @param error The socket's `error` event.
 * @param where The address, for the message: `127.0.0.1:443`.
 * @param host The name the certificate is verified for.
 *
 * @example
 * ```ts
 * import { nodeSocketError } from "./tls.ts";
 * import { ConnectError, TlsError } from "./errors.ts";
 * import assert from "node:assert/strict";
 * const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
 * assert.ok(nodeSocketError(refused, "127.0.0.1:1", "a.test") instanceof ConnectError);
 * const expired = Object.assign(new Error("certificate has expired"), { code: "CERT_HAS_EXPIRED" });
 * assert.equal((nodeSocketError(expired, "127.0.0.1:1", "a.test") as TlsError).kind, "expired");
 * ```
 */
export function nodeSocketError(
  error: Error & { code?: string },
  where: string,
  host: string,
): ConnectError | TlsError {
  if (NODE_CONNECT_CODES.test(error.code ?? "")) {
    return new ConnectError(`Cannot connect to ${where}`, {
      cause: error,
      why: error.message,
      kind: "connect",
    });
  }
  return handshakeError(error, where, host);
}

/** A handshake through `node:tls` (see `node_tls.ts`), bounded by the caller's signal. */
async function viaNodeTls(
  conn: Deno.Conn,
  nodeOptions: NodeTlsOptions,
  options: StartTlsOptions,
): Promise<NodeTlsConn> {
  const { signal } = options;
  try {
    using _closeTcp = closeOnAbort(signal, conn);
    // Loaded on first use: node:tls costs tens of milliseconds at start-up.
    const { nodeStartTls } = await import("./node_tls.ts");
    return await nodeStartTls(conn, nodeOptions);
  } catch (error) {
    closeQuietly(conn);
    if (signal.aborted) throw signal.reason;
    throw handshakeError(error, peerName(options), options.hostname);
  }
}

/**
 * Connects to `remote` again and trusts the server's certificate only if `node:tls` verifies
 * it against `caCerts` alone and it is byte for byte one of them; `refused` otherwise.
 */
async function ownCertificate(
  remote: Deno.Addr,
  options: StartTlsOptions,
  refused: TlsError,
): Promise<TlsClientConn> {
  const { signal } = options;
  let again: Deno.Conn;
  try {
    again = remote.transport === "unix"
      ? await Deno.connect({ transport: "unix", path: (remote as Deno.UnixAddr).path })
      : await Deno.connect({
        hostname: (remote as Deno.NetAddr).hostname,
        port: (remote as Deno.NetAddr).port,
      });
  } catch {
    throw refused;
  }
  if (signal.aborted) {
    closeQuietly(again);
    throw signal.reason;
  }
  const made = await viaNodeTls(again, {
    hostname: options.hostname,
    trust: "given",
    caCerts: options.caCerts,
    alpnProtocols: options.alpnProtocols,
  }, options);
  const given = (options.caCerts ?? []).flatMap(pemCertificates);
  if (!given.some((der) => sameBytes(der, made.peerCertificate))) {
    // Verified by the given CAs, but not itself one of them: a CA certificate used as a
    // server's own, which rustls refuses, and so does sockit.
    closeQuietly(made.conn);
    throw refused;
  }
  return { conn: made.conn, alpn: made.alpn, trust: "own-certificate" };
}

/** The DER bytes of every certificate in PEM text. */
function pemCertificates(pem: string): Uint8Array[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)]
    .flatMap((m) => {
      try {
        return [Uint8Array.from(atob(m[1]!.replace(/\s+/g, "")), (c) => c.charCodeAt(0))];
      } catch {
        return [];
      }
    });
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
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
export const CERTIFICATE_KINDS: ReadonlySet<string> = new Set<ErrorKind>([
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
const NODE_CODES: Readonly<Record<string, { kind: ErrorKind; why: string }>> = {
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
export function tlsFailure(error: unknown, host: string): { why: string; kind?: ErrorKind } {
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
  if (/InvalidContentType|wrong version number/i.test(message)) {
    return { why: "the server's answer is not TLS (plain HTTP on the port?)", kind: "not-tls" };
  }
  if (isPeerGone(error) || /eof|end of file|reset|closed|disconnected/i.test(message)) {
    return {
      why: `connection closed during the handshake (${describeNetError(error)})`,
      kind: "closed",
    };
  }
  return { why: libraryText(message.replace(/\s*\(os error \d+\)$/, "")) };
}

/** What follows rustls' "invalid peer certificate: ", as a kind and a few words. */
function certificateFailure(text: string, host: string): { why: string; kind: ErrorKind } {
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

/**
 * Checks that PEM text holds at least one whole certificate block (`BEGIN CERTIFICATE` to
 * `END CERTIFICATE`), as a CA file or a server's chain must: returns why not, or `undefined`.
 *
 * @example
 * ```ts
 * import { checkCertificatePem } from "./tls.ts";
 * import assert from "node:assert/strict";
 * assert.equal(checkCertificatePem("-----BEGIN CERTIFICATE-----\n"), 'no PEM "BEGIN CERTIFICATE" block');
 * ```
 */
export function checkCertificatePem(pem: string): string | undefined {
  return /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.test(pem)
    ? undefined
    : 'no PEM "BEGIN CERTIFICATE" block';
}

/**
 * Why the runtime refused a server's own certificate and key (`Deno.listenTls`), read from its
 * error: the kind, and the words for it. An error it does not recognise keeps its own text.
 *
 * @example
 * ```ts
 * import { keyPairFailure } from "./tls.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(keyPairFailure(new Error("invalid private key: KeyMismatch")), {
 *   why: "the key does not belong to the certificate",
 *   kind: "key-mismatch",
 * });
 * ```
 */
export function keyPairFailure(error: unknown): { why: string; kind?: ErrorKind } {
  const message = error instanceof Error ? error.message : String(error);
  if (/KeyMismatch/i.test(message)) {
    return { why: "the key does not belong to the certificate", kind: "key-mismatch" };
  }
  if (/private key/i.test(message)) return { why: "cannot parse the private key", kind: "bad-key" };
  if (/No certificates/i.test(message)) {
    return { why: "no certificate in the certificate text", kind: "missing-certificate" };
  }
  if (/BadEncoding|certificate/i.test(message)) {
    return { why: "a certificate is malformed", kind: "bad-certificate" };
  }
  return { why: message };
}

/**
 * Whether a TLS read failed only because the peer closed without close_notify (a truncation,
 * as ncat and `openssl s_client` end): everything it sent has arrived.
 *
 * @example
 * ```ts
 * import { isTlsTruncation } from "./tls.ts";
 * import assert from "node:assert/strict";
 * assert.equal(isTlsTruncation(new Error("peer closed connection without sending TLS close_notify")), true);
 * assert.equal(isTlsTruncation(new Error("connection reset")), false);
 * ```
 */
export function isTlsTruncation(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /close_notify|UnexpectedEof/i.test(message);
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
  const why = checkCertificatePem(pair.cert);
  if (why) return { which: "cert", why };
  if (!/-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(pair.key)) {
    return { which: "key", why: 'no PEM "BEGIN PRIVATE KEY" block' };
  }
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(pair.key)) {
    return { which: "key", why: "the key is encrypted with a passphrase, which is not supported" };
  }
  return undefined;
}
