/**
 * HTTP probes: an `http:` or `https:` target is ready when a GET answers what is expected (a
 * 2xx status by default) and, when asked, its certificate stays valid long enough.
 *
 * @module
 */
import { acceptEncoding } from "../http/decode.ts";
import {
  checkJson,
  checkResponse,
  MAX_CHECKED_BODY,
  needsBody,
  parseStatusList,
} from "../http/expect.ts";
import type { HttpExpectations, JsonExpectation } from "../http/expect.ts";
import { fetchUrl } from "../http/fetch.ts";
import type { FetchResult } from "../http/fetch.ts";
import { HttpClient } from "../http/pool.ts";
import { defaultFields, REDIRECT_STATUSES } from "../http/request.ts";
import type { ResponseHead } from "../http/response.ts";
import { withBasicAuthorization } from "../http/url.ts";
import type { HttpUrl } from "../http/url.ts";
import { formatHostPort } from "../net/addr.ts";
import { concatBytes } from "../net/bytes.ts";
import { formatDuration, withDeadline } from "../net/deadline.ts";
import { overrideKey } from "../net/override.ts";
import type { PeerCertificate } from "./cert.ts";
import { failed, ipProtocolOf } from "./result.ts";
import type { AttemptOptions, ProbeFacts, ProbeFailure, ProbeResult } from "./result.ts";

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
  /**
   * Read the whole body, as blackbox_exporter does, and add the facts a monitor's metrics need:
   * `phase_resolve_ms`, `phase_connect_ms`, `phase_tls_ms`, `phase_processing_ms` and
   * `phase_transfer_ms` (the final exchange's phases, as `get --timing` measures them),
   * `content_length` (the `Content-Length` of the final response, -1 when it has none),
   * `tls` (the final URL is https), `http_version` (1.1) and `ip_protocol` (4 or 6, of the
   * address connected to).
   * @default {false}
   */
  measure?: boolean | undefined;
  /**
   * `https:` only: read the peer's certificate chain over a second handshake (see `cert.ts`)
   * and add `cert_not_after`, the earliest expiry in it (ISO time). A handshake that fails
   * leaves the fact out and fails nothing. @default {false}
   */
  readCertificate?: boolean | undefined;
}

/** What an HTTP probe expects when it is told nothing: a 2xx status. */
const DEFAULT_EXPECT: HttpExpectations = { status: parseStatusList("2xx") };

/** Ends a fetch once the head has told all that is needed. */
class HeadIsEnough extends Error {
  constructor(readonly head: ResponseHead) {
    super("head is enough");
  }
}

/**
 * One attempt at an `http:` or `https:` URL: a request as `http` says, its answer checked against
 * `http.expect` (a 2xx status by default), its JSON and its certificate's expiry when asked.
 */
export async function probeHttp(
  url: HttpUrl,
  options: AttemptOptions,
  http: HttpProbeOptions = {},
): Promise<ProbeResult> {
  const expect = http.expect ?? DEFAULT_EXPECT;
  const json = http.json ?? [];
  const keepBody = needsBody(expect) || json.length > 0;
  const method = http.method ?? "GET";
  const measure = http.measure ?? false;
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
  let fetched: FetchResult | undefined;
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
              if (!keepBody && !redirecting && !measure) throw new HeadIsEnough(head);
            },
            onBody: (chunk) => {
              bodyBytes += chunk.length;
              if (bodyBytes <= MAX_CHECKED_BODY) chunks.push(chunk.slice());
            },
          }),
        { signal: options.signal },
      );
      head = result.head;
      fetched = result;
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
    const cert = await certificateOf(finalUrl, http, {
      ...options,
      // The second handshake has what is left of the attempt's time.
      timeoutMs: Math.max(1, options.timeoutMs - (performance.now() - started)),
    });
    if (http.certValidForMs !== undefined) {
      const judged = judgeCertificate(finalUrl, cert, http.certValidForMs);
      facts.cert_expires = judged.expires;
      facts.cert_sha256 = cert?.sha256 ?? null;
      if (judged.failure) failures.push(judged.failure);
    }
    if (fetched !== undefined && measure) Object.assign(facts, measured(fetched, finalUrl));
    if (cert !== undefined && http.readCertificate) {
      facts.cert_not_after = cert.chainValidTo.toISOString();
    }
    if (failures.length > 0) return failed(failures, facts);
    return { ready: true, detail: `status ${head.status}`, facts };
  } finally {
    client.close();
  }
}

/** The facts of {@linkcode HttpProbeOptions.measure}, from the fetch's outcome. */
function measured(fetched: FetchResult, url: HttpUrl): ProbeFacts {
  const { timing, head } = fetched;
  const facts: ProbeFacts = {
    phase_resolve_ms: timing.resolveMs,
    phase_connect_ms: timing.connectMs,
    phase_tls_ms: timing.tlsMs,
    phase_processing_ms: timing.firstByteMs,
    phase_transfer_ms: timing.transferMs,
    content_length: contentLength(head),
    tls: url.scheme === "https",
    http_version: Number(head.version.slice("HTTP/".length)),
  };
  const protocol = ipProtocolOf(fetched.remote);
  if (protocol !== undefined) facts.ip_protocol = protocol;
  return facts;
}

/**
 * The `Content-Length` a response declares, -1 when it declares none or its body is framed
 * otherwise (chunked): what blackbox_exporter reports as `probe_http_content_length`.
 */
function contentLength(head: ResponseHead): number {
  const declared = head.headers.get("content-length");
  if (declared === undefined || head.headers.has("transfer-encoding")) return -1;
  return /^\d+$/.test(declared.trim()) ? Number(declared.trim()) : -1;
}

/**
 * The certificate of `url`'s server, read over a handshake of its own with the same address
 * overrides and trusted CAs, when an expectation or {@linkcode HttpProbeOptions.readCertificate}
 * asks for it and `url` is https. A failure to read it fails the attempt only for an expectation.
 */
async function certificateOf(
  url: HttpUrl,
  http: HttpProbeOptions,
  options: AttemptOptions,
): Promise<PeerCertificate | undefined> {
  const expected = http.certValidForMs !== undefined;
  if (url.scheme !== "https" || !(expected || http.readCertificate)) return undefined;
  const address = http.resolve?.get(overrideKey(url.host, url.port))?.[0] ?? url.host;
  // Loaded on first use: node:tls costs tens of milliseconds at start-up, and only this needs it.
  const { readPeerCertificate } = await import("./cert.ts");
  try {
    return await readPeerCertificate(address, url.port, {
      servername: url.host,
      caCerts: http.caCerts,
      insecure: http.insecure,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      trace: options.trace,
    });
  } catch (error) {
    if (expected || options.signal?.aborted) throw error;
    return undefined;
  }
}

/** Checks that the certificate read for `url` stays valid at least `minMs` more. */
function judgeCertificate(
  url: HttpUrl,
  cert: PeerCertificate | undefined,
  minMs: number,
): { expires: string | null; failure?: ProbeFailure } {
  const expected = `valid for ${formatDuration(minMs)} more`;
  if (cert === undefined) {
    const reason = `${url.href} is not https: there is no certificate to check`;
    return { expires: null, failure: { expectation: "cert", expected, got: "plain http", reason } };
  }
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
