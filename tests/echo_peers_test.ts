/**
 * sockit's echo against real peers from Debian: netcat-openbsd and socat as clients of
 * `echo serve` (TCP and UDP), `openssl s_client` and ncat as clients of `echo serve --tls`, and
 * `echo send` against socat's PIPE echo servers (TCP, UDP and OPENSSL, with a valid and an
 * expired certificate). A missing peer is reported and its test ignored.
 */
import assert from "node:assert/strict";
import { EchoServerProcess, hasProgram, patternBytes, runSockit } from "./_helpers.ts";
import { freeUdpPort } from "./_dns.ts";
import { addServerCert, makeTestPki } from "./_http.ts";

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
    const socat = await startSocat(["TCP-LISTEN:0,bind=127.0.0.1,reuseaddr,fork", "PIPE"]);
    try {
      const port = socat.port;
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
      await socat.stop();
    }
  },
});

/** Starts socat with `args` and reads the TCP port it listens on from its `-d -d` log. */
async function startSocat(args: string[]): Promise<{ port: number; stop: () => Promise<void> }> {
  const socat = new Deno.Command("socat", {
    args: ["-d", "-d", ...args],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = socat.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  let port = 0;
  while (!port) {
    const { value, done } = await stderr.read();
    assert.ok(!done, `socat exited before listening: ${seen}`);
    seen += value;
    port = Number(/(?:listening|receiving) on AF=2 127\.0\.0\.1:(\d+)/.exec(seen)?.[1] ?? 0);
  }
  // Keep reading its log, so that a chatty socat never blocks on a full pipe.
  const draining = (async () => {
    while (!(await stderr.read()).done) { /* discard */ }
  })();
  return {
    port,
    stop: async () => {
      socat.kill("SIGTERM");
      await socat.status;
      await draining.catch(() => {});
    },
  };
}

Deno.test({
  name: "socat and nc -u as UDP clients get their datagram back from echo serve --udp",
  ignore: !hasProgram("socat") || !hasProgram("nc"),
  async fn() {
    await using server = await EchoServerProcess.start(["--udp"]);
    const hello = new TextEncoder().encode("hello over udp\n");
    const socat = await runPeer("socat", ["-", `UDP:127.0.0.1:${server.port}`], hello);
    assert.equal(socat.code, 0, socat.stderr);
    assert.equal(new TextDecoder().decode(socat.stdout), "hello over udp\n");
    const nc = await runPeer("nc", ["-u", "-w1", "127.0.0.1", String(server.port)], hello);
    assert.equal(nc.code, 0, nc.stderr);
    assert.equal(new TextDecoder().decode(nc.stdout), "hello over udp\n");
    const { events } = await server.stop();
    const shutdown = JSON.parse(events.at(-1)!);
    assert.deepEqual([shutdown.transport, shutdown.peers, shutdown.datagrams], ["udp", 2, 2]);
  },
});

Deno.test({
  name: "echo send --udp checks its datagram and pings through socat's UDP echo",
  ignore: !hasProgram("socat"),
  async fn() {
    const udpPort = await freeUdpPort();
    const socat = await startSocat([`UDP-RECVFROM:${udpPort},bind=127.0.0.1,fork`, "PIPE"])
      .catch(() => undefined);
    assert.ok(socat, "socat did not start");
    try {
      const one = await runSockit(["echo", "send", "--udp", "-p", String(udpPort), "-s", "1400"]);
      assert.equal(one.code, 0, one.err);
      assert.equal(one.stdout.length, 1400);
      const ping = await runSockit([
        "echo",
        "send",
        "--udp",
        "--json",
        "-p",
        String(udpPort),
        "-c",
        "5",
        "-i",
        "10ms",
      ]);
      assert.equal(ping.code, 0, ping.err);
      const summary = JSON.parse(ping.out.trim().split("\n").at(-1)!);
      assert.deepEqual([summary.sent, summary.received, summary.loss_pct], [5, 5, 0]);
    } finally {
      await socat.stop();
    }
  },
});

Deno.test({
  name:
    "openssl s_client and ncat --ssl get their bytes back from echo serve --tls, which serves its whole chain",
  ignore: !hasProgram("openssl") || !hasProgram("ncat"),
  async fn() {
    const pki = await makeTestPki();
    try {
      // The chain file: the server certificate, then its CA, as a server with an intermediate.
      const chain = `${pki.dir}/chain.pem`;
      await Deno.writeTextFile(
        chain,
        (await Deno.readTextFile(pki.cert)) + (await Deno.readTextFile(pki.caCert)),
      );
      // Deno does not report s_client's close_notify to the server: --idle-timeout ends it.
      await using server = await EchoServerProcess.start([
        "--tls",
        "--cert",
        chain,
        "--key",
        pki.key,
        "--idle-timeout",
        "300ms",
      ]);
      const port = String(server.port);
      const line = new TextEncoder().encode("hello over tls\n");
      // s_client quits as soon as its stdin ends: keep it open until the echo is back.
      const sClient = new Deno.Command("openssl", {
        args: [
          "s_client",
          "-connect",
          `127.0.0.1:${port}`,
          "-servername",
          "localhost",
          "-CAfile",
          pki.caCert,
          "-verify_return_error",
          "-showcerts",
          "-no_ign_eof",
        ],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const stderr = new Response(sClient.stderr).text();
      const writer = sClient.stdin.getWriter();
      await writer.write(line);
      const reader = sClient.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let shown = "";
      while (!/^hello over tls$/m.test(shown)) {
        const { value, done } = await reader.read();
        assert.ok(!done, `s_client ended before the echo: ${shown}${await stderr}`);
        shown += value;
      }
      await writer.close();
      while (!(await reader.read()).done) { /* the rest of its report */ }
      assert.equal((await sClient.status).code, 0, await stderr);
      assert.match(shown, /Verify return code: 0 \(ok\)/);
      assert.equal(shown.match(/-----BEGIN CERTIFICATE-----/g)?.length, 2, "the whole chain");
      const ncat = await runPeer("ncat", [
        "--ssl",
        "--ssl-verify",
        "--ssl-trustfile",
        pki.caCert,
        "localhost",
        port,
      ], line);
      assert.equal(ncat.code, 0, ncat.stderr);
      assert.equal(new TextDecoder().decode(ncat.stdout), "hello over tls\n");
      const { code, events } = await server.stop();
      assert.equal(code, 0);
      const closes = events.map((e) => JSON.parse(e)).filter((e) => e.event === "close");
      assert.deepEqual(closes.map((e) => e.bytes), [15, 15]);
      assert.equal(closes[1].reason, "eof", "ncat's close is seen");
    } finally {
      await pki.remove();
    }
  },
});

Deno.test({
  name:
    "echo send --tls verifies socat's OPENSSL echo, and exits 6 when its certificate has expired",
  ignore: !hasProgram("socat") || !hasProgram("openssl"),
  async fn() {
    const pki = await makeTestPki();
    const expired = await addServerCert(pki, "expired", { days: -1 });
    const serve = (cert: string, key: string) =>
      startSocat([
        `OPENSSL-LISTEN:0,bind=127.0.0.1,reuseaddr,fork,cert=${cert},key=${key},verify=0`,
        "PIPE",
      ]);
    const good = await serve(pki.cert, pki.key);
    const old = await serve(expired.cert, expired.key);
    try {
      const data = patternBytes(256 * 1024, 3);
      const ok = await runSockit(
        ["echo", "send", "--tls", "--cacert", pki.caCert, "-p", String(good.port)],
        { stdin: data },
      );
      assert.equal(ok.code, 0, ok.err);
      assert.equal(ok.stdout.length, data.length);
      assert.ok(ok.stdout.every((b, i) => b === data[i]));
      const stale = await runSockit([
        "echo",
        "send",
        "--tls",
        "--cacert",
        pki.caCert,
        "-p",
        String(old.port),
        "x",
      ]);
      assert.equal(stale.code, 6);
      assert.equal(
        stale.err,
        `error: TLS handshake with 127.0.0.1:${old.port} failed: certificate has expired\n`,
      );
    } finally {
      await good.stop();
      await old.stop();
      await pki.remove();
    }
  },
});
