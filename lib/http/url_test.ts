import assert from "node:assert/strict";
import { parseHttpUrl } from "./url.ts";

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
