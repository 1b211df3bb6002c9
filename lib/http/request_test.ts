import assert from "node:assert/strict";
import {
  checkField,
  defaultFields,
  encodeRequestHead,
  mergeFields,
  REDIRECT_STATUSES,
} from "./request.ts";
import { parseHttpUrl } from "./url.ts";

Deno.test("encodeRequestHead() puts the default port out of Host and brackets IPv6", () => {
  const text = (url: string) =>
    new TextDecoder().decode(
      encodeRequestHead({ method: "HEAD", url: parseHttpUrl(url), fields: [], close: false }),
    );
  assert.equal(text("http://example.test/"), "HEAD / HTTP/1.1\r\nHost: example.test\r\n\r\n");
  assert.equal(
    text("https://example.test:443/x"),
    "HEAD /x HTTP/1.1\r\nHost: example.test\r\n\r\n",
  );
  assert.equal(text("http://[::1]:8080"), "HEAD / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n");
});

Deno.test("encodeRequestHead() refuses a field that would break the head", () => {
  assert.throws(
    () =>
      encodeRequestHead({
        method: "GET",
        url: parseHttpUrl("http://a/"),
        fields: [["X", "1\r\nInjected: yes"]],
        close: false,
      }),
    TypeError,
  );
  assert.equal(checkField("X", "a\0b"), 'header "X" has a NUL in its value');
  assert.match(checkField("Bad Name", "1")!, /not a token/);
});

Deno.test("defaultFields() gives User-Agent then Accept, which a user field replaces or removes", () => {
  assert.deepEqual(defaultFields("sockit/1"), [["User-Agent", "sockit/1"], ["Accept", "*/*"]]);
  assert.deepEqual(mergeFields(defaultFields("x"), [["accept", ""]]), [["User-Agent", "x"]]);
});

Deno.test("REDIRECT_STATUSES holds 301, 302, 303, 307 and 308 and no other 3xx", () => {
  const redirects = Array.from({ length: 100 }, (_, i) => 300 + i).filter((s) =>
    REDIRECT_STATUSES.has(s)
  );
  assert.deepEqual(redirects, [301, 302, 303, 307, 308]);
});

Deno.test("encodeRequestHead() adds the body's Content-Length unless the fields give one", () => {
  const url = parseHttpUrl("http://example.test/m");
  const text = (fields: Array<[string, string]>) =>
    new TextDecoder().decode(
      encodeRequestHead({ method: "PUT", url, fields, close: true, body: new Uint8Array(5) }),
    );
  assert.equal(
    text([]),
    "PUT /m HTTP/1.1\r\nHost: example.test\r\nContent-Length: 5\r\nConnection: close\r\n\r\n",
  );
  assert.doesNotMatch(text([["content-length", "5"]]), /Content-Length/);
});
