/**
 * The floor of `check` for `deno task bench`, and its peer.
 *
 * - `listen`: a bare Deno listener on 127.0.0.1 that accepts each connection and closes it at
 *   once; prints its port on stdout.
 * - `PORT COUNT JOBS`: opens and closes COUNT TCP connections to 127.0.0.1:PORT, JOBS at a time,
 *   with no spec, no results kept and no report: the least that `check --jobs JOBS` of COUNT tcp
 *   checks can cost.
 *
 * @module
 */
if (Deno.args[0] === "listen") {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await Deno.stdout.write(new TextEncoder().encode(`${listener.addr.port}\n`));
  // Not `for await`: that loop ends at the first connection reset before it was accepted.
  while (true) {
    try {
      (await listener.accept()).close();
    } catch {
      // Reset by the peer before it was accepted.
    }
  }
}

const [port, count, jobs] = Deno.args.map(Number) as [number, number, number];
let next = 0;
async function worker(): Promise<void> {
  while (next < count) {
    next++;
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
  }
}
await Promise.all(Array.from({ length: Math.min(jobs, count) }, worker));
