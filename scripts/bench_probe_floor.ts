/**
 * The floor of `/probe` for `deno task bench`: a bare Deno HTTP server that answers each
 * `GET /probe?target=URL` with one raw HTTP/1.1 GET of the target over `Deno.connect` and a
 * two-line answer, with no spec, no options, no metrics library. Prints its port on stdout.
 *
 * @module
 */
const encoder = new TextEncoder();
const buffer = new Uint8Array(64 * 1024);

async function rawGet(url: URL): Promise<number> {
  const started = performance.now();
  const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port || 80) });
  try {
    await conn.write(
      encoder.encode(
        `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`,
      ),
    );
    let head = "";
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) break;
      if (head.length < 16) head += new TextDecoder().decode(buffer.subarray(0, n));
    }
    if (!head.startsWith("HTTP/1.1 200")) throw new Error(head.slice(0, 20));
    return performance.now() - started;
  } finally {
    conn.close();
  }
}

const server = Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  // deno-lint-ignore no-console
  onListen: ({ port }) => console.log(port),
}, async (request) => {
  const target = new URL(new URL(request.url).searchParams.get("target")!);
  const ms = await rawGet(target);
  return new Response(`probe_success 1\nprobe_duration_seconds ${ms / 1000}\n`);
});
await server.finished;
