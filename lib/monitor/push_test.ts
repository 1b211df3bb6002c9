import assert from "node:assert/strict";
import { serveRequests } from "../http/_scripted_server.ts";
import { pushMetrics, pushUrl } from "./push.ts";

const FAST = { attempts: 3, firstPauseMs: 1, factor: 2 };
const OK = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

/** A port nothing listens on. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

Deno.test("pushUrl() encodes a value with a slash or an empty one in base64, others as URI components", () => {
  const url = (key: Record<string, string>) => pushUrl("http://gw.test:9091", "j", key).target;
  assert.equal(url({ vantage: "eu-west-1" }), "/metrics/job/j/vantage/eu-west-1");
  assert.equal(url({ vantage: "a b%" }), "/metrics/job/j/vantage/a%20b%25");
  assert.equal(url({ vantage: "" }), "/metrics/job/j/vantage@base64/=");
  // "~~~/" is "fn5+Lw==" in the standard alphabet: the URL-safe one has "-" for "+".
  assert.equal(url({ vantage: "~~~/" }), "/metrics/job/j/vantage@base64/fn5-Lw==");
  assert.equal(pushUrl("http://gw.test/a/b/", "x/y").target, "/a/b/metrics/job@base64/eC95");
  assert.throws(() => pushUrl("http://gw.test/?a=1", "j"), /takes no query/);
  assert.throws(() => pushUrl("ftp://gw.test/", "j"), TypeError);
});

Deno.test("pushUrl() encodes a dot segment or a job holding one in base64, which URL parsing would drop", () => {
  const url = (job: string, vantage: string) => pushUrl("http://gw.test", job, { vantage }).target;
  assert.equal(url("j", "."), "/metrics/job/j/vantage@base64/Lg==");
  assert.equal(url("j", ".."), "/metrics/job/j/vantage@base64/Li4=");
  assert.equal(url(".", "a"), "/metrics/job@base64/Lg==/vantage/a");
  assert.equal(url("..", "a"), "/metrics/job@base64/Li4=/vantage/a");
  // Other dots are plain: only a whole segment of one or two dots is a dot segment.
  assert.equal(url("j", "..."), "/metrics/job/j/vantage/...");
  assert.equal(url("j", ".a."), "/metrics/job/j/vantage/.a.");
});

Deno.test("pushUrl() encodes a job of 200,000 characters holding a slash", () => {
  const job = `${"a".repeat(200_000)}/x`;
  const target = pushUrl("http://gw.test", job).target;
  assert.ok(target.startsWith("/metrics/job@base64/YWFh"), target.slice(0, 40));
  assert.ok(target.endsWith("YWEveA=="), target.slice(-10));
});

Deno.test("pushMetrics() PUTs the exposition as text 0.0.4 to the group's URL", async () => {
  await using server = serveRequests([OK]);
  const result = await pushMetrics(server.url.origin, {
    job: "sockit",
    groupingKey: { vantage: "ci" },
    body: "a 1\n",
  });
  assert.deepEqual(result, {
    ok: true,
    url: `${server.url.origin}/metrics/job/sockit/vantage/ci`,
    status: 200,
    attempts: 1,
    error: undefined,
  });
  const request = server.requests[0]!;
  assert.match(request, /^PUT \/metrics\/job\/sockit\/vantage\/ci HTTP\/1\.1\r\n/);
  assert.match(request, /\r\nContent-Type: text\/plain; version=0\.0\.4; charset=utf-8\r\n/);
  assert.ok(request.endsWith("\r\n\r\na 1\n"), request);
});

Deno.test("pushMetrics() does not retry a 400 and quotes the gateway's answer", async () => {
  const refusal = "pushed metrics are invalid or inconsistent with existing metrics";
  await using server = serveRequests([
    `HTTP/1.1 400 Bad Request\r\nContent-Length: ${refusal.length + 1}\r\n\r\n${refusal}\n`,
    OK,
  ]);
  const result = await pushMetrics(server.url, { job: "j", body: "a 1\n", retry: FAST });
  assert.deepEqual([result.ok, result.status, result.attempts], [false, 400, 1]);
  assert.equal(result.error, `Pushgateway answered 400 Bad Request: ${refusal}`);
});

Deno.test("pushMetrics() retries 5xx answers on its schedule and counts the attempts", async () => {
  const unavailable = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n";
  await using server = serveRequests([unavailable, unavailable, OK]);
  const retries: Array<[number, string, number]> = [];
  const result = await pushMetrics(server.url, {
    job: "j",
    body: "a 1\n",
    retry: FAST,
    onRetry: (attempt, why, pauseMs) => retries.push([attempt, why, pauseMs]),
  });
  assert.deepEqual([result.ok, result.status, result.attempts], [true, 200, 3]);
  assert.deepEqual(retries, [
    [1, "Pushgateway answered 503 Service Unavailable", 1],
    [2, "Pushgateway answered 503 Service Unavailable", 2],
  ]);
  assert.equal(server.requests.length, 3);
});

Deno.test("pushMetrics() gives up on a refused port after its attempts, with the connect error", async () => {
  const port = closedPort();
  const result = await pushMetrics(`http://127.0.0.1:${port}`, {
    job: "j",
    body: "a 1\n",
    retry: FAST,
  });
  assert.deepEqual([result.ok, result.status, result.attempts], [false, undefined, 3]);
  assert.equal(result.error, `Cannot connect to 127.0.0.1:${port}: connection refused`);
});

Deno.test("pushMetrics() stops at once when its signal aborts, with the signal's reason", async () => {
  const controller = new AbortController();
  const reason = new Error("stopped");
  const pushed = pushMetrics(`http://127.0.0.1:${closedPort()}`, {
    job: "j",
    body: "a 1\n",
    retry: { attempts: 3, firstPauseMs: 60_000 },
    onRetry: () => controller.abort(reason),
    signal: controller.signal,
  });
  await assert.rejects(pushed, (error) => error === reason);
});

Deno.test("pushMetrics() sends a gateway URL's user and password as Basic authorization", async () => {
  await using server = serveRequests([OK]);
  const result = await pushMetrics(`http://ann:pw@127.0.0.1:${server.url.port}`, {
    job: "j",
    body: "a 1\n",
  });
  assert.equal(result.ok, true);
  assert.doesNotMatch(result.url, /ann|pw/);
  assert.match(server.requests[0]!, /\r\nAuthorization: Basic YW5uOnB3\r\n/);
});

Deno.test("pushMetrics() says only why an attempt ran out of time: the caller names the URL", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held = listener.accept();
  const result = await pushMetrics(`http://127.0.0.1:${listener.addr.port}`, {
    job: "j",
    body: "a 1\n",
    timeoutMs: 50,
    retry: { attempts: 1, firstPauseMs: 0 },
  });
  (await held).close();
  assert.deepEqual([result.ok, result.attempts, result.error], [false, 1, "timed out after 50ms"]);
});

Deno.test("pushMetrics() tells of each attempt as it starts, and makes none once its signal aborted", async () => {
  const unavailable = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n";
  await using server = serveRequests([unavailable, OK]);
  const started: number[] = [];
  const result = await pushMetrics(server.url, {
    job: "j",
    body: "a 1\n",
    retry: FAST,
    onAttempt: (attempt) => started.push(attempt),
  });
  assert.deepEqual([result.ok, started], [true, [1, 2]]);
  const reason = new Error("stopped");
  await assert.rejects(
    pushMetrics(server.url, {
      job: "j",
      body: "a 1\n",
      signal: AbortSignal.abort(reason),
      onAttempt: () => assert.fail("an attempt started"),
    }),
    (error) => error === reason,
  );
});
