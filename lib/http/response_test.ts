import assert from "node:assert/strict";
import { LimitError, ProtocolError } from "../net/errors.ts";
import { bytesReader } from "../net/io.ts";
import { BufReader } from "../net/reader.ts";
import { bodyFraming, BodyReader, HttpHeaders, readResponseHead } from "./response.ts";
import type { ResponseHead } from "./response.ts";

function reader(text: string): BufReader {
  return new BufReader(bytesReader(new TextEncoder().encode(text)));
}

function head(fields: Array<[string, string]>, status = 200, version = "HTTP/1.1"): ResponseHead {
  return { version, status, reason: "", headers: new HttpHeaders(fields), headBytes: 0 };
}

Deno.test("readResponseHead() parses the status line and fields and counts the bytes", async () => {
  const wire = "HTTP/1.1 200 OK\r\nA: 1\r\nB:2\r\n\r\nbody";
  const parsed = await readResponseHead(reader(wire));
  assert.equal(parsed?.status, 200);
  assert.deepEqual(parsed?.headers.entries, [["A", "1"], ["B", "2"]]);
  assert.equal(parsed?.headBytes, wire.length - 4);
});

Deno.test("readResponseHead() returns null on a connection closed before any byte", async () => {
  assert.equal(await readResponseHead(reader("")), null);
});

Deno.test("readResponseHead() enforces the head size and field count", async () => {
  await assert.rejects(
    readResponseHead(reader(`HTTP/1.1 200 OK\r\nA: ${"x".repeat(100)}\r\n\r\n`), {
      maxHeadBytes: 64,
    }),
    LimitError,
  );
  await assert.rejects(
    readResponseHead(reader("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n"), { maxFields: 1 }),
    LimitError,
  );
});

Deno.test("bodyFraming() follows RFC 9112 section 6.3 in order", () => {
  assert.deepEqual(bodyFraming(head([["Content-Length", "3"]], 204), "GET").body, {
    kind: "none",
  });
  assert.deepEqual(bodyFraming(head([["Content-Length", "3"]], 103), "GET").body, {
    kind: "none",
  });
  const both = bodyFraming(
    head([["Transfer-Encoding", "chunked"], ["Content-Length", "3"]]),
    "GET",
  );
  assert.deepEqual([both.body.kind, both.reusable], ["chunked", false]);
  assert.throws(
    () => bodyFraming(head([["Content-Length", "3"], ["Content-Length", "4"]]), "GET"),
    ProtocolError,
  );
  const close = bodyFraming(head([]), "GET");
  assert.deepEqual([close.body.kind, close.reusable], ["close", false]);
  const gzipChunked = bodyFraming(head([["Transfer-Encoding", "gzip, chunked"]]), "GET");
  assert.deepEqual([gzipChunked.body.kind, gzipChunked.transferCodings], ["chunked", ["gzip"]]);
  assert.equal(
    bodyFraming(head([["Connection", "close"], ["Content-Length", "1"]]), "GET").reusable,
    false,
  );
  assert.equal(
    bodyFraming(head([["Content-Length", "1"]], 200, "HTTP/1.0"), "GET").reusable,
    false,
  );
  assert.equal(
    bodyFraming(
      head([["Connection", "keep-alive"], ["Content-Length", "1"]], 200, "HTTP/1.0"),
      "GET",
    )
      .reusable,
    true,
  );
});

Deno.test("BodyReader rejects a chunk size of 17 hex digits", async () => {
  const body = new BodyReader(reader("10000000000000000\r\n"), { kind: "chunked" });
  await assert.rejects(body.read(), /more than 16 hex digits/);
});

Deno.test("BodyReader stops a chunked body at maxBytes before reading the chunk", async () => {
  const body = new BodyReader(reader("ffff\r\n"), { kind: "chunked" }, { maxBytes: 10 });
  await assert.rejects(body.read(), LimitError);
});

Deno.test("BodyReader reports a Content-Length body cut short", async () => {
  const body = new BodyReader(reader("abc"), { kind: "length", length: 5 });
  assert.equal(new TextDecoder().decode((await body.read())!), "abc");
  await assert.rejects(body.read(), /cut short: the connection closed after 3 of 5 bytes/);
});

Deno.test("HttpHeaders finds fields in any case, also those appended after a lookup", () => {
  const headers = new HttpHeaders([["Content-Length", "5"]]);
  assert.equal(headers.get("content-length"), "5");
  assert.equal(headers.has("x-late"), false);
  headers.append("X-Late", "a, B ,");
  headers.append("x-late", "c");
  assert.equal(headers.get("X-LATE"), "a, B ,, c");
  assert.deepEqual(headers.tokens("x-late"), ["a", "b", "c"]);
});

Deno.test("readResponseHead() reads a head that comes a byte at a time as one that comes whole", async () => {
  const wire = "HTTP/1.1 204 No Content\r\nA: 1\r\n\tfolded\r\nB: 2\r\n\r\n";
  let at = 0;
  const trickle = new BufReader({
    read(buf) {
      if (at >= wire.length) return Promise.resolve(null);
      buf[0] = wire.charCodeAt(at++);
      return Promise.resolve(1);
    },
  });
  const slow = await readResponseHead(trickle);
  const fast = await readResponseHead(reader(wire));
  assert.deepEqual(slow, fast);
  assert.deepEqual(fast?.headers.entries, [["A", "1 folded"], ["B", "2"]]);
  assert.equal(fast?.headBytes, wire.length);
});
