import assert from "node:assert/strict";
import { CheckError, ConnectError, TimeoutError } from "../net/errors.ts";
import { bytesReader } from "../net/io.ts";
import { exchangeEcho, mismatchError } from "./exchange.ts";
import { serveEcho } from "./server.ts";

const encoder = new TextEncoder();

Deno.test("exchangeEcho() sends, reads the echo to the end and hands each chunk to onData", async () => {
  await using server = serveEcho({ port: 0 });
  const { port } = server.addr as Deno.NetAddr;
  const chunks: Uint8Array[] = [];
  const result = await exchangeEcho(
    { hostname: "127.0.0.1", port },
    bytesReader(encoder.encode("round trip")),
    { timeoutMs: 5000, onData: (chunk) => void chunks.push(chunk.slice()) },
  );
  assert.deepEqual([result.sent, result.received, result.match], [10, 10, true]);
  assert.equal(result.dialed.remote, `127.0.0.1:${port}`);
  assert.equal(result.tls, undefined);
  assert.ok(result.totalMs >= result.exchangeMs);
  assert.equal(
    new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c]))),
    "round trip",
  );
});

Deno.test("exchangeEcho() reports a server that echoes other bytes as a mismatch, not an error", async () => {
  // A server that answers "abd" to "abc" and closes.
  using wrong = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const answering = (async () => {
    const conn = await wrong.accept();
    const buf = new Uint8Array(3);
    let got = 0;
    while (got < 3) got += (await conn.read(buf.subarray(got))) ?? 3;
    await conn.write(encoder.encode("abd"));
    conn.close();
  })();
  const result = await exchangeEcho(
    { hostname: "127.0.0.1", port: wrong.addr.port },
    bytesReader(encoder.encode("abc")),
    { timeoutMs: 5000 },
  );
  await answering;
  assert.equal(result.match, false);
  assert.equal(result.mismatchOffset, 2);
  const error = mismatchError(result);
  assert.ok(error instanceof CheckError);
  assert.equal(
    error.message,
    "Echo mismatch: sent 3 bytes, received 3, first difference at byte 2",
  );
  assert.equal(error.why, "sent 3 bytes, received 3, first difference at byte 2");
});

Deno.test("exchangeEcho() fails with ConnectError when nothing listens", async () => {
  const port = (() => {
    using probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    return probe.addr.port;
  })();
  await assert.rejects(
    exchangeEcho({ hostname: "127.0.0.1", port }, bytesReader(new Uint8Array(1)), {
      timeoutMs: 5000,
    }),
    ConnectError,
  );
});

Deno.test("exchangeEcho() ends with TimeoutError when the server never echoes", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  await assert.rejects(
    exchangeEcho(
      { hostname: "127.0.0.1", port: listener.addr.port },
      bytesReader(new Uint8Array(1)),
      { timeoutMs: 100 },
    ),
    TimeoutError,
  );
  (await accepted).close();
});
