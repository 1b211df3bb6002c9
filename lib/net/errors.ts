/**
 * The error family that sockit's library code throws for conditions a caller is meant to
 * catch. Each class maps to one exit code in `lib/cli/exit_codes.ts`; the library itself never
 * decides how to exit.
 *
 * @module
 */

/** Base class of every error that sockit's protocol code throws on purpose. */
export class SockitError extends Error {
  /**
   * @param message What failed, then a colon and why: `Cannot connect to "a:1": refused`.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
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

/** The operation was interrupted by a signal or by its caller. */
export class InterruptedError extends SockitError {}
