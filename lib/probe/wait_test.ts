/**
 * waitFor() over real loopback listeners: a port that opens, `any`, `reverse`, the deadline,
 * `stable`, and the caller's abort. Listeners open or close from the event of the attempt before,
 * so nothing here waits on a clock to line things up.
 */
import assert from "node:assert/strict";
import { InterruptedError } from "../net/errors.ts";
import { probe } from "./probe.ts";
import { parseTarget } from "./target.ts";
import type { Target } from "./target.ts";
import { waitFor } from "./wait.ts";
import type { WaitEvent } from "./wait.ts";

/** Listens on 127.0.0.1 (port 0 picks one), accepting and closing every connection. */
function listenOn(port = 0) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  const accepting = (async () => {
    try {
      for await (const conn of listener) conn.close();
    } catch {
      // The listener was closed under a pending accept.
    }
  })();
  let closed = false;
  const close = async () => {
    if (!closed) {
      closed = true;
      listener.close();
    }
    await accepting;
  };
  return { port: listener.addr.port, close, [Symbol.asyncDispose]: close };
}

/** A port nothing listens on: bound, then released. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

function tcp(port: number): Target {
  return parseTarget(`127.0.0.1:${port}`);
}

Deno.test("waitFor() is ready at the first attempt when the port is already open", async () => {
  await using server = listenOn();
  const events: WaitEvent[] = [];
  const result = await waitFor([tcp(server.port)], {
    timeoutMs: 5000,
    probe,
    onEvent: (event) => events.push(event),
  });
  assert.equal(result.ready, true);
  assert.equal(result.timedOut, false);
  assert.equal(result.targets[0]?.attempts, 1);
  assert.equal(result.targets[0]?.last, `accepted on 127.0.0.1:${server.port}`);
  assert.deepEqual(events.map((e) => e.event), ["attempt", "ready"]);
  assert.equal(events[1]?.target, `127.0.0.1:${server.port}`);
});

Deno.test("waitFor() becomes ready once a closed port starts listening", async () => {
  const port = closedPort();
  let server: ReturnType<typeof listenOn> | undefined;
  const events: WaitEvent[] = [];
  try {
    const result = await waitFor([tcp(port)], {
      timeoutMs: 5000,
      probe,
      onEvent: (event) => {
        events.push(event);
        if (event.event === "attempt" && !event.ok) server ??= listenOn(port);
      },
    });
    assert.equal(result.ready, true);
    assert.equal(result.targets[0]?.attempts, 2);
    const [refused, accepted, ready] = events;
    assert.ok(refused?.event === "attempt" && !refused.ok);
    assert.match(refused.reason, /connection refused/i);
    assert.ok(accepted?.event === "attempt" && accepted.ok && accepted.attempt === 2);
    assert.ok(ready?.event === "ready" && ready.attempts === 2);
    assert.equal(events.length, 3);
  } finally {
    await server?.close();
  }
});

Deno.test("waitFor() with any is done when one target is ready, the others not", async () => {
  await using server = listenOn();
  const down = closedPort();
  const result = await waitFor([tcp(down), tcp(server.port)], {
    timeoutMs: 5000,
    any: true,
    probe,
  });
  assert.equal(result.ready, true);
  assert.equal(result.timedOut, false);
  assert.deepEqual(result.targets.map((t) => t.ready), [false, true]);
  assert.deepEqual(result.targets.map((t) => t.target.text), [
    `127.0.0.1:${down}`,
    `127.0.0.1:${server.port}`,
  ]);
});

Deno.test("waitFor() without any times out while one target of two stays down", async () => {
  await using server = listenOn();
  const down = closedPort();
  const result = await waitFor([tcp(server.port), tcp(down)], { timeoutMs: 300, probe });
  assert.equal(result.ready, false);
  assert.equal(result.timedOut, true);
  assert.deepEqual(result.targets.map((t) => t.ready), [true, false]);
});

Deno.test("waitFor() times out naming each target and why its last attempt failed", async () => {
  const ports = [closedPort(), closedPort()];
  const result = await waitFor(ports.map(tcp), { timeoutMs: 200, probe });
  assert.equal(result.ready, false);
  assert.equal(result.timedOut, true);
  assert.equal(result.fatal, undefined);
  assert.ok(result.elapsedMs >= 200);
  assert.deepEqual(result.targets.map((t) => t.target.text), ports.map((p) => `127.0.0.1:${p}`));
  for (const status of result.targets) {
    assert.equal(status.ready, false);
    assert.equal(status.readyMs, undefined);
    assert.ok(status.attempts > 1, `${status.attempts} attempts in 200 ms`);
    assert.match(status.last, /connection refused/i);
  }
});

Deno.test("waitFor() says an attempt cut short by the deadline got no answer", async () => {
  // An attempt that only ends when the wait does, as a connect to a silent host would.
  const result = await waitFor([tcp(closedPort())], {
    timeoutMs: 100,
    probe: (_target, options) =>
      new Promise((_resolve, reject) => {
        options.signal?.addEventListener("abort", () => reject(options.signal?.reason));
      }),
  });
  assert.equal(result.timedOut, true);
  assert.equal(result.targets[0]?.attempts, 1);
  assert.equal(result.targets[0]?.last, "no answer before the wait's deadline");
});

Deno.test("waitFor() with reverse is ready at once when the port is already closed", async () => {
  const result = await waitFor([tcp(closedPort())], { timeoutMs: 5000, reverse: true, probe });
  assert.equal(result.ready, true);
  assert.equal(result.targets[0]?.attempts, 1);
  assert.match(result.targets[0]?.last ?? "", /connection refused/i);
});

Deno.test("waitFor() with reverse is ready once a listening port closes", async () => {
  const server = listenOn();
  const events: WaitEvent[] = [];
  try {
    const result = await waitFor([tcp(server.port)], {
      timeoutMs: 5000,
      reverse: true,
      probe,
      onEvent: (event) => {
        events.push(event);
        if (event.event === "attempt" && !event.ok) server.close();
      },
    });
    assert.equal(result.ready, true);
    assert.equal(result.targets[0]?.attempts, 2);
    const [stillUp, down] = events;
    assert.ok(stillUp?.event === "attempt" && !stillUp.ok);
    assert.equal(stillUp.reason, `still ready (accepted on 127.0.0.1:${server.port})`);
    assert.ok(down?.event === "attempt" && down.ok);
    assert.match(down.reason, /connection refused/i);
  } finally {
    await server.close();
  }
});

Deno.test("waitFor() with stable needs that many successes in a row", async () => {
  await using server = listenOn();
  const events: WaitEvent[] = [];
  const result = await waitFor([tcp(server.port)], {
    timeoutMs: 5000,
    stable: 3,
    probe,
    onEvent: (event) => events.push(event),
  });
  assert.equal(result.ready, true);
  assert.equal(result.targets[0]?.attempts, 3);
  assert.deepEqual(
    events.map((e) => e.event === "attempt" ? e.ok : e.event),
    [true, true, true, "ready"],
  );
});

Deno.test("waitFor() with stable starts the count again after a failure", async () => {
  const servers = [listenOn()];
  const port = servers[0]!.port;
  const events: WaitEvent[] = [];
  try {
    const result = await waitFor([tcp(port)], {
      timeoutMs: 5000,
      stable: 2,
      probe,
      onEvent: (event) => {
        events.push(event);
        if (event.event !== "attempt") return;
        // Up, then down for one attempt, then up for good.
        if (event.attempt === 1) servers[0]?.close();
        if (event.attempt === 2) servers.push(listenOn(port));
      },
    });
    assert.equal(result.ready, true);
    assert.equal(result.targets[0]?.attempts, 4);
    assert.deepEqual(
      events.map((e) => e.event === "attempt" ? e.ok : e.event),
      [true, false, true, true, "ready"],
    );
  } finally {
    for (const server of servers) await server.close();
  }
});

Deno.test("waitFor() throws InterruptedError when the caller aborts", async () => {
  const controller = new AbortController();
  await assert.rejects(
    waitFor([tcp(closedPort())], {
      timeoutMs: 5000,
      probe,
      signal: controller.signal,
      onEvent: () => controller.abort(),
    }),
    InterruptedError,
  );
});
