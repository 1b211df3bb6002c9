import assert from "node:assert/strict";
import { LimitError, ProtocolError } from "../net/errors.ts";
import { HttpClient } from "./pool.ts";
import type { Exchange } from "./pool.ts";
import type { RequestHead } from "./request.ts";
import { parseHttpUrl } from "./url.ts";
import type { HttpUrl } from "./url.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A loopback server whose n-th connection answers its requests with the n-th list of `script`,
 * one reply per request head received (`""`: close instead of answering), then waits for the
 * client to close. Counts connections.
 */
function serve(script: string[][]) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const handlers: Promise<void>[] = [];
  let connections = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      const replies = script[connections++] ?? [];
      handlers.push(answer(conn, replies));
    }
  })().catch(() => {});
  return {
    url: parseHttpUrl(`http://127.0.0.1:${listener.addr.port}/`),
    get connections() {
      return connections;
    },
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
      await Promise.all(handlers);
    },
  };
}

/** Answers each request head on `conn` with the next reply, then reads to the client's close. */
async function answer(conn: Deno.Conn, replies: string[]): Promise<void> {
  const buf = new Uint8Array(4096);
  let received = "";
  try {
    for (const reply of replies) {
      while (!received.includes("\r\n\r\n")) {
        const n = await conn.read(buf);
        if (n === null) return;
        received += decoder.decode(buf.subarray(0, n));
      }
      received = received.slice(received.indexOf("\r\n\r\n") + 4);
      if (reply === "") return;
      await conn.write(encoder.encode(reply));
    }
    while (await conn.read(buf) !== null) {
      // The client closes it.
    }
  } catch {
    // Reset by the client: the test says what it expected.
  } finally {
    conn.close();
  }
}

function get(url: HttpUrl, close = false): RequestHead {
  return { method: "GET", url, fields: [], close };
}

/** Reads an exchange's body to its end, as text. */
async function bodyOf(exchange: Exchange): Promise<string> {
  let text = "";
  for (let chunk = await exchange.body.read(); chunk; chunk = await exchange.body.read()) {
    text += decoder.decode(chunk);
  }
  return text;
}

const OK = (body: string) => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

Deno.test("HttpClient sends the next request to an origin on the connection released idle", async () => {
  await using server = serve([[OK("one"), OK("two"), OK("three")]]);
  const client = new HttpClient();
  try {
    const seen: Array<[string, boolean, number]> = [];
    for (const close of [false, false, true]) {
      const exchange = await client.send(get(server.url, close));
      seen.push([await bodyOf(exchange), exchange.reused, exchange.connection.requests]);
      client.release(exchange);
    }
    assert.deepEqual(seen, [["one", false, 1], ["two", true, 2], ["three", true, 3]]);
    assert.equal(server.connections, 1);
  } finally {
    client.close();
  }
});

Deno.test("HttpClient keeps one idle connection per origin: a second one released closes the first", async () => {
  await using server = serve([[OK("a")], [OK("b"), OK("c")]]);
  const client = new HttpClient();
  try {
    const first = await client.send(get(server.url));
    const second = await client.send(get(server.url));
    assert.notEqual(first.connection, second.connection);
    await bodyOf(first);
    await bodyOf(second);
    client.release(first);
    client.release(second);
    assert.deepEqual([first.connection.closed, second.connection.closed], [true, false]);
    const third = await client.send(get(server.url, true));
    assert.equal(third.connection, second.connection);
    assert.equal(await bodyOf(third), "c");
    client.release(third);
    assert.equal(server.connections, 2);
  } finally {
    client.close();
  }
});

Deno.test("HttpClient closes a connection whose request said close, or whose body was not read", async () => {
  await using server = serve([[OK("x")], [OK("y")]]);
  const client = new HttpClient();
  try {
    const closing = await client.send(get(server.url, true));
    await bodyOf(closing);
    client.release(closing);
    assert.equal(closing.connection.closed, true);
    const unread = await client.send(get(server.url));
    client.release(unread);
    assert.equal(unread.connection.closed, true);
    assert.equal(server.connections, 2);
  } finally {
    client.close();
  }
});

Deno.test("HttpClient does not reuse a connection holding bytes past the response, and says why", async () => {
  await using server = serve([[OK("ok") + "abc"]]);
  const notReused: string[] = [];
  const client = new HttpClient({ onNotReused: (_origin, why) => notReused.push(why) });
  try {
    const exchange = await client.send(get(server.url));
    assert.equal(await bodyOf(exchange), "ok");
    client.release(exchange);
    assert.equal(exchange.connection.closed, true);
    assert.deepEqual(notReused, ["3 unexpected bytes after the response"]);
  } finally {
    client.close();
  }
});

Deno.test("HttpClient refuses a head over maxHeadBytes with a LimitError of kind max-head", async () => {
  await using server = serve([[`HTTP/1.1 200 OK\r\nX-Long: ${"x".repeat(300)}\r\n\r\n`]]);
  const client = new HttpClient({ maxHeadBytes: 256 });
  try {
    await assert.rejects(client.send(get(server.url)), (error) => {
      assert.ok(error instanceof LimitError);
      assert.equal(error.kind, "max-head");
      return true;
    });
  } finally {
    client.close();
  }
});

Deno.test("HttpClient.send() refuses a Content-Length over maxBodyBytes before reading the body", async () => {
  await using server = serve([[OK("0123456789")]]);
  const client = new HttpClient();
  try {
    await assert.rejects(client.send(get(server.url), { maxBodyBytes: 4 }), (error) => {
      assert.ok(error instanceof LimitError);
      assert.equal(error.kind, "max-body");
      return true;
    });
  } finally {
    client.close();
  }
});

Deno.test("HttpClient passes interim responses to onInterim and returns the final head", async () => {
  await using server = serve([["HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + OK("done")]]);
  const client = new HttpClient();
  try {
    const interim: number[] = [];
    const exchange = await client.send(get(server.url, true), {
      onInterim: (head) => interim.push(head.status),
    });
    assert.deepEqual([interim, exchange.head.status, await bodyOf(exchange)], [[103], 200, "done"]);
    client.release(exchange);
  } finally {
    client.close();
  }
});

Deno.test("HttpClient calls a connection closed before any response byte an empty reply", async () => {
  await using server = serve([[""]]);
  const client = new HttpClient();
  try {
    await assert.rejects(client.send(get(server.url)), (error) => {
      assert.ok(error instanceof ProtocolError);
      assert.match(error.message, /^Empty reply from http:\/\/127\.0\.0\.1:\d+: /);
      return true;
    });
  } finally {
    client.close();
  }
});
