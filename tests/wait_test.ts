/**
 * End-to-end tests of `sockit wait`: real listeners that come up late (socat, in-process
 * sockets, files), driven through the CLI as a subprocess with the binary's permission set.
 * The delays here are the scenario (a service that starts late), not synchronisation.
 */
import assert from "node:assert/strict";
import {
  closedPort,
  hasProgram,
  LineReader,
  runSockit,
  spawnSockit,
  startLater,
} from "./_helpers.ts";
import { Dnsmasq, freeUdpPort, hasDnsmasq } from "./_dns.ts";
import { hasNginx, makeTestPki, Nginx, TlsReplayServer } from "./_http.ts";
import { startHttpResponder } from "../lib/http/responder.ts";

/** Starts `socat TCP-LISTEN` on `port` after `delayMs`; returns a handle that stops it. */
function socatLater(port: number, delayMs: number): { stop(): Promise<void> } {
  let child: Deno.ChildProcess | undefined;
  let stopped = false;
  const started = startLater(delayMs, () => {
    if (stopped) return;
    child = new Deno.Command("socat", {
      args: [`TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`, "SYSTEM:cat"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
  });
  return {
    async stop() {
      stopped = true;
      await started;
      if (!child) return;
      try {
        child.kill("SIGTERM");
      } catch { /* exited */ }
      await child.status;
    },
  };
}

/** A listener opened after `delayMs` that accepts and closes connections until stopped. */
function listenLater(
  port: number,
  delayMs: number,
): { started: Promise<void>; stop(): Promise<void> } {
  let listener: Deno.TcpListener | undefined;
  let stopped = false;
  let serving: Promise<void> = Promise.resolve();
  const started = startLater(delayMs, () => {
    if (stopped) return;
    listener = Deno.listen({ hostname: "127.0.0.1", port });
    serving = (async () => {
      try {
        for await (const conn of listener!) conn.close();
      } catch { /* closed */ }
    })();
  });
  return {
    started,
    async stop() {
      stopped = true;
      await started;
      listener?.close();
      await serving;
    },
  };
}

Deno.test("wait notices a TCP port that opens late (socat) and runs the command", {
  ignore: !hasProgram("socat"),
}, async () => {
  const port = closedPort();
  const socat = socatLater(port, 400);
  try {
    const started = performance.now();
    const result = await runSockit(["wait", `127.0.0.1:${port}`, "--", "echo", "ran"]);
    const took = performance.now() - started;
    assert.equal(result.code, 0, result.err);
    assert.equal(result.out, "ran\n");
    assert.match(
      result.err,
      new RegExp(`INFO sockit\\.wait ready: 127\\.0\\.0\\.1:${port} after \\d+ attempts`),
    );
    assert.ok(took >= 400, `ready after ${took} ms, before the port opened`);
  } finally {
    await socat.stop();
  }
});

Deno.test("wait for ten targets that open at staggered times takes about the slowest, not the sum", async () => {
  const ports = Array.from({ length: 10 }, () => closedPort());
  const listeners = ports.map((port, i) => listenLater(port, 100 + i * 100));
  try {
    const started = performance.now();
    const result = await runSockit(["wait", "--json", ...ports.map((p) => `127.0.0.1:${p}`)]);
    const took = performance.now() - started;
    assert.equal(result.code, 0, result.err);
    const events = result.out.trim().split("\n").map((line) => JSON.parse(line));
    assert.equal(events.filter((e) => e.event === "ready").length, 10);
    const done = events.at(-1);
    assert.deepEqual([done.event, done.ready, done.exit_code], ["done", true, 0]);
    // The slowest opens at 1 s; the sum of the delays is 5.5 s.
    assert.ok(took < 2500, `took ${took.toFixed(0)} ms`);
  } finally {
    await Promise.all(listeners.map((l) => l.stop()));
  }
});

Deno.test("wait --any is done when one target is ready", async () => {
  using open = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = (async () => {
    try {
      for await (const conn of open) conn.close();
    } catch { /* closed */ }
  })();
  try {
    const result = await runSockit([
      "wait",
      "--any",
      "--timeout",
      "5s",
      "--json",
      `127.0.0.1:${closedPort()}`,
      `127.0.0.1:${open.addr.port}`,
    ]);
    assert.equal(result.code, 0, result.err);
    const done = JSON.parse(result.out.trim().split("\n").at(-1)!);
    assert.deepEqual(done.targets.map((t: { ready: boolean }) => t.ready), [false, true]);
  } finally {
    open.close();
    await accepting;
  }
});

Deno.test("wait --reverse is done once a listener closes", async () => {
  const port = closedPort();
  const listener = listenLater(port, 0);
  await listener.started;
  const closing = startLater(300, () => listener.stop());
  const result = await runSockit(["wait", "--reverse", "--timeout", "5s", `127.0.0.1:${port}`]);
  await closing;
  assert.equal(result.code, 0, result.err);
  assert.match(result.err, /ready: 127\.0\.0\.1:\d+ after \d+ attempts/);
});

Deno.test("a timed-out wait names each target still not ready, with its reason and attempts", async () => {
  const port = closedPort();
  const dir = await Deno.makeTempDir();
  try {
    const result = await runSockit([
      "wait",
      "--timeout",
      "500ms",
      `127.0.0.1:${port}`,
      `file:${dir}/missing`,
      `unix:${dir}/no.sock`,
      "--",
      "touch",
      `${dir}/ran`,
    ]);
    assert.equal(result.code, 5);
    assert.match(
      result.err,
      new RegExp(
        `^error: Timed out after 500ms: 3 of 3 targets not ready: tcp://127\\.0\\.0\\.1:${port} \\(connection refused, \\d+ attempts\\); file:${dir}/missing \\(no such file, \\d+ attempts\\); unix:${dir}/no\\.sock \\(no such socket, \\d+ attempts\\)\\n$`,
      ),
    );
    // Strict by default: the command did not run.
    await assert.rejects(Deno.stat(`${dir}/ran`), Deno.errors.NotFound);
    const anyway = await runSockit([
      "wait",
      "--timeout",
      "100ms",
      "--run-anyway",
      `file:${dir}/missing`,
      "--",
      "sh",
      "-c",
      "exit 4",
    ]);
    assert.equal(anyway.code, 4);
    assert.match(anyway.err, /Timed out after 100ms: .*; running the command anyway\n$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("wait for a file and a Unix socket that appear late; --nonempty waits for content", async () => {
  const dir = await Deno.makeTempDir();
  let listener: Deno.Listener | undefined;
  const file = `file:${dir}/empty`;
  const socket = `unix:${dir}/s.sock`;
  try {
    // Driven by what sockit reports (-v --json: one line per attempt), not by the clock: the file
    // and the socket appear once both were found missing, and the file gets its content only
    // once an attempt has seen it empty.
    const { process } = spawnSockit(["wait", "--nonempty", "--json", "-v", file, socket]);
    const events = new LineReader(process.stdout);
    const stderr = new Response(process.stderr).text();
    const seen: Array<Record<string, unknown>> = [];
    const next = async () => {
      const event = await events.nextJson();
      seen.push(event);
      return event;
    };
    const missing = new Set<unknown>();
    while (missing.size < 2) {
      const e = await next();
      if (e.event === "attempt") missing.add(e.target);
    }
    await Deno.writeTextFile(`${dir}/empty`, "");
    listener = Deno.listen({ transport: "unix", path: `${dir}/s.sock` });
    let e = await next();
    while (!(e.event === "attempt" && e.target === file && e.reason === "the file is empty")) {
      assert.notEqual(e.target === file && e.event, "ready", "ready while the file was empty");
      e = await next();
    }
    await Deno.writeTextFile(`${dir}/empty`, "now it has content");
    seen.push(...(await events.rest()).map((line) => JSON.parse(line)));
    const [status] = await Promise.all([process.status, stderr]);
    assert.equal(status.code, 0);
    const ready = seen.filter((ev) => ev.event === "ready").map((ev) => ev.target);
    assert.deepEqual(ready.sort(), [file, socket].sort());
    assert.equal(seen.at(-1)?.event, "done");
  } finally {
    listener?.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a server that accepts and never answers costs one --attempt-timeout, not the wait", async () => {
  using silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    try {
      for await (const conn of silent) held.push(conn);
    } catch { /* closed */ }
  })();
  try {
    const result = await runSockit([
      "wait",
      "--timeout",
      "1s",
      "--attempt-timeout",
      "150ms",
      "--json",
      `echo://127.0.0.1:${silent.addr.port}`,
    ]);
    assert.equal(result.code, 5);
    const done = JSON.parse(result.out.trim());
    assert.ok(done.targets[0].attempts >= 4, `${done.targets[0].attempts} attempts`);
    // The last attempt may have been cut short by the whole wait's deadline.
    assert.match(done.targets[0].last_error, /^timed out after \d+ms$/);
  } finally {
    silent.close();
    await accepting;
    for (const conn of held) conn.close();
  }
});

Deno.test("wait passes COMMAND's exit code through, and COMMAND not found is exit 2", async () => {
  const port = (() => {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    return l;
  })();
  try {
    const ok = await runSockit([
      "wait",
      `127.0.0.1:${port.addr.port}`,
      "--",
      "sh",
      "-c",
      "exit 42",
    ]);
    assert.equal(ok.code, 42);
    const missing = await runSockit([
      "wait",
      `127.0.0.1:${port.addr.port}`,
      "--",
      "no-such-program-x",
    ]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /^error: Cannot run "no-such-program-x": command not found\n/m);
  } finally {
    port.close();
  }
});

Deno.test("every signal a shell or container runtime sends reaches COMMAND, and sockit exits as COMMAND did", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const signals = ["SIGHUP", "SIGINT", "SIGTERM", "SIGQUIT", "SIGUSR1", "SIGUSR2"] as const;
  for (const [i, signal] of signals.entries()) {
    const name = signal.slice(3);
    // Trapped: COMMAND says so and picks its code. Not trapped (every other one): the signal
    // ends COMMAND, and sockit exits 128 + N with nothing left running.
    const trapped = i % 2 === 0;
    const script = `${
      trapped ? `trap "echo got ${name}; exit ${20 + i}" ${name}; ` : ""
    }echo $$; while :; do sleep 0.02; done`;
    const { process } = spawnSockit([
      "wait",
      `127.0.0.1:${listener.addr.port}`,
      "--",
      "sh",
      "-c",
      script,
    ]);
    const lines = new LineReader(process.stdout);
    const pid = Number(await lines.next());
    process.kill(signal);
    const status = await process.status;
    // COMMAND is gone, not orphaned (an orphan is killed here, or it would hold stdout open).
    const alive = await new Deno.Command("kill", { args: ["-0", String(pid)], stderr: "null" })
      .output();
    if (alive.success) Deno.kill(pid, "SIGKILL");
    assert.equal(alive.success, false, `${signal}: COMMAND (pid ${pid}) still runs`);
    const [rest] = await Promise.all([lines.rest(), process.stderr.cancel()]);
    if (trapped) {
      assert.deepEqual(rest, [`got ${name}`], signal);
      assert.equal(status.code, 20 + i, signal);
    } else {
      const number = { SIGINT: 2, SIGQUIT: 3, SIGUSR2: 12 }[signal as string]!;
      assert.deepEqual(rest, [], signal);
      assert.equal(status.code, 128 + number, signal);
    }
  }
});

Deno.test("wait --json ends with an exit line that says how COMMAND ended, matching sockit's exit code", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const target = `127.0.0.1:${listener.addr.port}`;
  for (
    const [script, code, signal] of [
      ["exit 3", 3, null],
      ["kill -TERM $$", 143, "SIGTERM"],
      ["true", 0, null],
    ] as const
  ) {
    const result = await runSockit(["wait", "--json", target, "--", "sh", "-c", script]);
    assert.equal(result.code, code, result.err);
    const lines = result.out.trim().split("\n").map((line) => JSON.parse(line));
    const done = lines.find((line) => line.event === "done");
    assert.equal(done.ready, true);
    assert.equal(done.exit_code, null, "the wait's line does not claim the process's code");
    assert.deepEqual(lines.at(-1), {
      event: "exit",
      command: "sh",
      signal,
      elapsed_ms: lines.at(-1).elapsed_ms,
      exit_code: code,
    });
  }
  // Without COMMAND, the done line still carries the exit code.
  const alone = await runSockit(["wait", "--json", target]);
  assert.equal(alone.code, 0);
  assert.equal(JSON.parse(alone.out.trim().split("\n").at(-1)!).exit_code, 0);
});

Deno.test("wait rejects malformed targets and options with exit 2", async () => {
  for (
    const [args, pattern] of [
      [["wait", "localhost"], /Invalid target "localhost": expected HOST:PORT \(no port\)/],
      [["wait", "127.0.0.1:"], /Invalid target "127\.0\.0\.1:": no port after the colon/],
      [["wait", "127.0.0.1:99999"], /port 99999 is out of range/],
      [["wait", "tcp:/x"], /expected tcp:\/\/HOST:PORT/],
      [["wait", "file:relative"], /expected file:\/ABSOLUTE\/PATH/],
      [["wait", "--stable", "0", "x:1"], /out of range, expected 1 to 1000/],
      [["wait", "--timeout", "-1", "x:1"], /cannot be negative/],
      [["wait", "--run-anyway", "x:1"], /needs a COMMAND after --/],
      [["wait", "127.0.0.1:1", "--"], /Nothing after "--": give the COMMAND to run once ready/],
      [["wait", "--attempt-timeout", "0", "x:1"], /it must be more than 0/],
      [["wait", "unix:/dev/full"], /sockit cannot open devices other than the standard streams/],
      [["wait", "dns:a..b"], /Invalid target "dns:a\.\.b": empty label/],
      [["wait", "--expect-status", "9x", "http://x/"], /Invalid value "9x" for --expect-status/],
      [["wait", "@1.2.3", "dns:x"], /Invalid value "1\.2\.3" for @SERVER/],
      [["wait", "--type", "ZZZ", "dns:x"], /Unknown record type "ZZZ"/],
      [["wait"], /Missing argument/],
    ] as const
  ) {
    const result = await runSockit([...args]);
    assert.equal(result.code, 2, args.join(" "));
    assert.match(result.err, pattern);
    assert.doesNotMatch(result.err, /\n\s+at /);
  }
});

Deno.test("wait for an HTTP endpoint that answers 503 twice, then 200: ready on the third GET", async () => {
  await using server = startHttpResponder([
    "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 8\r\n\r\nstarting",
    "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 8\r\n\r\nstarting",
    'HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n{"ok": true}',
  ]);
  const result = await runSockit([
    "wait",
    "--json",
    "-v",
    "--expect-body-regex",
    '"ok": *true',
    server.url("/health"),
  ]);
  assert.equal(result.code, 0, result.err);
  const events = result.out.trim().split("\n").map((line) => JSON.parse(line));
  const attempts = events.filter((e) => e.event === "attempt");
  assert.deepEqual(attempts.map((e) => e.reason), [
    'status 503, expected 2xx; the body does not match /"ok": *true/',
    'status 503, expected 2xx; the body does not match /"ok": *true/',
    "status 200",
  ]);
  // GET, never HEAD.
  assert.ok(server.requests.every((r) => r.startsWith("GET /health HTTP/1.1")), server.requests[0]);
  assert.equal(events.at(-1).event, "done");
});

Deno.test("wait --stable 3 is ready only after three successes in a row from a flapping server", async () => {
  const ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  const down = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n";
  await using server = startHttpResponder([ok, down, ok, ok, down, ok, ok, ok, ok]);
  const result = await runSockit(["wait", "--stable", "3", "--json", server.url("/")]);
  assert.equal(result.code, 0, result.err);
  const ready = JSON.parse(result.out.trim().split("\n")[0]!);
  assert.deepEqual([ready.event, ready.attempts], ["ready", 8]);
});

Deno.test("wait for nginx that starts late answers when nginx serves the file", {
  ignore: !hasNginx(),
}, async () => {
  const port = closedPort();
  const later = startLater(300, () => Nginx.start({ port, files: { "health.txt": "up\n" } }));
  try {
    const result = await runSockit([
      "wait",
      "--expect-body",
      "up",
      `http://127.0.0.1:${port}/health.txt`,
      "--",
      "echo",
      "ready",
    ]);
    assert.equal(result.code, 0, result.err);
    assert.equal(result.out, "ready\n");
  } finally {
    await (await later)[Symbol.asyncDispose]();
  }
});

Deno.test("wait for a name that dnsmasq serves once it starts late, asked directly", {
  ignore: !hasDnsmasq(),
}, async () => {
  const port = await freeUdpPort();
  const later = startLater(300, () => Dnsmasq.start({ port }));
  try {
    const result = await runSockit([
      "wait",
      "--json",
      "--expect-address",
      "192.0.2.1",
      `@127.0.0.1:${port}`,
      "dns:a.example.test",
    ]);
    assert.equal(result.code, 0, result.err);
    const done = JSON.parse(result.out.trim().split("\n").at(-1)!);
    assert.equal(done.ready, true);
    assert.ok(done.targets[0].attempts > 1, "asked before dnsmasq was up");
    const nxdomain = await runSockit([
      "wait",
      "--timeout",
      "300ms",
      "--type",
      "A",
      `@127.0.0.1:${port}`,
      "dns:nope.example.test",
    ]);
    assert.equal(nxdomain.code, 5);
    assert.match(
      nxdomain.err,
      /dns:nope\.example\.test \(NXDOMAIN \(no such name\), \d+ attempts\)/,
    );
  } finally {
    await (await later)[Symbol.asyncDispose]();
  }
});

Deno.test("a certificate for another name ends the wait at once with exit 6", async () => {
  const pki = await makeTestPki(["other.example.test"]);
  try {
    await using server = new TlsReplayServer(pki, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    const started = performance.now();
    const result = await runSockit([
      "wait",
      "--timeout",
      "20s",
      "--cacert",
      pki.caCert,
      `https://127.0.0.1:${server.port}/`,
    ]);
    assert.equal(result.code, 6, result.err);
    assert.match(result.err, /certificate is not valid for "127\.0\.0\.1"/);
    assert.ok(performance.now() - started < 5000, "it did not wait for the timeout");
  } finally {
    await pki.remove();
  }
});

Deno.test(
  "wait and wait-for-it agree: ready for a port that opens late, timed out for one that never does",
  {
    ignore: !hasProgram("wait-for-it"),
  },
  async () => {
    for (const opens of [true, false]) {
      const port = closedPort();
      const listener = opens ? listenLater(port, 300) : undefined;
      try {
        const [ours, theirs] = await Promise.all([
          runSockit(["wait", "--timeout", "2s", `127.0.0.1:${port}`]),
          new Deno.Command("wait-for-it", {
            args: ["-q", "-s", "-t", "2", `127.0.0.1:${port}`, "--", "true"],
            stdout: "null",
            stderr: "null",
          }).output(),
        ]);
        assert.equal(ours.code === 0, opens, ours.err);
        assert.equal(theirs.code === 0, opens, `wait-for-it exited ${theirs.code}`);
      } finally {
        await listener?.stop();
      }
    }
  },
);

Deno.test("wait and wait-for-it agree on an HTTP server that starts late (nginx)", {
  ignore: !hasProgram("wait-for-it") || !hasNginx(),
}, async () => {
  const port = closedPort();
  const later = startLater(300, () => Nginx.start({ port, files: { "index.html": "hi" } }));
  try {
    const [ours, theirs] = await Promise.all([
      runSockit(["wait", "--timeout", "5s", `http://127.0.0.1:${port}/`]),
      new Deno.Command("wait-for-it", {
        args: ["-q", "-s", "-t", "5", `127.0.0.1:${port}`, "--", "true"],
        stdout: "null",
        stderr: "null",
      }).output(),
    ]);
    assert.equal(ours.code, 0, ours.err);
    assert.equal(theirs.code, 0);
  } finally {
    await (await later)[Symbol.asyncDispose]();
  }
});

Deno.test("wait --emit-check covers the wait's whole --timeout within a check's 100 attempts, and says so", async () => {
  for (
    const [timeout, interval, attempts, pause, note] of [
      [
        "10m",
        "100ms",
        100,
        "6s",
        /6000 attempts, over a check's 100: written as 100 attempts 6s apart/,
      ],
      ["2s", "100ms", 20, "100ms", undefined],
    ] as const
  ) {
    const result = await runSockit([
      "wait",
      "--emit-check",
      "--json",
      "--timeout",
      timeout,
      "--interval",
      interval,
      "127.0.0.1:5432",
    ]);
    assert.equal(result.code, 0, result.err);
    const { checks, notes } = JSON.parse(result.out);
    assert.deepEqual(checks[0].retry, { attempts, interval: pause, backoff: 1 });
    if (note) assert.ok(notes.some((n: string) => note.test(n)), notes.join("\n"));
    else assert.deepEqual(notes, []);
  }
});

Deno.test("wait --emit-check makes a URL's password a secret, and the check passes once it is set", async () => {
  const expected = `Basic ${btoa("ann:p@ss")}`;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) =>
      new Response("", { status: request.headers.get("authorization") === expected ? 200 : 401 }),
  );
  const dir = await Deno.makeTempDir();
  try {
    const url = `http://ann:p%40ss@127.0.0.1:${server.addr.port}/`;
    const emitted = await runSockit(["wait", "--emit-check", "--timeout", "1s", url]);
    assert.equal(emitted.code, 0, emitted.err);
    assert.ok(!emitted.out.includes("p%40ss") && !emitted.out.includes("p@ss"), emitted.out);
    assert.match(emitted.out, /url: http:\/\/ann:\$\{SOCKIT_PASSWORD\}@127\.0\.0\.1:\d+\/\n/);
    assert.match(emitted.out, /^# these checks need secrets: add "secrets: \[SOCKIT_PASSWORD\]"/m);
    const spec = `${dir}/spec.yaml`;
    await Deno.writeTextFile(
      spec,
      `version: 1\nsecrets: [SOCKIT_PASSWORD]\nchecks:\n${emitted.out}`,
    );
    const run = await runSockit(["check", spec], { env: { SOCKIT_PASSWORD: "p%40ss" } });
    assert.equal(run.code, 0, run.out + run.err);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("wait follows a redirect as wait-on does, up to --max-redirs; --no-location judges the 3xx itself", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/old") return new Response("", { status: 301, headers: { location: "/new" } });
    if (path === "/loop") return new Response("", { status: 302, headers: { location: "/loop" } });
    return new Response("here");
  });
  try {
    const base = `http://127.0.0.1:${server.addr.port}`;
    const followed = await runSockit(["wait", "--json", "--timeout", "5s", `${base}/old`]);
    assert.equal(followed.code, 0, followed.err);
    const loop = await runSockit([
      "wait",
      "--max-redirs",
      "3",
      "--timeout",
      "300ms",
      `${base}/loop`,
    ]);
    assert.equal(loop.code, 5, loop.err);
    assert.match(loop.err, /\(Too many redirects: more than 3, \d+ attempts\)/);
    const kept = await runSockit(["wait", "--no-location", "--timeout", "300ms", `${base}/old`]);
    assert.equal(kept.code, 5, kept.err);
    assert.match(kept.err, /\(status 301, expected 2xx, \d+ attempts\)/);
    const asked = await runSockit([
      "wait",
      "--no-location",
      "--expect-status",
      "301",
      `${base}/old`,
    ]);
    assert.equal(asked.code, 0, asked.err);
    const both = await runSockit(["wait", "--no-location", "-L", `${base}/old`]);
    assert.equal(both.code, 2);
    assert.match(both.err, /Options --no-location and --location cannot be used together/);
    const emitted = await runSockit(["wait", "--emit-check", `${base}/old`]);
    assert.match(emitted.out, /follow_redirects: true/);
    const unfollowed = await runSockit(["wait", "--emit-check", "--no-location", `${base}/old`]);
    assert.doesNotMatch(unfollowed.out, /follow_redirects/);
  } finally {
    await server.shutdown();
  }
});
