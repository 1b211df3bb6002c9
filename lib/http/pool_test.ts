import assert from "node:assert/strict";
import { LimitError, ProtocolError } from "../net/errors.ts";
import { HttpClient } from "./pool.ts";
import { startHttpResponder } from "./responder.ts";
import type { Exchange } from "./pool.ts";
import type { RequestHead } from "./request.ts";
import { parseHttpUrl } from "./url.ts";
import type { HttpUrl } from "./url.ts";

const decoder = new TextDecoder();

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

/** For `assert.rejects`: a `LimitError` of `kind`. */
function limitOfKind(kind: string): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof LimitError);
    assert.equal(error.kind, kind);
    return true;
  };
}

const OK = (body: string) => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

Deno.test("HttpClient sends the next request to an origin on the connection released idle", async () => {
  await using server = startHttpResponder([OK("one"), OK("two"), OK("three")]);
  const client = new HttpClient();
  try {
    const seen: Array<[string, boolean, number]> = [];
    for (const close of [false, false, true]) {
      const exchange = await client.send(get(parseHttpUrl(server.url()), close));
      seen.push([await bodyOf(exchange), exchange.reused, exchange.connection.requests]);
      client.release(exchange);
    }
    assert.deepEqual(seen, [["one", false, 1], ["two", true, 2], ["three", true, 3]]);
  } finally {
    client.close();
  }
});

Deno.test("HttpClient keeps one idle connection per origin: a second one released closes the first", async () => {
  // The first connection answers "a"; the second, opened while the first is busy, "b" and "c".
  await using server = startHttpResponder([OK("a"), OK("b"), OK("c")]);
  const client = new HttpClient();
  try {
    const first = await client.send(get(parseHttpUrl(server.url())));
    const second = await client.send(get(parseHttpUrl(server.url())));
    assert.notEqual(first.connection, second.connection);
    await bodyOf(first);
    await bodyOf(second);
    client.release(first);
    client.release(second);
    assert.deepEqual([first.connection.closed, second.connection.closed], [true, false]);
    const third = await client.send(get(parseHttpUrl(server.url()), true));
    assert.equal(third.connection, second.connection);
    assert.equal(await bodyOf(third), "c");
    client.release(third);
  } finally {
    client.close();
  }
});

Deno.test("HttpClient closes a connection whose request said close, or whose body was not read", async () => {
  await using server = startHttpResponder([OK("x"), OK("y")]);
  const client = new HttpClient();
  try {
    const closing = await client.send(get(parseHttpUrl(server.url()), true));
    await bodyOf(closing);
    client.release(closing);
    assert.equal(closing.connection.closed, true);
    const unread = await client.send(get(parseHttpUrl(server.url())));
    client.release(unread);
    assert.equal(unread.connection.closed, true);
    assert.notEqual(unread.connection, closing.connection);
  } finally {
    client.close();
  }
});

Deno.test("HttpClient does not reuse a connection holding bytes past the response, and says why", async () => {
  await using server = startHttpResponder([OK("ok") + "abc"]);
  const notReused: string[] = [];
  const client = new HttpClient({ onNotReused: (_origin, why) => notReused.push(why) });
  try {
    const exchange = await client.send(get(parseHttpUrl(server.url())));
    assert.equal(await bodyOf(exchange), "ok");
    client.release(exchange);
    assert.equal(exchange.connection.closed, true);
    assert.deepEqual(notReused, ["3 unexpected bytes after the response"]);
  } finally {
    client.close();
  }
});

Deno.test("HttpClient refuses a head over maxHeadBytes with a LimitError of kind max-head", async () => {
  await using server = startHttpResponder([
    `HTTP/1.1 200 OK\r\nX-Long: ${"x".repeat(300)}\r\n\r\n`,
  ]);
  const client = new HttpClient({ maxHeadBytes: 256 });
  try {
    await assert.rejects(client.send(get(parseHttpUrl(server.url()))), limitOfKind("max-head"));
  } finally {
    client.close();
  }
});

Deno.test("HttpClient.send() refuses a Content-Length over maxBodyBytes before reading the body", async () => {
  await using server = startHttpResponder([OK("0123456789")]);
  const client = new HttpClient();
  try {
    const sending = client.send(get(parseHttpUrl(server.url())), { maxBodyBytes: 4 });
    await assert.rejects(sending, limitOfKind("max-body"));
  } finally {
    client.close();
  }
});

Deno.test("HttpClient passes interim responses to onInterim and returns the final head", async () => {
  await using server = startHttpResponder([
    "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + OK("done"),
  ]);
  const client = new HttpClient();
  try {
    const interim: number[] = [];
    const exchange = await client.send(get(parseHttpUrl(server.url()), true), {
      onInterim: (head) => interim.push(head.status),
    });
    assert.deepEqual([interim, exchange.head.status, await bodyOf(exchange)], [[103], 200, "done"]);
    client.release(exchange);
  } finally {
    client.close();
  }
});

Deno.test("HttpClient calls a connection closed before any response byte an empty reply", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  // The server reads the request, then closes without a byte of answer.
  const served = (async () => {
    using conn = await listener.accept();
    await conn.read(new Uint8Array(4096));
  })();
  const client = new HttpClient();
  try {
    const url = parseHttpUrl(`http://127.0.0.1:${listener.addr.port}/`);
    await assert.rejects(client.send(get(url)), (error) => {
      assert.ok(error instanceof ProtocolError);
      assert.match(error.message, /^Empty reply from http:\/\/127\.0\.0\.1:\d+: /);
      return true;
    });
    await served;
  } finally {
    client.close();
  }
});
