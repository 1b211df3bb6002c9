/**
 * Fetching a URL: {@linkcode fetchUrl} sends the request on a {@linkcode HttpClient}, follows
 * redirects when asked (dropping credentials on a change of origin), and streams the final body
 * to the caller, decoded when asked.
 *
 * @module
 */
import { LimitError, ProtocolError } from "../net/errors.ts";
import type { Timing } from "./connection.ts";
import { contentCodings, decodeBody, decoders } from "./decode.ts";
import type { Exchange, HttpClient } from "./pool.ts";
import { REDIRECT_STATUSES } from "./request.ts";
import type { RequestHead } from "./request.ts";
import type { BodyReader, ResponseHead } from "./response.ts";
import { parseHttpUrl } from "./url.ts";
import type { HttpUrl } from "./url.ts";

/** Where redirects may lead and what to do with the body's content coding. */
export interface FetchOptions {
  /** `GET` or `HEAD`, or `PUT` or `POST` with a `body`. */
  method: string;
  /**
   * The request's body, sent with a `Content-Length`. A redirect keeps it (and the method) only
   * for 307 and 308; any other redirect is followed with a `GET` without a body.
   */
  body?: Uint8Array | undefined;
  /** Fields after `Host` (defaults merged with the user's). */
  fields: Array<[string, string]>;
  /** Follow 301, 302, 303, 307 and 308 responses. @default {false} */
  followRedirects?: boolean | undefined;
  /** Most redirects to follow. @default {20} */
  maxRedirects?: number | undefined;
  /**
   * Whether another request will follow to this origin, so the connection is kept open; when it
   * returns false the request says `Connection: close`. @default {() => false}
   */
  keepAlive?: ((origin: string) => boolean) | undefined;
  /** Most body bytes, raw and decoded. @default {Infinity} */
  maxBodyBytes?: number | undefined;
  /** Decode these content codings (from `Content-Encoding`) when they are supported. */
  decode?: boolean | undefined;
  /**
   * Aborting it abandons the fetch (every connection of the client is closed); the fetch then
   * rejects with the signal's reason. The client keeps listening to the last signal it was
   * given until another takes its place or it is closed ({@linkcode HttpClient.closeOnAbort}).
   */
  signal?: AbortSignal | undefined;
  /** Called with each request head as it is written. */
  onRequest?: ((head: RequestHead, bytes: Uint8Array) => void) | undefined;
  /** Called with each interim (1xx) response head. */
  onInterim?: ((head: ResponseHead) => void) | undefined;
  /** Called with each non-1xx response head (redirects and the final one), before its body. */
  onResponse?: ((head: ResponseHead, url: HttpUrl) => void | Promise<void>) | undefined;
  /** Receives the final response's body, decoded, in order (views: copy to keep). */
  onBody?: ((chunk: Uint8Array) => void | Promise<void>) | undefined;
}

/** One redirect followed. */
export interface Redirect {
  /** The URL that answered with the redirect. */
  url: string;
  /** Its status. */
  status: number;
  /** Where it led, resolved against `url`. */
  location: string;
}

/** The outcome of {@linkcode fetchUrl}. */
export interface FetchResult {
  /** The URL of the final response. */
  url: string;
  /** The final response head. */
  head: ResponseHead;
  /** Body bytes handed to `onBody` (decoded). */
  bytes: number;
  /** Body bytes as received (before decoding). */
  rawBytes: number;
  /** Redirects followed, in order. */
  redirects: Redirect[];
  /** Whether the final response came on a kept-alive connection. */
  reused: boolean;
  /** Phases of the final exchange; `totalMs` covers the redirects too. */
  timing: Timing;
  /** The address the final response came from. */
  remote: string;
  /** Content codings decoded, as named in `Content-Encoding`. */
  decoded: string[];
}

const CREDENTIALS = new Set(["authorization", "cookie", "proxy-authorization", "host"]);

/**
 * Fetches a URL with a client: sends the request, follows redirects when asked, and streams the
 * final body to `onBody`, decoded when asked.
 *
 * A redirect to another scheme, host or port drops the `Authorization`, `Cookie`,
 * `Proxy-Authorization` and `Host` fields given by the caller, for the rest of the chain.
 *
 * @example Follow a redirect on one kept-alive connection
 * ```ts
 * import { fetchUrl } from "./fetch.ts";
 * import { HttpClient } from "./pool.ts";
 * import { parseHttpUrl } from "./url.ts";
 * import assert from "node:assert/strict";
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const served = (async () => {
 *   using conn = await listener.accept();
 *   const buf = new Uint8Array(4096);
 *   for (const answer of ["301 Moved\r\nLocation: /new", "200 OK\r\nContent-Length: 3"]) {
 *     await conn.read(buf);
 *     const length = answer.startsWith("301") ? "\r\nContent-Length: 0" : "";
 *     const body = answer.startsWith("200") ? "new" : "";
 *     await conn.write(new TextEncoder().encode(`HTTP/1.1 ${answer}${length}\r\n\r\n${body}`));
 *   }
 * })();
 * const client = new HttpClient();
 * const url = parseHttpUrl(`http://127.0.0.1:${listener.addr.port}/old`);
 * const result = await fetchUrl(client, url, {
 *   method: "GET", fields: [], followRedirects: true, keepAlive: () => true,
 * });
 * client.close();
 * await served;
 * assert.deepEqual([result.head.status, result.redirects.length, result.reused], [200, 1, true]);
 * assert.equal(result.url, `http://127.0.0.1:${listener.addr.port}/new`);
 * ```
 *
 * @throws {LimitError} Past `maxRedirects` or `maxBodyBytes`.
 */
export async function fetchUrl(
  client: HttpClient,
  start: HttpUrl,
  options: FetchOptions,
): Promise<FetchResult> {
  const started = performance.now();
  const maxRedirects = options.maxRedirects ?? 20;
  const maxBodyBytes = options.maxBodyBytes ?? Infinity;
  const redirects: Redirect[] = [];
  let url = start;
  let method = options.method;
  let fields = options.fields;
  let body = options.body;
  const unwatch = options.signal ? client.closeOnAbort(options.signal) : undefined;
  try {
    while (true) {
      options.signal?.throwIfAborted();
      const request: RequestHead = {
        method,
        url,
        fields,
        close: !(options.keepAlive?.(url.origin) ?? false),
        body,
      };
      const exchange = await client.send(request, {
        signal: options.signal,
        maxBodyBytes,
        onRequest: options.onRequest,
        onInterim: options.onInterim,
      });
      const { head } = exchange;
      const location = head.headers.get("location");
      const redirect = options.followRedirects && REDIRECT_STATUSES.has(head.status) &&
        location !== undefined;
      await options.onResponse?.(head, url);
      if (redirect) {
        await drain(client, exchange);
        if (redirects.length >= maxRedirects) {
          throw new LimitError(`Too many redirects: more than ${maxRedirects}`, {
            kind: "max-redirects",
          });
        }
        let next: HttpUrl;
        try {
          next = parseHttpUrl(location, url);
        } catch (error) {
          throw new ProtocolError(
            `Cannot follow the redirect from ${url.href}: ${(error as Error).message}`,
          );
        }
        redirects.push({ url: url.href, status: head.status, location: next.href });
        if (head.status === 303 && method !== "HEAD") method = "GET";
        if (body !== undefined && head.status !== 307 && head.status !== 308) {
          // A body goes on only where the method does (307, 308); a 301, 302 or 303 after a
          // PUT or POST is followed with a GET, as browsers and curl do.
          body = undefined;
          if (method !== "HEAD") method = "GET";
        }
        if (next.origin !== url.origin) {
          fields = fields.filter(([name]) => !CREDENTIALS.has(name.toLowerCase()));
        }
        url = next;
        continue;
      }
      for (const coding of exchange.framing.transferCodings) {
        if (!decoders().has(coding)) {
          client.discard(exchange);
          throw new ProtocolError(`Unsupported transfer coding "${coding}"`);
        }
      }
      const codings = [
        ...exchange.framing.transferCodings,
        ...(options.decode ? contentCodings(head) : []),
      ];
      let bytes: number;
      try {
        bytes = codings.length > 0
          ? await decodeBody(exchange.body, codings, {
            maxBytes: maxBodyBytes,
            onBody: options.onBody,
          })
          : await copyBody(exchange.body, options.onBody);
      } catch (error) {
        client.discard(exchange);
        throw error;
      }
      const finished = performance.now();
      client.release(exchange);
      const timing = {
        ...exchange.timing,
        transferMs: finished - exchange.firstByteAt,
        totalMs: finished - started,
      };
      return {
        url: url.href,
        head,
        bytes,
        rawBytes: exchange.body.received,
        redirects,
        reused: exchange.reused,
        timing,
        remote: exchange.connection.remote,
        decoded: codings,
      };
    }
  } catch (error) {
    // The signal's reason, not the closed socket's error it caused.
    throw options.signal?.aborted ? options.signal.reason : error;
  } finally {
    unwatch?.();
  }
}

async function drain(client: HttpClient, exchange: Exchange): Promise<void> {
  // A redirect's body is read and dropped, so that the connection can be reused; a large one
  // is not worth reading.
  if (
    exchange.framing.body.kind === "close" || exchange.framing.body.kind === "length" &&
      exchange.framing.body.length > 1024 * 1024
  ) {
    client.discard(exchange);
    return;
  }
  try {
    while (await exchange.body.read() !== null) {
      if (exchange.body.received > 1024 * 1024) {
        client.discard(exchange);
        return;
      }
    }
  } catch (error) {
    client.discard(exchange);
    throw error;
  }
  client.release(exchange);
}

async function copyBody(
  body: BodyReader,
  onBody: ((chunk: Uint8Array) => void | Promise<void>) | undefined,
): Promise<number> {
  for (let chunk = await body.read(); chunk !== null; chunk = await body.read()) {
    if (onBody) await onBody(chunk);
  }
  return body.received;
}
