// The floors of the get figures: bare Deno doing the same HTTP/1.1 work as `sockit get`, with no
// options, no logging and no checks. Usage:
//   bench_http_floor.ts get PORT PATH        one GET (Connection: close), the body to stdout in
//                                            256 KiB reads, each written as it comes
//   bench_http_floor.ts keepalive PORT PATH N  N GETs of PATH?i=K on one kept-alive connection
//                                            (Content-Length bodies), each body to stdout
const [mode, portText, path, countText] = Deno.args;
const port = Number(portText);
const conn = await Deno.connect({ hostname: "127.0.0.1", port });
const encoder = new TextEncoder();
const buf = new Uint8Array(256 * 1024);

async function writeAll(bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await Deno.stdout.write(bytes.subarray(at));
}

/** The index just past the empty line that ends a head in buf[0, end), or -1. */
function headEnd(end: number): number {
  for (let i = 3; i < end; i++) {
    if (buf[i] === 10 && buf[i - 1] === 13 && buf[i - 2] === 10 && buf[i - 3] === 13) return i + 1;
  }
  return -1;
}

if (mode === "get") {
  await conn.write(
    encoder.encode(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`),
  );
  let have = 0, body = -1;
  while (body < 0) {
    const n = await conn.read(buf.subarray(have));
    if (n === null) throw new Error("closed before the end of the head");
    have += n;
    body = headEnd(have);
  }
  await writeAll(buf.subarray(body, have));
  for (let n; (n = await conn.read(buf)) !== null;) await writeAll(buf.subarray(0, n));
} else if (mode === "keepalive") {
  const count = Number(countText);
  const decoder = new TextDecoder();
  let have = 0;
  for (let i = 0; i < count; i++) {
    const close = i === count - 1 ? "Connection: close\r\n" : "";
    await conn.write(
      encoder.encode(`GET ${path}?i=${i} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${close}\r\n`),
    );
    let body = -1, end = -1;
    while (end < 0 || have < end) {
      if (body < 0) body = headEnd(have);
      if (body >= 0 && end < 0) {
        const head = decoder.decode(buf.subarray(0, body));
        end = body + Number(/\r\ncontent-length: *(\d+)/i.exec(head)![1]);
        if (have >= end) break;
      }
      const n = await conn.read(buf.subarray(have));
      if (n === null) throw new Error("closed in the middle of a response");
      have += n;
    }
    await writeAll(buf.subarray(body, end));
    buf.copyWithin(0, end, have);
    have -= end;
  }
} else {
  throw new Error(`unknown mode "${mode}"`);
}
conn.close();
