/**
 * Regression tests for the `sockit get` defects of issue 9, each named after its defect and run
 * over real loopback sockets: in this process (`runCli`) where the streams can be captured, as a
 * subprocess with the binary's permissions where signals, pipes or logs are involved.
 */
import assert from "node:assert/strict";
import { runSockit } from "./_helpers.ts";
import { ReplayServer, runCli } from "./_http.ts";

const OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

Deno.test("issue 9 defect 14: a kept-alive connection with bytes left after a complete response is closed, not reused", async () => {
  await using server = new ReplayServer([
    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcXYZ",
    OK,
  ]);
  const result = await runCli(["get", server.url("/1"), server.url("/2")]);
  assert.equal(result.code, 0, result.err);
  assert.equal(result.out, "abcok");
  assert.equal(server.connections, 2, "the second request went on a new connection");
});

Deno.test("issue 9 defect 14: -v says why a kept-alive connection was not reused", async () => {
  await using server = new ReplayServer([
    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcXYZ",
    OK,
  ]);
  const result = await runSockit(["get", "-v", server.url("/1"), server.url("/2")]);
  assert.equal(result.code, 0, result.err);
  assert.match(
    result.err,
    /DEBUG sockit\.http connection to http:\/\/127\.0\.0\.1:\d+ not reused: 3 unexpected bytes after the response/,
  );
});
