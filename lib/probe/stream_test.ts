/** The stream probes against real loopback sockets: a connect, expected bytes, an echo. */
import assert from "node:assert/strict";
import { serveEcho } from "../echo/server.ts";
import { probeConnect, probeEcho } from "./stream.ts";
import { parseTarget } from "./target.ts";

const encode = (text: string) => new TextEncoder().encode(text);

/** Accepts one connection on 127.0.0.1 and hands it to `serve`, which closes it. */
function serveOnce(serve: (conn: Deno.Conn) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = listener.accept().then(async (conn) => {
    try {
      await serve(conn);
    } finally {
      conn.close();
    }
  });
  return {
    port: listener.addr.port,
    async [Symbol.asyncDispose]() {
      await served;
      listener.close();
    },
  };
}

function tcp(port: number) {
  const target = parseTarget(`127.0.0.1:${port}`);
  assert.equal(target.kind, "tcp");
  return target as typeof target & { kind: "tcp" };
}

Deno.test("probeConnect() is ready once a port accepts, naming the remote", async () => {
  await using server = serveOnce(() => Promise.resolve());
  const result = await probeConnect(tcp(server.port), { timeoutMs: 2000 });
  assert.equal(result.ready, true);
  assert.ok(result.ready && result.detail === `accepted on 127.0.0.1:${server.port}`);
});

Deno.test("probeConnect() is ready when the expected bytes answer what it sent", async () => {
  await using server = serveOnce(async (conn) => {
    const buffer = new Uint8Array(64);
    await conn.read(buffer);
    await conn.write(encode("+PONG\r\n"));
  });
  const result = await probeConnect(tcp(server.port), { timeoutMs: 2000 }, {
    send: encode("PING\r\n"),
    expect: encode("+PONG"),
  });
  assert.equal(result.ready, true);
  assert.equal(result.facts?.received, "+PONG\r\n");
});

Deno.test("probeConnect() says what came instead when the peer closes without the expected bytes", async () => {
  await using server = serveOnce(async (conn) => {
    await conn.write(encode("hello"));
  });
  const result = await probeConnect(tcp(server.port), { timeoutMs: 2000 }, {
    expect: encode("+PONG"),
  });
  assert.equal(result.ready, false);
  assert.ok(!result.ready);
  assert.equal(result.reason, 'the peer closed the connection without "+PONG" (got "hello")');
  assert.equal(result.failures?.[0]?.expectation, "expect");
});

Deno.test("probeConnect() throws on a closed port, for probe() to turn into a result", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  await assert.rejects(probeConnect(tcp(port), { timeoutMs: 2000 }), /connection refused/i);
});

Deno.test("probeEcho() is ready when the round trip comes back exact", async () => {
  await using server = serveEcho({ port: 0 });
  const target = parseTarget(`echo://127.0.0.1:${(server.addr as Deno.NetAddr).port}`);
  assert.equal(target.kind, "echo");
  const result = await probeEcho(target as typeof target & { kind: "echo" }, { timeoutMs: 2000 }, {
    payload: encode("ping\n"),
  });
  assert.equal(result.ready, true);
  assert.equal(result.facts?.bytes, 5);
});

Deno.test("probeEcho() reports other bytes coming back as a failed echo", async () => {
  await using server = serveOnce(async (conn) => {
    const buffer = new Uint8Array(64);
    const n = await conn.read(buffer);
    await conn.write(new Uint8Array(n ?? 0).fill(0x78));
  });
  const target = parseTarget(`echo://127.0.0.1:${server.port}`);
  const result = await probeEcho(target as typeof target & { kind: "echo" }, { timeoutMs: 2000 }, {
    payload: encode("ping\n"),
  });
  assert.equal(result.ready, false);
  assert.equal(!result.ready && result.failures?.[0]?.expectation, "echo");
});

Deno.test("probeConnect() measuring adds the dial's phases and the IP version, 6 for [::1]", async () => {
  using listener = Deno.listen({ hostname: "::1", port: 0 });
  const accepted = listener.accept().then((conn) => conn.close());
  const target = parseTarget(`[::1]:${listener.addr.port}`) as ReturnType<typeof tcp>;
  const result = await probeConnect(target, { timeoutMs: 2000 }, { measure: true });
  await accepted;
  assert.equal(result.ready, true);
  assert.equal(result.facts?.ip_protocol, 6);
  assert.equal(typeof result.facts?.phase_connect_ms, "number");
});

Deno.test("probeConnect() adds no measured facts unless asked", async () => {
  await using server = serveOnce(() => Promise.resolve());
  const result = await probeConnect(tcp(server.port), { timeoutMs: 2000 });
  assert.deepEqual(Object.keys(result.facts ?? {}).sort(), ["remote", "time_ms"]);
});

Deno.test("probeEcho() measuring adds the IP version of the address echoed with", async () => {
  await using server = serveEcho({ port: 0 });
  const target = parseTarget(`echo://127.0.0.1:${(server.addr as Deno.NetAddr).port}`);
  const result = await probeEcho(target as typeof target & { kind: "echo" }, { timeoutMs: 2000 }, {
    measure: true,
  });
  assert.equal(result.facts?.ip_protocol, 4);
});
