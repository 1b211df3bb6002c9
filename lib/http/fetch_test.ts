import assert from "node:assert/strict";
import { LimitError, TimeoutError } from "../net/errors.ts";
import { sleep } from "../net/timer.ts";
import { fetchUrl } from "./fetch.ts";
import { HttpClient } from "./pool.ts";
import { serve, serveRequests } from "./_scripted_server.ts";
import { parseHttpUrl } from "./url.ts";

const encoder = new TextEncoder();

Deno.test("HttpClient ends a read that waits longer than readTimeoutMs with a read-timeout TimeoutError", async () => {
  await using server = serve([null]);
  const client = new HttpClient({ readTimeoutMs: 100 });
  try {
    const error = await fetchUrl(client, server.url, { method: "GET", fields: [] }).then(
      () => assert.fail("no timeout"),
      (error) => error,
    );
    assert.ok(error instanceof TimeoutError, String(error));
    assert.equal(error.kind, "read-timeout");
    assert.equal(error.message, `Cannot read from ${server.url.origin}: no data for 100ms`);
  } finally {
    client.close();
  }
});

Deno.test("HttpClient keeps an idle kept-alive connection past its read timeout", async () => {
  const ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  await using server = serve([ok, ok]);
  const client = new HttpClient({ readTimeoutMs: 100 });
  try {
    const first = await fetchUrl(client, server.url, {
      method: "GET",
      fields: [],
      keepAlive: () => true,
    });
    assert.equal(first.head.status, 200);
    // Idle for three times the read timeout: no read is pending, so nothing times out.
    await sleep(300);
    const second = await fetchUrl(client, server.url, { method: "GET", fields: [] });
    assert.equal(second.head.status, 200);
    assert.equal(second.reused, true);
    assert.equal(server.connections, 1);
  } finally {
    client.close();
  }
});

Deno.test("fetchUrl() past maxRedirects throws a LimitError of kind max-redirects that names no flag", async () => {
  const redirect = "HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n";
  await using server = serve([redirect, redirect]);
  const client = new HttpClient();
  try {
    const error = await fetchUrl(client, server.url, {
      method: "GET",
      fields: [],
      followRedirects: true,
      maxRedirects: 1,
      keepAlive: () => true,
    }).then(() => assert.fail("no error"), (error) => error);
    assert.ok(error instanceof LimitError, String(error));
    assert.equal(error.kind, "max-redirects");
    assert.equal(error.message, "Too many redirects: more than 1");
  } finally {
    client.close();
  }
});

Deno.test("HttpClient replaces a kept-alive connection that the server closed while it was idle, once", async () => {
  const ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  // Each connection answers one request as if it would stay open, then closes.
  const answerOnce = async () => {
    using conn = await listener.accept();
    await conn.read(new Uint8Array(4096));
    await conn.write(encoder.encode(ok));
  };
  const url = parseHttpUrl(`http://127.0.0.1:${listener.addr.port}/`);
  const steps: string[] = [];
  const client = new HttpClient({ trace: (event) => steps.push(event.step) });
  try {
    const firstServed = answerOnce();
    const first = await fetchUrl(client, url, { method: "GET", fields: [], keepAlive: () => true });
    assert.equal(first.head.status, 200);
    await firstServed;
    // The idle connection is closed at the other end now: the next request finds out, redials.
    const secondServed = answerOnce();
    const second = await fetchUrl(client, url, { method: "GET", fields: [] });
    await secondServed;
    assert.equal(second.head.status, 200);
    assert.equal(second.reused, false);
    assert.ok(steps.includes("retry"), steps.join(" "));
  } finally {
    client.close();
  }
});

Deno.test("fetchUrl() rejects with its signal's reason when the signal aborts while it waits", async () => {
  await using server = serve([null]);
  const client = new HttpClient();
  const controller = new AbortController();
  const reason = new Error("stopped by the caller");
  const fetching = fetchUrl(client, server.url, {
    method: "GET",
    fields: [],
    signal: controller.signal,
    onRequest: () => controller.abort(reason),
  });
  await assert.rejects(fetching, (error) => error === reason);
  client.close();
});

/** A signal whose listeners are counted: added, and still registered. */
function countedSignal(): { controller: AbortController; added: () => number; live: () => number } {
  const controller = new AbortController();
  const signal = controller.signal;
  let added = 0;
  let removed = 0;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  Object.assign(signal, {
    addEventListener(...args: Parameters<AbortSignal["addEventListener"]>) {
      added++;
      add(...args);
    },
    removeEventListener(...args: Parameters<AbortSignal["removeEventListener"]>) {
      removed++;
      remove(...args);
    },
  });
  return { controller, added: () => added, live: () => added - removed };
}

Deno.test("fetchUrl() listens to a signal passed to many fetches once, until the client closes", async () => {
  const ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  const count = 20;
  await using server = serve(Array.from({ length: count }, () => ok));
  const client = new HttpClient();
  const one = countedSignal();
  try {
    for (let i = 0; i < count; i++) {
      const last = i === count - 1;
      await fetchUrl(client, server.url, {
        method: "GET",
        fields: [],
        keepAlive: () => !last,
        signal: one.controller.signal,
      });
    }
    // One listener for the twenty fetches, and one while the connection was being made.
    assert.equal(server.connections, 1);
    assert.deepEqual([one.added(), one.live()], [2, 1]);
  } finally {
    client.close();
  }
  assert.equal(one.live(), 0, "close() stops listening");
});

Deno.test("fetchUrl() keeps at most one idle signal listened to, and an abort mid-fetch still ends it", async () => {
  const ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  await using server = serve([ok, ok, ok, null]);
  // A read timeout, so that a broken listener fails the test rather than hanging it.
  const client = new HttpClient({ readTimeoutMs: 5000 });
  const signals = [countedSignal(), countedSignal(), countedSignal(), countedSignal()];
  try {
    for (const [i, s] of signals.slice(0, 3).entries()) {
      await fetchUrl(client, server.url, {
        method: "GET",
        fields: [],
        keepAlive: () => true,
        signal: s.controller.signal,
      });
      const live = signals.map((x) => x.live());
      assert.deepEqual(live, signals.map((_, j) => j === i ? 1 : 0), `after fetch ${i + 1}`);
    }
    // The fourth is never answered: aborting its signal, once the request is sent, ends it
    // with the signal's reason, though another signal's listener is the idle one.
    const last = signals[3]!;
    const reason = new Error("stop");
    await assert.rejects(
      fetchUrl(client, server.url, {
        method: "GET",
        fields: [],
        signal: last.controller.signal,
        onRequest: () => last.controller.abort(reason),
      }),
      (error) => error === reason,
    );
  } finally {
    client.close();
  }
});

Deno.test("HttpClient.closeOnAbort(): ending a use twice counts once, so close() still stops listening", () => {
  const client = new HttpClient();
  const s = countedSignal();
  const done = client.closeOnAbort(s.controller.signal);
  done();
  done();
  assert.equal(s.live(), 1, "kept for the next use");
  client.close();
  assert.equal(s.live(), 0);
});

Deno.test("fetchUrl() sends a body after the head with its Content-Length", async () => {
  await using server = serveRequests(["HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"]);
  const client = new HttpClient();
  try {
    const result = await fetchUrl(client, server.url, {
      method: "PUT",
      fields: [["Content-Type", "text/plain"]],
      body: encoder.encode("a 1\n"),
    });
    assert.equal(result.head.status, 200);
    assert.match(server.requests[0]!, /^PUT \/put HTTP\/1\.1\r\n/);
    assert.match(server.requests[0]!, /\r\nContent-Length: 4\r\n/);
    assert.ok(server.requests[0]!.endsWith("\r\n\r\na 1\n"), server.requests[0]);
  } finally {
    client.close();
  }
});

Deno.test("fetchUrl() keeps a body through a 307 and drops it, with the method, on a 302", async () => {
  for (const [status, method, sent] of [[307, "PUT", "x=1"], [302, "GET", ""]] as const) {
    await using server = serveRequests([
      `HTTP/1.1 ${status} Moved\r\nLocation: /next\r\nContent-Length: 0\r\n\r\n`,
      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    ]);
    const client = new HttpClient();
    try {
      await fetchUrl(client, server.url, {
        method: "PUT",
        fields: [],
        body: encoder.encode("x=1"),
        followRedirects: true,
        keepAlive: () => true,
      });
      const second = server.requests[1]!;
      assert.match(second, new RegExp(`^${method} /next HTTP/1\\.1\\r\\n`), `after ${status}`);
      assert.ok(second.endsWith(`\r\n\r\n${sent}`), `after ${status}: ${second}`);
      assert.equal(/content-length/i.test(second), sent !== "", `after ${status}`);
    } finally {
      client.close();
    }
  }
});
