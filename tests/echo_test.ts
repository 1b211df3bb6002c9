/**
 * End-to-end tests of `sockit echo serve` and `sockit echo send`, driven through the CLI as a
 * subprocess over real loopback sockets.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  closedPort,
  EchoServerProcess,
  LineReader,
  patternBytes,
  runSockit,
  sockitCommand,
  spawnSockit,
} from "./_helpers.ts";

const MiB = 1024 * 1024;

/** Connects, sends `data`, half-closes, and returns everything the server sends back. */
async function echoOnce(port: number, data: Uint8Array): Promise<Uint8Array> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const [, received] = await Promise.all([
      (async () => {
        let offset = 0;
        while (offset < data.length) offset += await conn.write(data.subarray(offset));
        await conn.closeWrite();
      })(),
      new Response(conn.readable).bytes(),
    ]);
    return received;
  } finally {
    try {
      conn.close();
    } catch {
      // conn.readable closes the connection when the stream ends.
    }
  }
}

Deno.test("echo send streams 256 MiB of random bytes through echo serve exactly, with half-close", async () => {
  await using server = await EchoServerProcess.start();
  const total = 256 * MiB;
  const sentHash = createHash("sha256");
  let produced = 0;
  const input = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (produced >= total) return controller.close();
      const chunk = new Uint8Array(Math.min(MiB, total - produced));
      for (let i = 0; i < chunk.length; i += 65536) {
        crypto.getRandomValues(chunk.subarray(i, i + 65536));
      }
      sentHash.update(chunk);
      produced += chunk.length;
      controller.enqueue(chunk);
    },
  });
  const child = spawnSockit(["echo", "send", "--port", String(server.port), "--timeout", "2m"], {
    stdin: input,
  });
  const receivedHash = createHash("sha256");
  let received = 0;
  const [status, err] = await Promise.all([
    child.process.status,
    new Response(child.process.stderr).text(),
    child.process.stdout.pipeTo(
      new WritableStream({
        write(chunk) {
          receivedHash.update(chunk);
          received += chunk.length;
        },
      }),
    ),
  ]);
  assert.equal(err, "");
  assert.equal(status.code, 0);
  assert.equal(received, total);
  assert.equal(receivedHash.digest("hex"), sentHash.digest("hex"));
  const { code, events } = await server.stop();
  assert.equal(code, 0);
  const shutdown = JSON.parse(events.at(-1)!);
  assert.equal(shutdown.event, "shutdown");
  assert.equal(shutdown.bytes, total);
});

Deno.test("echo serve echoes 1 MiB exactly to each of 200 concurrent clients", async () => {
  await using server = await EchoServerProcess.start();
  const clients = Array.from({ length: 200 }, (_, i) => patternBytes(MiB, i + 1));
  const results = await Promise.all(clients.map((data) => echoOnce(server.port, data)));
  results.forEach((received, i) => {
    assert.equal(received.length, MiB, `client ${i} got ${received.length} bytes`);
    assert.ok(
      received.every((byte, j) => byte === clients[i]![j]),
      `client ${i} got different bytes`,
    );
  });
  const { code, events } = await server.stop();
  assert.equal(code, 0);
  const summary = JSON.parse(events.at(-1)!);
  assert.deepEqual(
    [summary.event, summary.connections, summary.bytes, summary.forced],
    ["shutdown", 200, 200 * MiB, 0],
  );
});

Deno.test("echo send reports an echo that differs and exits 1", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  // A server that reads everything, then answers with something else.
  const impostor = (async () => {
    const conn = await listener.accept();
    const buf = new Uint8Array(64);
    while (await conn.read(buf) !== null) { /* drain */ }
    await conn.write(new TextEncoder().encode("nope\n\n\n"));
    conn.close();
  })();
  const result = await runSockit([
    "echo",
    "send",
    "--port",
    String(listener.addr.port),
    "hello world",
  ]);
  await impostor;
  assert.equal(result.code, 1);
  assert.equal(result.out, "nope\n\n\n");
  assert.equal(
    result.err,
    "error: Echo mismatch: sent 12 bytes, received 7\n",
  );
});

Deno.test("echo send --json reports the exchange as one object", async () => {
  await using server = await EchoServerProcess.start();
  const result = await runSockit([
    "echo",
    "send",
    "--json",
    "--port",
    String(server.port),
    "hello world",
  ]);
  assert.equal(result.code, 0, result.err);
  const report = JSON.parse(result.out);
  assert.deepEqual(Object.keys(report).sort(), [
    "connect_ms",
    "error",
    "exit_code",
    "match",
    "received",
    "remote",
    "sent",
    "total_ms",
  ]);
  assert.deepEqual([report.error, report.exit_code], [null, 0]);
  assert.deepEqual([report.sent, report.received, report.match], [12, 12, true]);
  assert.equal(report.remote, `127.0.0.1:${server.port}`);
  assert.ok(report.connect_ms >= 0 && report.total_ms >= report.connect_ms);
});

Deno.test("a usage error under --json prints {error, exit_code} on stdout too", async () => {
  for (
    const args of [
      ["echo", "send", "--json", "--port", "99999", "hi"],
      ["echo", "send", "--json", "--prot", "1"],
      ["echo", "serve", "--json", "--grace", "soon"],
    ]
  ) {
    const result = await runSockit(args);
    assert.equal(result.code, 2, args.join(" "));
    const report = JSON.parse(result.out);
    assert.equal(report.exit_code, 2);
    assert.equal(`error: ${report.error}\n`, result.err.split("\n")[0] + "\n");
  }
});

Deno.test("echo send to a closed port exits 4 with connection refused", async () => {
  const port = closedPort();
  const result = await runSockit(["echo", "send", "--port", String(port), "hi"]);
  assert.equal(result.code, 4);
  assert.equal(result.err, `error: Cannot connect to 127.0.0.1:${port}: connection refused\n`);
  const json = await runSockit(["echo", "send", "--json", "--port", String(port), "hi"]);
  assert.equal(json.code, 4);
  assert.deepEqual(JSON.parse(json.out), {
    error: `Cannot connect to 127.0.0.1:${port}: connection refused`,
    exit_code: 4,
  });
});

Deno.test("echo send gives up on a silent server at --timeout and exits 5", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held = listener.accept();
  const result = await runSockit([
    "echo",
    "send",
    "--port",
    String(listener.addr.port),
    "--timeout",
    "300ms",
    "anyone there?",
  ]);
  (await held).close();
  assert.equal(result.code, 5);
  assert.equal(
    result.err,
    `error: Echo exchange with 127.0.0.1:${listener.addr.port}: timed out after 300ms\n`,
  );
});

Deno.test("usage errors exit 2 with a hint and no stack trace", async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [
      ["echo", "send", "--prot", "1"],
      /^error: Unknown option "--prot" for "sockit echo send": did you mean --port\?\n/,
    ],
    [["echo", "serv"], /^error: Unknown subcommand "echo serv": did you mean "echo serve"\?\n/],
    [["ecko"], /^error: Unknown command "ecko": did you mean "echo"\?\n/],
    [["echo", "send", "--timeout", "soon"], /^error: Invalid duration "soon" for --timeout: /],
    [
      ["echo", "send", "--port"],
      /^error: Missing value for option "--port" of "sockit echo send"\n/,
    ],
    [
      ["echo", "serve", "--port", "70000"],
      /^error: Invalid value "70000" for --port: out of range, expected 0 to 65535\n/,
    ],
    [
      ["echo", "serve", "--port", "-1"],
      /^error: Invalid value "-1" for --port: out of range, expected 0 to 65535\n/,
    ],
    [
      ["echo", "send", "--timeout", "-5", "x"],
      /^error: Invalid duration "-5" for --timeout: a duration cannot be negative\n/,
    ],
    [
      ["echo", "send", "--timeout", "2147484", "x"],
      /^error: Invalid duration "2147484" for --timeout: the longest accepted is 24d\n/,
    ],
    [
      ["echo", "send", "--port", "0", "x"],
      /^error: Invalid value "0" for --port: out of range, expected 1 to 65535\n/,
    ],
    [
      ["echo", "serve", "--unix", "/tmp/x.sock", "--port", "1"],
      /^error: Options --unix and --host\/--port cannot be used together\n/,
    ],
    [
      ["echo", "send", "a", "b"],
      /^error: Unexpected argument "b" for "sockit echo send": it takes at most 1\n/,
    ],
  ];
  for (const [args, pattern] of cases) {
    await t.step(args.join(" "), async () => {
      const result = await runSockit(args);
      assert.equal(result.code, 2);
      assert.match(result.err, pattern);
      assert.doesNotMatch(result.err, /\bat .*\.ts:\d+/);
      assert.equal(result.out, "");
    });
  }
});

Deno.test("echo send --emit-check leaves out, with a note, options that sending refuses together", async (t) => {
  // Sending refuses each of these lines; the check it would make is written all the same.
  const cases: Array<[string[], string]> = [
    [["--udp", "--unix", "/tmp/x.sock"], "--udp has no equivalent in a check: left out"],
    [["--udp", "--tls", "x"], "--tls has no equivalent in a check: left out"],
    [["--cacert", "ca.pem", "x"], "--cacert has no equivalent in a check: left out"],
    [["--servername", "a.test", "x"], "--servername has no equivalent in a check: left out"],
    [["--interval", "1s", "x"], "--interval has no equivalent in a check: left out"],
    [["--max-loss", "5", "x"], "--max-loss has no equivalent in a check: left out"],
  ];
  for (const [args, note] of cases) {
    await t.step(args.join(" "), async () => {
      const result = await runSockit(["echo", "send", "--emit-check", "--json", ...args]);
      assert.equal(result.code, 0, result.err);
      assert.ok(JSON.parse(result.out).notes.includes(note), result.out);
    });
  }
});

Deno.test("echo serve closes a connection that stays silent past --idle-timeout", async () => {
  await using server = await EchoServerProcess.start(["--idle-timeout", "200ms"]);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  const accepted = await server.events.until("accept");
  const closed = await server.events.until("close");
  assert.equal(closed.id, accepted.id);
  assert.equal(closed.reason, "idle");
  assert.equal(await conn.read(new Uint8Array(1)), null, "the client sees the close");
  conn.close();
  assert.equal((await server.stop()).code, 0);
});

Deno.test("echo serve turns away connections over --max-conns and serves them once a slot is free", async () => {
  await using server = await EchoServerProcess.start(["--max-conns", "1"]);
  const first = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  await first.write(new TextEncoder().encode("one"));
  const buf = new Uint8Array(3);
  assert.equal(await first.read(buf), 3, "the first connection is served");
  await server.events.until("accept");

  const second = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  const rejected = await server.events.until("reject");
  assert.deepEqual([rejected.reason, rejected.active], ["max-conns", 1]);
  assert.equal(await second.read(buf), null, "the rejected connection is closed at once");
  second.close();

  await first.closeWrite();
  assert.equal(await first.read(buf), null);
  first.close();
  await server.events.until("close");
  assert.deepEqual(
    await echoOnce(server.port, new TextEncoder().encode("third")),
    new TextEncoder().encode("third"),
  );
  const summary = JSON.parse((await server.stop()).events.at(-1)!);
  assert.deepEqual([summary.connections, summary.rejected], [2, 1]);
});

Deno.test("echo serve finishes an in-flight echo after SIGTERM, refuses new ones, and exits 0", async () => {
  await using server = await EchoServerProcess.start(["--grace", "30s"]);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  const firstHalf = patternBytes(MiB, 7);
  const secondHalf = patternBytes(MiB, 8);
  const reading = new Response(conn.readable).bytes();
  await conn.write(firstHalf).then(async (n) => {
    let offset = n;
    while (offset < firstHalf.length) offset += await conn.write(firstHalf.subarray(offset));
  });
  await server.events.until("accept");
  server.process.kill("SIGTERM");
  const stopping = await server.events.until("stopping");
  assert.equal(stopping.open, 1);
  await assert.rejects(
    Deno.connect({ hostname: "127.0.0.1", port: server.port }),
    Deno.errors.ConnectionRefused,
  );
  let offset = 0;
  while (offset < secondHalf.length) offset += await conn.write(secondHalf.subarray(offset));
  await conn.closeWrite();
  const echoed = await reading;
  assert.equal(echoed.length, 2 * MiB);
  assert.ok(echoed.subarray(0, MiB).every((b, i) => b === firstHalf[i]));
  assert.ok(echoed.subarray(MiB).every((b, i) => b === secondHalf[i]));
  const closed = await server.events.until("close");
  assert.deepEqual([closed.reason, closed.bytes], ["eof", 2 * MiB]);
  const [status, rest] = await Promise.all([server.process.status, server.events.rest()]);
  assert.equal(status.code, 0);
  const summary = JSON.parse(rest.at(-1)!);
  assert.deepEqual([summary.event, summary.connections, summary.forced], ["shutdown", 1, 0]);
});

Deno.test("echo serve stops gracefully at --timeout and on SIGINT, exiting 0 both times", async () => {
  const timed = await runSockit(["echo", "serve", "--port", "0", "--json", "--timeout", "100ms"]);
  assert.equal(timed.code, 0, timed.err);
  const events = timed.out.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(events.map((e) => e.event), ["listening", "stopping", "shutdown"]);
  assert.equal(events[2].reason, "--timeout of 100ms reached");

  await using server = await EchoServerProcess.start();
  const { code, events: rest } = await server.stop("SIGINT");
  assert.equal(code, 0);
  assert.deepEqual(rest.map((l) => JSON.parse(l).reason), ["received SIGINT", "received SIGINT"]);
});

Deno.test("echo serve --once serves one connection and exits 0", async () => {
  const child = spawnSockit(["echo", "serve", "--port", "0", "--once"]);
  const lines = new LineReader(child.process.stdout);
  const line = await lines.next();
  const port = Number(/^listening on 127\.0\.0\.1:(\d+)$/.exec(line ?? "")?.[1]);
  assert.ok(port > 0, `unexpected first line ${line}`);
  const echoed = await echoOnce(port, new TextEncoder().encode("just once"));
  assert.equal(new TextDecoder().decode(echoed), "just once");
  const [status, rest, err] = await Promise.all([
    child.process.status,
    lines.rest(),
    new Response(child.process.stderr).text(),
  ]);
  assert.equal(status.code, 0);
  assert.deepEqual(rest, []);
  assert.match(err, / INFO sockit\.echo accepted #1 from 127\.0\.0\.1:\d+ \(1 open\)\n/);
  assert.match(err, / INFO sockit\.echo served 1 connection .* echoed 9 bytes\n/);
});

Deno.test("echo serve and echo send work over a Unix socket", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/echo.sock`;
  try {
    const child = spawnSockit(["echo", "serve", "--unix", path, "--once", "--json"]);
    const events = new LineReader(child.process.stdout);
    assert.deepEqual(await events.nextJson(), { event: "listening", transport: "unix", path });
    const result = await runSockit(["echo", "send", "--unix", path, "over unix"]);
    assert.equal(result.code, 0, result.err);
    assert.equal(result.out, "over unix\n");
    const [status] = await Promise.all([
      child.process.status,
      events.rest(),
      new Response(child.process.stderr).text(),
    ]);
    assert.equal(status.code, 0);
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound, "the socket file is removed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("echo send --count measures round trips on one connection", async () => {
  await using server = await EchoServerProcess.start();
  const result = await runSockit([
    "echo",
    "send",
    "--json",
    "--count",
    "5",
    "--interval",
    "1ms",
    "--port",
    String(server.port),
  ]);
  assert.equal(result.code, 0, result.err);
  const lines = result.out.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, 6);
  assert.deepEqual(lines.slice(0, 5).map((l) => [l.event, l.seq, l.bytes]), [
    ["reply", 1, 64],
    ["reply", 2, 64],
    ["reply", 3, 64],
    ["reply", 4, 64],
    ["reply", 5, 64],
  ]);
  const summary = lines[5];
  assert.equal(summary.event, "summary");
  assert.equal(summary.count, 5);
  assert.ok(summary.min_ms <= summary.p50_ms && summary.p50_ms <= summary.max_ms);
  // All five round trips went over one connection.
  const accepted = await server.events.until("accept");
  const closed = await server.events.until("close");
  assert.deepEqual([closed.id, closed.bytes], [accepted.id, 5 * 64]);
  const text = await runSockit([
    "echo",
    "send",
    "-c",
    "2",
    "-i",
    "1ms",
    "-p",
    String(server.port),
    "hi",
  ]);
  assert.equal(text.code, 0, text.err);
  assert.match(
    text.out,
    new RegExp(`^ECHO 127\\.0\\.0\\.1:${server.port}: 3 bytes per round trip\n`),
  );
  assert.match(text.out, /\n3 bytes from 127\.0\.0\.1:\d+: seq=2 time=[\d.]+ m?s\n/);
  assert.match(
    text.out,
    /\n2 round trips, min\/avg\/p50\/p99\/max = [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms\n$/,
  );
  assert.equal((await server.stop()).code, 0);
});

Deno.test("echo serve keeps its memory flat for a client that never reads, and serves others meanwhile", async () => {
  await using server = await EchoServerProcess.start(["--idle-timeout", "1s"]);
  const pid = server.process.pid;
  // Warm up, so that the baseline includes the code paths of a connection.
  await echoOnce(server.port, patternBytes(MiB, 1));
  const peakBefore = await peakRssKiB(pid);

  const hog = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  const chunk = patternBytes(MiB, 2);
  let written = 0;
  let writeError: unknown;
  const { promise: pushedBack, resolve: reachedMiB } = Promise.withResolvers<void>();
  const writing = (async () => {
    try {
      while (written < 512 * MiB) {
        written += await hog.write(chunk);
        if (written >= 2 * MiB) reachedMiB();
      }
    } catch (error) {
      // The server closes the stalled connection (idle timeout), which ends the writes.
      writeError = error;
    }
  })();
  // Socket buffers take at least 2 MiB on loopback. If the writes end before that, the test
  // fails here instead of waiting for a promise that nothing will resolve.
  await Promise.race([pushedBack, writing]);
  assert.ok(
    written >= 2 * MiB,
    `the hog's writes ended after ${written} bytes: ${writeError}`,
  );
  // Another client is served while the hog is stuck.
  const other = patternBytes(MiB, 3);
  assert.deepEqual(await echoOnce(server.port, other), other);
  // The server closes the hog once no byte has moved for a second: it had stopped reading.
  let closed = await server.events.until("close");
  while (closed.reason !== "idle") closed = await server.events.until("close");
  const peakAfter = await peakRssKiB(pid);
  hog.close();
  await writing;
  assert.ok(
    written < 512 * MiB,
    `the server read everything (${written} bytes) instead of pushing back`,
  );
  const grownMiB = (peakAfter - peakBefore) / 1024;
  assert.ok(
    grownMiB < 8,
    `peak memory grew by ${grownMiB.toFixed(1)} MiB while a client did not read`,
  );
  assert.equal((await server.stop()).code, 0);
});

async function peakRssKiB(pid: number): Promise<number> {
  // Deno reads /proc only with --allow-all, so ask cat.
  const output = await new Deno.Command("cat", { args: [`/proc/${pid}/status`] }).output();
  const status = new TextDecoder().decode(output.stdout);
  return Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1]);
}

Deno.test("echo send stops quietly with exit 141 when its stdout's reader goes away", async () => {
  await using server = await EchoServerProcess.start();
  const [cmd, ...pre] = sockitCommand();
  // The pipeline's reader takes 10 bytes of a 16 MiB echo, then goes away.
  const shell = new Deno.Command("bash", {
    args: [
      "-c",
      `head -c 16777216 /dev/zero | "$0" "$@" echo send --port ${server.port} | head -c 10 >/dev/null; echo "\${PIPESTATUS[1]}"`,
      cmd,
      ...pre,
    ],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  });
  const { stdout, stderr } = await shell.output();
  assert.equal(new TextDecoder().decode(stdout).trim(), "141");
  assert.equal(new TextDecoder().decode(stderr), "");
});
