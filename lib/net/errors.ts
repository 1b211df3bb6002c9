/**
 * The error family that sockit's library code throws for conditions a caller is meant to
 * catch. Each class maps to one exit code in `lib/cli/exit_codes.ts`; the library itself never
 * decides how to exit. An error says what failed and why in its message (`Cannot connect to
 * 127.0.0.1:1: connection refused`), and the same as fields: `what`, `why`, and a `kind` that
 * a caller can branch on, so that nothing reads a message to learn what happened.
 *
 * @module
 */

/**
 * Which step or check failed, as a stable word that callers branch on and a front end keys its
 * hints on ("raise it with --max-redirs", or a spec file's key), without the library naming any
 * flag. Set by the code that raises the error; an error without one is nothing a caller tells
 * apart from the rest of its class.
 *
 * {@linkcode ResolveError}:
 * - `name-not-found`: the name does not exist.
 * - `no-addresses`: the name exists but has no addresses (of the family asked for).
 * - `temporary-failure`: the resolver could not get an answer now.
 * - `failed`: the resolver failed for another reason (its own words are the `why`).
 *
 * {@linkcode ConnectError}:
 * - `connect`: no address of the target accepted a connection (refused, unreachable).
 * - `connection-lost`: a connection that was open failed (reset, closed under a read).
 * - `send`: a write to the peer failed.
 *
 * {@linkcode TimeoutError}:
 * - `deadline`: the time given to the whole operation passed (`withDeadline`).
 * - `read-timeout`: a read waited longer than the read timeout for its first byte.
 * - `no-answer`: a DNS server answered none of the tries.
 *
 * {@linkcode TlsError}, the certificate's (`CERTIFICATE_KINDS` in `tls.ts`: final, a retry
 * cannot help):
 * - `unknown-issuer`: no trusted CA issued it.
 * - `self-signed`: it is self-signed and not trusted.
 * - `ca-as-leaf`: a CA certificate served as the server's own.
 * - `wrong-name`: it is not for the name asked for.
 * - `wrong-purpose`: its extended key usage is not server authentication.
 * - `expired`, `not-yet-valid`, `revoked`: its dates, or its revocation.
 * - `bad-certificate`: it is malformed or its signature does not verify.
 * - `no-certificate`: the server sent none.
 * - `certificate`: refused for another reason the TLS library names.
 *
 * {@linkcode TlsError}, the handshake's:
 * - `closed`: the connection closed during the handshake.
 * - `not-tls`: the peer does not speak TLS (plain HTTP, or an echo of our hello).
 *
 * {@linkcode TlsError}, a server's own certificate and key that the runtime refuses:
 * - `key-mismatch`: the key does not belong to the certificate.
 * - `bad-key`: the private key does not parse.
 * - `missing-certificate`: the certificate text holds no certificate.
 * - `bad-certificate` (as above): a certificate in it is malformed.
 *
 * {@linkcode LimitError}:
 * - `max-redirects`: more redirects than allowed.
 * - `max-body`: a response body over its size limit.
 * - `max-head`: a response head over its size limit.
 * - `max-fields`: more header fields than allowed.
 * - `max-line`: a line longer than the reader's limit.
 * - `max-stream`: more bytes before the end of a stream than allowed.
 */
export type ErrorKind =
  | "name-not-found"
  | "no-addresses"
  | "temporary-failure"
  | "failed"
  | "connect"
  | "connection-lost"
  | "send"
  | "deadline"
  | "read-timeout"
  | "no-answer"
  | "unknown-issuer"
  | "self-signed"
  | "ca-as-leaf"
  | "wrong-name"
  | "wrong-purpose"
  | "expired"
  | "not-yet-valid"
  | "revoked"
  | "bad-certificate"
  | "no-certificate"
  | "certificate"
  | "closed"
  | "not-tls"
  | "key-mismatch"
  | "bad-key"
  | "missing-certificate"
  | "max-redirects"
  | "max-body"
  | "max-head"
  | "max-fields"
  | "max-line"
  | "max-stream";

/** Options for {@linkcode SockitError}: the standard `cause`, the `kind`, and `why`. */
export interface SockitErrorOptions extends ErrorOptions {
  /** Which step or check failed; see {@linkcode ErrorKind}. */
  kind?: ErrorKind | undefined;
  /**
   * Why it failed, in a few words (`connection refused`): the message is then
   * `${what}: ${why}`.
   */
  why?: string | undefined;
}

/**
 * Base class of every error that sockit's protocol code throws on purpose.
 *
 * @example What failed, why, and the kind, as fields and as the message
 * ```ts
 * import { ConnectError } from "./errors.ts";
 * import assert from "node:assert/strict";
 * const error = new ConnectError("Cannot connect to 127.0.0.1:1", {
 *   why: "connection refused",
 *   kind: "connect",
 * });
 * assert.equal(error.message, "Cannot connect to 127.0.0.1:1: connection refused");
 * assert.deepEqual([error.what, error.why, error.kind], [
 *   "Cannot connect to 127.0.0.1:1",
 *   "connection refused",
 *   "connect",
 * ]);
 * ```
 */
export class SockitError extends Error {
  // Read through getters, so that the fields are not own properties: an error compares (as
  // `assert.rejects` does with an expected error) by its class and message.
  readonly #kind: ErrorKind | undefined;
  readonly #what: string;
  readonly #why: string | undefined;

  /**
   * @param what What failed (`Cannot connect to "a:1"`), or the whole message.
   * @param options The `cause`, the `kind` of failure, and `why` (then the message is
   * `${what}: ${why}`).
   */
  constructor(what: string, options?: SockitErrorOptions) {
    const why = options?.why;
    super(why === undefined ? what : `${what}: ${why}`, options);
    this.name = new.target.name;
    this.#kind = options?.kind;
    this.#what = what;
    this.#why = why;
  }

  /** Which step or check failed, when the thrower says; see {@linkcode ErrorKind}. */
  get kind(): ErrorKind | undefined {
    return this.#kind;
  }

  /** What failed: `Cannot connect to 127.0.0.1:1`; the whole message when there is no `why`. */
  get what(): string {
    return this.#what;
  }

  /** Why, when the thrower says apart from what failed: `connection refused`. */
  get why(): string | undefined {
    return this.#why;
  }
}

/** A name could not be resolved to an address. */
export class ResolveError extends SockitError {}

/** A connection could not be made or was lost: refused, unreachable, reset. */
export class ConnectError extends SockitError {}

/** A connect, idle or total deadline passed. */
export class TimeoutError extends SockitError {}

/** A TLS handshake or certificate check failed. */
export class TlsError extends SockitError {}

/** The peer's bytes break the protocol, or the data ended early. */
export class ProtocolError extends SockitError {}

/** A size, count or redirect limit was exceeded. */
export class LimitError extends SockitError {}

/** The exchange worked but its result is not what was expected (an echo mismatch, a status). */
export class CheckError extends SockitError {}

/** Options for {@linkcode InterruptedError}. */
export interface InterruptedErrorOptions extends SockitErrorOptions {
  /** The signal that interrupted the work, when one did. */
  signal?: "SIGINT" | "SIGTERM" | undefined;
}

/** The operation was interrupted by a signal or by its caller. */
export class InterruptedError extends SockitError {
  /** The signal that interrupted the work, when one did. */
  readonly signal: "SIGINT" | "SIGTERM" | undefined;

  /** @param what What was interrupted. @param options The signal, cause and kind. */
  constructor(what: string, options?: InterruptedErrorOptions) {
    super(what, options);
    this.signal = options?.signal;
  }
}

/** What an error for text that does not parse carries besides its message. */
export interface InvalidInput {
  /** The text as given: `5w`. */
  readonly input: string;
  /** Why it does not parse, what the message says after the colon: `use a number with ms...`. */
  readonly why: string;
}

/**
 * The error of a parser for text that is not a valid `what`: `Invalid duration "5w": why`. It
 * is the `RangeError` or `TypeError` the parser has always thrown (`Type`), and carries the
 * input and why as {@linkcode InvalidInput}, so that a caller who words its own message (naming
 * an option, or a spec file's key) takes `why` instead of cutting up the message.
 *
 * @param Type The class to throw: `RangeError` (a value out of range), `TypeError` (not of the form).
 * @param what What the text should be, for the message: `duration`, `URL`, `name`.
 * @param input The text.
 * @param why Why it is not one.
 * @param quoted The text as the message shows it. @default {`"${input}"`}
 *
 * @example
 * ```ts
 * import { invalidInput, isInvalidInput } from "./errors.ts";
 * import assert from "node:assert/strict";
 * const error = invalidInput(RangeError, "duration", "5w", "use ms, s, m, h or d");
 * assert.equal(String(error), 'RangeError: Invalid duration "5w": use ms, s, m, h or d');
 * assert.ok(isInvalidInput(error));
 * assert.deepEqual([error.input, error.why], ["5w", "use ms, s, m, h or d"]);
 * ```
 */
export function invalidInput<E extends Error>(
  Type: new (message: string) => E,
  what: string,
  input: string,
  why: string,
  quoted = `"${input}"`,
): E & InvalidInput {
  const error = new Type(`Invalid ${what} ${quoted}: ${why}`);
  // Not enumerable: the error prints and compares as the plain RangeError or TypeError it is.
  Object.defineProperties(error, { input: { value: input }, why: { value: why } });
  INVALID_INPUTS.add(error);
  return error as E & InvalidInput;
}

/** The errors {@linkcode invalidInput} made. */
const INVALID_INPUTS = new WeakSet<Error>();

/** Whether `error` was made by {@linkcode invalidInput}, and so carries its input and why. */
export function isInvalidInput(error: unknown): error is Error & InvalidInput {
  return error instanceof Error && INVALID_INPUTS.has(error);
}
