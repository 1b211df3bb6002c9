import assert from "node:assert/strict";
import { TimeoutError } from "./errors.ts";
import { readWithTimeout } from "./read_timeout.ts";
import { sleep } from "./timer.ts";

async function pair(): Promise<{ client: Deno.Conn; server: Deno.Conn; [Symbol.dispose](): void }> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const server = await accepted;
  return {
    client,
    server,
    [Symbol.dispose]() {
      for (const conn of [client, server]) {
        try {
          conn.close();
        } catch { /* closed by the timeout */ }
      }
    },
  };
}

Deno.test("readWithTimeout() ends a read that waits too long with TimeoutError naming the wait", async () => {
  using conns = await pair();
  using reader = readWithTimeout(conns.client, 30, () => "Reading the response");
  await assert.rejects(
    reader.read(new Uint8Array(8)),
    new TimeoutError("Reading the response: no data for 30ms (read timeout)"),
  );
  // The connection was closed: later reads fail the same way rather than hang.
  await assert.rejects(reader.read(new Uint8Array(8)), TimeoutError);
});

Deno.test("readWithTimeout() counts only time spent waiting in a read, not the pauses between", async () => {
  using conns = await pair();
  using reader = readWithTimeout(conns.client, 40, () => "Reading");
  const buf = new Uint8Array(8);
  for (let i = 0; i < 3; i++) {
    await conns.server.write(new Uint8Array([i]));
    assert.equal(await reader.read(buf), 1);
    // Idle between reads for longer than the limit, as a kept-alive connection does.
    await sleep(60);
  }
  await conns.server.write(new Uint8Array([9]));
  assert.equal(await reader.read(buf), 1);
  assert.equal(buf[0], 9);
});

Deno.test("readWithTimeout() with Infinity reads as the connection does", async () => {
  using conns = await pair();
  using reader = readWithTimeout(conns.client, Infinity, () => "Reading");
  await conns.server.write(new Uint8Array([1, 2]));
  assert.equal(await reader.read(new Uint8Array(8)), 2);
});
