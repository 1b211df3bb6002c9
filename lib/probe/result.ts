/**
 * What every kind of probe shares: the options each attempt is given, its outcome, and the
 * helpers that turn an error or failed expectations into "not ready, because ...".
 *
 * @module
 */
import { describeNetError } from "../net/dial.ts";
import { InterruptedError, ResolveError, SockitError, TlsError } from "../net/errors.ts";
import { isCertificateFailure } from "../net/tls.ts";
import type { TraceFn } from "../net/trace.ts";

/** The outcome of one attempt. */
export type ProbeResult =
  | {
    ready: true;
    /** What made it ready, in a few words: `status 200`, `accepted on 127.0.0.1:5432`. */
    detail: string;
    /** What the attempt saw, for reports. */
    facts?: ProbeFacts;
  }
  | {
    ready: false;
    /** Why not, in a few words: `connection refused`, `status 503, expected 2xx`. */
    reason: string;
    /** Set when retrying cannot help (a certificate that does not verify): stop waiting. */
    fatal?: SockitError;
    /** The exchange worked but these expectations did not hold. */
    failures?: ProbeFailure[];
    /** The exchange itself failed (refused, timed out, TLS): the attempt could not run. */
    error?: unknown;
    /** What the attempt saw, for reports. */
    facts?: ProbeFacts;
  };

/** An expectation that did not hold, in terms a report can show. */
export interface ProbeFailure {
  /**
   * Which one: `status`, `body`, `body-regex`, `header`, `json`, `cert`, `rcode`, `addresses`,
   * `expect` (a stream's expected bytes) or `echo`.
   */
  expectation: string;
  /** What was expected, as written: `2xx`, `"+PONG"`, `NXDOMAIN`. */
  expected: string;
  /** What came instead. */
  got: string;
  /** In a few words: `status 503, expected 2xx`. */
  reason: string;
}

/**
 * What an attempt saw, for reports: `time_ms` (the exchange), and by kind `status`, `url`,
 * `redirects`, `cert_expires` and `cert_sha256` (http, with `cert_valid_for`), `remote`, `received` (tcp, unix), `rcode`, `answers`,
 * `server` (dns), `bytes` (echo). Asked for by a monitor (the kinds' `measure` and
 * `readCertificate` options): `phase_resolve_ms`, `phase_connect_ms`, `phase_tls_ms`,
 * `phase_processing_ms`, `phase_transfer_ms`, `content_length`, `tls`, `http_version`,
 * `cert_not_after` (http),
 * `ip_protocol` (http, tcp, echo).
 */
export type ProbeFacts = Record<string, string | number | boolean | null | string[]>;

/** What every attempt is given, whatever the kind of target. */
export interface AttemptOptions {
  /** This attempt's deadline, in milliseconds. */
  timeoutMs: number;
  /** Ends the attempt early (the whole wait's deadline, Ctrl-C). */
  signal?: AbortSignal | undefined;
  /** Receives the attempt's socket steps. */
  trace?: TraceFn | undefined;
}

/**
 * The IP version of a connected address as `dial()` writes it (`127.0.0.1:80`, `[::1]:80`):
 * 4 or 6, undefined for a Unix socket.
 *
 * @example
 * ```ts
 * import { ipProtocolOf } from "./result.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(["127.0.0.1:80", "[::1]:80", "unix:/run/x"].map(ipProtocolOf), [4, 6, undefined]);
 * ```
 */
export function ipProtocolOf(remote: string): 4 | 6 | undefined {
  if (remote.startsWith("[")) return 6;
  return /^\d{1,3}(?:\.\d{1,3}){3}:\d+$/.test(remote) ? 4 : undefined;
}

/** Turns an attempt's error into "not ready, because ...", fatal when retrying cannot help. */
export function notReady(error: unknown): ProbeResult {
  // A certificate that does not verify will not verify on the next attempt either; a handshake
  // cut short or garbled (a server still starting, plain HTTP on the port) may.
  if (isCertificateFailure(error)) {
    return { ready: false, reason: error.message, fatal: error, error };
  }
  if (error instanceof InterruptedError) throw error;
  return { ready: false, reason: shortReason(error), error };
}

/** Not ready because expectations did not hold. */
export function failed(failures: ProbeFailure[], facts: ProbeFacts): ProbeResult {
  return { ready: false, reason: failures.map((f) => f.reason).join("; "), failures, facts };
}

/**
 * The part of an error worth repeating in a one-line status, which names the target already:
 * why the target could not be resolved, connected to or shaken hands with, or ran out of time
 * (`connection refused`, `TLS: certificate has expired`, `timed out after 5s`); any other
 * error whole.
 */
function shortReason(error: unknown): string {
  if (!(error instanceof SockitError)) return describeNetError(error);
  if (error.why === undefined) return error.message;
  if (error instanceof TlsError) return `TLS: ${error.why}`;
  if (error instanceof ResolveError || error.kind === "connect" || error.kind === "deadline") {
    return error.why;
  }
  return error.message;
}
