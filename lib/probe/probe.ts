/**
 * One attempt at a target: is it ready right now? Each attempt has its own deadline and
 * reports either "ready" or why not; failures that no retry can fix (a certificate that does not
 * verify) are marked fatal so that a waiter stops at once.
 *
 * @module
 */
import { pingEcho } from "../echo/client.ts";
import { withConn } from "../net/conn.ts";
import { describeNetError } from "../net/dial.ts";
import type { DialTarget } from "../net/dial.ts";
import {
  ConnectError,
  InterruptedError,
  ResolveError,
  SockitError,
  TimeoutError,
  TlsError,
} from "../net/errors.ts";
import type { TraceFn } from "../net/trace.ts";
import { addressesOf, describeDnsFailure } from "../dns/outcome.ts";
import type { DnsNameForms } from "../dns/name.ts";
import { queryDns } from "../dns/query.ts";
import type { DnsServer } from "../dns/query.ts";
import { systemNameserver } from "../dns/resolv_conf.ts";
import { lookupSystem } from "../dns/system.ts";
import { RecordType, typeName } from "../dns/wire.ts";
import { acceptEncoding, fetchUrl, HttpClient } from "../http/client.ts";
import { checkResponse, MAX_CHECKED_BODY, needsBody, parseStatusList } from "../http/expect.ts";
import type { HttpExpectations } from "../http/expect.ts";
import type { ResponseHead } from "../http/response.ts";
import type { HttpUrl } from "../http/url.ts";
import { canonicalIp } from "../net/addr.ts";
import { withDeadline } from "../net/deadline.ts";
import type { Target } from "./target.ts";

/** The outcome of one attempt. */
export type ProbeResult =
  | { ready: true; detail: string }
  | {
    ready: false;
    /** Why not, in a few words: `connection refused`, `status 503, expected 2xx`. */
    reason: string;
    /** Set when retrying cannot help (a certificate that does not verify): stop waiting. */
    fatal?: SockitError;
  };

/** Options for {@linkcode probe}. */
export interface ProbeOptions {
  /** This attempt's deadline, in milliseconds. */
  timeoutMs: number;
  /** Ends the attempt early (the whole wait's deadline, Ctrl-C). */
  signal?: AbortSignal | undefined;
  /** Receives the attempt's socket steps. */
  trace?: TraceFn | undefined;
  /** `file:` targets: ready only when the file is not empty. @default {false} */
  nonempty?: boolean | undefined;
  /** How `http:` and `https:` targets are asked, and what they must answer. */
  http?: HttpProbeOptions | undefined;
  /** How `dns:` targets are asked, and what they must answer. */
  dns?: DnsProbeOptions | undefined;
}

/** How an HTTP target is asked (a GET) and what its response must show. */
export interface HttpProbeOptions {
  /** Request fields after `Host`. @default {User-Agent and Accept} */
  fields?: Array<[string, string]> | undefined;
  /** Follow redirects. @default {false} */
  follow?: boolean | undefined;
  /** Ask for compressed bodies and decode them. @default {false} */
  compressed?: boolean | undefined;
  /** Extra trusted CA certificates (PEM). */
  caCerts?: string[] | undefined;
  /** Addresses to use instead of resolving, by `host:port`. */
  resolve?: Map<string, string[]> | undefined;
  /** Connect to this Unix socket for every URL. */
  unixSocket?: string | undefined;
  /** What the response must show. @default {a 2xx status} */
  expect?: HttpExpectations | undefined;
}

/** How a `dns:` target is asked. Without `server` and `type`, the system resolver is asked. */
export interface DnsProbeOptions {
  /** Ask this server directly (the system's nameserver when only `type` is given). */
  server?: DnsServer | undefined;
  /** Ask for this record type directly. */
  type?: number | undefined;
  /** Ready only when every one of these addresses is among the answers. */
  expectAddresses?: string[] | undefined;
}

/** What an echo probe sends: a few bytes that must come back exact. */
const ECHO_PAYLOAD = new TextEncoder().encode("sockit readiness probe\n");

/**
 * Makes one attempt at `target` and says whether it is ready.
 *
 * @throws {InterruptedError} Only when `signal` aborts; every other failure is a result.
 *
 * @example A listening port is ready; a closed one is not
 * ```ts
 * import { probe } from "./probe.ts";
 * import { parseTarget } from "./target.ts";
 * import assert from "node:assert/strict";
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const accepted = listener.accept().then((conn) => conn.close());
 * const target = parseTarget(`127.0.0.1:${listener.addr.port}`);
 * assert.equal((await probe(target, { timeoutMs: 1000 })).ready, true);
 * await accepted;
 * ```
 */
export async function probe(target: Target, options: ProbeOptions): Promise<ProbeResult> {
  try {
    switch (target.kind) {
      case "tcp":
      case "unix":
        return await probeConnect(target, options);
      case "echo":
        return await probeEcho(target, options);
      case "file":
        return await probeFile(target.path, options);
      case "http":
        return await probeHttp(target.url, options);
      case "dns":
        return await probeDns(target.name, options);
    }
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason ?? error;
    return notReady(error);
  }
}

/** The kinds of TLS failure that are the certificate's, and so final. */
const CERTIFICATE_KINDS = new Set([
  "unknown-issuer",
  "wrong-name",
  "expired",
  "not-yet-valid",
  "revoked",
  "bad-certificate",
]);

/** Turns an attempt's error into "not ready, because ...", fatal when retrying cannot help. */
export function notReady(error: unknown): ProbeResult {
  // A certificate that does not verify will not verify on the next attempt either; a handshake
  // cut short or garbled (a server still starting, plain HTTP on the port) may.
  if (error instanceof TlsError && error.kind !== undefined && CERTIFICATE_KINDS.has(error.kind)) {
    return { ready: false, reason: error.message, fatal: error };
  }
  if (error instanceof InterruptedError) throw error;
  return { ready: false, reason: shortReason(error) };
}

/** The part of an error worth repeating in a one-line status: what follows "Cannot ...: ". */
function shortReason(error: unknown): string {
  if (error instanceof TimeoutError) {
    return /timed out after \S+$/.exec(error.message)?.[0] ?? error.message;
  }
  if (error instanceof ResolveError || error instanceof ConnectError) {
    return error.message.replace(/^Cannot (?:connect to|resolve) \S+?: /, "");
  }
  if (error instanceof TlsError) {
    return error.message.replace(/^TLS handshake with \S+ failed: /, "TLS: ");
  }
  if (error instanceof SockitError) return error.message;
  return describeNetError(error);
}

function dialTarget(target: Target & { kind: "tcp" | "unix" | "echo" }): DialTarget {
  return target.kind === "unix"
    ? { path: target.path }
    : { hostname: target.host, port: target.port };
}

async function probeConnect(
  target: Target & { kind: "tcp" | "unix" },
  options: ProbeOptions,
): Promise<ProbeResult> {
  const remote = await withConn(dialTarget(target), {
    what: `Connecting to ${target.text}`,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    trace: options.trace,
  }, (dialed) => Promise.resolve(dialed.remote));
  return { ready: true, detail: `accepted on ${remote}` };
}

async function probeEcho(
  target: Target & { kind: "echo" },
  options: ProbeOptions,
): Promise<ProbeResult> {
  return await withConn(dialTarget(target), {
    what: `Echo round trip with ${target.text}`,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    trace: options.trace,
  }, async (dialed, signal) => {
    const { replies } = await pingEcho(dialed.conn, ECHO_PAYLOAD, {
      count: 1,
      signal,
      trace: options.trace,
    });
    const ms = replies[0]?.time_ms ?? 0;
    return { ready: true, detail: `echoed ${ECHO_PAYLOAD.length} bytes in ${ms.toFixed(3)} ms` };
  });
}

async function probeFile(path: string, options: ProbeOptions): Promise<ProbeResult> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { ready: false, reason: "no such file" };
    throw error;
  }
  if (options.nonempty && info.size === 0) return { ready: false, reason: "the file is empty" };
  return { ready: true, detail: `${info.isDirectory ? "a directory" : `${info.size} bytes`}` };
}

/** What an HTTP probe expects when it is told nothing: a 2xx status. */
const DEFAULT_EXPECT: HttpExpectations = { status: parseStatusList("2xx") };
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Ends a fetch once the head has told all that is needed. */
class HeadIsEnough extends Error {
  constructor(readonly head: ResponseHead) {
    super("head is enough");
  }
}

async function probeHttp(url: HttpUrl, options: ProbeOptions): Promise<ProbeResult> {
  const http = options.http ?? {};
  const expect = http.expect ?? DEFAULT_EXPECT;
  const keepBody = needsBody(expect);
  const fields: Array<[string, string]> = http.fields ??
    [["User-Agent", "sockit"], ["Accept", "*/*"]];
  const client = new HttpClient({
    caCerts: http.caCerts,
    resolve: http.resolve,
    unixSocket: http.unixSocket,
    connectTimeoutMs: options.timeoutMs,
    trace: options.trace,
  });
  const chunks: Uint8Array[] = [];
  let bodyBytes = 0;
  try {
    let head: ResponseHead;
    try {
      const result = await withDeadline(
        options.timeoutMs,
        `GET ${url.href}`,
        (signal) =>
          fetchUrl(client, url, {
            method: "GET",
            fields: http.compressed ? [...fields, ["Accept-Encoding", acceptEncoding()]] : fields,
            followRedirects: http.follow ?? false,
            keepAlive: () => false,
            decode: http.compressed ?? false,
            signal,
            onResponse: (head) => {
              const redirecting = http.follow && REDIRECTS.has(head.status) &&
                head.headers.has("location");
              // Without body expectations the status and fields say it all: no need to
              // download a large body on every attempt.
              if (!keepBody && !redirecting) throw new HeadIsEnough(head);
            },
            onBody: (chunk) => {
              bodyBytes += chunk.length;
              if (bodyBytes <= MAX_CHECKED_BODY) chunks.push(chunk.slice());
            },
          }),
        { signal: options.signal },
      );
      head = result.head;
    } catch (error) {
      if (!(error instanceof HeadIsEnough)) throw error;
      head = error.head;
    }
    const body = !keepBody ? undefined : bodyBytes > MAX_CHECKED_BODY ? bodyBytes : decode(chunks);
    const failures = checkResponse(head, body, expect);
    if (failures.length > 0) {
      return { ready: false, reason: failures.map((f) => f.reason).join("; ") };
    }
    return { ready: true, detail: `status ${head.status}` };
  } finally {
    client.close();
  }
}

function decode(chunks: Uint8Array[]): string {
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.length;
  }
  return new TextDecoder().decode(all);
}

/** The longest a `dns:` attempt waits for its answer. */
export const DNS_ANSWER_WAIT_MS = 1000;

async function probeDns(name: DnsNameForms, options: ProbeOptions): Promise<ProbeResult> {
  const dns = options.dns ?? {};
  const wanted = (dns.expectAddresses ?? []).map(canonicalIp);
  let found: string[];
  let what: string;
  if (dns.server === undefined && dns.type === undefined) {
    const addresses = await withDeadline(
      options.timeoutMs,
      `Cannot resolve "${name.ascii}"`,
      () => lookupSystem(name.ascii),
      { signal: options.signal },
    );
    found = addresses.map((a) => canonicalIp(a.address));
    what = "the system resolver";
  } else {
    const type = dns.type ?? RecordType.A;
    const server = dns.server ?? await systemNameserver();
    // A UDP query sent before the server was up is lost without a word: a readiness probe asks
    // again within a second rather than waiting out a long attempt.
    const result = await queryDns(name.name, type, server, {
      timeoutMs: Math.min(options.timeoutMs, DNS_ANSWER_WAIT_MS),
      tries: 1,
      trace: options.trace,
      signal: options.signal,
    });
    const failure = describeDnsFailure(type, result.message);
    if (failure !== undefined) return { ready: false, reason: failure };
    found = addressesOf(type, result.message).map(canonicalIp);
    what = `${typeName(type)} at ${server.address}#${server.port}`;
    if (wanted.length === 0) {
      return { ready: true, detail: `${result.message.answers.length} answers (${what})` };
    }
  }
  const missing = wanted.filter((a) => !found.includes(a));
  if (missing.length > 0) {
    return {
      ready: false,
      reason: `${missing.join(", ")} not among the answers (${found.join(", ") || "none"})`,
    };
  }
  return { ready: true, detail: `${found.join(", ")} (${what})` };
}
