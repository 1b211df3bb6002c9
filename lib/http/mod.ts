/**
 * sockit's HTTP/1.1 client, written on raw sockets: request heads, response parsing and body
 * framing by RFC 9112, keep-alive connections, TLS, redirects and body decoding; and a small
hardened server for GET and HEAD endpoints (`serveHttp`).
 *
 * @example Fetch a URL from a local server
 * ```ts
 * import { fetchUrl, HttpClient, parseHttpUrl } from "./mod.ts";
 * import assert from "node:assert/strict";
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const served = (async () => {
 *   using conn = await listener.accept();
 *   await conn.read(new Uint8Array(4096));
 *   await conn.write(new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"));
 * })();
 * const client = new HttpClient();
 * let body = "";
 * const result = await fetchUrl(client, parseHttpUrl(`http://127.0.0.1:${listener.addr.port}/`), {
 *   method: "GET", fields: [], onBody: (chunk) => { body += new TextDecoder().decode(chunk); },
 * });
 * client.close();
 * await served;
 * assert.deepEqual([result.head.status, body], [200, "hi"]);
 * ```
 *
 * @module
 */
export {
  DEFAULT_READ_TIMEOUT_MS,
  HttpConnection,
  openConnection,
  zeroTiming,
} from "./connection.ts";
export type { ConnectionOptions, Opened, OpenOptions, Timing } from "./connection.ts";
export { acceptEncoding, contentCodings, decodeBody, decoders } from "./decode.ts";
export type { BodySource, DecodeOptions } from "./decode.ts";
export { fetchUrl } from "./fetch.ts";
export type { FetchOptions, FetchResult, Redirect } from "./fetch.ts";
export { HttpClient } from "./pool.ts";
export type { Exchange, HttpClientOptions, SendOptions } from "./pool.ts";
export {
  checkField,
  defaultFields,
  encodeRequestHead,
  mergeFields,
  REDIRECT_STATUSES,
} from "./request.ts";
export {
  backoffMs,
  isRetryableError,
  isRetryableStatus,
  MAX_RETRY_WAIT_MS,
  retryAfterMs,
  retryWait,
} from "./retry.ts";
export type { RetryWait, RetryWaitOptions } from "./retry.ts";
export type { RequestHead } from "./request.ts";
export {
  bodyFraming,
  BodyReader,
  DEFAULT_MAX_FIELDS,
  DEFAULT_MAX_HEAD_BYTES,
  HttpHeaders,
  isToken,
  latin1,
  nextHeadLine,
  parseFieldLine,
  parseStatusLine,
  readFields,
  readResponseHead,
} from "./response.ts";
export type {
  BodyFraming,
  BodyReaderOptions,
  Framing,
  HeadLimits,
  ResponseHead,
  StatusLine,
} from "./response.ts";
export {
  checkResponse,
  MAX_CHECKED_BODY,
  needsBody,
  parseHeaderExpectation,
  parseRegex,
  parseStatusList,
} from "./expect.ts";
export type {
  ExpectationFailure,
  HeaderExpectation,
  HttpExpectations,
  StatusList,
} from "./expect.ts";
export { startHttpResponder } from "./responder.ts";
export type { HttpResponder } from "./responder.ts";
export { readRequestHead, RequestError, wantsKeepAlive } from "./request_head.ts";
export { HttpServer, serveHttp } from "./server.ts";
export type {
  HttpCloseReason,
  HttpHandler,
  HttpReply,
  HttpRequest,
  HttpServerEvent,
  HttpServerOptions,
} from "./server.ts";
export { formatSize, parseSize } from "./size.ts";
export { basicAuthorization, parseHttpUrl, withBasicAuthorization } from "./url.ts";
export type { HttpUrl } from "./url.ts";
