/**
 * How `sockit get` ends a transfer: a kept-alive connection with stray bytes, a stdout whose
 * reader goes away, read timeouts, Retry-After and retry limits, the limit errors, -o targets and
 * .part files, --cacert from stdin, and the progress bar and timing output. Run over real loopback
 * sockets: in this process (`runCli`) where the streams can be captured, as a subprocess with the
 * binary's permissions where signals, pipes or logs are involved.
 */
import assert from "node:assert/strict";
import { hasProgram, LineReader, runSockit, sockitCommand, spawnSockit } from "./_helpers.ts";
import { makeTestPki, ReplayServer, runCli, SilentServer, TlsReplayServer } from "./_http.ts";

const OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/** A response carrying `body` with Content-Length, plus extra head fields. */
function response(body: Uint8Array, fields: string[] = []): Uint8Array {
  const lines = ["HTTP/1.1 200 OK", ...fields, `Content-Length: ${body.length}`, "", ""];
  const head = new TextEncoder().encode(lines.join("\r\n"));
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

/** 8 MiB of text, and its gzip (small on the wire, large once decoded). */
const TEXT = new TextEncoder().encode("sockit writes this line to a closed pipe\n".repeat(200_000));
const GZIP = await new Response(
  new Blob([TEXT]).stream().pipeThrough(new CompressionStream("gzip")),
).bytes();

/** sockit as a subprocess, stderr read line by line; killed at the end of the test if need be. */
class Child implements AsyncDisposable {
  readonly process: Deno.ChildProcess;
  readonly stdout: Promise<string>;
  readonly stderr: LineReader;

  constructor(args: string[]) {
    this.process = spawnSockit(args).process;
    this.stdout = new Response(this.process.stdout).text();
    this.stderr = new LineReader(this.process.stderr);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.process.kill("SIGKILL");
    } catch {
      // exited already
    }
    await this.process.status;
    await Promise.all([this.stdout, this.stderr.rest()]);
  }
}

/**
 * Runs `sockit ARGS | head -c N >/dev/null` in bash: sockit's exit status (from PIPESTATUS)
 * and the pipeline's stderr (sockit's; head says nothing).
 */
async function pipeToHead(args: string[], n: number): Promise<{ code: number; err: string }> {
  const [cmd, ...pre] = sockitCommand();
  const { stdout, stderr } = await new Deno.Command("bash", {
    args: [
      "-c",
      `"$0" "$@" | head -c ${n} >/dev/null; echo "\${PIPESTATUS[0]}"`,
      cmd,
      ...pre,
      ...args,
    ],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: Number(new TextDecoder().decode(stdout).trim()),
    err: new TextDecoder().decode(stderr),
  };
}

Deno.test("a kept-alive connection with bytes left after a complete response is closed, not reused", async () => {
  await using server = new ReplayServer([
    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcXYZ",
    OK,
  ]);
  const result = await runCli(["get", server.url("/1"), server.url("/2")]);
  assert.equal(result.code, 0, result.err);
  assert.equal(result.out, "abcok");
  assert.equal(server.connections, 2, "the second request went on a new connection");
});

Deno.test("-v says why a kept-alive connection was not reused", async () => {
  await using server = new ReplayServer([
    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcXYZ",
    OK,
  ]);
  const result = await runSockit(["get", "-v", server.url("/1"), server.url("/2")]);
  assert.equal(result.code, 0, result.err);
  assert.match(
    result.err,
    /DEBUG sockit\.http connection to http:\/\/127\.0\.0\.1:\d+ not reused: 3 unexpected bytes after the response/,
  );
});

Deno.test("get stops at once, quietly, with exit 141 when stdout's reader goes away", async () => {
  await using server = new ReplayServer([response(TEXT), OK]);
  const result = await runCli(["get", server.url("/1"), server.url("/2")], { stdoutLimit: 10 });
  assert.equal(result.code, 141, result.err);
  assert.equal(result.err, "");
  assert.equal(result.out, "sockit wri");
  assert.equal(server.requests.length, 1, "the second URL was not fetched");
});

Deno.test("get URL | head -c 10 exits 141 with no message", async () => {
  await using server = new ReplayServer([response(TEXT), OK]);
  const result = await pipeToHead(["get", server.url("/1"), server.url("/2")], 10);
  assert.equal(result.code, 141, result.err);
  assert.equal(result.err, "");
  assert.equal(server.requests.length, 1, "the second URL was not fetched");
});

Deno.test("with --compressed, a closed stdout is exit 141, not a decoding error", async () => {
  await using server = new ReplayServer([response(GZIP, ["Content-Encoding: gzip"])]);
  const result = await runCli(["get", "--compressed", server.url()], { stdoutLimit: 1 });
  assert.equal(result.code, 141, result.err);
  assert.equal(result.err, "");
});

Deno.test("get --compressed URL | head -c1 exits 141 with no message", async () => {
  await using server = new ReplayServer([response(GZIP, ["Content-Encoding: gzip"])]);
  const result = await pipeToHead(["get", "--compressed", server.url()], 1);
  assert.equal(result.code, 141, result.err);
  assert.equal(result.err, "");
});

Deno.test("get against a server that accepts and never answers ends with exit 5 after --read-timeout", async () => {
  await using server = new SilentServer();
  const started = performance.now();
  const result = await runCli(["get", "--read-timeout", "300ms", server.url()]);
  const elapsed = performance.now() - started;
  assert.equal(result.code, 5, result.err);
  assert.equal(
    result.err,
    `error: Cannot read from http://127.0.0.1:${server.port}: no data for 300ms (read timeout; raise it with --read-timeout)\n`,
  );
  assert.ok(elapsed >= 300, `gave up after ${elapsed} ms`);
  assert.equal(server.connections, 1);
});

Deno.test("the read timeout bounds each wait for data, not the whole transfer", async () => {
  // 40 bytes, one every 20 ms: 800 ms in all, but never 300 ms without a byte.
  await using server = new ReplayServer([{ bytes: OK, dripMs: 20 }]);
  const result = await runCli(["get", "--read-timeout", "300ms", server.url()]);
  assert.equal(result.code, 0, result.err);
  assert.equal(result.out, "ok");
});

Deno.test("--read-timeout defaults to 60s, takes none, and refuses 0 and malformed values", async () => {
  const help = await runCli(["get", "--help"]);
  assert.match(help.out, /--read-timeout DURATION +.*\(default: 60s\)/);
  for (const value of ["0", "-1s", "", "soon", "25d"]) {
    const result = await runCli(["get", "--read-timeout", value, "http://127.0.0.1:1/"]);
    assert.equal(result.code, 2, `${value}: ${result.err}`);
    assert.match(result.err, /^error: Invalid duration "[^"]*" for --read-timeout: /, value);
  }
  await using server = new ReplayServer([OK]);
  const none = await runCli(["get", "--read-timeout", "none", server.url()]);
  assert.equal(none.code, 0, none.err);
});

Deno.test("a huge Retry-After is capped at 60s, and past --retry-max-time it is neither retried nor slept on", async () => {
  const inAnHour = new Date(Date.now() + 3_600_000).toUTCString();
  for (const value of ["99999999", "3600", inAnHour, "9".repeat(400)]) {
    await using server = new ReplayServer([
      `HTTP/1.1 503 Service Unavailable\r\nRetry-After: ${value}\r\nContent-Length: 4\r\n\r\nbusy`,
      OK,
    ]);
    const started = performance.now();
    const result = await runCli([
      "get",
      "--retry",
      "1",
      "--retry-max-time",
      "1s",
      server.url(),
    ]);
    const elapsed = performance.now() - started;
    assert.equal(result.code, 0, result.err);
    assert.equal(result.out, "busy", "the 503 is the answer");
    assert.equal(server.requests.length, 1, `${value}: not retried`);
    assert.ok(elapsed < 30_000, `${value}: slept ${elapsed} ms`);
    assert.match(
      result.err,
      new RegExp(
        `^warning: http://127\\.0\\.0\\.1:\\d+/ answered 503; not retrying: the wait of 1m ` +
          `\\(Retry-After asked for [^)]+, capped at 1m\\) would end past --retry-max-time 1s$`,
        "m",
      ),
      value,
    );
  }
});

Deno.test("Retry-After: 3600 under --retry waits 60s, not an hour, and Ctrl-C ends the wait", async () => {
  await using server = new ReplayServer([
    "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 3600\r\nContent-Length: 4\r\n\r\nbusy",
    OK,
  ]);
  await using child = new Child(["get", "--retry", "1", "--max-time", "1s", server.url()]);
  assert.equal(
    await child.stderr.next(),
    `warning: ${server.url()} answered 503; retry 1 of 1 in 1m (Retry-After asked for 1h, capped at 1m)`,
  );
  const interrupted = performance.now();
  child.process.kill("SIGINT");
  const status = await child.process.status;
  const waited = performance.now() - interrupted;
  assert.equal(status.code, 130);
  assert.deepEqual(await child.stderr.rest(), []);
  assert.equal(await child.stdout, "");
  assert.equal(server.requests.length, 1);
  // runCommand gives a command that ignores the signal 2 s before it exits anyway.
  assert.ok(waited < 1500, `the wait went on for ${waited} ms after SIGINT`);
});

Deno.test("--retry-delay past 24 days is a usage error", async () => {
  const result = await runCli(["get", "--retry-delay", "99999999999", "http://127.0.0.1:1/"]);
  assert.equal(result.code, 2);
  assert.match(
    result.err,
    /^error: Invalid duration "99999999999" for --retry-delay: the longest accepted is 24d$/m,
  );
});

Deno.test("lib/http's limit errors name no flag; get adds the flag that sets each limit", async () => {
  const redirect = (n: number) =>
    `HTTP/1.1 302 Found\r\nLocation: /r${n}\r\nContent-Length: 0\r\n\r\n`;
  const cases: Array<[string[], Array<string>, string]> = [
    [
      ["-L", "--max-redirs", "1"],
      [redirect(1), redirect(2)],
      "Too many redirects: more than 1 (raise it with --max-redirs)",
    ],
    [
      ["--max-header-size", "40"],
      [`HTTP/1.1 200 OK\r\nX-Long: ${"x".repeat(100)}\r\nContent-Length: 0\r\n\r\n`],
      "The response head is too large: over the size limit (raise it with --max-header-size)",
    ],
    [
      ["--max-header-fields", "1"],
      ["HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nContent-Length: 0\r\n\r\n"],
      "Too many header fields in response head: more than 1 (raise it with --max-header-fields)",
    ],
    [
      ["--max-filesize", "4"],
      ["HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"],
      "Response body of 5 bytes is over the limit of 4 bytes (raise it with --max-filesize)",
    ],
    [
      ["--max-filesize", "4"],
      ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"],
      "Response body is over the limit of 4 bytes (raise it with --max-filesize)",
    ],
  ];
  for (const [args, replies, message] of cases) {
    await using server = new ReplayServer(replies);
    const result = await runCli(["get", ...args, server.url()]);
    assert.equal(result.code, 8, result.err);
    assert.equal(result.err, `error: ${message}\n`);
  }
});

Deno.test("-o -, /dev/stdout, /dev/fd/1 and /proc/self/fd/1 write to sockit's stdout", async () => {
  for (const path of ["-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"]) {
    await using server = new ReplayServer([OK]);
    const result = await runSockit(["get", "-o", path, server.url()]);
    assert.equal(result.code, 0, `${path}: ${result.err}`);
    assert.equal(result.out, "ok", path);
    assert.equal(result.err, "", path);
  }
});

Deno.test("-o /dev/stderr and /dev/fd/2 write to stderr, and -o /dev/null discards", async () => {
  for (const path of ["/dev/stderr", "/dev/fd/2", "/dev/null"]) {
    await using server = new ReplayServer([OK]);
    const result = await runSockit(["get", "-o", path, server.url()]);
    assert.equal(result.code, 0, `${path}: ${result.err}`);
    assert.equal(result.out, "", path);
    assert.equal(result.err, path === "/dev/null" ? "" : "ok", path);
  }
});

Deno.test("-o /dev/stdout to a stdout whose reader went away is exit 141", async () => {
  await using server = new ReplayServer([response(TEXT)]);
  const result = await runCli(["get", "-o", "/dev/stdout", server.url()], { stdoutLimit: 1 });
  assert.equal(result.code, 141, result.err);
  assert.equal(result.err, "");
});

Deno.test("an -o path that cannot be written is a usage error that says why, before any request", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sockit-o-" });
  try {
    const devices = "sockit cannot open devices other than the standard streams " +
      "(-, /dev/stdin, /dev/stdout, /dev/stderr, /dev/fd/0-2, /dev/null)";
    const cases: Array<[string, string]> = [
      ["/dev/full", devices],
      ["/dev/fd/5", devices],
      ["/dev/stdin", "it is an input stream"],
      [`${dir}/missing/out.txt`, `no such directory "${dir}/missing"`],
      [dir, "it is a directory"],
      ["", "empty path"],
    ];
    for (const [path, why] of cases) {
      await using server = new ReplayServer([OK, OK]);
      // The bad path is the second: the first URL is not fetched either.
      const result = await runSockit([
        "get",
        "-o",
        `${dir}/first.txt`,
        "-o",
        path,
        server.url("/1"),
        server.url("/2"),
      ]);
      assert.equal(result.code, 2, `${path}: ${result.err}`);
      assert.equal(
        result.err,
        `error: Cannot write -o "${path}": ${why}\nRun "sockit get --help" for usage.\n`,
      );
      assert.equal(server.requests.length, 0, `${path}: nothing sent`);
    }
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "--cacert - and --cacert /dev/stdin read the CA from stdin",
  ignore: !hasProgram("openssl"),
  async fn() {
    const pki = await makeTestPki(["localhost", "127.0.0.1"]);
    try {
      const ca = await Deno.readTextFile(pki.caCert);
      for (const path of ["-", "/dev/stdin", "/dev/fd/0"]) {
        await using server = new TlsReplayServer(
          pki,
          "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        );
        const url = `https://localhost:${server.port}/`;
        const result = await runSockit(["get", "--cacert", path, url], { stdin: ca });
        assert.equal(result.code, 0, `${path}: ${result.err}`);
        assert.equal(result.out, "ok");
      }
      for (
        const [path, stdin, why] of [
          ["/dev/full", "", "sockit cannot open devices other than the standard streams"],
          ["-", "not a certificate", 'no PEM "BEGIN CERTIFICATE" block'],
          [`${pki.dir}/missing.pem`, "", "no such file"],
        ]
      ) {
        const result = await runSockit(["get", "--cacert", path!, "https://localhost:1/"], {
          stdin: stdin!,
        });
        assert.equal(result.code, 2, `${path}: ${result.err}`);
        assert.match(result.err, new RegExp(`^error: Cannot (read|use) --cacert "[^"]*": ${why}`));
      }
    } finally {
      await pki.remove();
    }
  },
});

/**
 * A server that answers every request with a head and the first bytes of a body it never
 * finishes, and holds the connection open until disposed.
 */
class StallingServer implements AsyncDisposable {
  readonly #listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  readonly #conns: Deno.Conn[] = [];
  readonly #accepting: Promise<void>;

  constructor() {
    const listener = this.#listener;
    this.#accepting = (async () => {
      for await (const conn of listener) {
        this.#conns.push(conn);
        await conn.read(new Uint8Array(4096));
        await conn.write(
          new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nfirst bytes"),
        );
      }
    })().catch(() => {});
  }

  url(): string {
    return `http://127.0.0.1:${this.#listener.addr.port}/`;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#accepting;
    for (const conn of this.#conns) conn.close();
  }
}

for (const [signal, code] of [["SIGTERM", 143], ["SIGINT", 130]] as const) {
  Deno.test(`${signal} in the middle of an -o body removes the .part file and exits ${code}`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "sockit-part-" });
    try {
      await using server = new StallingServer();
      await using child = new Child(["get", "-v", "-o", `${dir}/out.bin`, server.url()]);
      // -v prints the response head, ended by a lone "<", once it has arrived.
      for (let line = await child.stderr.next(); line !== "<"; line = await child.stderr.next()) {
        assert.notEqual(line, null, "sockit ended before the response head");
      }
      const parts = [...Deno.readDirSync(dir)].map((entry) => entry.name);
      assert.equal(parts.length, 1);
      assert.match(parts[0]!, /^\.out\.bin\.[0-9a-f]+\.part$/);
      child.process.kill(signal);
      assert.equal((await child.process.status).code, code);
      assert.deepEqual([...Deno.readDirSync(dir)], [], "no file left behind");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("--json: Ctrl-C during the second URL still ends the output with an error object", async () => {
  await using done = new ReplayServer([OK]);
  await using stalled = new SilentServer();
  const { process } = spawnSockit(["get", "--json", done.url(), stalled.url()]);
  const stdout = new LineReader(process.stdout);
  const first = JSON.parse((await stdout.next())!);
  assert.equal(first.exit_code, 0);
  process.kill("SIGINT");
  const last = JSON.parse((await stdout.next())!);
  assert.deepEqual(last, { error: "Interrupted by SIGINT", exit_code: 130 });
  assert.equal(await stdout.next(), null);
  assert.equal((await process.status).code, 130);
  await process.stderr.cancel();
});

/** Runs sockit under `umask 027`, so that file modes do not depend on the test's own umask. */
async function runWithUmask027(args: string[]): Promise<{ code: number; err: string }> {
  const [cmd, ...pre] = sockitCommand();
  const { code, stderr } = await new Deno.Command("sh", {
    args: ["-c", 'umask 027; exec "$@"', "sh", cmd, ...pre, ...args],
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code, err: new TextDecoder().decode(stderr) };
}

Deno.test("-o creates a new file with mode 0666 less the umask, and an existing file keeps its mode", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sockit-mode-" });
  try {
    {
      await using server = new ReplayServer([OK]);
      const result = await runWithUmask027(["get", "-o", `${dir}/new.txt`, server.url()]);
      assert.equal(result.code, 0, result.err);
      assert.equal((await Deno.stat(`${dir}/new.txt`)).mode! & 0o777, 0o640);
    }
    {
      await Deno.writeTextFile(`${dir}/old.txt`, "old");
      await Deno.chmod(`${dir}/old.txt`, 0o604);
      await using server = new ReplayServer([OK]);
      const result = await runWithUmask027(["get", "-o", `${dir}/old.txt`, server.url()]);
      assert.equal(result.code, 0, result.err);
      assert.equal(await Deno.readTextFile(`${dir}/old.txt`), "ok");
      assert.equal((await Deno.stat(`${dir}/old.txt`)).mode! & 0o7777, 0o604);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a failed --expect-header shows the pattern and each value tried, one by one", async () => {
  await using server = new ReplayServer([
    "HTTP/1.1 200 OK\r\nX-A: 1\r\nX-A: 2\r\nContent-Length: 0\r\n\r\n",
  ]);
  const result = await runCli(["get", "--expect-header", "X-A: ^1, 2$", server.url()]);
  assert.equal(result.code, 1);
  assert.equal(
    result.err,
    'error: Check failed: --expect-header "X-A: ^1, 2$": no X-A value matches /^1, 2$/ ' +
      '(tried "1", "2"; repeated fields are matched one by one)\n',
  );
});

/** The frames of a progress bar as drawn on stderr: each starts with CR. */
function frames(err: string): string[] {
  return err.split("\r").slice(1).map((frame) => frame.trimEnd());
}

Deno.test("the progress bar's last frame shows the whole body, 100%", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sockit-progress-" });
  try {
    const body = new Uint8Array(3 * 1024 * 1024);
    {
      await using server = new ReplayServer([response(body)]);
      const result = await runCli(["get", "-o", `${dir}/a`, server.url()], {
        stderrIsTerminal: true,
      });
      assert.equal(result.code, 0, result.err);
      const drawn = frames(result.err);
      assert.ok(drawn.length >= 2, JSON.stringify(result.err));
      assert.match(drawn.at(-1)!, /^100% 3\.0 MiB of 3\.0 MiB {2}[\d.]+ [KMG]?i?B\/s$/);
      assert.ok(result.err.endsWith("\n"));
    }
    {
      // Without a length, the last frame shows the count received.
      await using server = new ReplayServer([
        {
          bytes: new Uint8Array([...new TextEncoder().encode("HTTP/1.1 200 OK\r\n\r\n"), ...body]),
        },
      ]);
      const result = await runCli(["get", "-o", `${dir}/b`, server.url()], {
        stderrIsTerminal: true,
      });
      assert.equal(result.code, 0, result.err);
      assert.match(frames(result.err).at(-1)!, /^3\.0 MiB {2}/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("get -s (--silent) draws no progress bar, even on a terminal", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sockit-silent-" });
  try {
    for (const flag of ["-s", "--silent"]) {
      await using server = new ReplayServer([response(new Uint8Array(3 * 1024 * 1024))]);
      const result = await runCli(["get", flag, "-o", `${dir}/a`, server.url()], {
        stderrIsTerminal: true,
      });
      assert.equal(result.code, 0, result.err);
      assert.equal(result.err, "", flag);
      assert.equal((await Deno.stat(`${dir}/a`)).size, 3 * 1024 * 1024);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--timing with several URLs labels each waterfall with its URL", async () => {
  await using server = new ReplayServer([OK, OK]);
  const result = await runCli(["get", "--timing", server.url("/a"), server.url("/b")]);
  assert.equal(result.code, 0, result.err);
  const lines = result.err.trimEnd().split("\n");
  assert.equal(lines.length, 14, result.err);
  assert.equal(lines[0], server.url("/a"));
  assert.match(lines[1]!, /^resolve +\d/);
  assert.match(lines[6]!, /^total +\d/);
  assert.equal(lines[7], server.url("/b"));
  assert.match(lines[13]!, /^total +\d/);
});

Deno.test("-I -o FILE and -i -o FILE write the head into FILE, as curl does", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sockit-head-" });
  try {
    const head = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n";
    {
      await using server = new ReplayServer([head]);
      const result = await runCli(["get", "-I", "-o", `${dir}/head`, server.url()]);
      assert.equal(result.code, 0, result.err);
      assert.equal(result.out, "");
      assert.equal(await Deno.readTextFile(`${dir}/head`), head);
      assert.match(server.requests[0]!, /^HEAD \/ HTTP\/1\.1\r\n/);
    }
    {
      await using server = new ReplayServer([OK]);
      const result = await runCli(["get", "-i", "-o", `${dir}/both`, server.url()]);
      assert.equal(result.code, 0, result.err);
      assert.equal(result.out, "");
      assert.equal(await Deno.readTextFile(`${dir}/both`), OK);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bodies of many URLs reach stdout whole and in order, small and large alike, a verdict after its body", async () => {
  const big = new TextEncoder().encode("b".repeat(300_000));
  const replies: Array<string | Uint8Array> = [];
  const expected: string[] = [];
  for (let i = 0; i < 20; i++) {
    const body = i % 5 === 4 ? big : new TextEncoder().encode(`body ${i}\n`);
    replies.push(response(body));
    expected.push(new TextDecoder().decode(body));
  }
  replies.push("HTTP/1.1 404 Not Found\r\nContent-Length: 8\r\n\r\nmissing\n", OK);
  await using server = new ReplayServer(replies);
  const urls = replies.map((_, i) => server.url(`/${i}`));
  const [cmd, ...pre] = sockitCommand();
  const { code, stdout } = await new Deno.Command("sh", {
    args: ["-c", '"$0" "$@" 2>&1', cmd, ...pre, "get", "--fail", ...urls],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.equal(code, 1);
  const failed = `error: Check failed: --fail: ${server.url("/20")} answered 404 Not Found\n`;
  assert.equal(new TextDecoder().decode(stdout), `${expected.join("")}missing\n${failed}ok`);
  assert.equal(server.connections, 1);
});

Deno.test("a stdout that cannot be written (/dev/full) is exit 70, said on stderr, however many URLs", async () => {
  await using server = new ReplayServer([OK, OK, OK]);
  const [cmd, ...pre] = sockitCommand();
  const urls = [server.url("/1"), server.url("/2"), server.url("/3")];
  const { code, stderr } = await new Deno.Command("sh", {
    args: ["-c", '"$0" "$@" >/dev/full', cmd, ...pre, "get", ...urls],
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(code, 70);
  const lines = new TextDecoder().decode(stderr).trimEnd().split("\n");
  assert.ok(lines.length >= 1, "at least one error line");
  for (const line of lines) {
    assert.equal(line, "error: Cannot write to stdout: no space left on device");
  }
});
