/**
 * The error family that sockit's library code throws for conditions a caller is meant to
 * catch. Each class maps to one exit code in `lib/cli/exit_codes.ts`; the library itself never
 * decides how to exit.
 *
 * @module
 */

/** Options for {@linkcode SockitError}: the standard `cause`, and a `kind`. */
export interface SockitErrorOptions extends ErrorOptions {
  /**
   * A stable word for which limit or check failed (`max-redirects`, `max-body`,
   * `unknown-issuer`), so that a front end can add its own hint ("raise it with --max-redirs",
   * or a spec file's key) without the library naming any flag.
   */
  kind?: string | undefined;
}

/** Base class of every error that sockit's protocol code throws on purpose. */
export class SockitError extends Error {
  /** Which limit or check failed, when the thrower says; see {@linkcode SockitErrorOptions}. */
  readonly kind: string | undefined;

  /**
   * @param message What failed, then a colon and why: `Cannot connect to "a:1": refused`.
   * @param options The `cause`, and the `kind` of failure.
   */
  constructor(message: string, options?: SockitErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.kind = options?.kind;
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

  /** @param message What was interrupted. @param options The signal, cause and kind. */
  constructor(message: string, options?: InterruptedErrorOptions) {
    super(message, options);
    this.signal = options?.signal;
  }
}
