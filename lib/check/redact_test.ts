import assert from "node:assert/strict";
import { escapeXml, MASK, Redactor, SHORT_SECRET } from "./redact.ts";

const encoder = new TextEncoder();

Deno.test("Redactor.text() masks every occurrence of a secret and keeps the rest", () => {
  const redact = new Redactor(["hunter22"]);
  assert.equal(redact.text("a hunter22 b hunter22"), `a ${MASK} b ${MASK}`);
  assert.equal(redact.text("nothing secret here"), "nothing secret here");
});

Deno.test("Redactor ignores empty secrets and is not active without any", () => {
  const redact = new Redactor(["", ""]);
  assert.equal(redact.active, false);
  assert.equal(redact.text("status 401"), "status 401");
  assert.equal(new Redactor(["", "hunter22"]).active, true);
});

Deno.test("Redactor.text() masks a secret escaped as JSON", () => {
  const secret = 'a"b\\c\nd';
  const redact = new Redactor([secret]);
  assert.equal(redact.text(JSON.stringify({ got: secret })), `{"got":"${MASK}"}`);
});

Deno.test("Redactor.text() masks a secret escaped for XML", () => {
  const secret = `<a&b>"c'`;
  const redact = new Redactor([secret]);
  assert.equal(
    redact.text(`<failure message="${escapeXml(secret)}"/>`),
    `<failure message="${MASK}"/>`,
  );
});

Deno.test("Redactor.text() masks a secret percent-encoded in a URL", () => {
  const secret = "p@ss w/rd?";
  const redact = new Redactor([secret]);
  assert.equal(redact.text(`?t=${encodeURIComponent(secret)}`), `?t=${MASK}`);
  const url = new URL("http://h/");
  url.password = secret;
  assert.equal(redact.text(url.href), `http://:${MASK}@h/`);
});

Deno.test("Redactor.text() masks a longer secret whole before a shorter one inside it", () => {
  const redact = new Redactor(["abcd", "xxabcdyy"]);
  assert.equal(redact.text("1 xxabcdyy 2 abcd"), `1 ${MASK} 2 ${MASK}`);
});

Deno.test("Redactor.text() masks the start of a secret where an excerpt was cut", () => {
  const redact = new Redactor(["s3cr3t-value"]);
  assert.equal(redact.text('got "s3cr" (+40 characters)'), `got "${MASK}" (+40 characters)`);
  assert.equal(redact.text("got s3cr3t... (+40 characters)"), `got ${MASK}... (+40 characters)`);
  // Without a cut mark, a prefix is not a secret.
  assert.equal(redact.text('got "s3cr"'), 'got "s3cr"');
});

Deno.test("Redactor masks a secret shorter than SHORT_SECRET, also where it is no secret", () => {
  const short = "1";
  assert.ok(short.length < SHORT_SECRET);
  const redact = new Redactor([short]);
  assert.equal(redact.text(`status 40${short}`), `status 40${MASK}`);
});

Deno.test("Redactor.deep() masks strings through plain objects and arrays, not keys", () => {
  const redact = new Redactor(["hunter22"]);
  const value = { hunter22: ["x hunter22", 5, null, { n: "hunter22" }], ok: true };
  assert.deepEqual(redact.deep(value), {
    hunter22: [`x ${MASK}`, 5, null, { n: MASK }],
    ok: true,
  });
  assert.deepEqual(value.hunter22[0], "x hunter22");
});

Deno.test("Redactor.deep() returns values that are not plain objects as they are", () => {
  const redact = new Redactor(["hunter22"]);
  const date = new Date(0);
  assert.equal(redact.deep(date), date);
  const map = new Map([["k", "hunter22"]]);
  assert.equal(redact.deep(map), map);
});

Deno.test("Redactor.bytes() masks a secret's UTF-8 and keeps every other byte", () => {
  const secret = "p\u00e4ssw\u00f6rd";
  const redact = new Redactor([secret]);
  const sent = Uint8Array.of(0xff, ...encoder.encode(`A: ${secret}\r\n`), 0x00, 0x80);
  assert.deepEqual(
    [...redact.bytes(sent)],
    [0xff, ...encoder.encode(`A: ${MASK}\r\n`), 0x00, 0x80],
  );
});

Deno.test("Redactor.bytes() masks a secret's encoded forms as bytes too", () => {
  const secret = 'p@ss w"rd';
  const redact = new Redactor([secret]);
  const sent = encoder.encode(`?t=${encodeURIComponent(secret)}&j=${JSON.stringify(secret)}`);
  assert.equal(new TextDecoder().decode(redact.bytes(sent)), `?t=${MASK}&j="${MASK}"`);
});

Deno.test("Redactor.bytes() returns bytes without a secret unchanged", () => {
  const bytes = encoder.encode("GET / HTTP/1.1\r\n");
  assert.equal(new Redactor(["hunter22"]).bytes(bytes), bytes);
});

Deno.test("escapeXml() escapes the five XML special characters", () => {
  assert.equal(escapeXml(`a&b<c>d"e'f`), "a&amp;b&lt;c&gt;d&quot;e&apos;f");
});
