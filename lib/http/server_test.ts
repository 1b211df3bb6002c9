import assert from "node:assert/strict";
import { hasProgram } from "../../tests/_helpers.ts";
import { closeOnAbort, closeQuietly } from "../net/close.ts";
import { ConnectError } from "../net/errors.ts";
import { writeAll } from "../net/io.ts";
import { BufReader } from "../net/reader.ts";
import { startTimer } from "../net/timer.ts";
import { readResponseHead } from "./response.ts";
import type { HttpHeaders } from "./response.ts";
import { serveHttp } from "./server.ts";
import type { HttpHandler, HttpServer, HttpServerEvent, HttpServerOptions } from "./server.ts";

const haveCurl = hasProgram("curl");
const text = new TextDecoder();

/** Records a server's events; {@linkcode Events.when} waits for one (seen or to come). */
class Events {
  readonly seen: HttpServerEvent[] = [];
  #waiters: Array<
    { match: (e: HttpServerEvent) => boolean; resolve: (e: HttpServerEvent) => void }
  > = [];
  readonly onEvent = (event: HttpServerEvent): void => {
    this.seen.push(event);
    for (const waiter of this.#waiters.filter((w) => w.match(event))) {
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.resolve(event);
    }
  };

  /** The first event that `match`es, within `ms`. */
  when(match: (e: HttpServerEvent) => boolean, ms = 5000): Promise<HttpServerEvent> {
    const found = this.seen.find(match);
    if (found) return Promise.resolve(found);
    const { promise, resolve, reject } = Promise.withResolvers<HttpServerEvent>();
    const timer = startTimer(() => reject(new Error(`no such event within ${ms} ms`)), ms);
    this.#waiters.push({
      match,
      resolve: (e) => {
        timer.clear();
        resolve(e);
      },
    });
    return promise;
  }

  /** The close event of the connection, within `ms`. */
  closed(ms = 5000): Promise<Extract<HttpServerEvent, { event: "close" }>> {
    return this.when((e) => e.event === "close", ms) as Promise<
      Extract<HttpServerEvent, { event: "close" }>
    >;
  }
}

const paths: HttpHandler = (request) =>
  request.path === "/fail"
    ? { status: 404, body: "no\n" }
    : { status: 200, headers: [["Content-Type", "text/plain"]], body: `${request.path}\n` };

function start(
  handler: HttpHandler = paths,
  options: Omit<HttpServerOptions, "handler" | "onEvent"> = {},
): { server: HttpServer; events: Events } {
  const events = new Events();
  const server = serveHttp({ handler, onEvent: events.onEvent, ...options });
  return { server, events };
}

/** A raw client: writes what a test says, reads responses with the client's own head reader. */
class Client implements Disposable {
  readonly reader: BufReader;
  readonly #guard: Disposable;

  private constructor(readonly conn: Deno.TcpConn) {
    this.reader = new BufReader(conn, { bufferSize: 64 * 1024 });
    this.#guard = closeOnAbort(AbortSignal.timeout(10_000), conn);
  }

  static async open(server: HttpServer): Promise<Client> {
    return new Client(await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port }));
  }

  async send(data: string | Uint8Array): Promise<void> {
    await writeAll(this.conn, typeof data === "string" ? new TextEncoder().encode(data) : data);
  }

  /** The next response (its body read by Content-Length, none for HEAD), or `null` at EOF. */
  async reply(
    method = "GET",
  ): Promise<{ status: number; headers: HttpHeaders; body: string } | null> {
    const head = await readResponseHead(this.reader);
    if (head === null) return null;
    const length = Number(head.headers.get("content-length") ?? "0");
    const body = method === "HEAD" || length === 0 ? "" : text.decode(
      await this.reader.readExact(length),
    );
    return { status: head.status, headers: head.headers, body };
  }

  /** What is left until the server closes (a reset counts as the end). */
  async rest(): Promise<string> {
    let all = "";
    try {
      await this.reader.readToEof((chunk) => void (all += text.decode(chunk)));
    } catch (error) {
      if (!(error instanceof ConnectError)) throw error;
    }
    return all;
  }

  [Symbol.dispose](): void {
    this.#guard[Symbol.dispose]();
    closeQuietly(this.conn);
  }
}

/** Sends `data` on a new connection and reads all the server sends until it closes. */
async function exchange(server: HttpServer, data: string | Uint8Array): Promise<string> {
  using client = await Client.open(server);
  await client.send(data).catch(() => {});
  return await client.rest();
}

async function curl(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const output = await new Deno.Command("curl", {
    args: ["--max-time", "10", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    stdout: text.decode(output.stdout),
    stderr: text.decode(output.stderr),
    code: output.code,
  };
}

Deno.test({
  name: "serveHttp() serves curl two URLs over one kept-alive connection",
  ignore: !haveCurl,
  async fn() {
    const { server, events } = start();
    const base = `http://127.0.0.1:${server.addr.port}`;
    const result = await curl("-sv", `${base}/a`, `${base}/b?x=1`);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "/a\n/b\n");
    assert.match(result.stderr, /Re-using existing connection/);
    assert.match(result.stderr, /< Content-Length: 3\r?\n/i);
    assert.match(result.stderr, /< Date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r?\n/i);
    await server.shutdown();
    assert.equal(events.seen.filter((e) => e.event === "accept").length, 1);
    assert.equal(events.seen.filter((e) => e.event === "request").length, 2);
  },
});

Deno.test({
  name: "serveHttp() answers curl -I with the GET's headers, Content-Length too, and no body",
  ignore: !haveCurl,
  async fn() {
    await using server = start().server;
    const result = await curl("-sI", `http://127.0.0.1:${server.addr.port}/four`);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(result.stdout, /\r\nContent-Length: 6\r\n/);
    assert.match(result.stdout, /\r\nContent-Type: text\/plain\r\n/);
    assert.ok(result.stdout.endsWith("\r\n\r\n"));
  },
});

Deno.test("serveHttp() answers pipelined requests in order, HEAD without a body", async () => {
  const { server, events } = start();
  await using _ = server;
  using client = await Client.open(server);
  await client.send(
    "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nHEAD /22 HTTP/1.1\r\nHost: x\r\n\r\n" +
      "GET /fail HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /never HTTP/1.1\r\nHost: x\r\n\r\n",
  );
  const first = await client.reply();
  assert.deepEqual([first?.status, first?.body, first?.headers.get("connection")], [
    200,
    "/1\n",
    "keep-alive",
  ]);
  const head = await client.reply("HEAD");
  assert.deepEqual([head?.status, head?.headers.get("content-length")], [200, "4"]);
  const last = await client.reply();
  assert.deepEqual([last?.status, last?.body, last?.headers.get("connection")], [
    404,
    "no\n",
    "close",
  ]);
  assert.equal(await client.rest(), "");
  const closed = await events.closed();
  assert.deepEqual([closed.reason, closed.requests], ["close", 3]);
});

Deno.test("serveHttp() sends a text body as UTF-8 with its byte length, ASCII or not, small or large", async () => {
  const bodies = new Map<string, string>([
    ["/ascii", "metric_total 1\n".repeat(4096)],
    ["/accents", "caf\u00e9 \u00fcn\u00efcode\n"],
    ["/emoji-large", "a\u{1f995}\u00e9".repeat(5_000)],
    ["/lone-surrogate", "x\ud800y"],
  ]);
  await using server = start((request) => ({ status: 200, body: bodies.get(request.path) ?? "" }))
    .server;
  using client = await Client.open(server);
  for (const [path, body] of bodies) {
    await client.send(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
    const reply = await client.reply();
    const bytes = new TextEncoder().encode(body);
    assert.equal(reply?.headers.get("content-length"), String(bytes.length), path);
    assert.equal(reply?.body, text.decode(bytes), path);
  }
});

Deno.test("serveHttp() closes an HTTP/1.0 connection unless it asks for keep-alive", async () => {
  await using server = start().server;
  assert.match(
    await exchange(server, "GET /old HTTP/1.0\r\n\r\n"),
    /^HTTP\/1\.1 200 OK\r\n[^]*Connection: close\r\n\r\n\/old\n$/,
  );
  using client = await Client.open(server);
  await client.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  const kept = await client.reply();
  assert.equal(kept?.headers.get("connection"), "keep-alive");
  await client.send("GET /b HTTP/1.0\r\n\r\n");
  assert.equal((await client.reply())?.body, "/b\n");
  assert.equal(await client.reply(), null);
});

Deno.test("serveHttp() gives the handler the decoded path, the query and other methods", async () => {
  const seen: string[] = [];
  await using server = start((request) => {
    seen.push(
      `${request.method} ${request.path} ${request.query.get("target")} ${request.version}`,
    );
    return request.method === "GET"
      ? { status: 200 }
      : { status: 405, headers: [["Allow", "GET, HEAD"]] };
  }).server;
  using client = await Client.open(server);
  await client.send(
    "GET /a%20b?module=web&target=x%3A1 HTTP/1.1\r\nHost: x\r\n\r\n" +
      "GET http://x/probe?target=y HTTP/1.1\r\nHost: x\r\n\r\n" +
      "DELETE /c HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
  );
  assert.equal((await client.reply())?.status, 200);
  assert.equal((await client.reply())?.status, 200);
  const refused = await client.reply();
  assert.deepEqual([refused?.status, refused?.headers.get("allow")], [405, "GET, HEAD"]);
  assert.deepEqual(seen, ["GET /a b x:1 1.1", "GET /probe y 1.1", "DELETE /c null 1.1"]);
});

Deno.test("serveHttp() refuses malformed heads with 400 and closes", async (t) => {
  const { server, events } = start();
  await using _ = server;
  const cases: Record<string, string> = {
    "no version": "GET /\r\n\r\n",
    "two spaces": "GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
    "a method that is no token": "G(T / HTTP/1.1\r\nHost: x\r\n\r\n",
    "a space in the target": "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n",
    "a target of another form": "GET a.b HTTP/1.1\r\nHost: x\r\n\r\n",
    "bad percent-encoding": "GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n",
    "a space before the colon": "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
    "a field without a colon": "GET / HTTP/1.1\r\nHost: x\r\nnonsense\r\n\r\n",
    "a NUL in a value": "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n",
    "a bare CR": "GET / HTTP/1.1\r\nHost: x\rY: 1\r\n\r\n",
    "no Host in HTTP/1.1": "GET / HTTP/1.1\r\n\r\n",
    "two Host fields": "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
    "an invalid Content-Length": "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
  };
  for (const [name, head] of Object.entries(cases)) {
    await t.step(name, async () => {
      const reply = await exchange(server, head);
      assert.match(reply, /^HTTP\/1\.1 400 Bad Request\r\n[^]*Connection: close\r\n/);
    });
  }
  assert.equal(events.seen.filter((e) => e.event === "request").length, 0);
});

Deno.test("serveHttp() answers other HTTP versions with 505", async () => {
  await using server = start().server;
  for (const version of ["2.0", "1.2", "0.9"]) {
    const reply = await exchange(server, `GET / HTTP/${version}\r\nHost: x\r\n\r\n`);
    assert.match(reply, /^HTTP\/1\.1 505 HTTP Version Not Supported\r\n/);
  }
  assert.match(
    await exchange(server, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
    /^HTTP\/1\.1 505 /,
  );
});

Deno.test("serveHttp() answers a head over maxHeadBytes or maxFields with 431", async () => {
  const { server, events } = start(paths, { maxHeadBytes: 1024, maxFields: 5 });
  await using _ = server;
  const big = `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(100_000)}\r\n\r\n`;
  assert.match(await exchange(server, big), /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  const longLine = `GET /${"a".repeat(2000)} HTTP/1.1\r\nHost: x\r\n\r\n`;
  assert.match(await exchange(server, longLine), /^HTTP\/1\.1 431 /);
  const many = Array.from({ length: 6 }, (_, i) => `X-${i}: ${i}\r\n`).join("");
  assert.match(
    await exchange(server, `GET / HTTP/1.1\r\nHost: x\r\n${many}\r\n`),
    /^HTTP\/1\.1 431 /,
  );
  const blank = "\r\n".repeat(600);
  assert.match(await exchange(server, `${blank}GET / HTTP/1.1\r\n\r\n`), /^HTTP\/1\.1 431 /);
  // Exactly at the limits is fine.
  const fits = `GET / HTTP/1.1\r\nHost: x\r\nX-A: ${"a".repeat(1024 - 34)}\r\n\r\n`;
  assert.equal(fits.length, 1024);
  assert.match(await exchange(server, fits.replace("HTTP/1.1", "HTTP/1.0")), /^HTTP\/1\.1 200 /);
  assert.match(await exchange(server, fits.replace("X-A: ", "X-A: a")), /^HTTP\/1\.1 431 /);
  await server.shutdown();
  const refused = events.seen.filter((e) => e.event === "close" && e.reason === "refused");
  assert.equal(refused.length, 5);
});

Deno.test("serveHttp() refuses a request with a body with 413", async () => {
  await using server = start().server;
  for (
    const framing of [
      "Content-Length: 5\r\n\r\nhello",
      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ]
  ) {
    const reply = await exchange(server, `POST / HTTP/1.1\r\nHost: x\r\n${framing}`);
    assert.match(reply, /^HTTP\/1\.1 413 Content Too Large\r\n[^]*Connection: close\r\n/);
  }
});

Deno.test("serveHttp() closes a slow head within headTimeoutMs, with 408 once part of it came", async () => {
  const { server, events } = start(paths, { headTimeoutMs: 200 });
  await using _ = server;
  const started = performance.now();
  const reply = await exchange(server, "GET / HTTP/1.1\r\nHost: x\r\n");
  const elapsed = performance.now() - started;
  assert.match(reply, /^HTTP\/1\.1 408 Request Timeout\r\n[^]*Connection: close\r\n/);
  assert.ok(elapsed >= 190 && elapsed < 3000, `closed after ${elapsed} ms`);
  const closed = await events.closed();
  assert.deepEqual([closed.reason, closed.status], ["head-timeout", 408]);
  // A connection that sends nothing is closed with no answer.
  assert.equal(await exchange(server, ""), "");
});

Deno.test("serveHttp() answers a connection over maxConns with 503", async () => {
  const { server, events } = start(paths, { maxConns: 1 });
  await using _ = server;
  using first = await Client.open(server);
  await events.when((e) => e.event === "accept");
  const reply = await exchange(server, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  assert.match(reply, /^HTTP\/1\.1 503 Service Unavailable\r\n[^]*Connection: close\r\n/);
  assert.equal((await events.when((e) => e.event === "reject")).event, "reject");
  await first.send("GET /still HTTP/1.1\r\nHost: x\r\n\r\n");
  assert.equal((await first.reply())?.body, "/still\n");
});

Deno.test("serveHttp() closes a kept-alive connection idle for idleTimeoutMs", async () => {
  const { server, events } = start(paths, { idleTimeoutMs: 150 });
  await using _ = server;
  using client = await Client.open(server);
  await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  assert.equal((await client.reply())?.status, 200);
  const started = performance.now();
  assert.equal(await client.reply(), null);
  assert.ok(performance.now() - started >= 140);
  assert.equal((await events.closed()).reason, "idle");
});

Deno.test("HttpServer.shutdown() lets a request in flight finish and closes idle connections", async () => {
  const entered = Promise.withResolvers<void>();
  const gate = Promise.withResolvers<void>();
  const { server } = start(async (request) => {
    if (request.path !== "/slow") return { status: 200 };
    entered.resolve();
    await gate.promise;
    return { status: 200, body: "done\n" };
  });
  using idle = await Client.open(server);
  await idle.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  assert.equal((await idle.reply())?.status, 200);
  using busy = await Client.open(server);
  await busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  await entered.promise;
  const stopped = server.shutdown(5000);
  assert.equal(await idle.reply(), null);
  await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: server.addr.port }));
  gate.resolve();
  const reply = await busy.reply();
  assert.deepEqual([reply?.body, reply?.headers.get("connection")], ["done\n", "close"]);
  await stopped;
  await server.finished;
});

Deno.test("HttpServer.shutdown() aborts a handler still running when the grace period ends", async () => {
  const entered = Promise.withResolvers<void>();
  const { server, events } = start((_request, signal) => {
    entered.resolve();
    return new Promise((resolve) => {
      signal.addEventListener("abort", () => resolve({ status: 200, body: "late\n" }));
    });
  });
  using client = await Client.open(server);
  await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  await entered.promise;
  await server.shutdown(50);
  assert.equal(await client.rest(), "");
  assert.equal((await events.closed()).reason, "shutdown");
});

Deno.test("serveHttp() answers a handler that throws with 500 and reports it", async () => {
  const { server, events } = start((request) => {
    if (request.path === "/throw") throw new Error("boom");
    if (request.path === "/bad") return { status: 99 };
    return { status: 200, headers: [["X-A", "1\r\nEvil: 1"]] };
  });
  await using _ = server;
  using client = await Client.open(server);
  for (const path of ["/throw", "/bad", "/evil"]) {
    await client.send(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
    const reply = await client.reply();
    assert.deepEqual([reply?.status, reply?.body], [500, "Internal server error\n"]);
  }
  const errors = events.seen.flatMap((e) => e.event === "error" ? [e.error] : []);
  assert.equal(errors[0], "boom");
  assert.match(errors[1]!, /Invalid status 99/);
  assert.match(errors[2]!, /CR and an LF/);
});

Deno.test("serveHttp() survives a client that closes in the middle of a large response", async () => {
  const big = new Uint8Array(32 * 1024 * 1024);
  const { server, events } = start(() => ({ status: 200, body: big }));
  await using _ = server;
  {
    using client = await Client.open(server);
    await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await client.reader.readSome();
  }
  assert.equal((await events.closed()).reason, "reset");
  using next = await Client.open(server);
  await next.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
  assert.equal((await next.reply("HEAD"))?.headers.get("content-length"), String(big.length));
});

Deno.test("serveHttp() says which address it cannot listen on", async () => {
  await using server = start().server;
  const { port } = server.addr;
  assert.throws(
    () => serveHttp({ port, handler: paths }),
    (error: unknown) =>
      error instanceof ConnectError &&
      error.message === `Cannot listen on 127.0.0.1:${port}: address already in use`,
  );
});

Deno.test("serveHttp() closes a client that pipelines requests and never reads, once its writes stall", async () => {
  const body = new Uint8Array(1024 * 1024);
  const { server, events } = start(() => ({ status: 200, body }), { idleTimeoutMs: 200 });
  await using _ = server;
  using client = await Client.open(server);
  await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n".repeat(50));
  const closed = await events.closed();
  assert.equal(closed.reason, "idle");
  assert.ok(closed.requests < 50, `${closed.requests} requests answered`);
});

Deno.test("serveHttp() serves a well-behaved client while slow ones hold connections", async () => {
  const { server, events } = start(paths, { headTimeoutMs: 300, maxConns: 30 });
  await using _ = server;
  const slow = await Promise.all(Array.from({ length: 20 }, () => Client.open(server)));
  try {
    await Promise.all(slow.map((c) => c.send("GET / HTTP/1.1\r\nHost: x\r\nX-A: ")));
    const started = performance.now();
    assert.match(await exchange(server, "GET /ok HTTP/1.0\r\n\r\n"), /\r\n\r\n\/ok\n$/);
    assert.ok(performance.now() - started < 200);
    const ends = await Promise.all(slow.map((c) => c.rest()));
    assert.ok(ends.every((end) => end.startsWith("HTTP/1.1 408 ")));
    await events.when(() => server.active === 0);
  } finally {
    for (const client of slow) client[Symbol.dispose]();
  }
});
