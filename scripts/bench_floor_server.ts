// The floor of what Deno can do: a bare echo server with one buffer per connection (256 KiB, or
// the size given as the first argument), no logging, limits or timers. scripts/bench_echo.ts
// compares sockit's throughput against it, scripts/bench_memory.ts its memory per connection.
const size = Number(Deno.args[0] ?? 256 * 1024);
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
await Deno.stdout.write(new TextEncoder().encode(`${listener.addr.port}\n`));
// Not `for await (const conn of listener)`: that loop ends the process at the first connection
// reset before it was accepted (NotConnected), which scripts/soak.ts does 1,500 times a second.
while (true) {
  let conn: Deno.Conn;
  try {
    conn = await listener.accept();
  } catch {
    continue;
  }
  (async () => {
    const buf = new Uint8Array(size);
    try {
      for (let n; (n = await conn.read(buf)) !== null;) {
        for (let off = 0; off < n;) off += await conn.write(buf.subarray(off, n));
      }
    } catch { /* peer gone */ }
    conn.close();
  })();
}
