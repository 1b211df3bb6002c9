import assert from "node:assert/strict";
import { ConnectError, TlsError } from "../net/errors.ts";
import { serveEchoPair } from "./pair.ts";
import { serveUdpEcho } from "./udp_server.ts";

Deno.test("serveEchoPair() binds TCP and UDP on one free port, and each echoes", async () => {
  const { stream, udp } = await serveEchoPair({ hostname: "127.0.0.1", port: 0 }, {
    stream: {},
    udp: {},
  });
  try {
    const port = (stream!.addr as Deno.NetAddr).port;
    assert.equal(udp!.addr.port, port);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new Uint8Array([7]));
    await conn.closeWrite();
    assert.deepEqual(
      new Uint8Array(await new Response(conn.readable).arrayBuffer()),
      new Uint8Array([7]),
    );
    const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    try {
      await socket.send(new Uint8Array([8]), { transport: "udp", hostname: "127.0.0.1", port });
      const [reply] = await socket.receive();
      assert.deepEqual(reply, new Uint8Array([8]));
    } finally {
      socket.close();
    }
  } finally {
    await stream!.shutdown(0);
    await udp!.shutdown();
  }
});

Deno.test("serveEchoPair() starts only the servers asked for", async () => {
  const udpOnly = await serveEchoPair({ hostname: "127.0.0.1", port: 0 }, { udp: {} });
  assert.deepEqual(Object.keys(udpOnly), ["udp"]);
  await udpOnly.udp!.shutdown();
  const streamOnly = await serveEchoPair({ hostname: "127.0.0.1", port: 0 }, { stream: {} });
  assert.deepEqual(Object.keys(streamOnly), ["stream"]);
  await streamOnly.stream!.shutdown(0);
});

Deno.test("serveEchoPair() on a port whose UDP is taken fails as ConnectError and frees its TCP", async () => {
  // A port whose TCP side is free (this test held it a moment ago) and whose UDP side is taken.
  const tcp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = tcp.addr.port;
  await using _taken = serveUdpEcho({ hostname: "127.0.0.1", port });
  tcp.close();
  await assert.rejects(
    serveEchoPair({ hostname: "127.0.0.1", port }, { stream: {}, udp: {} }),
    (error) =>
      error instanceof ConnectError &&
      error.message.startsWith(`Cannot listen on 127.0.0.1:${port} (udp): `) &&
      error.what === `Cannot listen on 127.0.0.1:${port} (udp)` &&
      error.cause instanceof Deno.errors.AddrInUse,
  );
  using again = Deno.listen({ hostname: "127.0.0.1", port });
  assert.equal(again.addr.port, port);
});

Deno.test("serveEchoPair() says a TLS certificate and key that cannot be used is a TlsError", async () => {
  const garbage = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n";
  const key = "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n";
  await assert.rejects(
    serveEchoPair({ hostname: "127.0.0.1", port: 0 }, { stream: { tls: { cert: garbage, key } } }),
    (error) =>
      error instanceof TlsError &&
      error.what === "Cannot use the TLS certificate and key" &&
      error.kind === "bad-key" && error.why === "cannot parse the private key" &&
      /private key/.test((error.cause as Error).message),
  );
});
