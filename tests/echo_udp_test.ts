/**
 * End-to-end tests of echo over UDP: `echo serve --udp` and `echo send --udp`, one datagram and
 * the ping, driven through the CLI as a subprocess, with small in-test UDP peers (a silent
 * socket, an impostor, a relay that drops every third datagram).
 */
import assert from "node:assert/strict";
import { bindUdp, udpAddr } from "../lib/net/udp.ts";
import type { UdpSocket } from "../lib/net/udp.ts";
import { EchoServerProcess, runSockit } from "./_helpers.ts";

/** Answers each datagram with `answer(data)` (nothing when it returns undefined), until closed. */
function udpPeer(
  answer: (
    data: Uint8Array,
    socket: UdpSocket,
    from: Deno.NetAddr,
  ) => Promise<Uint8Array | undefined>,
): { port: number; close: () => Promise<void> } {
  const socket = bindUdp({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    const buf = new Uint8Array(65536);
    while (true) {
      let received;
      try {
        received = await socket.receive(buf);
      } catch {
        return;
      }
      const [data, from] = received;
      const reply = await answer(data.slice(), socket, from);
      if (reply) await socket.send(reply, from);
    }
  })();
  return {
    port: socket.addr.port,
    close: async () => {
      socket.close();
      await serving;
    },
  };
}

Deno.test("echo send --udp gets its datagram back from echo serve --udp, and the JSON says so", async () => {
  await using server = await EchoServerProcess.start(["--udp"]);
  const text = await runSockit(["echo", "send", "--udp", "-p", String(server.port), "hello"]);
  assert.deepEqual([text.code, text.out, text.err], [0, "hello\n", ""]);
  const json = await runSockit([
    "echo",
    "send",
    "--udp",
    "--json",
    "-p",
    String(server.port),
    "-s",
    "65507",
  ]);
  assert.equal(json.code, 0, json.err);
  const result = JSON.parse(json.out);
  assert.deepEqual(
    [result.transport, result.sent, result.received, result.match, result.exit_code],
    ["udp", 65507, 65507, true, 0],
  );
  const { code, events } = await server.stop();
  assert.equal(code, 0);
  const shutdown = JSON.parse(events.at(-1)!);
  assert.deepEqual(
    [shutdown.event, shutdown.transport, shutdown.peers, shutdown.datagrams, shutdown.bytes],
    ["shutdown", "udp", 2, 2, 6 + 65507],
  );
  assert.ok(!events.some((e) => JSON.parse(e).event === "peer"), "peer lines need -v");
});

Deno.test("echo send --udp exits 5 when no echo comes within --timeout", async () => {
  const silent = udpPeer(() => Promise.resolve(undefined));
  try {
    const result = await runSockit([
      "echo",
      "send",
      "--udp",
      "-p",
      String(silent.port),
      "--timeout",
      "200ms",
      "hi",
    ]);
    assert.equal(result.code, 5);
    assert.match(result.err, /^error: No echo from 127\.0\.0\.1:\d+: timed out after 200ms\n$/);
  } finally {
    await silent.close();
  }
});

Deno.test("echo send --udp exits 1 when the echo differs from what was sent", async () => {
  const impostor = udpPeer(() => Promise.resolve(new TextEncoder().encode("HELLO\n")));
  try {
    const result = await runSockit([
      "echo",
      "send",
      "--udp",
      "--json",
      "-p",
      String(impostor.port),
      "hello",
    ]);
    assert.equal(result.code, 1, result.err);
    const json = JSON.parse(result.out);
    assert.deepEqual([json.match, json.mismatch_offset, json.exit_code], [false, 0, 1]);
    assert.equal(json.error, "Echo mismatch: sent 6 bytes, received 6, first difference at byte 0");
  } finally {
    await impostor.close();
  }
});

Deno.test("echo send --udp --trace shows a datagram from a stranger as ignored and still takes the echo", async () => {
  const stranger = bindUdp({ hostname: "127.0.0.1", port: 0 });
  const peer = bindUdp({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    const [data, from] = await peer.receive(new Uint8Array(65536));
    const echo = data.slice();
    await stranger.send(new TextEncoder().encode("noise"), from);
    await peer.send(echo, from);
  })();
  try {
    const result = await runSockit([
      "echo",
      "send",
      "--udp",
      "--trace",
      "-p",
      String(peer.addr.port),
      "hello",
    ]);
    assert.equal(result.code, 0, result.err);
    assert.equal(result.out, "hello\n");
    assert.match(
      result.err,
      new RegExp(
        `recv 5 bytes .*ignored: from 127\\.0\\.0\\.1:${stranger.addr.port}, not the server`,
      ),
    );
    await serving;
  } finally {
    peer.close();
    stranger.close();
  }
});

/** A relay between a client and an echo server that drops every third datagram from the client. */
function lossyRelay(serverPort: number): { port: number; close: () => Promise<void> } {
  const front = bindUdp({ hostname: "127.0.0.1", port: 0 });
  const back = bindUdp({ hostname: "127.0.0.1", port: 0 });
  let client: Deno.NetAddr | undefined;
  let seen = 0;
  const forward = (async () => {
    const buf = new Uint8Array(65536);
    while (true) {
      try {
        const [data, from] = await front.receive(buf);
        client = from;
        if (++seen % 3 === 0) continue; // dropped
        await back.send(data, udpAddr("127.0.0.1", serverPort));
      } catch {
        return;
      }
    }
  })();
  const backward = (async () => {
    const buf = new Uint8Array(65536);
    while (true) {
      try {
        const [data] = await back.receive(buf);
        if (client) await front.send(data, client);
      } catch {
        return;
      }
    }
  })();
  return {
    port: front.addr.port,
    close: async () => {
      front.close();
      back.close();
      await Promise.all([forward, backward]);
    },
  };
}

Deno.test("a UDP ping through a relay that drops every third datagram reports 33.3% loss, and --max-loss decides the exit code", async () => {
  await using server = await EchoServerProcess.start(["--udp"]);
  const relay = lossyRelay(server.port);
  try {
    const ping = (extra: string[]) =>
      runSockit([
        "echo",
        "send",
        "--udp",
        "-p",
        String(relay.port),
        "--count",
        "6",
        "--interval",
        "20ms",
        "--timeout",
        "300ms",
        ...extra,
      ]);
    const strict = await ping([]);
    assert.equal(strict.code, 1, strict.err);
    assert.match(
      strict.out,
      /^6 sent, 4 received, 33\.3% loss, min\/avg\/p50\/p99\/max = [\d./]+ ms$/m,
    );
    assert.match(strict.out, /^no echo for seq=3 within 300ms$/m);
    assert.match(strict.out, /^no echo for seq=6 within 300ms$/m);
    assert.match(
      strict.err,
      /^error: Loss of 33\.3% is over --max-loss 0%: 2 of 6 datagrams not echoed\n$/,
    );
    const tolerant = await ping(["--max-loss", "34"]);
    assert.equal(tolerant.code, 0, tolerant.err);
    const json = await ping(["--max-loss", "33", "--json"]);
    assert.equal(json.code, 1);
    const lines = json.out.trim().split("\n").map((line) => JSON.parse(line));
    assert.deepEqual(lines.filter((l) => l.event === "lost").map((l) => l.seq), [3, 6]);
    const summary = lines.at(-1);
    assert.deepEqual(
      [summary.event, summary.sent, summary.received, summary.lost, summary.loss_pct],
      ["summary", 6, 4, 2, 33.33],
    );
    assert.deepEqual([summary.duplicates, summary.reordered, summary.exit_code], [0, 0, 1]);
  } finally {
    await relay.close();
  }
});

Deno.test("a UDP ping where nothing comes back exits 5, and one past --max-loss 100 never fails on loss", async () => {
  const silent = udpPeer(() => Promise.resolve(undefined));
  try {
    const args = [
      "echo",
      "send",
      "--udp",
      "-p",
      String(silent.port),
      "-c",
      "2",
      "-i",
      "0",
      "--timeout",
      "100ms",
    ];
    const none = await runSockit(args);
    assert.equal(none.code, 5, none.err);
    assert.match(none.out, /^2 sent, 0 received, 100% loss$/m);
    const tolerated = await runSockit([...args, "--max-loss", "100"]);
    assert.equal(tolerated.code, 0, tolerated.err);
  } finally {
    await silent.close();
  }
});

Deno.test("a UDP ping counts an echo that comes twice as a duplicate and says DUP!", async () => {
  // Echoes seq=1 twice: its second echo is in before seq=2 is sent, 50 ms later.
  const doubler = udpPeer(async (data, socket, from) => {
    if (new DataView(data.buffer).getUint32(0) === 1) await socket.send(data, from);
    return data;
  });
  try {
    const args = ["echo", "send", "--udp", "-p", String(doubler.port), "-c", "2", "-i", "50ms"];
    const text = await runSockit(args);
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /^64 bytes from 127\.0\.0\.1:\d+: seq=1 \(DUP!\)$/m);
    assert.match(text.out, /^2 sent, 2 received, 0% loss, 1 duplicate, min/m);
    const json = await runSockit([...args, "--json"]);
    const summary = JSON.parse(json.out.trim().split("\n").at(-1)!);
    assert.deepEqual([summary.received, summary.duplicates, summary.loss_pct], [2, 1, 0]);
  } finally {
    await doubler.close();
  }
});

Deno.test("echo serve --udp --max-rate drops datagrams over the rate and says so once", async () => {
  await using server = await EchoServerProcess.start(["--udp", "--max-rate", "3", "-v"]);
  const result = await runSockit([
    "echo",
    "send",
    "--udp",
    "-p",
    String(server.port),
    "-c",
    "10",
    "-i",
    "0",
    "--timeout",
    "300ms",
    "--max-loss",
    "100",
    "--json",
  ]);
  assert.equal(result.code, 0, result.err);
  const summary = JSON.parse(result.out.trim().split("\n").at(-1)!);
  assert.deepEqual([summary.sent, summary.received], [10, 3]);
  const limited = await server.events.nextJson();
  assert.deepEqual([limited.event, limited.max_rate], ["rate-limit", 3]);
  const { events } = await server.stop();
  const peer = JSON.parse(events.find((e) => JSON.parse(e).event === "peer")!);
  assert.deepEqual([peer.datagrams, peer.dropped, peer.reason], [3, 7, "shutdown"]);
  const shutdown = JSON.parse(events.at(-1)!);
  assert.deepEqual([shutdown.datagrams, shutdown.dropped], [3, 7]);
});

Deno.test("echo serve --udp --tcp serves both on one port", async () => {
  await using server = await EchoServerProcess.start(["--udp", "--tcp"]);
  const udpListening = await server.events.nextJson();
  assert.deepEqual([udpListening.transport, udpListening.port], ["udp", server.port]);
  const udp = await runSockit(["echo", "send", "--udp", "-p", String(server.port), "u"]);
  const tcp = await runSockit(["echo", "send", "-p", String(server.port), "t"]);
  assert.deepEqual([udp.code, udp.out, tcp.code, tcp.out], [0, "u\n", 0, "t\n"]);
  const { code, events } = await server.stop();
  assert.equal(code, 0);
  const shutdowns = events.map((e) => JSON.parse(e)).filter((e) => e.event === "shutdown");
  assert.deepEqual(shutdowns.map((e) => e.transport), ["tcp", "udp"]);
});

Deno.test("UDP usage errors exit 2 and say why", async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [
      ["echo", "send", "--udp", "x".repeat(65507)],
      /MESSAGE is 65508 bytes: one UDP datagram carries at most 65507/,
    ],
    [
      ["echo", "send", "--udp", "--size", "65508"],
      /Invalid value "65508" for --size: out of range, expected 0 to 65507/,
    ],
    [
      ["echo", "send", "--udp", "-c", "3", "--size", "4"],
      /--size: out of range, expected 8 to 65507/,
    ],
    [
      ["echo", "send", "--udp", "-c", "3", "--max-loss", "101"],
      /Invalid value "101" for --max-loss/,
    ],
    [["echo", "send", "--udp", "-c", "3", "--max-loss", "-1"], /Invalid value "-1" for --max-loss/],
    [["echo", "send", "--udp", "--tls", "x"], /--udp and --tls cannot be used together/],
    [
      ["echo", "send", "--udp", "--unix", "/tmp/x", "x"],
      /--udp and --unix cannot be used together/,
    ],
    [["echo", "send", "--max-loss", "5", "x"], /--max-loss needs --udp and --count/],
    [["echo", "send", "--udp", "--size", "3", "x"], /Give MESSAGE or --size, not both/],
    [["echo", "serve", "--max-rate", "5"], /--max-rate needs --udp/],
    [["echo", "serve", "--udp", "--max-conns", "5"], /--max-conns counts TCP connections/],
    [
      ["echo", "serve", "--udp", "--tcp", "--once"],
      /--once cannot be used with both --udp and --tcp/,
    ],
    [["echo", "serve", "--udp", "--max-rate", "0"], /--max-rate: out of range, expected 1 or more/],
  ];
  for (const [args, message] of cases) {
    await t.step(args.join(" ").slice(0, 60), async () => {
      const result = await runSockit(args, { stdin: "" });
      assert.equal(result.code, 2, result.err);
      assert.match(result.err, message);
      assert.doesNotMatch(result.err, /\bat file:|Uncaught/);
    });
  }
  await t.step("stdin larger than one datagram", async () => {
    const result = await runSockit(["echo", "send", "--udp"], { stdin: new Uint8Array(70000) });
    assert.equal(result.code, 2);
    assert.match(result.err, /Stdin holds more than 65507 bytes/);
  });
});
