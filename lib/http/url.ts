/**
 * HTTP URLs as the client needs them: scheme, host (IPv6 literals without brackets), port,
 * the origin-form request target, and the `Host` field.
 *
 * @module
 */
import { invalidInput } from "../net/errors.ts";
import { encodeBase64 } from "../text/base64.ts";

/** A parsed `http:` or `https:` URL. */
export interface HttpUrl {
  /** The URL as text, without its fragment. */
  href: string;
  /** `http` or `https`. */
  scheme: "http" | "https";
  /** The host name or address, IPv6 literals without brackets. */
  host: string;
  /** The port, explicit or the scheme's default. */
  port: number;
  /** The origin-form request target: path and query (`/`, `/a?b=1`). */
  target: string;
  /** The `Host` field value: the host, with the port when it is not the default. */
  hostField: string;
  /** `scheme://host:port`, the key for reusing connections. */
  origin: string;
  /**
   * The user name and password of a `user:pass@host` URL, decoded, for Basic authorization. They
   * are never part of {@linkcode HttpUrl.href}, so no output shows them.
   */
  credentials?: { username: string; password: string };
}

/** A few words on why `new URL()` refused `text`. */
function whyNotUrl(text: string): string {
  if (text.trim() === "") return "empty";
  if (!/^[a-z][a-z0-9+.-]*:/i.test(text)) {
    return "not an absolute URL (start with http:// or https://)";
  }
  if (/\[[^\]]*$/.test(text)) return "an IPv6 address needs its closing ]";
  if (/:\/\/[^/]*:(\d{6,}|[^\d/][^/]*)(\/|$)/.test(text)) {
    return "the port is not a number from 0 to 65535";
  }
  return "malformed host or characters a URL cannot hold";
}

/**
 * Parses an absolute `http:` or `https:` URL, or a relative reference against `base`.
 *
 * @throws {TypeError} When the text is not a URL, or its scheme is not http or https.
 *
 * @example
 * ```ts
 * import { parseHttpUrl } from "./url.ts";
 * import assert from "node:assert/strict";
 * const url = parseHttpUrl("http://[::1]:8080/a?b=1#c");
 * assert.deepEqual([url.host, url.port, url.target, url.hostField], ["::1", 8080, "/a?b=1", "[::1]:8080"]);
 * assert.equal(parseHttpUrl("../x", url).target, "/x");
 * const secret = parseHttpUrl("http://ann:p%40ss@h/");
 * assert.deepEqual([secret.href, secret.credentials], ["http://h/", { username: "ann", password: "p@ss" }]);
 * ```
 */
export function parseHttpUrl(text: string, base?: HttpUrl | string): HttpUrl {
  const parsed = URL.parse(text, typeof base === "string" ? base : base?.href);
  if (parsed === null) throw invalidInput(TypeError, "URL", text, whyNotUrl(text));
  // The parts are cut from the serialized URL, read once: each of URL's getters costs about a
  // microsecond, and a thousand URLs on a command line read a dozen each. The serialization of
  // a URL with a host is `scheme://[userinfo@]host[:port]path[?query][#fragment]`, normalized:
  // the default port left out, `@`, `/`, `?` and `#` percent-encoded where they are not
  // delimiters, and a special scheme's path never empty.
  const href = parsed.href;
  const colon = href.indexOf(":");
  const scheme = href.slice(0, colon);
  if (scheme !== "http" && scheme !== "https") {
    throw new TypeError(`Unsupported URL scheme "${scheme}" in "${text}": use http or https`);
  }
  const authorityStart = colon + 3;
  const pathStart = href.indexOf("/", authorityStart);
  const authority = href.slice(authorityStart, pathStart);
  const at = authority.lastIndexOf("@");
  const hostPort = authority.slice(at + 1);
  // The port follows the last colon after an IPv6 literal's closing bracket, if any.
  const portColon = hostPort.indexOf(":", hostPort.lastIndexOf("]") + 1);
  const hostname = portColon < 0 ? hostPort : hostPort.slice(0, portColon);
  if (hostname === "") throw invalidInput(TypeError, "URL", text, "no host");
  const defaultPort = scheme === "https" ? 443 : 80;
  const port = portColon < 0 ? defaultPort : Number(hostPort.slice(portColon + 1));
  const host = hostname.startsWith("[") ? hostname.slice(1, -1) : hostname;
  const hash = href.indexOf("#", pathStart);
  const pathAndQuery = hash < 0 ? href.slice(pathStart) : href.slice(pathStart, hash);
  let credentials: { username: string; password: string } | undefined;
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    const split = userinfo.indexOf(":");
    const username = split < 0 ? userinfo : userinfo.slice(0, split);
    const password = split < 0 ? "" : userinfo.slice(split + 1);
    if (username !== "" || password !== "") {
      credentials = { username: percentDecode(username), password: percentDecode(password) };
    }
  }
  const origin = `${scheme}://${hostname}:${port}`;
  const url: HttpUrl = {
    href: `${scheme}://${hostPort}${pathAndQuery}`,
    scheme,
    host,
    port,
    // An empty query (`/a?`) is sent without its `?`, as URL's `search` reads it.
    target: pathAndQuery.indexOf("?") === pathAndQuery.length - 1
      ? pathAndQuery.slice(0, -1)
      : pathAndQuery,
    hostField: port === defaultPort ? hostname : origin.slice(authorityStart),
    origin,
  };
  if (credentials) url.credentials = credentials;
  return url;
}

/**
 * Percent-decodes as the URL standard does, never failing: a `%` not followed by two hex digits
 * stays as it is, and the bytes are read as UTF-8, a byte that is not UTF-8 becoming U+FFFD
 * (`decodeURIComponent` throws on both). `text` is ASCII: URL's serialization percent-encodes
 * everything else in the user name and password.
 */
function percentDecode(text: string): string {
  if (!text.includes("%")) return text;
  const bytes = new Uint8Array(text.length);
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const hex = text[i] === "%" ? text.slice(i + 1, i + 3) : "";
    if (/^[0-9a-f]{2}$/i.test(hex)) {
      bytes[length++] = parseInt(hex, 16);
      i += 2;
    } else bytes[length++] = text.charCodeAt(i);
  }
  return new TextDecoder().decode(bytes.subarray(0, length));
}

/**
 * The `Authorization` field value for a URL's user name and password (RFC 7617 Basic), or
 * `undefined` when the URL has none.
 *
 * @example
 * ```ts
 * import { basicAuthorization, parseHttpUrl } from "./url.ts";
 * import assert from "node:assert/strict";
 * assert.equal(basicAuthorization(parseHttpUrl("http://Aladdin:open%20sesame@h/")), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
 * ```
 */
export function basicAuthorization(url: HttpUrl): string | undefined {
  if (!url.credentials) return undefined;
  return `Basic ${encodeBase64(`${url.credentials.username}:${url.credentials.password}`)}`;
}

/**
 * The request fields for `url`: `fields`, plus Basic authorization from a `user:pass@` URL (as
 * curl does) unless `fields` hold an `Authorization` of their own.
 *
 * @example
 * ```ts
 * import { parseHttpUrl, withBasicAuthorization } from "./url.ts";
 * import assert from "node:assert/strict";
 * const url = parseHttpUrl("http://a:b@h/");
 * assert.deepEqual(withBasicAuthorization([], url), [["Authorization", "Basic YTpi"]]);
 * assert.deepEqual(withBasicAuthorization([["authorization", "x"]], url), [["authorization", "x"]]);
 * ```
 */
export function withBasicAuthorization(
  fields: Array<[string, string]>,
  url: HttpUrl,
): Array<[string, string]> {
  const basic = basicAuthorization(url);
  const given = fields.some(([name]) => name.toLowerCase() === "authorization");
  return basic === undefined || given ? fields : [...fields, ["Authorization", basic]];
}
