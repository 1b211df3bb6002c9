/**
 * How commands end, across commands: deadlines racing a connect, a stdout whose reader goes away,
 * long durations, usage errors under --json, a ping stopped by a lost reply or Ctrl-C, and echo
 * send and demo output. Each test runs sockit over real loopback sockets.
 */
import assert from "node:assert/strict";
import {
  EchoServerProcess,
  LineReader,
  runSockit,
  sockitCommand,
  spawnSockit,
} from "./_helpers.ts";
import { runCli } from "./_http.ts";
import { startResponder } from "../lib/dns/responder.ts";
import { startHttpResponder } from "../lib/http/responder.ts";

/** A listener that accepts every connection and never answers; closing it closes them all. */
function acceptAndHold(): { port: number; close(): Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    try {
      for await (const conn of listener) held.push(conn);
    } catch {
      // closed
    }
  })();
  return {
    port: listener.addr.port,
    async close() {
      listener.close();
      await accepting;
      for (const conn of held) conn.close();
    },
  };
}

Deno.test("a deadline that fires during connect exits 5, 200 times out of 200, for -m 0 and -m 1ms", async () => {
  const server = acceptAndHold();
  try {
    const url = `http://127.0.0.1:${server.port}/`;
    for (const limit of ["0", "1ms"]) {
      const codes = new Map<number, number>();
      for (let i = 0; i < 200; i++) {
        const result = await runCli(["get", "-m", limit, url]);
        codes.set(result.code, (codes.get(result.code) ?? 0) + 1);
        assert.doesNotMatch(result.err, /Uncaught|BadResource|\n\s+at /, result.err);
      }
      assert.deepEqual([...codes], [[5, 200]], `exit codes for -m ${limit}`);
    }
    // Connections that landed after their deadline are closed by then: nothing leaks past the
    // test (the resource sanitizer would say so), and no close happened twice (the process
    // would have had an uncaught BadResource).
  } finally {
    await server.close();
  }
});

/** Runs `sockit ARGS | head ...` in bash; returns sockit's exit code and its stderr. */
async function pipedToHead(
  args: string[],
  head: string,
): Promise<{ code: number; err: string; out: string }> {
  const [cmd, ...pre] = sockitCommand();
  const dir = await Deno.makeTempDir();
  try {
    const shell = await new Deno.Command("bash", {
      args: [
        "-c",
        `"$0" "$@" 2>"${dir}/err" </dev/null | ${head}; echo "\${PIPESTATUS[0]}" >"${dir}/code"`,
        cmd,
        ...pre,
        ...args,
      ],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "inherit",
    }).output();
    return {
      code: Number(await Deno.readTextFile(`${dir}/code`)),
      err: await Deno.readTextFile(`${dir}/err`),
      out: new TextDecoder().decode(shell.stdout),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const NO_TRACE = /Uncaught|\n\s+at |OutputError|BrokenPipe/;

Deno.test("demo stops quietly with exit 141 when its reader goes away, text or JSON", async () => {
  for (const [args, head] of [[["demo", "--json"], "head -3"], [["demo"], "head -c 1"]] as const) {
    const result = await pipedToHead([...args], head);
    assert.equal(result.code, 141, `${args.join(" ")} | ${head}: ${result.err}`);
    assert.doesNotMatch(result.err, NO_TRACE);
    assert.doesNotMatch(result.err, /^error:/m);
  }
});

Deno.test("echo serve --json --timeout keeps serving after its reader goes away and exits 0", async () => {
  const result = await pipedToHead(
    ["echo", "serve", "--port", "0", "--json", "--timeout", "300ms"],
    "head -c 5",
  );
  assert.equal(result.code, 0, result.err);
  assert.doesNotMatch(result.err, NO_TRACE);
  assert.equal(result.out, '{"eve');
});

Deno.test("echo serve --json serves on, and exits 0 on SIGTERM, after its stdout is closed", async () => {
  const { process } = spawnSockit(["echo", "serve", "--port", "0", "--json", "-v"]);
  const events = new LineReader(process.stdout);
  const stderr = new Response(process.stderr).text();
  const listening = await events.nextJson();
  // What `| head -1` does: read one line, then close the pipe.
  await events.cancel();
  const port = listening.port as number;
  // Each echo makes the server write accept and close events into the closed pipe.
  for (let i = 0; i < 3; i++) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode("still here"));
    await conn.closeWrite();
    assert.equal(await new Response(conn.readable).text(), "still here");
  }
  process.kill("SIGTERM");
  const [status, err] = await Promise.all([process.status, stderr]);
  assert.equal(status.code, 0, err);
  assert.doesNotMatch(err, NO_TRACE);
  assert.match(err, /DEBUG sockit\.echo stdout was closed by its reader: \d+ lines not written/);
  assert.match(err, /served 3 connections/);
});

Deno.test("a long --timeout holds instead of firing at once", async () => {
  // 20 days is past nothing, but 2^31-1 ms is about 24.8 days: values near it used to overflow
  // the timer and stop the server on the spot.
  await using server = await EchoServerProcess.start(["--timeout", "20d"]);
  const sent = await runSockit([
    "echo",
    "send",
    "--timeout",
    "24d",
    "--port",
    String(server.port),
    "ok",
  ]);
  assert.equal(sent.code, 0, sent.err);
  const { code, events } = await server.stop("SIGTERM");
  assert.equal(code, 0);
  const stopping = events.map((line) => JSON.parse(line)).find((e) => e.event === "stopping");
  assert.equal(stopping?.reason, "received SIGTERM");
});

/** An echo server that echoes the first `answered` round trips of `size` bytes, then goes quiet. */
function echoThenSilence(size: number, answered: number): { port: number; close(): Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const serving = (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      const buf = new Uint8Array(size);
      try {
        for (let i = 0; i < answered; i++) {
          let got = 0;
          while (got < size) {
            const n = await conn.read(buf.subarray(got));
            if (n === null) return;
            got += n;
          }
          await conn.write(buf);
        }
      } catch {
        return;
      }
    }
  })().catch(() => {});
  return {
    port: listener.addr.port,
    async close() {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch { /* closed */ }
      }
      await serving;
    },
  };
}

Deno.test("echo send --count runs longer than --timeout when each round trip is fast", async () => {
  await using server = await EchoServerProcess.start();
  // 6 round trips 100ms apart take 500ms; --timeout 200ms bounds each one, not the run.
  const result = await runSockit([
    "echo",
    "send",
    "--count",
    "6",
    "--interval",
    "100ms",
    "--timeout",
    "200ms",
    "--port",
    String(server.port),
    "ping",
  ]);
  assert.equal(result.code, 0, result.err);
  assert.match(result.out, /\n6 round trips, min\/avg/);
});

Deno.test("a ping stopped by a lost reply still prints its statistics, then exits 5", async () => {
  const server = echoThenSilence(5, 2);
  try {
    const args = ["echo", "send", "-c", "5", "-i", "1ms", "--timeout", "150ms"];
    const text = await runSockit([...args, "--port", String(server.port), "ping"]);
    assert.equal(text.code, 5, text.err);
    assert.match(text.out, /: seq=2 time=/);
    assert.match(text.out, /\n2 of 5 round trips, min\/avg\/p50\/p99\/max = [\d./]+ ms\n$/);
    assert.equal(text.err, "error: Echo reply 3: timed out after 150ms\n");
  } finally {
    await server.close();
  }
  const again = echoThenSilence(5, 1);
  try {
    const json = await runSockit([
      "echo",
      "send",
      "-c",
      "3",
      "-i",
      "1ms",
      "--timeout",
      "100ms",
      "--json",
      "--port",
      String(again.port),
      "ping",
    ]);
    assert.equal(json.code, 5);
    const lines = json.out.trim().split("\n").map((line) => JSON.parse(line));
    assert.equal(lines.length, 2, json.out);
    const summary = lines[1];
    assert.equal(summary.event, "summary");
    assert.deepEqual([summary.count, summary.requested, summary.exit_code], [1, 3, 5]);
    assert.equal(summary.error, "Echo reply 2: timed out after 100ms");
  } finally {
    await again.close();
  }
});

Deno.test("Ctrl-C during a ping prints the statistics so far and exits 130", async () => {
  await using server = await EchoServerProcess.start();
  const { process } = spawnSockit([
    "echo",
    "send",
    "-c",
    "1000",
    "-i",
    "50ms",
    "--port",
    String(server.port),
    "x",
  ]);
  const lines = new LineReader(process.stdout);
  const stderr = new Response(process.stderr).text();
  assert.match((await lines.next())!, /^ECHO /);
  assert.match((await lines.next())!, /seq=1 /);
  process.kill("SIGINT");
  const rest = await lines.rest();
  const [status, err] = await Promise.all([process.status, stderr]);
  assert.equal(status.code, 130, err);
  assert.equal(err, "");
  assert.match(rest.at(-1)!, /^\d+ of 1000 round trips, min\/avg/);
});

Deno.test("echo send --count 1 says 1 round trip, not 1 round trips", async () => {
  await using server = await EchoServerProcess.start();
  const result = await runSockit(["echo", "send", "-c", "1", "--port", String(server.port), "x"]);
  assert.equal(result.code, 0, result.err);
  assert.match(result.out, /\n1 round trip, min\/avg/);
});

Deno.test("echo send -n sends MESSAGE without the newline", async () => {
  await using server = await EchoServerProcess.start();
  const result = await runSockit(["echo", "send", "-n", "--port", String(server.port), "bare"]);
  assert.deepEqual([result.code, result.out], [0, "bare"]);
  const json = await runSockit(["echo", "send", "-n", "--json", "-p", String(server.port), "x"]);
  assert.equal(JSON.parse(json.out).sent, 1);
});

Deno.test("demo --json prints one JSON line per step and no text", async () => {
  const result = await runSockit(["demo", "--json"]);
  assert.equal(result.code, 0, result.err);
  const lines = result.out.trim().split("\n").map((line) => JSON.parse(line));
  assert.deepEqual(lines.map((l) => `${l.step} ${l.event}`), [
    "1 listening",
    "2 echo",
    "3 shutdown",
    "4 resolve",
    "4 resolve",
    "4 resolve",
    "4 resolve",
    "5 get",
    "5 get",
    "6 wait",
    "7 check",
    "8 udp",
  ]);
  assert.equal(lines[1].match, true);
  assert.deepEqual(lines.slice(7, 9).map((l) => l.connection_reused), [false, true]);
  assert.equal(lines[9].ready, true);
  assert.deepEqual(lines[6].answers, []);
  assert.equal(lines[6].status, "NXDOMAIN");
});

Deno.test("every command meets a reader that goes away without a stack trace, with its documented exit", async () => {
  await using server = await EchoServerProcess.start();
  const big = "x".repeat(1024 * 1024);
  await using http = startHttpResponder([
    `HTTP/1.1 200 OK\r\nContent-Length: ${big.length}\r\n\r\n${big}`,
  ]);
  await using dns = await startResponder({ "a.test": ["192.0.2.1"] });
  const dir = await Deno.makeTempDir();
  try {
    // Enough names that the answers overflow the pipe after head has gone.
    await Deno.writeTextFile(`${dir}/names`, "a.test\n".repeat(3000));
    const clients: Array<[string[], string]> = [
      // One argument holds at most 128 KiB; 100 KB is more than a pipe's 64 KiB.
      [["echo", "send", "--port", String(server.port), big.slice(0, 100_000)], "head -c 10"],
      [["get", http.url("/")], "head -c 10"],
      [["resolve", `@127.0.0.1:${dns.server.port}`, "-f", `${dir}/names`], "head -1"],
      [["demo"], "head -c 1"],
    ];
    for (const [args, head] of clients) {
      const result = await pipedToHead(args, head);
      assert.equal(result.code, 141, `${args[0]} | ${head}: ${result.err}`);
      assert.doesNotMatch(result.err, NO_TRACE);
      // No error either; the demo's stderr is its trace, the others have nothing to say.
      if (args[0] === "demo") assert.doesNotMatch(result.err, /^error:/m);
      else assert.equal(result.err, "", `${args[0]} | ${head}`);
    }
    // A server keeps serving and stops with 0.
    const serve = await pipedToHead(
      ["echo", "serve", "--port", "0", "--json", "--timeout", "200ms"],
      "head -c 1",
    );
    assert.equal(serve.code, 0, serve.err);
    assert.doesNotMatch(serve.err, NO_TRACE);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
