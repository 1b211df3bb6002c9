/**
 * sockit's echo against real peers from Debian: netcat-openbsd and socat as clients of
 * `echo serve`, and `echo send` against socat's PIPE echo server. A missing peer is reported and
 * its test ignored.
 */
import assert from "node:assert/strict";
import { EchoServerProcess, hasProgram, patternBytes, runSockit } from "./_helpers.ts";

/** Runs a program with stdin bytes; returns its exit code and stdout. */
async function runPeer(
  cmd: string,
  args: string[],
  stdin: Uint8Array,
): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
  const child = new Deno.Command(cmd, { args, stdin: "piped", stdout: "piped", stderr: "piped" })
    .spawn();
  const writer = child.stdin.getWriter();
  const feeding = writer.write(stdin).then(() => writer.close());
  const [status, stdout, stderr] = await Promise.all([
    child.status,
    new Response(child.stdout).bytes(),
    new Response(child.stderr).text(),
    feeding,
  ]);
  return { code: status.code, stdout, stderr };
}

Deno.test({
  name: "printf hello | nc -N prints hello from echo serve and exits",
  ignore: !hasProgram("nc"),
  async fn() {
    await using server = await EchoServerProcess.start();
    const result = await runPeer(
      "nc",
      ["-N", "127.0.0.1", String(server.port)],
      new TextEncoder().encode("hello"),
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(new TextDecoder().decode(result.stdout), "hello");
    const closed = await server.events.until("close");
    assert.deepEqual([closed.reason, closed.bytes], ["eof", 5]);
  },
});

Deno.test({
  name: "socat as a client gets 4 MiB of binary data back exactly from echo serve",
  ignore: !hasProgram("socat"),
  async fn() {
    await using server = await EchoServerProcess.start();
    const data = patternBytes(4 * 1024 * 1024, 42);
    const result = await runPeer("socat", ["-", `TCP:127.0.0.1:${server.port}`], data);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.length, data.length);
    assert.ok(result.stdout.every((b, i) => b === data[i]), "socat received different bytes");
  },
});

Deno.test({
  name: "echo send verifies its stream against socat's PIPE echo server",
  ignore: !hasProgram("socat"),
  async fn() {
    const socat = new Deno.Command("socat", {
      args: ["-d", "-d", "TCP-LISTEN:0,bind=127.0.0.1,reuseaddr,fork", "PIPE"],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const stderr = socat.stderr.pipeThrough(new TextDecoderStream()).getReader();
    try {
      let seen = "";
      let port = 0;
      while (!port) {
        const { value, done } = await stderr.read();
        assert.ok(!done, `socat exited before listening: ${seen}`);
        seen += value;
        port = Number(/listening on AF=2 127\.0\.0\.1:(\d+)/.exec(seen)?.[1] ?? 0);
      }
      const data = patternBytes(8 * 1024 * 1024, 9);
      const result = await runSockit(["echo", "send", "--port", String(port)], { stdin: data });
      assert.equal(result.code, 0, result.err);
      assert.equal(result.stdout.length, data.length);
      assert.ok(result.stdout.every((b, i) => b === data[i]));
      const json = await runSockit(["echo", "send", "--json", "--port", String(port), "via socat"]);
      assert.equal(json.code, 0, json.err);
      assert.deepEqual(
        [JSON.parse(json.out).sent, JSON.parse(json.out).received, JSON.parse(json.out).match],
        [10, 10, true],
      );
    } finally {
      socat.kill("SIGTERM");
      await socat.status;
      await stderr.cancel();
    }
  },
});
