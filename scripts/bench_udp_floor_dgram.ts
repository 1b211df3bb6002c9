// A floor for the UDP echo bench: the barest Deno UDP echo on node:dgram, as most people would
// write it. Prints its port.
import dgram from "node:dgram";
const socket = dgram.createSocket("udp4");
socket.on("message", (message, from) => socket.send(message, from.port, from.address));
socket.bind(0, "127.0.0.1", () => {
  Deno.stdout.writeSync(new TextEncoder().encode(`${socket.address().port}\n`));
});
