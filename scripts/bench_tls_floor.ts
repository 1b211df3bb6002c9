// The floor for the TLS echo bench: a bare Deno TLS echo loop on Deno.listenTls, one 256 KiB
// buffer per connection, no logging, limits or timers. Usage: bench_tls_floor.ts CERT KEY.
const [cert, key] = Deno.args;
const listener = Deno.listenTls({
  hostname: "127.0.0.1",
  port: 0,
  cert: Deno.readTextFileSync(cert!),
  key: Deno.readTextFileSync(key!),
});
await Deno.stdout.write(new TextEncoder().encode(`${listener.addr.port}\n`));
for await (const conn of listener) {
  (async () => {
    const buf = new Uint8Array(256 * 1024);
    try {
      await conn.handshake();
      for (let n; (n = await conn.read(buf)) !== null;) {
        for (let off = 0; off < n;) off += await conn.write(buf.subarray(off, n));
      }
    } catch { /* peer gone */ }
    try {
      conn.close();
    } catch { /* closed */ }
  })();
}
