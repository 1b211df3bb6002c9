import assert from "node:assert/strict";
import { FIRST_ECHO_BUFFER_SIZE, serveEcho } from "./server.ts";
import type { EchoServerEvent } from "./server.ts";

const encoder = new TextEncoder();

async function connect(port: number): Promise<Deno.TcpConn> {
  return await Deno.connect({ hostname: "127.0.0.1", port });
}

Deno.test("serveEcho() binds 127.0.0.1 by default and reports the port it picked", async () => {
  await using server = serveEcho({ port: 0 });
  const addr = server.addr as Deno.NetAddr;
  assert.equal(addr.hostname, "127.0.0.1");
  assert.ok(addr.port > 0);
});

Deno.test("serveEcho() finishes echoing after the client half-closes, then closes", async () => {
  const events: EchoServerEvent[] = [];
  await using server = serveEcho({ port: 0, onEvent: (e) => events.push(e) });
  const conn = await connect((server.addr as Deno.NetAddr).port);
  await conn.write(encoder.encode("half"));
  await conn.closeWrite();
  const echoed = await new Response(conn.readable).text();
  assert.equal(echoed, "half");
  const summary = await server.shutdown(1000);
  assert.deepEqual(summary, { connections: 1, rejected: 0, bytes: 4, forced: 0 });
  assert.deepEqual(events.map((e) => e.event), ["accept", "close"]);
  assert.equal((events[1] as { reason: string }).reason, "eof");
});

Deno.test("shutdown() closes connections still open after the grace period and counts them", async () => {
  const server = serveEcho({ port: 0 });
  const conn = await connect((server.addr as Deno.NetAddr).port);
  await conn.write(encoder.encode("x"));
  assert.equal(await conn.read(new Uint8Array(1)), 1);
  const summary = await server.shutdown(20);
  assert.equal(summary.forced, 1);
  assert.equal(await conn.read(new Uint8Array(1)), null);
  conn.close();
});

Deno.test("serveEcho({ once }) settles served after its one connection and accepts no other", async () => {
  await using server = serveEcho({ port: 0, once: true });
  const port = (server.addr as Deno.NetAddr).port;
  const conn = await connect(port);
  await conn.closeWrite();
  await new Response(conn.readable).arrayBuffer();
  await server.served;
  await assert.rejects(connect(port), Deno.errors.ConnectionRefused);
});

Deno.test("serveEcho({ maxConns }) rejects the connection over the limit without a byte", async () => {
  const events: EchoServerEvent[] = [];
  await using server = serveEcho({ port: 0, maxConns: 1, onEvent: (e) => events.push(e) });
  const port = (server.addr as Deno.NetAddr).port;
  const first = await connect(port);
  await first.write(encoder.encode("1"));
  assert.equal(await first.read(new Uint8Array(1)), 1);
  const second = await connect(port);
  assert.equal(await second.read(new Uint8Array(1)), null);
  second.close();
  first.close();
  const summary = await server.shutdown(1000);
  assert.deepEqual([summary.connections, summary.rejected], [1, 1]);
  assert.ok(events.some((e) => e.event === "reject" && e.reason === "max-conns"));
});

Deno.test("serveEcho() traces recv and send with the bytes when asked", async () => {
  const steps: string[] = [];
  await using server = serveEcho({
    port: 0,
    trace: (e) => steps.push(`${e.step}:${e.bytes ?? ""}`),
  });
  const conn = await connect((server.addr as Deno.NetAddr).port);
  await conn.write(encoder.encode("abc"));
  await conn.closeWrite();
  await new Response(conn.readable).arrayBuffer();
  await server.shutdown(1000);
  assert.deepEqual(steps, ["accept:", "recv:3", "send:3", "recv:", "close:"]);
});

/** Streams `size` bytes through a server and returns the size of each read it traced. */
async function readSizes(
  bufferSize: number | undefined,
  size: number,
  largeBuffers?: number,
): Promise<number[]> {
  const reads: number[] = [];
  await using server = serveEcho({
    port: 0,
    ...(bufferSize === undefined ? {} : { bufferSize }),
    ...(largeBuffers === undefined ? {} : { largeBuffers }),
    trace: (e) => {
      if (e.step === "recv" && e.bytes !== undefined) reads.push(e.bytes);
    },
  });
  const conn = await connect((server.addr as Deno.NetAddr).port);
  const data = new Uint8Array(size).map((_, i) => i % 251);
  const writing = (async () => {
    for (let at = 0; at < size;) at += await conn.write(data.subarray(at));
    await conn.closeWrite();
  })();
  const echoed = new Uint8Array(await new Response(conn.readable).arrayBuffer());
  await writing;
  assert.deepEqual(echoed, data);
  await server.shutdown(1000);
  return reads;
}

Deno.test("serveEcho() reads into a small buffer at first and a larger one for a connection that streams", async () => {
  const reads = await readSizes(undefined, 4 * 1024 * 1024);
  assert.ok(reads.every((n) => n <= 256 * 1024), `a read over 256 KiB: ${Math.max(...reads)}`);
  assert.ok(reads[0]! <= FIRST_ECHO_BUFFER_SIZE, `a first read of ${reads[0]} bytes`);
  assert.ok(Math.max(...reads) > FIRST_ECHO_BUFFER_SIZE, "the buffer never grew");
});

Deno.test("serveEcho({ bufferSize }) never reads more than bufferSize at a time", async () => {
  const reads = await readSizes(1000, 256 * 1024);
  assert.ok(reads.every((n) => n <= 1000), `a read of ${Math.max(...reads)} bytes`);
});

Deno.test("serveEcho({ largeBuffers: 0 }) lends no large buffer: every read is 4 KiB at most", async () => {
  const reads = await readSizes(undefined, 1024 * 1024, 0);
  assert.ok(reads.every((n) => n <= FIRST_ECHO_BUFFER_SIZE), `a read of ${Math.max(...reads)}`);
});
