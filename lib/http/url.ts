/**
 * HTTP URLs as the client needs them: scheme, host (IPv6 literals without brackets), port,
 * the origin-form request target, and the `Host` field.
 *
 * @module
 */
import { formatHostPort } from "../net/addr.ts";

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
  let url: URL;
  try {
    url = new URL(text, typeof base === "string" ? base : base?.href);
  } catch {
    throw new TypeError(`Invalid URL "${text}": ${whyNotUrl(text)}`);
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== "http" && scheme !== "https") {
    throw new TypeError(`Unsupported URL scheme "${scheme}" in "${text}": use http or https`);
  }
  if (url.hostname === "") throw new TypeError(`Invalid URL "${text}": no host`);
  const defaultPort = scheme === "https" ? 443 : 80;
  const port = url.port === "" ? defaultPort : Number(url.port);
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const bracketed = host.includes(":") ? `[${host}]` : host;
  // Each setter re-parses the whole URL (3 us): only what is there is taken off.
  if (url.hash !== "") url.hash = "";
  const credentials = url.username || url.password
    ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) }
    : undefined;
  if (credentials) url.username = url.password = "";
  return {
    ...(credentials ? { credentials } : {}),
    href: url.href,
    scheme,
    host,
    port,
    target: `${url.pathname || "/"}${url.search}`,
    hostField: port === defaultPort ? bracketed : formatHostPort(host, port),
    origin: `${scheme}://${formatHostPort(host, port)}`,
  };
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
  const pair = new TextEncoder().encode(`${url.credentials.username}:${url.credentials.password}`);
  let binary = "";
  for (const byte of pair) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
}
