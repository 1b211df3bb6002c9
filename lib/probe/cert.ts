/**
 * The peer's leaf certificate: who it names and when it expires. Deno's own TLS connection
 * (`Deno.startTls`, `Deno.connectTls`) tells nothing about the certificate it verified: its
 * `handshake()` resolves to the ALPN protocol only. `node:tls` does (`getPeerCertificate()`,
 * on Deno's same TLS stack), so the certificate is read over a connection of its own: one more
 * handshake with the same address, name and trusted CAs, closed as soon as it is done.
 *
 * @module
 */
import type tls from "node:tls";
import { formatHostPort, isIpLiteral } from "../net/addr.ts";
import { withDeadline } from "../net/deadline.ts";
import { ConnectError, TlsError } from "../net/errors.ts";
import { nodeSocketError } from "../net/tls.ts";
import type { TraceFn } from "../net/trace.ts";

/** What a leaf certificate says about itself. */
export interface PeerCertificate {
  /** The subject's common name (or the whole subject when it has none). */
  subject: string;
  /** The issuer's common name. */
  issuer: string;
  /** The first moment it is valid. */
  validFrom: Date;
  /** The last moment it is valid. */
  validTo: Date;
  /**
   * The earliest last moment of the chain (the leaf and the issuers above it, as the handshake
   * verified it): an intermediate that expires before the leaf ends the chain's validity.
   */
  chainValidTo: Date;
  /**
   * The SHA-256 of the leaf certificate (its DER form) as `openssl x509 -fingerprint -sha256`
   * prints it: upper-case hex in pairs joined by `:`.
   */
  sha256: string;
}

/** Options for {@linkcode readPeerCertificate}. */
export interface PeerCertificateOptions {
  /** The name to ask for and verify (SNI), when it is not an address. */
  servername: string;
  /** Trusted CA certificates (PEM): these alone when given, the system's otherwise. */
  caCerts?: string[] | undefined;
  /** Read the certificate without verifying it. @default {false} */
  insecure?: boolean | undefined;
  /** Limit on connecting and the handshake, in milliseconds. @default {no limit} */
  timeoutMs?: number | undefined;
  /** Ends the attempt early. */
  signal?: AbortSignal | undefined;
  /** Receives the connect and close steps. */
  trace?: TraceFn | undefined;
}

/**
 * Connects to `hostname:port`, completes a verified TLS handshake for `options.servername`, and
 * returns the leaf certificate's names and validity.
 *
 * @throws {ConnectError} When the connection is refused or lost.
 * @throws {TlsError} When the handshake or the certificate check fails.
 * @throws {TimeoutError} Past `timeoutMs`.
 *
 * @example The expiry of a local server's certificate
 * ```ts ignore
 * import { readPeerCertificate } from "./cert.ts";
 * const cert = await readPeerCertificate("127.0.0.1", 8443, { servername: "localhost", caCerts: [ca] });
 * console.log(cert.validTo.toISOString());
 * ```
 */
export async function readPeerCertificate(
  hostname: string,
  port: number,
  options: PeerCertificateOptions,
): Promise<PeerCertificate> {
  const where = formatHostPort(hostname, port);
  // Loaded here, not at the top: node's modules cost every command start-up time.
  const { default: nodeTls } = await import("node:tls");
  return await withDeadline(
    options.timeoutMs,
    `Reading the certificate of ${where}`,
    (signal) =>
      new Promise<PeerCertificate>((resolve, reject) => {
        options.trace?.({
          step: "connect",
          detail: `${where} (a second handshake, to read the certificate)`,
        });
        const extra = options.caCerts ?? [];
        const socket = nodeTls.connect({
          host: hostname,
          port,
          ...(isIpLiteral(options.servername) ? {} : { servername: options.servername }),
          // node's `ca` replaces the system's roots rather than adding to them, and reading
          // those roots (tls.rootCertificates) needs a permission the binary does not have: with
          // extra CAs, this handshake trusts those alone (a private CA's certificate).
          ...(extra.length > 0 ? { ca: extra } : {}),
          ...(options.insecure ? { rejectUnauthorized: false } : {}),
          ALPNProtocols: ["http/1.1"],
        });
        let outcome: { cert: PeerCertificate } | { error: Error } | undefined;
        const finish = () => {
          signal.removeEventListener("abort", onAbort);
          if (outcome === undefined) {
            outcome = {
              error: new ConnectError(`Cannot connect to ${where}`, {
                why: "closed",
                kind: "connect",
              }),
            };
          }
          options.trace?.({ step: "close", detail: where });
          if ("cert" in outcome) resolve(outcome.cert);
          else reject(outcome.error);
        };
        const onAbort = () => {
          outcome ??= { error: signal.reason };
          socket.destroy();
        };
        signal.addEventListener("abort", onAbort, { once: true });
        // Settles only once the socket is closed, so that nothing is left open behind it.
        socket.once("close", finish);
        socket.once("error", (error: Error & { code?: string }) => {
          outcome ??= { error: nodeSocketError(error, where, options.servername) };
          socket.destroy();
        });
        socket.once("secureConnect", () => {
          try {
            outcome ??= { cert: certificateOf(socket.getPeerCertificate(true)) };
          } catch (error) {
            outcome ??= { error: error as Error };
          }
          socket.destroy();
        });
      }),
    { signal: options.signal },
  );
}

function certificateOf(cert: tls.DetailedPeerCertificate): PeerCertificate {
  if (!cert || !cert.valid_to) {
    throw new TlsError("The server sent no certificate");
  }
  const validTo = new Date(cert.valid_to);
  const validFrom = new Date(cert.valid_from);
  if (Number.isNaN(validTo.getTime())) {
    throw new TlsError(`Cannot read the certificate's expiry "${cert.valid_to}"`);
  }
  const name = (entity: tls.Certificate | undefined) =>
    entity?.CN ?? Object.entries(entity ?? {}).map(([k, v]) => `${k}=${v}`).join(", ");
  return {
    subject: name(cert.subject),
    issuer: name(cert.issuer),
    validFrom,
    validTo,
    chainValidTo: earliestValidTo(cert, validTo),
    sha256: cert.fingerprint256,
  };
}

/** The most certificates of a chain looked at: no real chain is longer. */
const MAX_CHAIN = 16;

/** The earliest `valid_to` from `leaf` up its issuers (a root is its own issuer). */
function earliestValidTo(leaf: tls.DetailedPeerCertificate, leafValidTo: Date): Date {
  let earliest = leafValidTo;
  const seen = new Set<string>();
  let at: tls.DetailedPeerCertificate | undefined = leaf;
  while (at?.valid_to && seen.size < MAX_CHAIN && !seen.has(at.fingerprint256)) {
    seen.add(at.fingerprint256);
    const validTo = new Date(at.valid_to);
    if (validTo.getTime() < earliest.getTime()) earliest = validTo;
    at = at.issuerCertificate;
  }
  return earliest;
}
