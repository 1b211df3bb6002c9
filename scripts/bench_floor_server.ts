// The floor of what Deno can do: a bare echo server with one 256 KiB buffer per connection, no
// logging, limits or timers. scripts/bench.ts compares sockit's server against it.
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
await Deno.stdout.write(new TextEncoder().encode(`${listener.addr.port}\n`));
for await (const conn of listener) {
  (async () => {
    const buf = new Uint8Array(256 * 1024);
    try {
      for (let n; (n = await conn.read(buf)) !== null;) {
        for (let off = 0; off < n;) off += await conn.write(buf.subarray(off, n));
      }
    } catch { /* peer gone */ }
    conn.close();
  })();
}
