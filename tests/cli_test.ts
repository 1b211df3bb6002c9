/**
 * The conventions every command shares, checked through the CLI: help with examples, version,
 * the trace, logs, the demo.
 */
import assert from "node:assert/strict";
import {
  buildUnderTest,
  closedPort,
  EchoServerProcess,
  LineReader,
  runSockit,
  spawnSockit,
} from "./_helpers.ts";

const COMMANDS = [["echo", "serve"], ["echo", "send"], ["resolve"], ["get"], ["wait"], ["demo"]];

Deno.test("every command's --help has a synopsis, options with defaults and examples", async (t) => {
  for (const words of COMMANDS) {
    await t.step(words.join(" "), async () => {
      const result = await runSockit([...words, "--help"]);
      assert.equal(result.code, 0);
      assert.equal(result.err, "");
      assert.match(result.out, new RegExp(`^sockit ${words.join(" ")}: `));
      assert.match(result.out, /\nUsage:\n {2}sockit /);
      assert.match(result.out, /\nCommon options:\n/);
      for (
        const option of ["--json", "--quiet", "--verbose", "--trace", "--timeout", "--no-color"]
      ) {
        assert.match(result.out, new RegExp(` ${option}\\b`), `${option} missing`);
      }
      const examples = result.out.split("\nExamples:\n")[1] ?? "";
      assert.ok((examples.match(/^ {2}[^ #]/gm) ?? []).length >= 2, "at least two examples");
      const viaHelp = await runSockit(["help", ...words]);
      assert.equal(viaHelp.out, result.out);
    });
  }
});

Deno.test("echo serve --help shows each option's default", async () => {
  const { out } = await runSockit(["echo", "serve", "--help"]);
  assert.match(out, /--host HOST +Address to bind \(default: 127\.0\.0\.1\)/);
  assert.match(out, /-p, --port PORT +.*\(default: 35555\)/);
  assert.match(out, /--idle-timeout DURATION +.*\(default: 60s\)/);
  assert.match(out, /--grace DURATION +.*\(default: 5s\)/);
});

Deno.test("sockit with no command prints the help on stderr and exits 2; --help exits 0", async () => {
  const bare = await runSockit([]);
  assert.equal(bare.code, 2);
  assert.equal(bare.out, "");
  assert.match(bare.err, /^sockit \d+\.\d+\.\d+: /);
  const help = await runSockit(["--help"]);
  assert.equal(help.code, 0);
  assert.equal(help.out, bare.err);
  assert.match(help.out, /\nExit codes:\n {4}0 {2}success\n {4}1 {2}a check failed/);
  assert.match(help.out, /\n {2}130 {2}interrupted \(SIGINT\)\n {2}141 {2}stdout was closed/);
});

Deno.test("--version prints the version from deno.json, the target, the commit and the build", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  const result = await runSockit(["--version"]);
  assert.equal(result.code, 0);
  const build = buildUnderTest();
  assert.match(
    result.out,
    new RegExp(
      `^sockit ${config.version.replaceAll(".", "\\.")} \\(deno \\d+\\.\\d+\\.\\d+, ` +
        `${Deno.build.target}, commit ([0-9a-f]{7,}(-dirty)?|unknown), ${build}\\)\n$`,
    ),
  );
  const json = await runSockit(["--version", "--json"]);
  assert.equal(json.code, 0);
  const info = JSON.parse(json.out);
  assert.deepEqual(Object.keys(info), ["version", "deno", "target", "commit", "build"]);
  assert.deepEqual([info.version, info.target, info.build], [
    config.version,
    Deno.build.target,
    build,
  ]);
  // A checkout knows no commit; a build is stamped with the one it was made from.
  if (build === "source") assert.equal(info.commit, "unknown");
  else assert.match(info.commit, /^[0-9a-f]{7,}(-dirty)?$/);
  const extra = await runSockit(["--version", "--yes"]);
  assert.equal(extra.code, 2);
  assert.match(extra.err, /^error: Unexpected argument "--yes" for "sockit --version"\n/);
});

Deno.test("the command word version answers as --version does, as SECURITY.md asks for it", async () => {
  const security = await Deno.readTextFile(new URL("../SECURITY.md", import.meta.url));
  assert.match(security, /`sockit version --json`/);
  for (const args of [["version"], ["version", "--json"]]) {
    const [word, flag] = await Promise.all([
      runSockit(args),
      runSockit(["--version", ...args.slice(1)]),
    ]);
    assert.equal(word.code, 0, word.err);
    assert.equal(word.err, "");
    assert.equal(word.out, flag.out);
  }
  assert.deepEqual(Object.keys(JSON.parse((await runSockit(["version", "--json"])).out)), [
    "version",
    "deno",
    "target",
    "commit",
    "build",
  ]);
  const extra = await runSockit(["version", "--yes"]);
  assert.equal(extra.code, 2);
  assert.match(extra.err, /^error: Unexpected argument "--yes" for "sockit version"\n/);
  assert.match((await runSockit(["--help"])).out, /\n {2}version +the version/);
  for (const args of [["help", "version"], ["version", "--help"], ["--version", "-h"]]) {
    const help = await runSockit(args);
    assert.equal(help.code, 0, help.err);
    assert.match(help.out, /^Usage:\n {2}sockit version \[--json\]\n/);
  }
});

Deno.test("--trace shows each socket step with byte counts, times and escaped bytes on stderr", async () => {
  await using server = await EchoServerProcess.start();
  const result = await runSockit([
    "echo",
    "send",
    "--trace",
    "--port",
    String(server.port),
    'say "hi"\t',
  ]);
  assert.equal(result.code, 0, result.err);
  assert.equal(result.out, 'say "hi"\t\n');
  const steps = result.err.trim().split("\n").filter((l) => / TRACE /.test(l)).map((line) => {
    const m = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z TRACE sockit\.trace \+\d+\.\d{3}ms (.*)$/
      .exec(line);
    return m?.[1] ?? `unexpected line: ${line}`;
  });
  const port = server.port;
  assert.deepEqual(steps.filter((s) => !s.startsWith("connected")), [
    `connect 127.0.0.1:${port}`,
    'send 10 bytes "say \\"hi\\"\\t\\n"',
    "shutdown write side, after 10 bytes",
    'recv 10 bytes "say \\"hi\\"\\t\\n"',
    "recv EOF (server closed)",
    "close",
  ]);
  assert.match(
    steps[1]!,
    new RegExp(`^connected 127\\.0\\.0\\.1:${port} \\(local 127\\.0\\.0\\.1:\\d+\\)$`),
  );
});

Deno.test("--quiet prints nothing on success; the exit code tells", async () => {
  await using server = await EchoServerProcess.start();
  const result = await runSockit(["echo", "send", "-q", "--port", String(server.port), "shh"]);
  assert.deepEqual([result.code, result.out, result.err], [0, "", ""]);
});

Deno.test("get -q prints nothing but errors, as every command's -q; -s only hides the progress bar", async () => {
  let requests = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) =>
      new URL(request.url).pathname === "/flaky" && requests++ % 2 === 0
        ? new Response("busy", { status: 503 })
        : new Response("the body\n"),
  );
  try {
    const url = `http://127.0.0.1:${server.addr.port}/`;
    const quiet = await runSockit(["get", "-q", url]);
    assert.deepEqual([quiet.code, quiet.out, quiet.err], [0, "", ""]);
    // A retry is not an error: -q leaves its warning out, and the body too.
    const retried = await runSockit([
      "get",
      "-q",
      "--retry",
      "1",
      "--retry-delay",
      "1ms",
      `${url}flaky`,
    ]);
    assert.deepEqual([retried.code, retried.out, retried.err], [0, "", ""]);
    const loud = await runSockit(["get", "--retry", "1", "--retry-delay", "1ms", `${url}flaky`]);
    assert.match(loud.err, /^warning: .* answered 503; retry 1 of 1/m);
    const failed = await runSockit(["get", "-q", "--fail", `${url}flaky`]);
    assert.equal(failed.code, 1);
    assert.equal(failed.out, "");
    assert.match(failed.err, /^error: /m);
    // What is asked for by name is still written: -o -, --json.
    const named = await runSockit(["get", "-q", "-o", "-", url]);
    assert.deepEqual([named.code, named.out, named.err], [0, "the body\n", ""]);
    const json = await runSockit(["get", "-q", "--json", url]);
    assert.equal(JSON.parse(json.out).status, 200);
    for (const flag of ["-s", "--silent"]) {
      const silent = await runSockit(["get", flag, url]);
      assert.deepEqual([silent.code, silent.out, silent.err], [0, "the body\n", ""], flag);
    }
  } finally {
    await server.shutdown();
  }
});

Deno.test("--verbose adds debug logs as time LEVEL logger message lines", async () => {
  await using server = await EchoServerProcess.start();
  const result = await runSockit(["echo", "send", "-v", "--port", String(server.port), "v"]);
  assert.equal(result.code, 0);
  assert.match(
    result.err,
    /^\d{4}-\d\d-\d\dT[\d:.]+Z DEBUG sockit\.echo 2 bytes sent, 2 received from 127\.0\.0\.1:\d+ in [\d.]+ m?s\n$/,
  );
});

Deno.test("demo runs offline, shows the trace and exits 0", async () => {
  const result = await runSockit(["demo"]);
  assert.equal(result.code, 0, result.err);
  assert.match(result.out, /listening on 127\.0\.0\.1:\d+\n/);
  assert.match(result.out, /\nhello from the sockit demo\n/);
  assert.match(result.out, /the echo matched what was sent, byte for byte\n/);
  assert.match(result.out, /\nlocalhost through the system resolver: 127\.0\.0\.1 \(IPv4\)/);
  assert.match(
    result.out,
    /\ndemo\.sockit\.test A from the responder at 127\.0\.0\.1#\d+: 192\.0\.2\.7 \(NOERROR, /,
  );
  assert.match(
    result.out,
    /\ndemo\.sockit\.test AAAA from the responder at 127\.0\.0\.1#\d+: 2001:db8::7 /,
  );
  assert.match(
    result.out,
    /\nnope\.sockit\.test A: NXDOMAIN, which sockit resolve reports with exit 3\n/,
  );
  assert.match(result.out, /\nGET \/first: 200, 32 bytes, on a new connection\n/);
  assert.match(
    result.out,
    /\nGET \/second: 200, 18 bytes, on the same connection \(kept alive\), chunked body\n/,
  );
  assert.match(
    result.err,
    / TRACE sockit\.trace \+[\d.]+ms recv \d+ bytes "HTTP\/1\.1 200 OK\\r\\nContent-Type: text\/plain\\r\\nTransfer-Encoding: chunked/,
  );
  assert.match(
    result.err,
    / TRACE sockit\.trace \+[\d.]+ms send 27 bytes "hello from the sockit demo\\n"\n/,
  );
  assert.match(result.err, / INFO sockit\.echo accepted #1 from 127\.0\.0\.1:\d+/);
  assert.match(
    result.out,
    /\nwaiting for tcp:\/\/127\.0\.0\.1:\d+, which opens in 300 ms\nready after \d+ attempts, /,
  );
});

/**
 * Runs sockit, reads its first line of stdout and closes the pipe, as `| head -1` does; returns
 * the exit code, stderr, and how long the process lived after the pipe was closed. A process
 * still running after `limitMs` is killed (and the code is then the kill's).
 */
async function firstLineThenClose(
  args: string[],
  limitMs: number,
): Promise<{ code: number; err: string; afterCloseMs: number }> {
  const { process } = spawnSockit(args);
  const stderr = new Response(process.stderr).text();
  const lines = new LineReader(process.stdout);
  assert.notEqual(await lines.next(), null);
  await lines.cancel();
  const closed = performance.now();
  const killer = setTimeout(() => process.kill("SIGKILL"), limitMs);
  const status = await process.status;
  clearTimeout(killer);
  return { code: status.code, err: await stderr, afterCloseMs: performance.now() - closed };
}

Deno.test("a client stops at its next write once its stdout's reader has gone, exit 141 and no message", async () => {
  const url = `http://127.0.0.1:${closedPort()}/`;
  await using server = await EchoServerProcess.start();
  for (
    const args of [
      ["wait", "--json", "-v", "--timeout", "20s", url],
      ["wait", "--json", "-v", "--timeout", "0", url],
      ["echo", "send", "--port", String(server.port), "--count", "20", "--interval", "500ms", "hi"],
      [
        "echo",
        "send",
        "--json",
        "--port",
        String(server.port),
        "--count",
        "20",
        "--interval",
        "500ms",
      ],
    ]
  ) {
    const result = await firstLineThenClose(args, 8000);
    const what = args.join(" ");
    assert.equal(result.code, 141, `${what}: ${result.err}`);
    assert.doesNotMatch(result.err, /^error:|Uncaught|\n\s+at /m, what);
    // The next write comes within one --interval (500ms): far less than the run would take.
    assert.ok(result.afterCloseMs < 3000, `${what}: ran ${result.afterCloseMs} ms after the close`);
  }
});

/** Runs sockit to completion, killing it after `limitMs` (a run that would never end). */
async function runWithin(
  args: string[],
  limitMs: number,
): Promise<{ code: number; out: string; err: string }> {
  const { process } = spawnSockit(args);
  const killer = setTimeout(() => process.kill("SIGKILL"), limitMs);
  const [status, out, err] = await Promise.all([
    process.status,
    new Response(process.stdout).text(),
    new Response(process.stderr).text(),
  ]);
  clearTimeout(killer);
  return { code: status.code, out, err };
}

Deno.test("a duration under a millisecond is a limit of that length in every command and spec key, shown as asked", async () => {
  const port = closedPort();
  // A listener that accepts and never answers: an echo check against it can only time out.
  using silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of silent) held.push(conn);
  })().catch(() => {});
  const dir = await Deno.makeTempDir();
  try {
    const wait = await runWithin(["wait", "--timeout", "0.0004", `127.0.0.1:${port}`], 8000);
    assert.equal(wait.code, 5, wait.err);
    assert.match(wait.err, /^error: Timed out after 0\.4ms: 1 of 1 target not ready/m);
    const get = await runWithin(["get", "--max-time", "0.0001", `http://127.0.0.1:${port}/`], 8000);
    assert.equal(get.code, 5, get.err);
    assert.match(get.err, /timed out after 0\.1ms/);
    const echo = `{ host: 127.0.0.1, port: ${silent.addr.port} }`;
    const spec = `${dir}/spec.yaml`;
    await Deno.writeTextFile(spec, `version: 1\nchecks:\n  - name: silent\n    echo: ${echo}\n`);
    const run = await runWithin(["check", "--timeout", "0.0001", spec], 8000);
    assert.equal(run.code, 1, run.out + run.err);
    assert.match(run.out, /Not finished within the run's --timeout of 0\.1ms/);
    const keyed = `${dir}/keyed.yaml`;
    await Deno.writeTextFile(
      keyed,
      `version: 1\nchecks:\n  - name: silent\n    echo: ${echo}\n    timeout: 0.0004\n`,
    );
    const key = await runWithin(["check", keyed], 8000);
    assert.equal(key.code, 1, key.out + key.err);
    assert.match(key.out, /timed out after 0\.4ms/);
  } finally {
    silent.close();
    await accepting;
    for (const conn of held) conn.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an input file past 16 MiB is refused at the limit, not read whole: /dev/zero, a sparse 2 GB file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sockit-input-" });
  try {
    const sparse = `${dir}/sparse.txt`;
    await Deno.writeTextFile(sparse, "");
    await Deno.truncate(sparse, 2 * 1024 ** 3);
    for (const path of ["/dev/zero", sparse]) {
      const child = spawnSockit(["resolve", "-f", path]);
      // A watchdog, not a synchronisation: read whole, either input would run for many seconds
      // (/dev/zero forever) and take gigabytes.
      const watchdog = setTimeout(() => child.process.kill("SIGKILL"), 15_000);
      const [status, err] = await Promise.all([
        child.process.status,
        new Response(child.process.stderr).text(),
        child.process.stdout.cancel(),
      ]).finally(() => clearTimeout(watchdog));
      assert.equal(status.code, 2, `${path}: ${err}`);
      assert.match(err, new RegExp(`^error: Cannot read -f "${path}": larger than 16 MiB`), path);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
