// A Node.js echo server as most people would write it: each socket piped back to itself.
import net from "node:net";
const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.on("error", () => {});
  socket.pipe(socket);
});
server.listen(0, "127.0.0.1", () => process.stdout.write(`${server.address().port}\n`));
