/**
 * Hostile and odd peers, end to end: each test server misbehaves in one way, and sockit must
 * give the documented outcome and exit code within its deadline, with bounded memory.
 */
import assert from "node:assert/strict";
import { ReplayServer, runCli } from "./_http.ts";

Deno.test("get returns a chunked body byte for byte when the server sends it one byte at a time (found by fuzzing)", async () => {
  // Each chunk's CRLF arrives in a read after its data: the reader used to refill its buffer
  // over the chunk it had just handed out.
  const body = "0123456789abcdefghij";
  await using server = new ReplayServer([{
    bytes: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "a\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n",
    dripMs: 0,
  }]);
  const result = await runCli(["get", server.url()]);
  assert.equal(result.code, 0, result.err);
  assert.equal(result.out, body);
});
