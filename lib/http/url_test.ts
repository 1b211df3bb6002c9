import assert from "node:assert/strict";
import fc from "fast-check";
import { formatHostPort } from "../net/addr.ts";
import { parseHttpUrl, withBasicAuthorization } from "./url.ts";
import type { HttpUrl } from "./url.ts";

Deno.test("parseHttpUrl() gives the origin, target and Host field, default ports left out", () => {
  const url = parseHttpUrl("https://Example.TEST/a/b?c=1#frag");
  assert.equal(url.scheme, "https");
  assert.equal(url.host, "example.test");
  assert.equal(url.port, 443);
  assert.equal(url.target, "/a/b?c=1");
  assert.equal(url.hostField, "example.test");
  assert.equal(url.origin, "https://example.test:443");
  assert.equal(url.href, "https://example.test/a/b?c=1");
  assert.equal(parseHttpUrl("http://h:8080").hostField, "h:8080");
  assert.equal(parseHttpUrl("http://h:8080").target, "/");
});

Deno.test("parseHttpUrl() refuses what is not an http or https URL with a host", () => {
  assert.throws(() => parseHttpUrl(""), /^TypeError: Invalid URL "": empty$/);
  assert.throws(
    () => parseHttpUrl("not a url"),
    /^TypeError: Invalid URL "not a url": not an absolute URL \(start with http:\/\/ or https:\/\/\)$/,
  );
  assert.throws(() => parseHttpUrl("http://[::1"), /: an IPv6 address needs its closing \]$/);
  assert.throws(
    () => parseHttpUrl("http://a:99999999/"),
    /: the port is not a number from 0 to 65535$/,
  );
  assert.throws(
    () => parseHttpUrl("ftp://h/x"),
    /^TypeError: Unsupported URL scheme "ftp" in "ftp:\/\/h\/x": use http or https$/,
  );
  assert.throws(() => parseHttpUrl("http://:80/"), TypeError);
});

Deno.test("parseHttpUrl() resolves a relative reference against a base", () => {
  const base = parseHttpUrl("http://h:81/a/b");
  assert.equal(parseHttpUrl("c", base).href, "http://h:81/a/c");
  assert.equal(parseHttpUrl("//other/x", base).origin, "http://other:80");
  assert.equal(parseHttpUrl("/x", "http://h/").href, "http://h/x");
});

/** What parseHttpUrl() gave when it read each part with URL's getters: the reference. */
function byGetters(text: string, base?: string): HttpUrl | string {
  let url: URL;
  try {
    url = new URL(text, base);
  } catch {
    return "invalid";
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== "http" && scheme !== "https") return "unsupported";
  if (url.hostname === "") return "no host";
  const defaultPort = scheme === "https" ? 443 : 80;
  const port = url.port === "" ? defaultPort : Number(url.port);
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  url.hash = "";
  let credentials: { username: string; password: string } | undefined;
  try {
    credentials = url.username || url.password
      ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) }
      : undefined;
  } catch {
    return "undecodable"; // decodeURIComponent's limits: see the test of malformed escapes
  }
  url.username = url.password = "";
  return {
    ...(credentials ? { credentials } : {}),
    href: url.href,
    scheme,
    host,
    port,
    target: `${url.pathname || "/"}${url.search}`,
    hostField: port === defaultPort ? url.hostname : formatHostPort(host, port),
    origin: `${scheme}://${formatHostPort(host, port)}`,
  };
}

function outcome(text: string, base?: string): HttpUrl | string {
  try {
    return parseHttpUrl(text, base);
  } catch (error) {
    const message = (error as Error).message;
    return message.includes("Unsupported URL scheme")
      ? "unsupported"
      : message.endsWith(": no host")
      ? "no host"
      : "invalid";
  }
}

Deno.test("parseHttpUrl() cuts the serialized URL into the parts URL's getters give", () => {
  const cases = [
    "http://h/a?",
    "http://h/a?#f",
    "http://h?#",
    "HTTP://User:P%40ss@Example.TEST:80/x/../y?q=1&r#frag",
    "https://:pw@h:443/",
    "http://@h/",
    "http://u:@h/",
    "http://[::FFFF:1.2.3.4]:8080/p?q",
    "http://[2001:db8::1]/",
    "https://xn--bcher-kva.test/\u00e4?\u00f6#\u00fc",
    "http://b\u00fccher.test:65535",
    "http://h/a b?c d",
    "http://h/%2e%2E/x",
    "http://a%40b:c%3Ad@h/",
    "http://h:0/",
    "ftp://h/",
    "http:///x",
    "http://h/?a?b#c#d",
  ];
  for (const text of cases) assert.deepEqual(outcome(text), byGetters(text), text);
  assert.deepEqual(outcome("../x?", "http://h:81/a/b"), byGetters("../x?", "http://h:81/a/b"));
  fc.assert(
    fc.property(
      fc.oneof(
        fc.webUrl({
          withFragments: true,
          withQueryParameters: true,
          authoritySettings: { withUserInfo: true, withPort: true, withIPv6: true },
        }),
        fc.string().map((s) => `http://h/${s}`),
        fc.string().map((s) => `http://${s}`),
      ),
      (text) => {
        const expected = byGetters(text);
        if (expected !== "undecodable") assert.deepEqual(outcome(text), expected, text);
      },
    ),
    { numRuns: 3000, seed: 13 },
  );
});

Deno.test("parseHttpUrl() decodes a user name and password as URLs do, malformed escapes kept", () => {
  const cases: Array<[string, string, string]> = [
    ["http://%@h/", "%", ""],
    ["http://a%zz:%4@h/", "a%zz", "%4"],
    ["http://%C3%A9t%C3%A9:p%40ss%3a@h/", "\u00e9t\u00e9", "p@ss:"],
    ["http://a%FFb:%C3@h/", "a\ufffdb", "\ufffd"],
    ["http://\u00e9:\u00fc@h/", "\u00e9", "\u00fc"],
  ];
  for (const [text, username, password] of cases) {
    const url = parseHttpUrl(text);
    assert.deepEqual(url.credentials, { username, password }, text);
    assert.equal(url.href, "http://h/", text);
  }
});

Deno.test("withBasicAuthorization() adds a URL's user:pass unless a field of any case already authorizes", () => {
  const url = parseHttpUrl("http://Aladdin:open%20sesame@h/");
  const fields: Array<[string, string]> = [["Accept", "*/*"]];
  assert.deepEqual(withBasicAuthorization(fields, url), [
    ["Accept", "*/*"],
    ["Authorization", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="],
  ]);
  assert.equal(withBasicAuthorization([["AUTHORIZATION", "Bearer t"]], url).length, 1);
  assert.equal(withBasicAuthorization(fields, parseHttpUrl("http://h/")), fields);
});
