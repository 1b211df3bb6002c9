import assert from "node:assert/strict";
import { ProtocolError } from "../net/errors.ts";
import { bytesReader } from "../net/io.ts";
import { BufReader } from "../net/reader.ts";
import { readRequestHead, RequestError, wantsKeepAlive } from "./request_head.ts";

const remote: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 9 };
const limits = { maxHeadBytes: 256, maxFields: 4 };

function reader(head: string): BufReader {
  return new BufReader(bytesReader(new TextEncoder().encode(head)), { bufferSize: 64 });
}

async function statusOf(head: string): Promise<number> {
  try {
    await readRequestHead(reader(head), limits, remote);
    return 0;
  } catch (error) {
    if (error instanceof RequestError) return error.status;
    throw error;
  }
}

Deno.test("readRequestHead() reads the request line, the fields and the target's parts", async () => {
  const request = await readRequestHead(
    reader(
      "\r\nGET http://h/p%C3%A9?a=1&a=2&b= HTTP/1.1\r\nHost: h\r\nX-Folded: a\r\n b\r\n\r\nnext",
    ),
    limits,
    remote,
  );
  assert.deepEqual(
    [request.method, request.target, request.path, request.query.getAll("a"), request.version],
    ["GET", "http://h/p%C3%A9?a=1&a=2&b=", "/p\u00e9", ["1", "2"], "1.1"],
  );
  assert.equal(request.headers.get("x-folded"), "a b");
  assert.equal(request.remote, remote);
});

Deno.test("readRequestHead() takes OPTIONS * and a Content-Length of 0", async () => {
  const request = await readRequestHead(
    reader("OPTIONS * HTTP/1.0\r\nContent-Length: 0\r\n\r\n"),
    limits,
    remote,
  );
  assert.deepEqual([request.path, request.version], ["*", "1.0"]);
});

Deno.test("readRequestHead() answers each fault with its status", async () => {
  const cases: Array<[string, number]> = [
    ["GET / HTTP/1.1\r\nHost: h\r\n\r\n", 0],
    ["GET /\r\n\r\n", 400],
    ["GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400],
    ["GET /\x7f HTTP/1.1\r\nHost: h\r\n\r\n", 400],
    ["GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400],
    ["GET ftp://h/ HTTP/1.1\r\nHost: h\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nHost: h\r\n folded-first\r\n\r\n", 0],
    [" GET / HTTP/1.1\r\nHost: h\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 2\r\n\r\n", 413],
    ["GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x1\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n", 413],
    ["GET / HTTP/3\r\n\r\n", 400],
    ["GET / HTTP/1.2\r\n\r\n", 505],
    [`GET /${"a".repeat(300)} HTTP/1.1\r\n\r\n`, 431],
    [`GET / HTTP/1.1\r\nHost: h\r\nX: ${"a".repeat(240)}\r\n\r\n`, 431],
    ["GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", 431],
  ];
  for (const [head, status] of cases) {
    assert.equal(await statusOf(head), status, JSON.stringify(head));
  }
});

Deno.test("readRequestHead() lets a head cut short by the peer's close through as a ProtocolError", async () => {
  await assert.rejects(
    readRequestHead(reader("GET / HTTP/1.1\r\nHost: h\r\n"), limits, remote),
    ProtocolError,
  );
});

Deno.test("wantsKeepAlive() reads the Connection tokens of either version", () => {
  const ask = (version: "1.0" | "1.1", connection?: string) =>
    wantsKeepAlive({
      version,
      headers: new Headers(connection === undefined ? {} : { Connection: connection }),
    });
  assert.deepEqual(
    [
      ask("1.1"),
      ask("1.1", "foo, close"),
      ask("1.0"),
      ask("1.0", "Keep-Alive"),
      ask("1.0", "keep-alive, close"),
    ],
    [true, false, false, true, false],
  );
});
