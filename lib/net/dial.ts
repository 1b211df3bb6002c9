/**
 * Connecting: resolve a name with the system resolver, try each address in turn, time each
 * phase, and turn the runtime's errors into sockit's error family.
 *
 * @module
 */
import { formatAddr, formatHostPort, isIpLiteral } from "./addr.ts";
import { closeQuietly } from "./close.ts";
import { ConnectError, ResolveError, SockitError } from "./errors.ts";
import type { ErrorKind } from "./errors.ts";
import type { TraceFn } from "./trace.ts";

/** Where to connect: a TCP host and port, or a Unix socket path. */
export type DialTarget = { hostname: string; port: number } | { path: string };

/** Options for {@linkcode dial}. */
export interface DialOptions {
  /** Aborting it abandons the attempt (the half-made connection is closed when it lands). */
  signal?: AbortSignal | undefined;
  /** Receives the resolve and connect steps. */
  trace?: TraceFn | undefined;
}

/** A connection with what it took to make it. */
export interface Dialed {
  /** The open connection. */
  conn: Deno.Conn;
  /** The address actually connected to, as `host:port` or `unix:PATH`. */
  remote: string;
  /** Milliseconds spent resolving the name (0 for literals and Unix sockets). */
  resolveMs: number;
  /** Milliseconds spent connecting, over all addresses tried. */
  connectMs: number;
}

/** Formats a dial target for messages: `127.0.0.1:35555`, `[::1]:80` or `unix:/run/x.sock`. */
export function formatTarget(target: DialTarget): string {
  return "path" in target ? `unix:${target.path}` : formatHostPort(target.hostname, target.port);
}

/**
 * Resolves a host name to its addresses the way programs do (getaddrinfo, `/etc/hosts`).
 *
 * @throws {ResolveError} When the name does not resolve.
 *
 * @example
 * ```ts
 * import { resolveHost } from "./dial.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(await resolveHost("127.0.0.1"), ["127.0.0.1"]);
 * ```
 */
export async function resolveHost(hostname: string): Promise<string[]> {
  if (isIpLiteral(hostname)) return [hostname];
  try {
    // Loaded on first use: connecting to an address literal never pays for node:dns.
    const { lookup } = await import("node:dns/promises");
    const found = await lookup(hostname, { all: true, verbatim: true });
    if (found.length === 0) {
      throw new ResolveError(`Cannot resolve "${hostname}"`, {
        why: "no addresses",
        kind: "no-addresses",
      });
    }
    return [...new Set(found.map((entry) => entry.address))];
  } catch (error) {
    if (error instanceof SockitError) throw error;
    const code = (error as { code?: string }).code;
    const [kind, why]: [ErrorKind, string] = code === "ENOTFOUND" || code === "EAI_NONAME"
      ? ["name-not-found", "name not found"]
      : code === "EAI_AGAIN"
      ? ["temporary-failure", "temporary failure in name resolution"]
      : ["failed", (error as Error).message];
    throw new ResolveError(`Cannot resolve "${hostname}"`, { cause: error, why, kind });
  }
}

/**
 * Describes a runtime network error in a few words: `connection refused`, `connection reset`.
 */
export function describeNetError(error: unknown): string {
  if (error instanceof Deno.errors.ConnectionRefused) return "connection refused";
  if (error instanceof Deno.errors.ConnectionReset) return "connection reset by peer";
  if (error instanceof Deno.errors.ConnectionAborted) return "connection aborted";
  if (error instanceof Deno.errors.BrokenPipe) return "connection closed by peer";
  if (error instanceof Deno.errors.NotConnected) return "not connected";
  if (error instanceof Deno.errors.AddrNotAvailable) return "address not available";
  if (error instanceof Deno.errors.NotFound) return "no such socket";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.NetworkUnreachable) return "network unreachable";
  if (error instanceof Deno.errors.NotCapable) return "outside sockit's permission set";
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\(os error \d+\)$/, "").toLowerCase();
}

/** Tells whether an error from a read or write means the peer went away. */
export function isPeerGone(error: unknown): boolean {
  return error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.ConnectionAborted ||
    error instanceof Deno.errors.NotConnected;
}

/**
 * Connects to a TCP host and port or a Unix socket. A name is resolved first and every address
 * is tried in order, so `localhost` works whether the server listens on `::1` or `127.0.0.1`.
 *
 * @throws {ResolveError} When the name does not resolve.
 * @throws {ConnectError} When no address accepts the connection.
 *
 * @example Connect to a local listener
 * ```ts
 * import { dial } from "./dial.ts";
 * import assert from "node:assert/strict";
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const accepted = listener.accept();
 * const { conn, remote } = await dial({ hostname: "127.0.0.1", port: listener.addr.port });
 * assert.equal(remote, `127.0.0.1:${listener.addr.port}`);
 * conn.close();
 * (await accepted).close();
 * ```
 */
export async function dial(target: DialTarget, options: DialOptions = {}): Promise<Dialed> {
  const { trace, signal } = options;
  const started = performance.now();
  if ("path" in target) {
    trace?.({ step: "connect", detail: `unix:${target.path}` });
    const conn = await connectOnce({ transport: "unix", path: target.path }, signal).catch((e) => {
      throw new ConnectError(`Cannot connect to unix:${target.path}`, {
        cause: e,
        why: describeNetError(e),
        kind: "connect",
      });
    });
    const connectMs = performance.now() - started;
    trace?.({ step: "connected", detail: `unix:${target.path}` });
    return { conn, remote: `unix:${target.path}`, resolveMs: 0, connectMs };
  }
  const literal = isIpLiteral(target.hostname);
  if (!literal) trace?.({ step: "resolve", detail: target.hostname });
  const addresses = literal ? [target.hostname] : await resolveHost(target.hostname);
  const resolveMs = literal ? 0 : performance.now() - started;
  if (!literal) {
    trace?.({ step: "resolved", detail: `${target.hostname} -> ${addresses.join(", ")}` });
  }
  let lastError: unknown;
  for (const address of addresses) {
    const remote = formatHostPort(address, target.port);
    trace?.({ step: "connect", detail: remote });
    try {
      const conn = await connectOnce({ hostname: address, port: target.port }, signal);
      if (isSelfConnected(conn)) {
        // Nothing listens there: the kernel picked the target port as our own ephemeral port
        // and the connection met itself (TCP simultaneous open). Polling a closed port in the
        // ephemeral range hits this sooner or later; it is a refusal, not a server.
        closeQuietly(conn);
        throw new Deno.errors.ConnectionRefused("connected to itself: nothing listens");
      }
      const connectMs = performance.now() - started - resolveMs;
      trace?.({
        step: "connected",
        detail: `${remote} (local ${formatAddr(conn.localAddr)})`,
      });
      return { conn, remote, resolveMs, connectMs };
    } catch (error) {
      if (signal?.aborted) throw error;
      trace?.({ step: "connect", detail: `${remote} failed: ${describeNetError(error)}` });
      lastError = error;
    }
  }
  const where = formatHostPort(target.hostname, target.port);
  throw new ConnectError(`Cannot connect to ${where}`, {
    cause: lastError,
    why: describeNetError(lastError),
    kind: "connect",
  });
}

/** Whether a TCP connection's two ends are the same address and port. */
function isSelfConnected(conn: Deno.Conn): boolean {
  const local = conn.localAddr, remote = conn.remoteAddr;
  return local.transport === "tcp" && remote.transport === "tcp" &&
    local.port === remote.port && local.hostname === remote.hostname;
}

/**
 * One connect attempt that an abort can abandon. Exactly one party closes a connection that
 * lands after the abort: the settle handler below, never the abort listener as well (closing
 * twice threw `BadResource` into a promise nobody awaited).
 */
function connectOnce(
  options: Deno.ConnectOptions | Deno.UnixConnectOptions,
  signal: AbortSignal | undefined,
): Promise<Deno.Conn> {
  signal?.throwIfAborted();
  const pending: Promise<Deno.Conn> = "path" in options
    ? Deno.connect(options)
    : Deno.connect(options);
  if (!signal) return pending;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    pending.then(
      (conn) => {
        signal.removeEventListener("abort", onAbort);
        if (signal.aborted) closeQuietly(conn);
        else resolve(conn);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
