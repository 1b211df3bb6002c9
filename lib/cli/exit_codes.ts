/**
 * The one exit-code table that every sockit command uses, and the mapping from sockit's error
 * family to it. The README prints this table.
 *
 * @module
 */
import {
  CheckError,
  ConnectError,
  InterruptedError,
  LimitError,
  ProtocolError,
  ResolveError,
  TimeoutError,
  TlsError,
} from "../net/errors.ts";
import { UsageError } from "./args.ts";
import { StdoutClosedError } from "./output.ts";

/** Exit codes, shared by all commands. */
export const ExitCode = {
  /** Success. */
  Ok: 0,
  /** A check failed: the exchange worked but the result is not what was expected. */
  CheckFailed: 1,
  /** Usage error: unknown command or option, missing or malformed value. */
  Usage: 2,
  /** Name resolution failed. */
  Resolve: 3,
  /** Connection failed: refused, unreachable, reset. */
  Connect: 4,
  /** Timed out (connect, read, idle or total deadline). */
  Timeout: 5,
  /** TLS failure. */
  Tls: 6,
  /** Protocol error: the peer's bytes break the protocol, or data ended early. */
  Protocol: 7,
  /** A limit was exceeded (sizes, counts, redirects). */
  Limit: 8,
  /** `check --push`: every check passed but the metrics could not be pushed. */
  PushFailed: 9,
  /** Internal error: a bug in sockit (or a local failure such as a full disk). */
  Internal: 70,
  /** Interrupted by SIGINT (128 + 2). */
  Interrupted: 130,
  /** The reader of stdout went away (128 + SIGPIPE, as shells report `cat | head -1`). */
  StdoutClosed: 141,
  /** Terminated by SIGTERM (128 + 15). */
  Terminated: 143,
} as const;

/** One of the values of {@linkcode ExitCode}. */
export type ExitCode = typeof ExitCode[keyof typeof ExitCode];

/** The table as rows of code and meaning, for help and docs. */
export const EXIT_CODE_TABLE: ReadonlyArray<readonly [ExitCode, string]> = [
  [ExitCode.Ok, "success"],
  [
    ExitCode.CheckFailed,
    "a check failed: the exchange worked but the result is not what was expected",
  ],
  [ExitCode.Usage, "usage error"],
  [ExitCode.Resolve, "name resolution failed"],
  [ExitCode.Connect, "connection failed: refused, unreachable, reset"],
  [ExitCode.Timeout, "timed out (connect, read, idle or total deadline)"],
  [ExitCode.Tls, "TLS failure"],
  [ExitCode.Protocol, "protocol error: the peer's bytes break the protocol, or data ended early"],
  [ExitCode.Limit, "a limit was exceeded (sizes, counts, redirects)"],
  [ExitCode.PushFailed, "check --push: every check passed, but the metrics could not be pushed"],
  [ExitCode.Internal, "internal error: a bug, or a local failure such as a full disk"],
  [ExitCode.Interrupted, "interrupted (SIGINT)"],
  [ExitCode.StdoutClosed, "stdout was closed by its reader (| head): a client stops quietly"],
  [ExitCode.Terminated, "terminated (SIGTERM)"],
];

/**
 * Maps an error to its exit code; anything outside sockit's family is {@linkcode ExitCode.Internal}.
 *
 * @example
 * ```ts
 * import { ExitCode, exitCodeFor } from "./exit_codes.ts";
 * import { TimeoutError } from "../net/errors.ts";
 * import assert from "node:assert/strict";
 * assert.equal(exitCodeFor(new TimeoutError("x")), ExitCode.Timeout);
 * ```
 */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof UsageError) return ExitCode.Usage;
  if (error instanceof CheckError) return ExitCode.CheckFailed;
  if (error instanceof ResolveError) return ExitCode.Resolve;
  if (error instanceof ConnectError) return ExitCode.Connect;
  if (error instanceof TimeoutError) return ExitCode.Timeout;
  if (error instanceof TlsError) return ExitCode.Tls;
  if (error instanceof ProtocolError) return ExitCode.Protocol;
  if (error instanceof LimitError) return ExitCode.Limit;
  if (error instanceof InterruptedError) {
    return error.signal === "SIGTERM" ? ExitCode.Terminated : ExitCode.Interrupted;
  }
  if (error instanceof StdoutClosedError) return ExitCode.StdoutClosed;
  return ExitCode.Internal;
}
