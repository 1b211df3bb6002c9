// The floor of the resolve figure: bare Deno asking a DNS server for the A records of every name
// in a file, 32 queries in flight on one UDP socket, answers printed in the order of the file as
// they complete (as `resolve -f --short` prints them), with no options, no logging and no checks
// beyond the query ID; a query unanswered for a second is sent again. Usage:
//   bench_dns_floor.ts dgram|datagram PORT NAMES_FILE
// `dgram` uses node:dgram, `datagram` Deno.listenDatagram (run it with --unstable-net).
const [mode, portText, file] = Deno.args;
const port = Number(portText);
const names = (await Deno.readTextFile(file!)).split("\n").filter((n) => n !== "");
const WINDOW = 32;

function query(id: number, name: string): Uint8Array {
  const labels = name.split(".").filter((l) => l !== "");
  const out = new Uint8Array(12 + labels.reduce((n, l) => n + l.length + 1, 0) + 5);
  out[0] = id >> 8, out[1] = id & 255, out[2] = 1, out[5] = 1; // RD, one question
  let at = 12;
  for (const label of labels) {
    out[at++] = label.length;
    for (let i = 0; i < label.length; i++) out[at++] = label.charCodeAt(i);
  }
  out[at + 2] = 1, out[at + 4] = 1; // the root label, type A, class IN
  return out;
}

/** The A addresses of a reply, one per line. */
function answers(msg: Uint8Array): string {
  const count = (msg[6]! << 8) | msg[7]!;
  let at = 12;
  while (msg[at]! !== 0) at += msg[at]! + 1;
  at += 5;
  let text = "";
  for (let i = 0; i < count; i++) {
    if ((msg[at]! & 0xc0) === 0xc0) at += 2;
    else {
      while (msg[at]! !== 0) at += msg[at]! + 1;
      at++;
    }
    const type = (msg[at]! << 8) | msg[at + 1]!;
    const length = (msg[at + 8]! << 8) | msg[at + 9]!;
    at += 10;
    if (type === 1) text += `${msg[at]}.${msg[at + 1]}.${msg[at + 2]}.${msg[at + 3]}\n`;
    at += length;
  }
  return text;
}

const encoder = new TextEncoder();
const printed: Array<string | undefined> = new Array(names.length);
const sentAt = new Map<number, number>();
let nextToSend = 0, nextToPrint = 0;
const { promise: finished, resolve: finish } = Promise.withResolvers<void>();
let send: (index: number) => void;

function received(msg: Uint8Array): void {
  const index = (msg[0]! << 8) | msg[1]!;
  if (!sentAt.has(index)) return;
  sentAt.delete(index);
  printed[index] = answers(msg);
  let text = "";
  while (nextToPrint < names.length && printed[nextToPrint] !== undefined) {
    text += printed[nextToPrint]!;
    printed[nextToPrint++] = "";
  }
  if (text !== "") Deno.stdout.writeSync(encoder.encode(text));
  if (nextToSend < names.length) send(nextToSend++);
  if (nextToPrint === names.length) finish();
}

const resend = setInterval(() => {
  const now = performance.now();
  for (const [index, at] of sentAt) if (now - at > 1000) send(index);
}, 250);

if (mode === "dgram") {
  const { default: dgram } = await import("node:dgram");
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  socket.on("message", (msg: Uint8Array) => received(msg));
  send = (index) => {
    sentAt.set(index, performance.now());
    socket.send(query(index, names[index]!), port, "127.0.0.1");
  };
  while (nextToSend < Math.min(WINDOW, names.length)) send(nextToSend++);
  await finished;
  socket.close();
} else if (mode === "datagram") {
  const socket = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const to: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port };
  send = (index) => {
    sentAt.set(index, performance.now());
    void socket.send(query(index, names[index]!), to);
  };
  while (nextToSend < Math.min(WINDOW, names.length)) send(nextToSend++);
  const buf = new Uint8Array(65536);
  const receiving = (async () => {
    while (nextToPrint < names.length) received((await socket.receive(buf))[0]);
  })();
  await Promise.race([finished, receiving]);
  socket.close();
} else {
  throw new Error(`unknown mode "${mode}"`);
}
clearInterval(resend);
