import assert from "node:assert/strict";
import { bytesReader } from "../net/io.ts";
import { pingEcho, sendEcho } from "./client.ts";
import { serveEcho } from "./server.ts";

/** A one-connection server that runs `handle` on the accepted connection. */
function oneShot(handle: (conn: Deno.Conn) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const done = listener.accept().then(async (conn) => {
    try {
      await handle(conn);
    } finally {
      conn.close();
      listener.close();
    }
  });
  return { port: listener.addr.port, done };
}

async function readN(conn: Deno.Conn, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const r = await conn.read(out.subarray(got));
    if (r === null) break;
    got += r;
  }
  return out.subarray(0, got);
}

Deno.test("sendEcho() finds the first differing byte in an echo of the same length", async () => {
  const server = oneShot(async (conn) => {
    const got = await readN(conn, 10);
    got[6] = got[6]! ^ 0xff;
    await conn.write(got);
  });
  const conn = await Deno.connect({ port: server.port });
  const result = await sendEcho(conn, bytesReader(new TextEncoder().encode("0123456789")));
  conn.close();
  await server.done;
  assert.deepEqual(
    [result.sent, result.received, result.match, result.mismatchOffset],
    [10, 10, false, 6],
  );
});

Deno.test("sendEcho() counts an echo that returns more than was sent as a mismatch", async () => {
  const server = oneShot(async (conn) => {
    const got = await readN(conn, 3);
    await conn.write(new Uint8Array([...got, 33, 33]));
  });
  const conn = await Deno.connect({ port: server.port });
  const result = await sendEcho(conn, bytesReader(new TextEncoder().encode("abc")));
  conn.close();
  await server.done;
  assert.deepEqual([result.sent, result.received, result.match, result.mismatchOffset], [
    3,
    5,
    false,
    3,
  ]);
});

Deno.test("sendEcho() stops sending at its window when nothing comes back", async () => {
  const window = 64 * 1024;
  let serverRead = 0;
  const server = oneShot(async (conn) => {
    serverRead = (await readN(conn, window)).length;
  });
  const conn = await Deno.connect({ port: server.port });
  const result = await sendEcho(conn, bytesReader(new Uint8Array(4 * 1024 * 1024)), {
    windowSize: window,
  });
  conn.close();
  await server.done;
  assert.equal(serverRead, window);
  assert.deepEqual([result.sent, result.received, result.match], [window, 0, false]);
});

Deno.test("sendEcho() verifies a stream many times its window through a real echo server", async () => {
  await using server = serveEcho({ port: 0 });
  const data = crypto.getRandomValues(new Uint8Array(65536)).map((b, i) => b ^ i);
  const big = new Uint8Array(3 * 1024 * 1024 + 17);
  for (let i = 0; i < big.length; i += data.length) big.set(data.subarray(0, big.length - i), i);
  const conn = await Deno.connect({ port: (server.addr as Deno.NetAddr).port });
  const chunks: number[] = [];
  const result = await sendEcho(conn, bytesReader(big), {
    windowSize: 256 * 1024,
    onData: (c) => void chunks.push(c.length),
  });
  conn.close();
  assert.deepEqual([result.sent, result.received, result.match], [big.length, big.length, true]);
  assert.equal(chunks.reduce((a, b) => a + b, 0), big.length);
});

Deno.test("pingEcho() rejects an echo that closes mid-reply as a protocol error", async () => {
  const server = oneShot(async (conn) => {
    const got = await readN(conn, 8);
    await conn.write(got.subarray(0, 3));
  });
  const conn = await Deno.connect({ port: server.port });
  await assert.rejects(
    pingEcho(conn, new Uint8Array(8), { count: 1 }),
    /Echo reply 1 ended early: received 3 of 8 bytes/,
  );
  conn.close();
  await server.done;
});

Deno.test("sendEcho() passes its caller's onData failure through, not as a lost connection", async () => {
  await using server = serveEcho({ port: 0 });
  const conn = await Deno.connect({ port: (server.addr as Deno.NetAddr).port });
  const failure = new Deno.errors.BrokenPipe("stdout closed");
  await assert.rejects(
    sendEcho(conn, bytesReader(new Uint8Array(10)), {
      onData: () => Promise.reject(failure),
    }),
    (error) => error === failure,
  );
  conn.close();
});
