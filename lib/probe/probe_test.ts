/** probe(): each kind's errors become a "not ready" result, an abort stays an error. */
import assert from "node:assert/strict";
import { probe } from "./probe.ts";
import { parseTarget } from "./target.ts";

Deno.test("probe() turns a refused connection into not ready, with the short reason", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const result = await probe(parseTarget(`127.0.0.1:${port}`), { timeoutMs: 2000 });
  assert.equal(result.ready, false);
  assert.ok(!result.ready);
  assert.equal(result.reason, "connection refused");
  assert.equal(result.fatal, undefined);
});

Deno.test("probe() throws the abort's reason when its signal aborts", async () => {
  const controller = new AbortController();
  const reason = new Error("stopped");
  controller.abort(reason);
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const target = parseTarget(`http://127.0.0.1:${listener.addr.port}/`);
  await assert.rejects(probe(target, { timeoutMs: 2000, signal: controller.signal }), reason);
});
