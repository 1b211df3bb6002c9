import assert from "node:assert/strict";
import { describeNetError, dial, formatTarget, isPeerGone, resolveHost } from "./dial.ts";
import { ConnectError, TimeoutError } from "./errors.ts";
import { withDeadline } from "./deadline.ts";
import type { TraceEvent } from "./trace.ts";
import { closedPort } from "../../tests/_helpers.ts";

Deno.test("resolveHost() returns an address literal as it is and resolves localhost from the hosts file", async () => {
  assert.deepEqual(await resolveHost("::1"), ["::1"]);
  const local = await resolveHost("localhost");
  assert.ok(local.includes("127.0.0.1") || local.includes("::1"), local.join(", "));
  assert.equal(new Set(local).size, local.length, "no address twice");
});

Deno.test("dial() traces resolve and connect for a name, and reports the address it reached", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const events: TraceEvent[] = [];
  // localhost may resolve to ::1 first, where nothing listens; 127.0.0.1 must then be tried.
  const dialed = await dial({ hostname: "localhost", port: listener.addr.port }, {
    trace: (event) => events.push(event),
  });
  (await accepted).close();
  dialed.conn.close();
  assert.equal(dialed.remote, `127.0.0.1:${listener.addr.port}`);
  const steps = events.map((e) => e.step);
  assert.equal(steps[0], "resolve");
  assert.equal(steps[1], "resolved");
  assert.equal(steps.at(-1), "connected");
  assert.ok(dialed.resolveMs >= 0 && dialed.connectMs >= 0);
});

Deno.test("dial() tries every address and names the last failure when all refuse", async () => {
  const port = closedPort();
  const events: TraceEvent[] = [];
  await assert.rejects(
    dial({ hostname: "127.0.0.1", port }, { trace: (e) => events.push(e) }),
    new ConnectError(`Cannot connect to 127.0.0.1:${port}: connection refused`),
  );
  assert.match(events.at(-1)?.detail ?? "", /failed: connection refused$/);
});

Deno.test({
  name: "dial() connects to a Unix socket and reports a missing one as a connect error",
  // Deno has no Unix sockets on Windows.
  ignore: Deno.build.os === "windows",
}, async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/s.sock`;
  try {
    await assert.rejects(
      dial({ path }),
      new ConnectError(`Cannot connect to unix:${path}: no such socket`),
    );
    using listener = Deno.listen({ transport: "unix", path });
    const accepted = listener.accept();
    const dialed = await dial({ path });
    assert.equal(dialed.remote, `unix:${path}`);
    assert.equal(dialed.resolveMs, 0);
    dialed.conn.close();
    (await accepted).close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dial() with an aborted signal does not connect at all", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const controller = new AbortController();
  controller.abort(new TimeoutError("late"));
  await assert.rejects(
    dial({ hostname: "127.0.0.1", port: listener.addr.port }, { signal: controller.signal }),
    new TimeoutError("late"),
  );
});

Deno.test("a connection that lands after its deadline is closed once, and nothing leaks", async () => {
  // Many tiny deadlines against a listener that accepts: some connects land after the abort.
  // The resource sanitizer fails the test if one of them stays open; an uncaught BadResource
  // (a second close) would fail it too.
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    try {
      for await (const conn of listener) held.push(conn);
    } catch { /* closed */ }
  })();
  let timeouts = 0;
  for (let i = 0; i < 100; i++) {
    await withDeadline(
      i % 2 === 0 ? 0 : 1,
      "Connecting",
      (signal) => dial({ hostname: "127.0.0.1", port: listener.addr.port }, { signal }),
    ).then((d) => d.conn.close(), (error) => {
      assert.ok(error instanceof TimeoutError, String(error));
      timeouts++;
    });
  }
  assert.ok(timeouts >= 50, `${timeouts} timeouts`);
  listener.close();
  await accepting;
  for (const conn of held) conn.close();
});

Deno.test("describeNetError() says what went wrong in a few words", () => {
  const cases: Array<[Error, string]> = [
    [new Deno.errors.ConnectionRefused("x"), "connection refused"],
    [new Deno.errors.ConnectionReset("x"), "connection reset by peer"],
    [new Deno.errors.ConnectionAborted("x"), "connection aborted"],
    [new Deno.errors.BrokenPipe("x"), "connection closed by peer"],
    [new Deno.errors.NotConnected("x"), "not connected"],
    [new Deno.errors.AddrNotAvailable("x"), "address not available"],
    [new Deno.errors.NotFound("x"), "no such socket"],
    [new Deno.errors.PermissionDenied("x"), "permission denied"],
    [new Deno.errors.NetworkUnreachable("x"), "network unreachable"],
    [new Error("Host is down (os error 112)"), "host is down"],
  ];
  for (const [error, words] of cases) assert.equal(describeNetError(error), words);
  assert.equal(describeNetError("odd"), "odd");
});

Deno.test("isPeerGone() is true for resets and broken pipes only", () => {
  assert.ok(isPeerGone(new Deno.errors.ConnectionReset("x")));
  assert.ok(isPeerGone(new Deno.errors.BrokenPipe("x")));
  assert.ok(!isPeerGone(new Deno.errors.ConnectionRefused("x")));
  assert.ok(!isPeerGone(new Error("x")));
});

Deno.test("formatTarget() names TCP, IPv6 and Unix targets as messages show them", () => {
  assert.equal(formatTarget({ hostname: "::1", port: 7 }), "[::1]:7");
  assert.equal(formatTarget({ path: "/run/x.sock" }), "unix:/run/x.sock");
});
