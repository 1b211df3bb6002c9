import assert from "node:assert/strict";
import { sendEcho } from "./client.ts";
import { patternBytes, patternReader } from "./pattern.ts";
import { serveEcho } from "./server.ts";

Deno.test("patternBytes() is printable ASCII that repeats every 94 bytes", () => {
  const bytes = patternBytes(200);
  assert.ok(bytes.every((b) => b >= 0x21 && b <= 0x7e));
  assert.deepEqual(bytes.subarray(94, 188), bytes.subarray(0, 94));
  assert.deepEqual(patternBytes(10, 90), bytes.subarray(90, 100));
});

Deno.test("patternReader() yields the same bytes as patternBytes(), whatever the read size", async () => {
  for (const size of [1, 7, 94, 4096]) {
    const reader = patternReader(1000);
    const got: number[] = [];
    const buf = new Uint8Array(size);
    for (let n = await reader.read(buf); n !== null; n = await reader.read(buf)) {
      got.push(...buf.subarray(0, n));
    }
    assert.deepEqual(new Uint8Array(got), patternBytes(1000));
  }
});

Deno.test("patternReader() streams through an echo server and comes back byte for byte", async () => {
  await using server = serveEcho({ port: 0 });
  const conn = await Deno.connect({ port: (server.addr as Deno.NetAddr).port });
  try {
    const result = await sendEcho(conn, patternReader(100_000));
    assert.deepEqual([result.sent, result.received, result.match], [100_000, 100_000, true]);
  } finally {
    conn.close();
  }
});
