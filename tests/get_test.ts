/**
 * `sockit get` end to end over loopback sockets: request heads, output, JSON, checks, -o,
 * redirects, deadlines, retries, TLS, --resolve and --unix-socket. Most runs are in-process
 * (`runCli`); a few go through the subprocess with the binary's permissions.
 */
import assert from "node:assert/strict";
import { hasProgram, runSockit } from "./_helpers.ts";
import {
  freePort,
  makeTestPki,
  ReplayServer,
  runCli,
  SilentServer,
  TlsReplayServer,
} from "./_http.ts";

const OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

Deno.test("get --help documents every option, -k and examples", async () => {
  const result = await runSockit(["get", "--help"]);
  assert.equal(result.code, 0);
  assert.match(result.out, /^sockit get: /);
  for (
    const option of [
      "--max-time",
      "--retry",
      "--cacert",
      "--insecure",
      "--unix-socket",
      "--compressed",
    ]
  ) {
    assert.match(result.out, new RegExp(` ${option}\\b`));
  }
  assert.match(result.out, /-k accepts any\s+certificate, says so on stderr/);
});

Deno.test("get sends an origin-form GET with Host, User-Agent, Accept and -H fields", async () => {
  await using server = new ReplayServer([OK]);
  const result = await runSockit([
    "get",
    "-H",
    "X-Trace: abc",
    "-H",
    "Accept: text/plain",
    server.url("/p/a%20th?q=1&r=2#frag"),
  ]);
  assert.equal(result.code, 0, result.err);
  assert.equal(result.out, "ok");
  assert.equal(
    server.requests[0],
    `GET /p/a%20th?q=1&r=2 HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n` +
      `User-Agent: sockit/0.1.0\r\nX-Trace: abc\r\nAccept: text/plain\r\nConnection: close\r\n\r\n`,
  );
});

Deno.test("get rejects a -H with CR, LF or NUL as a usage error, sending nothing", async () => {
  for (const header of ["X-A: a\r\nEvil: 1", "X-A: a\nb", "X-A: a\0b", "X\nA: 1", "Bad Name: 1"]) {
    const result = await runCli(["get", "-H", header, `http://127.0.0.1:${freePort()}/`]);
    assert.equal(result.code, 2, header);
    assert.match(result.err, /^error: Invalid -H: /);
  }
});

Deno.test("get works with an IPv6 literal URL, with the port in Host", async (t) => {
  let listener: Deno.Listener;
  try {
    listener = Deno.listen({ hostname: "::1", port: 0 });
  } catch {
    await t.step({ name: "IPv6 loopback is not available here", ignore: true, fn() {} });
    return;
  }
  const port = (listener.addr as Deno.NetAddr).port;
  const served = (async () => {
    using conn = await listener.accept();
    const buf = new Uint8Array(4096);
    const n = await conn.read(buf);
    await conn.write(new TextEncoder().encode(OK));
    return new TextDecoder().decode(buf.subarray(0, n ?? 0));
  })();
  const result = await runCli(["get", `http://[::1]:${port}/six`]);
  const request = await served;
  listener.close();
  assert.equal(result.code, 0, result.err);
  assert.equal(result.out, "ok");
  assert.match(request, new RegExp(`^GET /six HTTP/1\\.1\\r\\nHost: \\[::1\\]:${port}\\r\\n`));
});

Deno.test("get --json prints one object per URL with timing and reuse", async () => {
  await using server = new ReplayServer([
    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-A: 1\r\nX-A: 2\r\n\r\none",
    "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\ntwo",
  ]);
  const result = await runSockit(["get", "--json", server.url("/a"), server.url("/b")]);
  assert.equal(result.code, 0, result.err);
  const [first, second] = result.out.trim().split("\n").map((line) => JSON.parse(line));
  assert.deepEqual(Object.keys(first).sort(), [
    "attempts",
    "bytes",
    "connection_reused",
    "error",
    "exit_code",
    "headers",
    "http_version",
    "insecure",
    "redirects",
    "status",
    "timing",
    "url",
  ]);
  assert.equal(first.status, 200);
  assert.equal(first.http_version, "HTTP/1.1");
  assert.deepEqual(first.headers, { "content-length": "3", "x-a": "1, 2" });
  assert.equal(first.bytes, 3);
  assert.equal(first.connection_reused, false);
  assert.equal(first.exit_code, 0);
  assert.equal(first.error, null);
  assert.deepEqual(Object.keys(first.timing).sort(), [
    "connect_ms",
    "first_byte_ms",
    "resolve_ms",
    "tls_ms",
    "total_ms",
    "transfer_ms",
  ]);
  assert.equal(second.status, 404);
  assert.equal(second.connection_reused, true);
  assert.equal(server.connections, 1);
});

Deno.test("get --json reports a failure with its error and exit code", async () => {
  await using server = new ReplayServer(["HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort"]);
  const result = await runCli(["get", "--json", server.url()]);
  assert.equal(result.code, 7);
  const line = JSON.parse(result.out.trim());
  assert.equal(line.exit_code, 7);
  assert.match(line.error, /cut short/);
  assert.equal(line.status, null);
});

Deno.test("get names each failed expectation on stderr and exits 1", async () => {
  await using server = new ReplayServer([
    "HTTP/1.1 500 Oops\r\nContent-Type: text/html\r\nContent-Length: 11\r\n\r\nhello world",
  ]);
  const result = await runCli([
    "get",
    "--expect-status",
    "200,204,3xx",
    "--expect-body",
    "goodbye",
    "--expect-body-regex",
    "^hello",
    "--expect-header",
    "Content-Type: ^application/json",
    "--expect-header",
    "X-Missing: .",
    server.url(),
  ]);
  assert.equal(result.code, 1);
  assert.equal(result.out, "hello world");
  const errors = result.err.split("\n").filter((line) => line.startsWith("error: "));
  assert.equal(errors.length, 4, result.err);
  assert.match(result.err, /--expect-status 200,204,3xx: got 500/);
  assert.match(result.err, /--expect-body: the body does not contain "goodbye"/);
  assert.match(
    result.err,
    /--expect-header "Content-Type: \^application\/json": no Content-Type value matches \/\^application\\\/json\/ \(tried "text\/html"\)\n/,
  );
  assert.match(result.err, /--expect-header "X-Missing: \.": no X-Missing header/);
});

Deno.test("get passes expectations that hold", async () => {
  await using server = new ReplayServer([
    "HTTP/1.1 204 No Content\r\nX-Version: 1.2.3\r\n\r\n",
  ]);
  const result = await runCli([
    "get",
    "--fail",
    "--expect-status",
    "2xx",
    "--expect-header",
    "x-version: ^1\\.",
    server.url(),
  ]);
  assert.equal(result.code, 0, result.err);
});

Deno.test("get -o writes the file whole, and never leaves a partial one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sockit-get-" });
  try {
    {
      await using server = new ReplayServer(["HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello"]);
      const result = await runSockit(["get", "-o", `${dir}/out.txt`, server.url()]);
      assert.equal(result.code, 7);
      assert.deepEqual([...Deno.readDirSync(dir)], [], "no file, no temporary file");
    }
    {
      await using server = new ReplayServer(["HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"]);
      const result = await runSockit(["get", "-o", `${dir}/out.txt`, server.url()]);
      assert.equal(result.code, 0, result.err);
      assert.equal(result.out, "");
      assert.equal(await Deno.readTextFile(`${dir}/out.txt`), "hello");
    }
    {
      // A failed download leaves the earlier file as it was.
      await using server = new ReplayServer(["HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nnew"]);
      const result = await runCli(["get", "-o", `${dir}/out.txt`, server.url()]);
      assert.equal(result.code, 7);
      assert.equal(await Deno.readTextFile(`${dir}/out.txt`), "hello");
      assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["out.txt"]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("get -L drops Authorization and Cookie on a redirect to another origin only", async () => {
  await using other = new ReplayServer([OK]);
  await using server = new ReplayServer([
    "HTTP/1.1 302 Found\r\nLocation: /same\r\nContent-Length: 0\r\n\r\n",
    `HTTP/1.1 307 Temporary Redirect\r\nLocation: ${
      other.url("/there")
    }\r\nContent-Length: 0\r\n\r\n`,
  ]);
  const result = await runCli([
    "get",
    "-L",
    "--json",
    "-H",
    "Authorization: Bearer secret",
    "-H",
    "Cookie: session=1",
    "-H",
    "X-Kept: yes",
    server.url("/start"),
  ]);
  assert.equal(result.code, 0, result.err);
  const line = JSON.parse(result.out);
  assert.equal(line.redirects.length, 2);
  assert.equal(line.redirects[1].location, other.url("/there"));
  assert.match(server.requests[1]!, /^GET \/same HTTP\/1\.1\r\n/);
  assert.match(server.requests[1]!, /\r\nAuthorization: Bearer secret\r\n/);
  assert.match(server.requests[1]!, /\r\nCookie: session=1\r\n/);
  assert.match(other.requests[0]!, /^GET \/there HTTP\/1\.1\r\n/);
  assert.doesNotMatch(other.requests[0]!, /authorization|cookie/i);
  assert.match(other.requests[0]!, /\r\nX-Kept: yes\r\n/);
});

Deno.test("get --max-time holds against a server that sends one byte at a time", async () => {
  await using server = new ReplayServer([{
    bytes: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + "x".repeat(100),
    dripMs: 100,
  }]);
  const result = await runCli(["get", "--max-time", "700ms", server.url()]);
  assert.equal(result.code, 5, result.err);
  assert.match(
    result.err,
    /^error: Cannot get "?http:\/\/127\.0\.0\.1:\d+\/"?: timed out after 700ms/m,
  );
});

Deno.test("get --retry retries 503 twice, then succeeds; -o holds the last body only", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sockit-get-" });
  try {
    await using server = new ReplayServer([
      "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy",
      "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\nContent-Length: 4\r\n\r\nslow",
      "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ngood",
    ]);
    const result = await runCli([
      "get",
      "--retry",
      "3",
      "--retry-delay",
      "10ms",
      "--json",
      "-o",
      `${dir}/f`,
      server.url(),
    ]);
    assert.equal(result.code, 0, result.err);
    const line = JSON.parse(result.out);
    assert.equal(line.attempts, 3);
    assert.equal(line.status, 200);
    assert.equal(await Deno.readTextFile(`${dir}/f`), "good");
    assert.equal((result.err.match(/retry \d of 3/g) ?? []).length, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("get --retry never retries a 4xx other than 429", async () => {
  await using server = new ReplayServer([
    "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\ngone",
    OK,
  ]);
  const result = await runCli(["get", "--retry", "3", "--retry-delay", "10ms", server.url()]);
  assert.equal(result.code, 0);
  assert.equal(result.out, "gone");
  assert.equal(server.requests.length, 1);
});

Deno.test("get --retry gives up after N retries and reports the last answer", async () => {
  await using server = new ReplayServer([
    "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 1\r\n\r\n1",
    "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 1\r\n\r\n2",
  ]);
  const result = await runCli([
    "get",
    "--fail",
    "--retry",
    "1",
    "--retry-delay",
    "10ms",
    server.url(),
  ]);
  assert.equal(result.code, 1);
  assert.equal(result.out, "2");
});

Deno.test("get --retry retries a refused connection", async () => {
  const result = await runCli([
    "get",
    "--retry",
    "2",
    "--retry-delay",
    "5ms",
    `http://127.0.0.1:${freePort()}/`,
  ]);
  assert.equal(result.code, 4);
  assert.equal((result.err.match(/retry \d of 2/g) ?? []).length, 2);
  assert.match(result.err, /connection refused/);
});

Deno.test("get --resolve sends the name in Host but connects to the given address", async () => {
  await using server = new ReplayServer([OK]);
  const result = await runCli([
    "get",
    "--resolve",
    `api.example.test:${server.port}:127.0.0.1`,
    `http://api.example.test:${server.port}/v1`,
  ]);
  assert.equal(result.code, 0, result.err);
  assert.match(
    server.requests[0]!,
    new RegExp(`\\r\\nHost: api\\.example\\.test:${server.port}\\r\\n`),
  );
});

Deno.test("get --resolve refuses a host name as address and a port over 65535, as a spec does", async () => {
  for (const entry of ["example.test:80:localhost", "example.test:65536:127.0.0.1"]) {
    const result = await runCli(["get", "--resolve", entry, "http://example.test/"]);
    assert.equal(result.code, 2, entry);
    assert.match(
      result.err,
      new RegExp(`^error: Invalid --resolve "${entry}": expected HOST:PORT:ADDRESS\n`),
    );
  }
});

Deno.test("get --unix-socket speaks HTTP over a Unix socket", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sockit-unix-" });
  const path = `${dir}/api.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const served = (async () => {
    using conn = await listener.accept();
    const buf = new Uint8Array(4096);
    const n = await conn.read(buf);
    await conn.write(
      new TextEncoder().encode('HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\n{"Version":"1.0"}'),
    );
    return new TextDecoder().decode(buf.subarray(0, n ?? 0));
  })();
  try {
    const result = await runCli(["get", "--unix-socket", path, "http://docker/version"]);
    assert.equal(result.code, 0, result.err);
    assert.equal(result.out, '{"Version":"1.0"}');
    assert.match(await served, /^GET \/version HTTP\/1\.1\r\nHost: docker\r\n/);
  } finally {
    listener.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("get -v shows the request and response heads as > and < lines", async () => {
  await using server = new ReplayServer([OK]);
  const result = await runCli(["get", "-v", server.url("/v")]);
  assert.equal(result.code, 0);
  assert.match(result.err, /^> GET \/v HTTP\/1\.1\n> Host: 127\.0\.0\.1:\d+\n/m);
  assert.match(result.err, /^< HTTP\/1\.1 200 OK\n< Content-Length: 2\n<$/m);
});

Deno.test("get --timing draws the phases", async () => {
  await using server = new ReplayServer([OK]);
  const result = await runCli(["get", "--timing", server.url()]);
  assert.equal(result.code, 0);
  for (const phase of ["resolve", "connect", "tls", "first byte", "transfer", "total"]) {
    assert.match(result.err, new RegExp(`^${phase} +\\d`, "m"));
  }
});

const TLS_OK = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecure";

Deno.test({
  name: "get over https: a test CA with --cacert, an unknown issuer, and a wrong name",
  ignore: !hasProgram("openssl"),
  async fn() {
    const pki = await makeTestPki(["localhost", "127.0.0.1"]);
    try {
      await using server = new TlsReplayServer(pki, TLS_OK);
      const url = `https://localhost:${server.port}/`;
      const ok = await runSockit(["get", "--cacert", pki.caCert, url]);
      assert.equal(ok.code, 0, ok.err);
      assert.equal(ok.out, "secure");

      const unknown = await runCli(["get", url]);
      assert.equal(unknown.code, 6, unknown.err);
      assert.match(
        unknown.err,
        /^error: TLS handshake with localhost:\d+ failed: certificate has an unknown issuer \(is its CA trusted\? trust a private CA with --cacert\)$/m,
      );

      const wrong = await runCli([
        "get",
        "--cacert",
        pki.caCert,
        "--resolve",
        `wrong.example.test:${server.port}:127.0.0.1`,
        `https://wrong.example.test:${server.port}/`,
      ]);
      assert.equal(wrong.code, 6, wrong.err);
      assert.match(wrong.err, /certificate is not valid for "wrong\.example\.test"/);

      const json = await runCli(["get", "--json", "--cacert", pki.caCert, url]);
      assert.ok(JSON.parse(json.out).timing.tls_ms > 0);
    } finally {
      await pki.remove();
    }
  },
});

Deno.test("get --compressed decodes gzip, and a decompression bomb stops at --max-filesize", async () => {
  const text = "hello compressed world\n".repeat(100);
  const gzip = await new Response(
    new Blob([text]).stream().pipeThrough(new CompressionStream("gzip")),
  ).bytes();
  const head = (length: number) =>
    `HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${length}\r\n\r\n`;
  {
    await using server = new ReplayServer([
      new Uint8Array([...new TextEncoder().encode(head(gzip.length)), ...gzip]),
    ]);
    const result = await runCli(["get", "--compressed", server.url()]);
    assert.equal(result.code, 0, result.err);
    assert.equal(result.out, text);
    assert.match(server.requests[0]!, /\r\nAccept-Encoding: gzip, deflate, br\r\n/);
  }
  const zeros = await new Response(
    new Blob([new Uint8Array(64 * 1024 * 1024)]).stream().pipeThrough(
      new CompressionStream("gzip"),
    ),
  ).bytes();
  {
    await using server = new ReplayServer([
      new Uint8Array([...new TextEncoder().encode(head(zeros.length)), ...zeros]),
    ]);
    const result = await runCli([
      "get",
      "--compressed",
      "--max-filesize",
      "1M",
      "-o",
      "/dev/null",
      server.url(),
    ]);
    assert.equal(result.code, 8, result.err);
    assert.equal(
      result.err,
      "error: Decoded response body is over the limit of 1048576 bytes (raise it with --max-filesize)\n",
    );
  }
});

Deno.test("get --connect-timeout bounds a TLS handshake that never completes (exit 5)", async () => {
  await using server = new SilentServer();
  const started = performance.now();
  const result = await runCli(["get", "--connect-timeout", "300ms", server.url("/", "https")]);
  const elapsed = performance.now() - started;
  assert.equal(result.code, 5, result.err);
  assert.equal(
    result.err,
    `error: Cannot connect to https://127.0.0.1:${server.port}: timed out after 300ms\n`,
  );
  assert.ok(elapsed >= 300 && elapsed < 10_000, `${elapsed} ms`);
  assert.equal(server.connections, 1, "the TCP connect itself succeeded");
});

Deno.test("get --retry-max-time starts no retry whose wait would end past it", async () => {
  const busy = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy";
  await using server = new ReplayServer([busy, busy, busy, busy, OK]);
  const result = await runCli([
    "get",
    "--json",
    "--retry",
    "10",
    "--retry-delay",
    "200ms",
    "--retry-max-time",
    "500ms",
    server.url(),
  ]);
  assert.equal(result.code, 0, result.err);
  // Retry 1 waits 200 ms; retry 2 would wait 400 ms more, past 500 ms from the start.
  assert.equal(JSON.parse(result.out).attempts, 2);
  assert.equal(JSON.parse(result.out).status, 503);
  assert.match(result.err, /retry 1 of 10 in 200ms\n/);
  assert.match(
    result.err,
    /answered 503; not retrying: the wait of 400ms would end past --retry-max-time 500ms\n$/,
  );
  assert.equal(server.requests.length, 2);
});

Deno.test("get refuses empty, negative and malformed sizes and paths as usage errors, sending nothing", async () => {
  await using server = new ReplayServer([OK]);
  const cases: Array<[string[], string]> = [
    [["--max-filesize", "-5"], 'Invalid size "-5" for --max-filesize: a size cannot be negative'],
    [["--max-header-size", "abc"], 'Invalid size "abc" for --max-header-size: use a number of'],
    [["--max-filesize", ""], 'Invalid size "" for --max-filesize: use a number of'],
    [["--unix-socket", ""], 'Invalid --unix-socket "": empty path'],
    [["--cacert", ""], 'Cannot read --cacert "": empty path'],
  ];
  for (const [args, message] of cases) {
    const result = await runCli(["get", ...args, server.url()]);
    assert.equal(result.code, 2, `${args}: ${result.err}`);
    assert.ok(result.err.startsWith(`error: ${message}`), result.err);
  }
  assert.equal(server.requests.length, 0);
  const unlimited = await runCli(["get", "--max-header-size", "none", server.url()]);
  assert.equal(unlimited.code, 0, unlimited.err);
});
