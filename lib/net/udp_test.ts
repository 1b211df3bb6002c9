/** UDP sockets with real datagrams on 127.0.0.1: binding, round trips, sizes, closing. */
import assert from "node:assert/strict";
import { bindUdp, MAX_UDP_PAYLOAD_V4, maxUdpPayload, udpAddr } from "./udp.ts";

const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

// Two behaviours below are the kernel's and differ off Linux: macOS caps a datagram at
// net.inet.udp.maxdgram (9216 bytes by default), and Windows can fail a receive into a short buffer
// (WSAEMSGSIZE) rather than cutting the datagram. Those two run on Linux only.
const notLinux = Deno.build.os !== "linux";

function loopback() {
  return bindUdp({ hostname: "127.0.0.1", port: 0 });
}

Deno.test("bindUdp() on port 0 binds a free port and says which", () => {
  using socket = loopback();
  assert.equal(socket.addr.transport, "udp");
  assert.equal(socket.addr.hostname, "127.0.0.1");
  assert.ok(socket.addr.port > 0);
});

Deno.test("bindUdp() throws AddrInUse for a port already bound", () => {
  using socket = loopback();
  assert.throws(
    () => bindUdp({ hostname: "127.0.0.1", port: socket.addr.port }),
    Deno.errors.AddrInUse,
  );
});

Deno.test("a reply sent to a datagram's sender comes back to the sending socket", async () => {
  using client = loopback();
  using server = loopback();
  const serving = server.receive(new Uint8Array(65536));
  assert.equal(await client.send(encode("ping"), udpAddr("127.0.0.1", server.addr.port)), 4);
  const [request, from] = await serving;
  assert.equal(decode(request), "ping");
  assert.deepEqual(from, client.addr);

  const answering = client.receive(new Uint8Array(65536));
  await server.send(encode("pong"), from);
  const [reply, replier] = await answering;
  assert.equal(decode(reply), "pong");
  assert.equal(replier.port, server.addr.port);
});

Deno.test("each send arrives as its own datagram, boundaries kept", async () => {
  using a = loopback();
  using b = loopback();
  await a.send(encode("one"), b.addr);
  await a.send(encode("two"), b.addr);
  await a.send(new Uint8Array(0), b.addr);
  const buf = new Uint8Array(65536);
  assert.equal(decode((await b.receive(buf))[0]), "one");
  assert.equal(decode((await b.receive(buf))[0]), "two");
  assert.equal((await b.receive(buf))[0].length, 0);
});

Deno.test({
  name: "receive() cuts a datagram longer than its buffer to the buffer's size",
  ignore: notLinux,
}, async () => {
  using a = loopback();
  using b = loopback();
  await a.send(encode("0123456789"), b.addr);
  const [data] = await b.receive(new Uint8Array(4));
  assert.equal(decode(data), "0123");
});

Deno.test("receive() hands back a view of the buffer it was given", async () => {
  using a = loopback();
  using b = loopback();
  await a.send(encode("abc"), b.addr);
  const buf = new Uint8Array(65536);
  const [data] = await b.receive(buf);
  assert.equal(data.buffer, buf.buffer);
  assert.equal(decode(buf.subarray(0, 3)), "abc");
});

Deno.test({
  name: "maxUdpPayload() bytes over IPv4 arrive whole; one more is refused",
  ignore: notLinux,
}, async () => {
  assert.equal(maxUdpPayload("127.0.0.1"), MAX_UDP_PAYLOAD_V4);
  using a = loopback();
  using b = loopback();
  const largest = new Uint8Array(MAX_UDP_PAYLOAD_V4).fill(7);
  assert.equal(await a.send(largest, b.addr), MAX_UDP_PAYLOAD_V4);
  const [data] = await b.receive(new Uint8Array(65536));
  assert.equal(data.length, MAX_UDP_PAYLOAD_V4);
  assert.ok(data.every((byte) => byte === 7));
  await assert.rejects(a.send(new Uint8Array(MAX_UDP_PAYLOAD_V4 + 1), b.addr), /too long/i);
});

Deno.test("close() rejects a pending receive and is safe to call twice", async () => {
  const socket = loopback();
  const receiving = socket.receive(new Uint8Array(65536));
  socket.close();
  socket.close();
  await assert.rejects(receiving, Deno.errors.Interrupted);
});

Deno.test("close() frees the port for another bind", () => {
  const first = loopback();
  const port = first.addr.port;
  first.close();
  using again = bindUdp({ hostname: "127.0.0.1", port });
  assert.equal(again.addr.port, port);
});
