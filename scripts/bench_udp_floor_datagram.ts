// A floor for the UDP echo bench: the barest Deno UDP echo loop on Deno.listenDatagram (needs
// --unstable-net), one reused 64 KiB buffer, no limits or statistics. Prints its port.
const socket = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
await Deno.stdout.write(new TextEncoder().encode(`${(socket.addr as Deno.NetAddr).port}\n`));
const buf = new Uint8Array(65536);
while (true) {
  const [data, from] = await socket.receive(buf);
  await socket.send(data, from);
}
