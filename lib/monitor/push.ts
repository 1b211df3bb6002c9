/**
 * Pushing a run's metrics to a Prometheus Pushgateway (`check --push URL`), for vantage points
 * that cannot be scraped: one `PUT` of the text exposition to `URL/metrics/job/JOB/LABEL/VALUE...`
 * on sockit's own HTTP/1.1 client, retried when the gateway could not be reached or answered 429
 * or 5xx.
 *
 * @module
 */
import { CHECK_DEFAULTS } from "../check/spec/schema.ts";
import { withDeadline } from "../net/deadline.ts";
import { concatBytes } from "../net/bytes.ts";
import { SockitError } from "../net/errors.ts";
import { mayRetry, pauseBefore } from "../net/retry.ts";
import type { RetrySchedule } from "../net/retry.ts";
import { sleep } from "../net/timer.ts";
import { fetchUrl } from "../http/fetch.ts";
import { HttpClient } from "../http/pool.ts";
import { defaultFields } from "../http/request.ts";
import { isRetryableError, isRetryableStatus } from "../http/retry.ts";
import { parseHttpUrl, withBasicAuthorization } from "../http/url.ts";
import type { HttpUrl } from "../http/url.ts";
import { METRICS_CONTENT_TYPES } from "../metrics/render.ts";
import { encodeBase64 } from "../text/base64.ts";

/**
 * How a push is retried unless told otherwise: on a check's schedule (the pauses of
 * `CHECK_DEFAULTS.retry`: 1 s, 2 s, 4 s... up to 30 s), with the attempts a push is worth: three
 * in all.
 */
export const PUSH_RETRY: RetrySchedule = { ...CHECK_DEFAULTS.retry, attempts: 3 };

/** Each attempt's limit unless told otherwise, in milliseconds. */
export const PUSH_TIMEOUT_MS = 10_000;

/** Most bytes of a refusing gateway's answer read, and quoted in the error (fewer). */
const MAX_ANSWER_BYTES = 64 * 1024;
const QUOTED_ANSWER_CHARS = 300;

/**
 * One segment pair of a Pushgateway path: `name/value`, the value URI-encoded, or
 * `name@base64/VALUE` (RFC 4648's URL-safe alphabet) when plain encoding cannot carry it: a value
 * that holds a `/`, is empty, or is `.` or `..` (a dot segment, which URL parsing drops).
 */
function groupingSegment(name: string, value: string): string {
  if (value === "") return `${name}@base64/=`;
  if (!value.includes("/") && value !== "." && value !== "..") {
    return `${name}/${encodeURIComponent(value)}`;
  }
  return `${name}@base64/${encodeBase64(value, { alphabet: "url" })}`;
}

/**
 * The URL a group's metrics are pushed to: the gateway's URL (its path kept as a prefix) then
 * `/metrics/job/JOB` and a `/NAME/VALUE` pair per label of the grouping key, in order, each value
 * encoded as the Pushgateway reads it.
 *
 * @example
 * ```ts
 * import { pushUrl } from "./push.ts";
 * import assert from "node:assert/strict";
 * assert.equal(
 *   pushUrl("http://gw.test:9091/", "sockit", { vantage: "eu/west 1" }).href,
 *   "http://gw.test:9091/metrics/job/sockit/vantage@base64/ZXUvd2VzdCAx",
 * );
 * assert.equal(pushUrl("http://gw.test/pgw", "a b").href, "http://gw.test/pgw/metrics/job/a%20b");
 * ```
 *
 * @throws {TypeError} When `gateway` is not an http or https URL, or has a query.
 */
export function pushUrl(
  gateway: string | HttpUrl,
  job: string,
  groupingKey: Readonly<Record<string, string>> = {},
): HttpUrl {
  const base = typeof gateway === "string" ? parseHttpUrl(gateway) : gateway;
  if (base.target.includes("?")) throw new TypeError("a Pushgateway URL takes no query");
  const path = base.target.replace(/\/+$/, "");
  const segments = [groupingSegment("job", job)];
  for (const [name, value] of Object.entries(groupingKey)) {
    segments.push(groupingSegment(name, value));
  }
  return parseHttpUrl(`${path}/metrics/${segments.join("/")}`, base);
}

/** Options for {@linkcode pushMetrics}. */
export interface PushOptions {
  /** The `job` of the group. */
  job: string;
  /** The other labels of the group, in the path's order (`{ vantage: "eu-west-1" }`). */
  groupingKey?: Readonly<Record<string, string>> | undefined;
  /** The exposition, in the Prometheus text format 0.0.4. */
  body: string;
  /** Each attempt's limit, in milliseconds. @default {PUSH_TIMEOUT_MS} */
  timeoutMs?: number | undefined;
  /** How often to try, and how far apart. @default {PUSH_RETRY} */
  retry?: RetrySchedule | undefined;
  /**
   * Aborting it ends the push, the attempt in flight too: it then rejects with the signal's
   * reason. An aborted signal rejects before any attempt.
   */
  signal?: AbortSignal | undefined;
  /** Extra trusted root certificates (PEM) for an https gateway. */
  caCerts?: string[] | undefined;
  /** Accept any certificate of an https gateway, unverified. @default {false} */
  insecure?: boolean | undefined;
  /** The `User-Agent`. @default {"sockit"} */
  userAgent?: string | undefined;
  /** Called as each attempt starts, with its number (1 for the first). */
  onAttempt?: ((attempt: number) => void) | undefined;
  /** Called after a failed attempt that will be retried, with why and the pause before the next. */
  onRetry?: ((attempt: number, why: string, pauseMs: number) => void) | undefined;
}

/** What {@linkcode pushMetrics} did. */
export interface PushResult {
  /** Whether the gateway took the metrics (a 2xx answer). */
  ok: boolean;
  /** The URL pushed to (the group's). */
  url: string;
  /** The last answer's status; undefined when no answer came. */
  status: number | undefined;
  /** Attempts made. */
  attempts: number;
  /** Why the push failed: `Pushgateway answered 400 Bad Request: ...`; undefined when it did not. */
  error: string | undefined;
}

/** What an attempt's deadline names (its message is only the why). */
const ATTEMPT = "Pushing the metrics";

/** The outcome of one attempt. */
type Attempt =
  | { status: number; why: string | undefined; retryable: boolean }
  | { status: undefined; why: string; retryable: boolean };

/**
 * Pushes metrics to a Pushgateway, replacing the group's (`PUT`), on a retry schedule: a gateway
 * that cannot be reached, times out, or answers 429 or 5xx is tried again; any other answer but
 * 2xx is final. A `user:pass@` in the gateway's URL is sent as Basic authorization. Never throws
 * for the push's own failure: the result says what happened.
 *
 * @example Push to a gateway that takes it
 * ```ts
 * import { pushMetrics } from "./push.ts";
 * import assert from "node:assert/strict";
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const served = (async () => {
 *   using conn = await listener.accept();
 *   await conn.read(new Uint8Array(4096));
 *   await conn.write(new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
 * })();
 * const result = await pushMetrics(`http://127.0.0.1:${listener.addr.port}`, {
 *   job: "sockit", groupingKey: { vantage: "ci" }, body: "a 1\n",
 * });
 * await served;
 * assert.deepEqual([result.ok, result.status, result.attempts], [true, 200, 1]);
 * assert.match(result.url, /\/metrics\/job\/sockit\/vantage\/ci$/);
 * ```
 *
 * @throws {TypeError} When `gateway` is not an http or https URL, or has a query.
 */
export async function pushMetrics(
  gateway: string | HttpUrl,
  options: PushOptions,
): Promise<PushResult> {
  const base = typeof gateway === "string" ? parseHttpUrl(gateway) : gateway;
  const url = pushUrl(base, options.job, options.groupingKey);
  // A `user:pass@` gateway URL sends Basic authorization (never shown: `href` leaves it out).
  const fields = withBasicAuthorization([
    ...defaultFields(options.userAgent ?? "sockit"),
    ["Content-Type", METRICS_CONTENT_TYPES.text],
  ], base);
  const retry = options.retry ?? PUSH_RETRY;
  const body = new TextEncoder().encode(options.body);
  const started = performance.now();
  let attempts = 0;
  while (true) {
    options.signal?.throwIfAborted();
    attempts++;
    options.onAttempt?.(attempts);
    const attempt = await pushOnce(url, fields, body, options);
    if (attempt.status !== undefined && attempt.why === undefined) {
      return { ok: true, url: url.href, status: attempt.status, attempts, error: undefined };
    }
    const pause = pauseBefore(attempts + 1, retry);
    if (
      !attempt.retryable || options.signal?.aborted ||
      !mayRetry(attempts + 1, pause, performance.now() - started, retry)
    ) {
      return { ok: false, url: url.href, status: attempt.status, attempts, error: attempt.why };
    }
    options.onRetry?.(attempts, attempt.why!, pause);
    await sleep(pause, options.signal);
    options.signal?.throwIfAborted();
  }
}

async function pushOnce(
  url: HttpUrl,
  fields: Array<[string, string]>,
  body: Uint8Array,
  options: PushOptions,
): Promise<Attempt> {
  const client = new HttpClient({
    caCerts: options.caCerts,
    insecure: options.insecure,
    connectTimeoutMs: options.timeoutMs ?? PUSH_TIMEOUT_MS,
  });
  const chunks: Uint8Array[] = [];
  let kept = 0;
  try {
    const result = await withDeadline(
      options.timeoutMs ?? PUSH_TIMEOUT_MS,
      ATTEMPT,
      (signal) =>
        fetchUrl(client, url, {
          method: "PUT",
          fields,
          body,
          maxBodyBytes: MAX_ANSWER_BYTES,
          signal,
          onBody: (chunk) => {
            if (kept < QUOTED_ANSWER_CHARS * 4) chunks.push(chunk.slice());
            kept += chunk.length;
          },
        }),
      { signal: options.signal },
    );
    const { status, reason } = result.head;
    if (status >= 200 && status < 300) return { status, why: undefined, retryable: false };
    const answer = quotedAnswer(chunks);
    return {
      status,
      why: `Pushgateway answered ${status}${reason ? ` ${reason}` : ""}${
        answer ? `: ${answer}` : ""
      }`,
      retryable: isRetryableStatus(status),
    };
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (!(error instanceof SockitError)) throw error;
    // The attempt's own deadline says only why (`timed out after 10s`): the caller names the URL.
    const why = error.what === ATTEMPT && error.why !== undefined ? error.why : error.message;
    return { status: undefined, why, retryable: isRetryableError(error) };
  } finally {
    client.close();
  }
}

/** The start of a gateway's answer, on one line. */
function quotedAnswer(chunks: Uint8Array[]): string {
  const text = new TextDecoder().decode(concatBytes(chunks)).replace(/\s+/g, " ").trim();
  return text.length > QUOTED_ANSWER_CHARS ? `${text.slice(0, QUOTED_ANSWER_CHARS)}...` : text;
}
