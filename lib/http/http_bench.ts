/**
 * `deno bench lib/http/`: the per-request hot path of `sockit get`, one function at a time, on
 * the bytes of a real nginx response. Speed is measured here, never asserted in a test.
 *
 * @module
 */
import { BufReader } from "../net/reader.ts";
import { bytesReader } from "../net/io.ts";
import { encodeRequestHead } from "./request.ts";
import { bodyFraming, BodyReader, latin1, parseStatusLine, readResponseHead } from "./response.ts";
import { parseHttpUrl } from "./url.ts";

const RESPONSE = new TextEncoder().encode(
  "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Wed, 25 Nov 2026 19:50:56 GMT\r\n" +
    "Content-Type: text/plain\r\nContent-Length: 17\r\n" +
    "Last-Modified: Wed, 25 Nov 2026 19:46:37 GMT\r\nConnection: keep-alive\r\n" +
    'ETag: "6b073b1d-11"\r\nAccept-Ranges: bytes\r\n\r\nhello from nginx\n',
);
const LINE = RESPONSE.subarray(0, RESPONSE.indexOf(0x0d));
const URL_TEXT = "http://127.0.0.1:8080/small.txt?i=999";
const url = parseHttpUrl(URL_TEXT);

Deno.bench("latin1() of a status line", () => {
  latin1(LINE);
});

Deno.bench("parseStatusLine()", () => {
  parseStatusLine("HTTP/1.1 200 OK");
});

Deno.bench("parseHttpUrl()", () => {
  parseHttpUrl(URL_TEXT);
});

Deno.bench("encodeRequestHead()", () => {
  encodeRequestHead({ method: "GET", url, fields: [], close: false });
});

Deno.bench("readResponseHead() and bodyFraming() of an nginx response", async () => {
  const head = await readResponseHead(new BufReader(bytesReader(RESPONSE), { bufferSize: 4096 }));
  bodyFraming(head!, "GET");
});

Deno.bench("a whole nginx response: head, framing and body", async () => {
  const reader = new BufReader(bytesReader(RESPONSE), { bufferSize: 4096 });
  const head = await readResponseHead(reader);
  const body = new BodyReader(reader, bodyFraming(head!, "GET").body);
  while (await body.read() !== null) { /* drain */ }
});
