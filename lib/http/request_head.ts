/**
 * Reading an HTTP/1.1 request head, as a server does (RFC 9112 sections 2 to 5, 9.3): the
 * request line, the fields (with the response reader's field parser and limits), the target's
 * path and query, and whether the connection stays open after the answer.
 *
 * Decisions where the RFC leaves a choice to the server:
 * - Empty lines before the request line are skipped (section 2.2), within the head's size.
 * - Only HTTP/1.0 and HTTP/1.1 are served: any other version, HTTP/1.2 too, is 505.
 * - A request with a body (Content-Length over 0, or any Transfer-Encoding) is 413: the server
 *   serves data and takes none, so it never has to frame a request body.
 * - The path is percent-decoded as a whole (`%2F` becomes `/`); dot segments are left as sent.
 *
 * @module
 */
import { LimitError, ProtocolError } from "../net/errors.ts";
import type { BufReader } from "../net/reader.ts";
import { isToken, latin1, nextHeadLine, readFields } from "./response.ts";

/** A request as the handler sees it. */
export interface HttpRequest {
  /** The method as sent: `GET`. */
  method: string;
  /** The request-target as sent: `/probe?module=web&target=x`. */
  target: string;
  /** The decoded path, without the query: `/probe`. */
  path: string;
  /** The query's parameters. */
  query: URLSearchParams;
  /** The request's header fields. */
  headers: Headers;
  /** The HTTP version the client speaks. */
  version: "1.0" | "1.1";
  /** The client's address. */
  remote: Deno.NetAddr;
}

/** A request head the server answers itself, with {@linkcode RequestError.status}, and closes. */
export class RequestError extends Error {
  /** @param status 400, 413, 431 or 505. @param message Why, for the answer's body. */
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = "RequestError";
  }
}

/**
 * Reads one request head, at most `maxHeadBytes` long with at most `maxFields` fields.
 *
 * @throws {RequestError} When the head is malformed (400), too large (431), of another HTTP
 * version (505) or announces a body (413).
 * @throws {ProtocolError} When the connection closes in the middle of the head.
 *
 * @example
 * ```ts
 * import { readRequestHead, RequestError } from "./request_head.ts";
 * import { BufReader } from "../net/reader.ts";
 * import { bytesReader } from "../net/io.ts";
 * import assert from "node:assert/strict";
 * const remote: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 1 };
 * const limits = { maxHeadBytes: 1024, maxFields: 10 };
 * const read = (head: string) =>
 *   readRequestHead(new BufReader(bytesReader(new TextEncoder().encode(head))), limits, remote);
 * const request = await read("GET /a%20b?x=1 HTTP/1.1\r\nHost: h\r\n\r\n");
 * assert.deepEqual([request.path, request.query.get("x")], ["/a b", "1"]);
 * await assert.rejects(read("GET / HTTP/2.0\r\n\r\n"), (e) => (e as RequestError).status === 505);
 * ```
 */
export async function readRequestHead(
  reader: BufReader,
  limits: { maxHeadBytes: number; maxFields: number },
  remote: Deno.NetAddr,
): Promise<HttpRequest> {
  try {
    return await readHead(reader, limits, remote);
  } catch (error) {
    if (error instanceof LimitError) throw new RequestError(431, error.message);
    if (error instanceof ProtocolError && !reader.eof) throw new RequestError(400, error.message);
    throw error;
  }
}

async function readHead(
  reader: BufReader,
  limits: { maxHeadBytes: number; maxFields: number },
  remote: Deno.NetAddr,
): Promise<HttpRequest> {
  const what = "request head";
  const before = reader.bytesRead - reader.buffered;
  const used = () => reader.bytesRead - reader.buffered - before;
  let raw: Uint8Array;
  do {
    const line = nextHeadLine(reader, limits.maxHeadBytes - used(), what);
    raw = line instanceof Promise ? await line : line;
  } while (raw.length === 0);
  const line = latin1(raw);
  const match = /^([^ ]+) ([^ ]+) HTTP\/(\d+\.\d+)$/.exec(line);
  if (!match || !isToken(match[1]!) || !/^[\x21-\x7e]+$/.test(match[2]!)) {
    throw new RequestError(400, `Invalid request line ${JSON.stringify(line.slice(0, 80))}`);
  }
  const [, method, target, version] = match as unknown as [string, string, string, string];
  if (version !== "1.0" && version !== "1.1") {
    throw new RequestError(505, `Unsupported HTTP version "HTTP/${version}": expected HTTP/1.1`);
  }
  const { fields } = await readFields(reader, limits.maxHeadBytes - used(), limits.maxFields, what);
  const headers = new Headers();
  let hosts = 0;
  for (const [name, value] of fields) {
    headers.append(name, value);
    if (name.toLowerCase() === "host") hosts++;
  }
  if (hosts > 1 || (hosts === 0 && version === "1.1")) {
    throw new RequestError(400, "An HTTP/1.1 request needs one Host field");
  }
  const lengths = headers.get("content-length")?.split(",").map((v) => v.trim());
  if (lengths?.some((v) => !/^\d+$/.test(v))) throw new RequestError(400, "Invalid Content-Length");
  if (headers.has("transfer-encoding") || lengths?.some((v) => Number(v) > 0)) {
    throw new RequestError(413, "This server takes no request body");
  }
  return { method, target, ...parseTarget(method, target), headers, version, remote };
}

/** The decoded path and the query of a request-target (origin, absolute or asterisk form). */
function parseTarget(method: string, target: string): { path: string; query: URLSearchParams } {
  if (target === "*" && method === "OPTIONS") return { path: "*", query: new URLSearchParams() };
  let pathAndQuery = target;
  if (!target.startsWith("/")) {
    const url = /^https?:\/\//i.test(target) ? URL.parse(target) : null;
    if (url === null) {
      throw new RequestError(400, `Invalid request target ${JSON.stringify(target.slice(0, 80))}`);
    }
    pathAndQuery = url.pathname + url.search;
  }
  const q = pathAndQuery.indexOf("?");
  try {
    const path = decodeURIComponent(q < 0 ? pathAndQuery : pathAndQuery.slice(0, q));
    return { path, query: new URLSearchParams(q < 0 ? "" : pathAndQuery.slice(q + 1)) };
  } catch {
    throw new RequestError(
      400,
      `Invalid percent-encoding in ${JSON.stringify(target.slice(0, 80))}`,
    );
  }
}

/**
 * Whether the connection may carry another request after this one's answer (RFC 9112 section
 * 9.3): HTTP/1.1 unless `Connection: close`, HTTP/1.0 only with `Connection: keep-alive`.
 *
 * @example
 * ```ts
 * import { wantsKeepAlive } from "./request_head.ts";
 * import assert from "node:assert/strict";
 * assert.equal(wantsKeepAlive({ version: "1.1", headers: new Headers() }), true);
 * assert.equal(wantsKeepAlive({ version: "1.0", headers: new Headers() }), false);
 * assert.equal(wantsKeepAlive({ version: "1.1", headers: new Headers({ Connection: "Close" }) }), false);
 * ```
 */
export function wantsKeepAlive(request: Pick<HttpRequest, "version" | "headers">): boolean {
  const tokens = (request.headers.get("connection") ?? "").toLowerCase().split(",")
    .map((t) => t.trim());
  if (tokens.includes("close")) return false;
  return request.version === "1.1" || tokens.includes("keep-alive");
}
