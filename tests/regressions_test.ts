/**
 * Regression tests for the defects a new user found (issue 9) that cut across commands:
 * deadlines racing closes, closed stdout, long durations, usage errors under --json, and the
 * ping timeout. Each is named after its defect; the command-specific ones sit beside their
 * command's other tests.
 */
import assert from "node:assert/strict";
import { runCli } from "./_http.ts";

/** A listener that accepts every connection and never answers; closing it closes them all. */
function acceptAndHold(): { port: number; close(): Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    try {
      for await (const conn of listener) held.push(conn);
    } catch {
      // closed
    }
  })();
  return {
    port: listener.addr.port,
    async close() {
      listener.close();
      await accepting;
      for (const conn of held) conn.close();
    },
  };
}

Deno.test("issue 9 defect 1: a deadline that fires during connect exits 5, 200 times out of 200, for -m 0 and -m 1ms", async () => {
  const server = acceptAndHold();
  try {
    const url = `http://127.0.0.1:${server.port}/`;
    for (const limit of ["0", "1ms"]) {
      const codes = new Map<number, number>();
      for (let i = 0; i < 200; i++) {
        const result = await runCli(["get", "-m", limit, url]);
        codes.set(result.code, (codes.get(result.code) ?? 0) + 1);
        assert.doesNotMatch(result.err, /Uncaught|BadResource|\n\s+at /, result.err);
      }
      assert.deepEqual([...codes], [[5, 200]], `exit codes for -m ${limit}`);
    }
    // Connections that landed after their deadline are closed by then: nothing leaks past the
    // test (the resource sanitizer would say so), and no close happened twice (the process
    // would have had an uncaught BadResource).
  } finally {
    await server.close();
  }
});
