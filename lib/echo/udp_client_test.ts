import assert from "node:assert/strict";
import { resolveHost } from "../net/dial.ts";
import type { TraceEvent } from "../net/trace.ts";
import { echoDatagram, resolveUdpTarget } from "./udp_client.ts";
import { serveUdpEcho } from "./udp_server.ts";

Deno.test("resolveUdpTarget() takes an address literal as it is, with no trace", async () => {
  const steps: TraceEvent[] = [];
  const target = await resolveUdpTarget("::1", 7, { trace: (e) => steps.push(e) });
  assert.deepEqual(target, { address: "::1", port: 7 });
  assert.deepEqual(steps, []);
});

Deno.test("resolveUdpTarget() takes the first address of a name and traces the lookup", async () => {
  const steps: TraceEvent[] = [];
  const target = await resolveUdpTarget("localhost", 9, { trace: (e) => steps.push(e) });
  const addresses = await resolveHost("localhost");
  assert.deepEqual(target, { address: addresses[0], port: 9 });
  assert.deepEqual(steps.map((s) => [s.step, s.detail]), [
    ["resolve", "localhost"],
    ["resolved", `localhost -> ${addresses.join(", ")}`],
  ]);
});

Deno.test("resolveUdpTarget() gives a target a datagram echo reaches", async () => {
  await using server = serveUdpEcho({ hostname: "127.0.0.1", port: 0 });
  const target = await resolveUdpTarget("127.0.0.1", server.addr.port);
  const echo = await echoDatagram(target, new TextEncoder().encode("there and back"));
  assert.deepEqual([echo.sent, echo.received, echo.match], [14, 14, true]);
});
