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
import { HttpClient } from "../http/pool.ts";
import { defaultFields, REDIRECT_STATUSES } from "../http/request.ts";
import type { ResponseHead } from "../http/response.ts";
import { withBasicAuthorization } from "../http/url.ts";
import type { HttpUrl } from "../http/url.ts";
import { formatHostPort } from "../net/addr.ts";
import { concatBytes } from "../net/bytes.ts";
import { formatDuration, withDeadline } from "../net/deadline.ts";
import { overrideKey } from "../net/override.ts";
import { failed } from "./result.ts";
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
  options: AttemptOptions,
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
