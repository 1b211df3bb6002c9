/**
 * One attempt at a target: is it ready right now? Each attempt has its own deadline and
 * reports either "ready" or why not; failures that no retry can fix (a certificate that does not
 * verify) are marked fatal so that a waiter stops at once.
 *
 * @module
 */
import { pingEcho } from "../echo/client.ts";
import { withConn } from "../net/conn.ts";
import { isCertificateFailure } from "../net/tls.ts";
import { describeNetError } from "../net/dial.ts";
import type { DialTarget } from "../net/dial.ts";
import {
  InterruptedError,
  ProtocolError,
  ResolveError,
  SockitError,
  TimeoutError,
  TlsError,
} from "../net/errors.ts";
import type { TraceFn } from "../net/trace.ts";
import { addressesOf, answersFor, describeDnsFailure } from "../dns/outcome.ts";
import type { DnsNameForms } from "../dns/name.ts";
import { queryDns } from "../dns/query.ts";
import type { DnsServer } from "../dns/query.ts";
import { systemNameserver } from "../dns/resolv_conf.ts";
import { lookupSystem } from "../dns/system.ts";
import { formatRecordData, rcodeName, RecordType, typeName } from "../dns/wire.ts";
import { acceptEncoding, fetchUrl, HttpClient } from "../http/client.ts";
import {
  checkJson,
  checkResponse,
  MAX_CHECKED_BODY,
  needsBody,
  parseStatusList,
  quotedExcerpt,
} from "../http/expect.ts";
import type { HttpExpectations, JsonExpectation } from "../http/expect.ts";
import type { ResponseHead } from "../http/response.ts";
import { defaultFields, REDIRECT_STATUSES } from "../http/request.ts";
import { withBasicAuthorization } from "../http/url.ts";
import type { HttpUrl } from "../http/url.ts";
import { canonicalIp, formatHostPort } from "../net/addr.ts";
import { formatDuration, withDeadline } from "../net/deadline.ts";
import { concatBytes, indexOfBytes } from "../net/bytes.ts";
import { writeAll } from "../net/io.ts";
import { overrideKey } from "../net/override.ts";
import type { Target } from "./target.ts";

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
 * `redirects`, `cert_expires` (http), `remote`, `received` (tcp, unix), `rcode`, `answers`,
 * `server` (dns), `bytes` (echo).
 */
export type ProbeFacts = Record<string, string | number | boolean | null | string[]>;

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
  /** `tcp:` and `unix:` targets: bytes to send once connected, and bytes to wait for. */
  stream?: StreamProbeOptions | undefined;
  /** `echo:` targets: what to send. */
  echo?: EchoProbeOptions | undefined;
}

/** What a `tcp:` or `unix:` probe sends and expects; without either, a connect is enough. */
export interface StreamProbeOptions {
  /** Sent once connected. */
  send?: Uint8Array | undefined;
  /** Read until these bytes have come (anywhere in what was received). */
  expect?: Uint8Array | undefined;
}

/** What an echo probe sends. */
export interface EchoProbeOptions {
  /** The bytes to send, which must come back exact. @default {"sockit readiness probe\\n"} */
  payload?: Uint8Array | undefined;
}

/** How an HTTP target is asked (a GET) and what its response must show. */
export interface HttpProbeOptions {
  /** `GET` or `HEAD`. @default {"GET"} */
  method?: "GET" | "HEAD" | undefined;
  /** Most redirects to follow. @default {20} */
  maxRedirects?: number | undefined;
  /** JSON Pointer expectations on the body. */
  json?: JsonExpectation[] | undefined;
  /**
   * `https:` only: the leaf certificate must stay valid at least this many more milliseconds
   * (read over a second handshake: see `cert.ts`).
   */
  certValidForMs?: number | undefined;
  /** Request fields after `Host`. @default {User-Agent and Accept} */
  fields?: Array<[string, string]> | undefined;
  /** Follow redirects. @default {false} */
  follow?: boolean | undefined;
  /** Ask for compressed bodies and decode them. @default {false} */
  compressed?: boolean | undefined;
  /** Extra trusted CA certificates (PEM). */
  caCerts?: string[] | undefined;
  /** Accept any certificate, unverified. @default {false} */
  insecure?: boolean | undefined;
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
  /**
   * Direct queries: ready when the reply's RCODE is one of these (an NXDOMAIN that is expected),
   * whether or not it has answers. Without it, a NOERROR reply with records of the type is needed.
   */
  expectRcodes?: number[] | undefined;
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
function failed(failures: ProbeFailure[], facts: ProbeFacts): ProbeResult {
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

function dialTarget(target: Target & { kind: "tcp" | "unix" | "echo" }): DialTarget {
  return target.kind === "unix"
    ? { path: target.path }
    : { hostname: target.host, port: target.port };
}

/** The most a stream probe reads while it looks for its expected bytes. */
export const MAX_STREAM_EXPECT_BYTES = 64 * 1024;

async function probeConnect(
  target: Target & { kind: "tcp" | "unix" },
  options: ProbeOptions,
): Promise<ProbeResult> {
  const started = performance.now();
  const { send, expect } = options.stream ?? {};
  // What has come so far, for a failure that says what came instead of the expected bytes.
  const reading = { bytes: new Uint8Array(0), remote: undefined as string | undefined };
  const missing = (expected: Uint8Array, why: string): ProbeResult => {
    const got = showBytes(reading.bytes);
    return failed([{
      expectation: "expect",
      expected: showBytes(expected),
      got,
      reason: `${why} without ${showBytes(expected)} (got ${got})`,
    }], {
      remote: reading.remote ?? null,
      received: receivedText(reading.bytes),
      time_ms: performance.now() - started,
    });
  };
  try {
    return await withConn(dialTarget(target), {
      what: `Connecting to ${target.text}`,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      trace: options.trace,
    }, async (dialed): Promise<ProbeResult> => {
      reading.remote = dialed.remote;
      const facts: ProbeFacts = { remote: dialed.remote };
      if (send !== undefined) {
        await writeAll(dialed.conn, send);
        options.trace?.({ step: "send", bytes: send.length, data: send });
      }
      if (expect === undefined) {
        facts.time_ms = performance.now() - started;
        return { ready: true, detail: `accepted on ${dialed.remote}`, facts };
      }
      const received = await readUntil(dialed.conn, expect, reading, options);
      if (!received.found) {
        return missing(
          expect,
          received.eof ? "the peer closed the connection" : `${MAX_STREAM_EXPECT_BYTES} bytes came`,
        );
      }
      facts.time_ms = performance.now() - started;
      facts.received = receivedText(reading.bytes);
      return { ready: true, detail: `${showBytes(expect)} received from ${dialed.remote}`, facts };
    });
  } catch (error) {
    // Connected, but the expected bytes did not come in time: the answer is wrong, not absent.
    if (expect && reading.remote && error instanceof TimeoutError && !options.signal?.aborted) {
      return missing(expect, `${formatDuration(options.timeoutMs)} passed`);
    }
    throw error;
  }
}

/**
 * Reads until `wanted` appears, the peer closes, or {@linkcode MAX_STREAM_EXPECT_BYTES} came;
 * `into.bytes` holds what came so far all along.
 */
async function readUntil(
  conn: Deno.Conn,
  wanted: Uint8Array,
  into: { bytes: Uint8Array },
  options: ProbeOptions,
): Promise<{ found: boolean; eof: boolean }> {
  const all = new Uint8Array(MAX_STREAM_EXPECT_BYTES);
  let filled = 0;
  while (filled < all.length) {
    const n = await conn.read(all.subarray(filled));
    if (n === null) {
      options.trace?.({ step: "recv", detail: "EOF (peer closed)" });
      return { found: false, eof: true };
    }
    options.trace?.({ step: "recv", bytes: n, data: all.subarray(filled, filled + n) });
    filled += n;
    into.bytes = all.slice(0, filled);
    if (indexOfBytes(into.bytes, wanted) >= 0) return { found: true, eof: false };
  }
  return { found: false, eof: false };
}

/** What came, as text (UTF-8): a fact holds it once, unquoted, whole (at most 64 KiB came). */
function receivedText(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** Bytes for a message: UTF-8 text as a JSON string, at most 200 characters of it. */
function showBytes(bytes: Uint8Array): string {
  return quotedExcerpt(new TextDecoder().decode(bytes));
}

async function probeEcho(
  target: Target & { kind: "echo" },
  options: ProbeOptions,
): Promise<ProbeResult> {
  const payload = options.echo?.payload ?? ECHO_PAYLOAD;
  return await withConn(dialTarget(target), {
    what: `Echo round trip with ${target.text}`,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    trace: options.trace,
  }, async (dialed, signal): Promise<ProbeResult> => {
    let replies;
    try {
      ({ replies } = await pingEcho(dialed.conn, payload, {
        count: 1,
        signal,
        trace: options.trace,
      }));
    } catch (error) {
      // The server answered, but not with the bytes sent: the echo is wrong, not unreachable.
      if (!(error instanceof ProtocolError) || signal.aborted) throw error;
      return failed([{
        expectation: "echo",
        expected: showBytes(payload),
        got: error.message,
        reason: error.message,
      }], { remote: dialed.remote, bytes: payload.length });
    }
    const ms = replies[0]?.time_ms ?? 0;
    return {
      ready: true,
      detail: `echoed ${payload.length} bytes in ${ms.toFixed(3)} ms`,
      facts: { remote: dialed.remote, bytes: payload.length, time_ms: ms },
    };
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

/** Ends a fetch once the head has told all that is needed. */
class HeadIsEnough extends Error {
  constructor(readonly head: ResponseHead) {
    super("head is enough");
  }
}

async function probeHttp(url: HttpUrl, options: ProbeOptions): Promise<ProbeResult> {
  const http = options.http ?? {};
  const expect = http.expect ?? DEFAULT_EXPECT;
  const json = http.json ?? [];
  const keepBody = needsBody(expect) || json.length > 0;
  const method = http.method ?? "GET";
  // A user:pass@ URL sends Basic authorization, unless a header gave one.
  const fields = withBasicAuthorization(http.fields ?? defaultFields("sockit"), url);
  const client = new HttpClient({
    caCerts: http.caCerts,
    insecure: http.insecure,
    resolve: http.resolve,
    unixSocket: http.unixSocket,
    connectTimeoutMs: options.timeoutMs,
    trace: options.trace,
  });
  const chunks: Uint8Array[] = [];
  let bodyBytes = 0;
  let finalUrl = url;
  let responses = 0;
  const started = performance.now();
  try {
    let head: ResponseHead;
    try {
      const result = await withDeadline(
        options.timeoutMs,
        `${method} ${url.href}`,
        (signal) =>
          fetchUrl(client, url, {
            method,
            fields: http.compressed ? [...fields, ["Accept-Encoding", acceptEncoding()]] : fields,
            followRedirects: http.follow ?? false,
            maxRedirects: http.maxRedirects,
            keepAlive: () => false,
            decode: http.compressed ?? false,
            signal,
            onResponse: (head, at) => {
              responses++;
              finalUrl = at;
              const redirecting = http.follow && REDIRECT_STATUSES.has(head.status) &&
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
    const facts: ProbeFacts = {
      status: head.status,
      time_ms: performance.now() - started,
      url: finalUrl.href,
      redirects: responses - 1,
    };
    const body = !keepBody ? undefined : bodyBytes > MAX_CHECKED_BODY ? bodyBytes : decode(chunks);
    const failures: ProbeFailure[] = [
      ...checkResponse(head, body, expect).map((f) => ({
        expectation: f.expectation,
        expected: f.text,
        got: f.got ?? "",
        reason: f.reason,
      })),
      ...checkJson(body, json).map((f) => ({
        expectation: "json",
        expected: `${f.pointer}: ${f.expected}`,
        got: f.got,
        reason: f.reason,
      })),
    ];
    if (http.certValidForMs !== undefined) {
      // The second handshake has what is left of the attempt's time.
      const left = Math.max(1, options.timeoutMs - (performance.now() - started));
      const cert = await checkCertificate(finalUrl, http, http.certValidForMs, {
        ...options,
        timeoutMs: left,
      });
      facts.cert_expires = cert.expires;
      if (cert.failure) failures.push(cert.failure);
    }
    if (failures.length > 0) return failed(failures, facts);
    return { ready: true, detail: `status ${head.status}`, facts };
  } finally {
    client.close();
  }
}

/**
 * Reads the certificate of `url`'s server over a handshake of its own, with the same address
 * overrides and trusted CAs, and checks that it stays valid at least `minMs` more.
 */
async function checkCertificate(
  url: HttpUrl,
  http: HttpProbeOptions,
  minMs: number,
  options: ProbeOptions,
): Promise<{ expires: string | null; failure?: ProbeFailure }> {
  const expected = `valid for ${formatDuration(minMs)} more`;
  if (url.scheme !== "https") {
    const reason = `${url.href} is not https: there is no certificate to check`;
    return { expires: null, failure: { expectation: "cert", expected, got: "plain http", reason } };
  }
  const address = http.resolve?.get(overrideKey(url.host, url.port))?.[0] ?? url.host;
  // Loaded on first use: node:tls costs tens of milliseconds at start-up, and only this needs it.
  const { readPeerCertificate } = await import("./cert.ts");
  const cert = await readPeerCertificate(address, url.port, {
    servername: url.host,
    caCerts: http.caCerts,
    insecure: http.insecure,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    trace: options.trace,
  });
  const leftMs = cert.validTo.getTime() - Date.now();
  const expires = cert.validTo.toISOString();
  if (leftMs >= minMs) return { expires };
  const left = leftMs <= 0 ? "it has expired" : `it expires in ${timeLeft(leftMs)}`;
  return {
    expires,
    failure: {
      expectation: "cert",
      expected,
      got: `expires ${expires}`,
      reason: `the certificate of ${
        formatHostPort(url.host, url.port)
      } (${cert.subject}) is not ${expected}: ${left} (${expires})`,
    },
  };
}

/** Time left for people: `23h 59m`, `13d 4h`, `42m`. */
function timeLeft(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  const [d, h, m] = [Math.floor(minutes / 1440), Math.floor(minutes / 60) % 24, minutes % 60];
  if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`;
  return `${Math.max(1, m)}m`;
}

function decode(chunks: Uint8Array[]): string {
  return new TextDecoder().decode(concatBytes(chunks));
}

/** The longest a `dns:` attempt waits for its answer. */
export const DNS_ANSWER_WAIT_MS = 1000;

async function probeDns(name: DnsNameForms, options: ProbeOptions): Promise<ProbeResult> {
  const dns = options.dns ?? {};
  const wanted = (dns.expectAddresses ?? []).map(canonicalIp);
  const started = performance.now();
  let found: string[];
  let what: string;
  const facts: ProbeFacts = {};
  if (dns.server === undefined && dns.type === undefined) {
    const addresses = await withDeadline(
      options.timeoutMs,
      `Cannot resolve "${name.ascii}"`,
      () => lookupSystem(name.ascii),
      { signal: options.signal },
    );
    found = addresses.map((a) => canonicalIp(a.address));
    what = "the system resolver";
    facts.server = "system";
    facts.answers = found;
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
    const { rcode } = result.message.flags;
    what = `${typeName(type)} at ${server.address}#${server.port}`;
    facts.server = formatHostPort(server.address, server.port);
    facts.rcode = rcodeName(rcode);
    facts.answers = answersFor(type, result.message.answers).map(formatRecordData);
    facts.time_ms = result.elapsedMs;
    found = addressesOf(type, result.message).map(canonicalIp);
    if (dns.expectRcodes !== undefined) {
      if (!dns.expectRcodes.includes(rcode)) {
        const expected = dns.expectRcodes.map(rcodeName).join(" or ");
        const got = rcodeName(rcode) +
          (facts.answers.length > 0 ? ` (${facts.answers.join(", ")})` : "");
        return failed([{
          expectation: "rcode",
          expected,
          got,
          reason: `${name.ascii} ${typeName(type)}: ${got}, expected ${expected}`,
        }], facts);
      }
    } else {
      const failure = describeDnsFailure(type, result.message);
      if (failure !== undefined) {
        return failed([{
          expectation: "rcode",
          expected: `NOERROR with ${typeName(type)} records`,
          got: failure,
          reason: failure,
        }], facts);
      }
    }
    if (wanted.length === 0) {
      return {
        ready: true,
        detail: `${result.message.answers.length} answers (${what})`,
        facts,
      };
    }
  }
  facts.time_ms ??= performance.now() - started;
  const missing = wanted.filter((a) => !found.includes(a));
  if (missing.length > 0) {
    return failed([{
      expectation: "addresses",
      expected: wanted.join(", "),
      got: found.join(", ") || "none",
      reason: `${missing.join(", ")} not among the answers (${found.join(", ") || "none"})`,
    }], facts);
  }
  return { ready: true, detail: `${found.join(", ")} (${what})`, facts };
}
