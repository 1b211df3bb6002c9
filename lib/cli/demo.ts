/**
 * `sockit demo`: an offline tour. It starts an echo server on a free loopback port in this
 * process, sends a message through it with the trace on, resolves names the two ways, and
 * fetches two URLs from a scripted HTTP server over one kept-alive connection. With `--json`,
 * each step is one JSON line on stdout.
 *
 * @module
 */
import { queryDns } from "../dns/query.ts";
import { startResponder } from "../dns/responder.ts";
import { lookupSystem } from "../dns/system.ts";
import { formatRecordData, rcodeName, RecordType, typeName } from "../dns/wire.ts";
import { formatServer } from "../dns/query.ts";
import { fetchUrl } from "../http/fetch.ts";
import { HttpClient } from "../http/pool.ts";
import { defaultFields } from "../http/request.ts";
import { startHttpResponder } from "../http/responder.ts";
import { parseHttpUrl } from "../http/url.ts";
import { CheckError, TimeoutError } from "../net/errors.ts";
import { countResults, junitReport, summaryLine } from "../check/report.ts";
import { runChecks } from "../check/runner.ts";
import { loadSpec } from "../check/spec.ts";
import { exchangeEcho, mismatchError } from "../echo/exchange.ts";
import { serveEchoPair } from "../echo/pair.ts";
import { serveEcho } from "../echo/server.ts";
import { bytesReader } from "../net/io.ts";
import { sleep } from "../net/timer.ts";
import { probe } from "../probe/probe.ts";
import { formatTargetName, parseTarget } from "../probe/target.ts";
import { waitFor } from "../probe/wait.ts";
import { withCommon } from "./args.ts";
import type { CommandSpec } from "./args.ts";
import { runCommand } from "./command.ts";
import type { Context } from "./command.ts";
import { echoDatagram, pingUdp } from "../echo/udp_client.ts";
import { logExchange, serverEvents, udpEvents } from "./echo_events.ts";
import { ExitCode } from "./exit_codes.ts";
import { setupLogging, traceLogger } from "./log.ts";
import { formatMs, roundMs } from "./output.ts";
import type { Io } from "./output.ts";
import { PRODUCT } from "./version.ts";

/** `sockit demo`. */
export const DEMO: CommandSpec = {
  name: "demo",
  summary: "an offline tour of sockit on loopback",
  usage: ["demo [--json] [--quiet] [--no-color]"],
  description: [
    "Starts an echo server on a free 127.0.0.1 port inside this process, sends a message",
    "through it with --trace on, and shows each socket step on stderr and the echo on stdout.",
    "Then resolves localhost through the system and asks a DNS responder it starts on",
    "loopback, gets two URLs from a tiny local HTTP server over one kept-alive connection,",
    "waits for a port that opens a moment later, runs a spec file of checks against its own",
    "servers, writing a JUnit report, and last has a UDP echo server on loopback send a",
    "datagram back and answer a three-datagram ping.",
    "Needs no network beyond loopback. Exits 0 when every step worked. With --json, each step",
    'is one JSON line on stdout ({"step": N, "event": ...}).',
  ].join("\n"),
  options: withCommon([]),
  positionals: { min: 0, max: 0 },
  examples: [
    ["Take the tour", "sockit demo"],
    ["The same through the task runner", "deno task demo"],
    ["Each step as a JSON line", "sockit demo --json"],
  ],
};

/** Runs `sockit demo`. */
export async function runDemo(argv: string[], io: Io): Promise<number> {
  return await runCommand(DEMO, argv, io, demo);
}

async function demo(ctx: Context): Promise<number> {
  const { out } = ctx;
  const text = !ctx.quiet && !ctx.json;
  const say = (line: string) => text ? out.line(line) : Promise.resolve();
  const step = (n: number, event: Record<string, unknown>) =>
    ctx.json ? out.json({ step: n, ...event }) : Promise.resolve();
  if (!ctx.quiet) {
    // The tour shows everything: logs and the socket trace.
    await setupLogging({ verbosity: "trace", color: out.color });
    ctx.trace = traceLogger(ctx.started);
  }
  // With --json, stdout holds the steps and nothing else: a step that fails is told on stderr,
  // with no {error, exit_code} object after the steps (the runner prints one when this is unset).
  ctx.jsonPrinted = ctx.json;
  await say(
    "== 1. echo serve: bind 127.0.0.1 port 0 (the kernel picks a free port), listen, accept",
  );
  const pair = await serveEchoPair({ hostname: "127.0.0.1", port: 0 }, {
    stream: serverEvents(ctx, false),
  });
  const server = pair.stream!;
  try {
    const addr = server.addr as Deno.NetAddr;
    await say(`listening on ${addr.hostname}:${addr.port}`);
    await step(1, { event: "listening", address: addr.hostname, port: addr.port });
    await say("");
    await say("== 2. echo send: connect, send all, shut down the write side, recv until EOF");
    const message = new TextEncoder().encode("hello from the sockit demo\n");
    await say(`sending ${message.length} bytes; the echo follows:`);
    const writeData = !ctx.json && !ctx.quiet;
    const result = await exchangeEcho(
      { hostname: addr.hostname, port: addr.port },
      bytesReader(message),
      {
        timeoutMs: 5000,
        signal: ctx.signal,
        trace: ctx.trace,
        onData: writeData ? (chunk) => ctx.out.data(chunk) : undefined,
      },
    );
    logExchange(result);
    await step(2, {
      event: "echo",
      remote: result.dialed.remote,
      sent: result.sent,
      received: result.received,
      match: result.match,
      total_ms: roundMs(result.totalMs),
    });
    const mismatch = mismatchError(result);
    if (mismatch) throw mismatch;
    await say("the echo matched what was sent, byte for byte");
  } finally {
    const summary = await server.shutdown(1000);
    await say("");
    await say(
      `== 3. shutdown: ${summary.connections} connection served, ${summary.bytes} bytes echoed`,
    );
    await step(3, { event: "shutdown", ...summary });
  }
  await say("");
  await say(
    "== 4. resolve: localhost the system's way, then a DNS query to a responder on loopback",
  );
  await demoResolve(ctx, say, (event) => step(4, event));
  await say("");
  await say("== 5. get: two GETs on one kept-alive connection, the second with a chunked body");
  await demoGet(ctx, say, (event) => step(5, event));
  await say("");
  await say("== 6. wait: a port that opens a moment later, probed until it accepts");
  await demoWait(ctx, say, (event) => step(6, event));
  await say("");
  await say(
    "== 7. check: a spec file of checks against the demo's own servers, run at once, as JUnit",
  );
  await demoCheck(ctx, say, (event) => step(7, event));
  await say("");
  await say("== 8. udp: one datagram echoed back to its sender, then three in a row, like ping");
  await demoUdp(ctx, say, (event) => step(8, event));
  await say("");
  await say("Next: run `sockit echo serve` in one terminal and `sockit echo send hi` in another.");
  return ExitCode.Ok;
}

type Say = (line: string) => Promise<void>;
type Step = (event: Record<string, unknown>) => Promise<void>;

/**
 * `localhost` through the system resolver, then queries to a small responder started on
 * loopback, built on the same codec.
 */
async function demoResolve(ctx: Context, say: Say, step: Step): Promise<void> {
  const local = await lookupSystem("localhost");
  await say(
    `localhost through the system resolver: ${
      local.map((a) => `${a.address} (IPv${a.family})`).join(", ")
    }`,
  );
  await step({ event: "resolve", name: "localhost", via: "system", addresses: local });
  await using responder = await startResponder({
    "demo.sockit.test": ["192.0.2.7", "2001:db8::7"],
  });
  const server = formatServer(responder.server);
  for (
    const [name, type] of [
      ["demo.sockit.test", RecordType.A],
      ["demo.sockit.test", RecordType.AAAA],
      ["nope.sockit.test", RecordType.A],
    ] as const
  ) {
    const result = await queryDns(name, type, responder.server, {
      trace: ctx.trace,
      timeoutMs: 1000,
      signal: ctx.signal,
    });
    const status = rcodeName(result.message.flags.rcode);
    const answers = result.message.answers.map(formatRecordData);
    await say(
      answers.length > 0
        ? `${name} ${typeName(type)} from the responder at ${server}: ${
          answers.join(", ")
        } (${status}, ${formatMs(result.elapsedMs)})`
        : `${name} ${typeName(type)}: ${status}, which sockit resolve reports with exit 3`,
    );
    await step({
      event: "resolve",
      name,
      via: server,
      type: typeName(type),
      status,
      answers,
    });
  }
}

/**
 * Two GETs on one kept-alive connection to a scripted server, the second with a chunked body,
 * both with the trace on.
 */
async function demoGet(ctx: Context, say: Say, step: Step): Promise<void> {
  const first = "first, framed by Content-Length\n";
  await using server = startHttpResponder([
    `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${first.length}\r\n\r\n${first}`,
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n" +
    "7\r\nsecond,\r\nb\r\n in chunks\n\r\n0\r\n\r\n",
  ]);
  const client = new HttpClient({ trace: ctx.trace });
  try {
    const urls = [parseHttpUrl(server.url("/first")), parseHttpUrl(server.url("/second"))];
    for (const [index, url] of urls.entries()) {
      const result = await fetchUrl(client, url, {
        method: "GET",
        fields: defaultFields(PRODUCT),
        keepAlive: () => index === 0,
        signal: ctx.signal,
        onBody: (chunk) => ctx.quiet || ctx.json ? undefined : ctx.out.data(chunk),
      });
      const chunked = result.head.headers.has("transfer-encoding");
      await say(
        `GET ${url.target}: ${result.head.status}, ${result.bytes} bytes, ${
          result.reused ? "on the same connection (kept alive)" : "on a new connection"
        }${chunked ? ", chunked body" : ""}`,
      );
      await step({
        event: "get",
        url: url.href,
        status: result.head.status,
        bytes: result.bytes,
        connection_reused: result.reused,
        chunked,
      });
    }
  } finally {
    client.close();
  }
}

/** How long the demo's late server takes to open its port. */
const LATE_MS = 300;

/**
 * A server that opens its port a moment after the wait starts: the wait probes it on its
 * schedule (10 ms, then each pause 5% longer) and notices it within a few attempts.
 */
async function demoWait(ctx: Context, say: Say, step: Step): Promise<void> {
  const port = (() => {
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const { port } = probe.addr;
    probe.close();
    return port;
  })();
  const target = parseTarget(`127.0.0.1:${port}`);
  await say(`waiting for ${formatTargetName(target)}, which opens in ${LATE_MS} ms`);
  let listener: Deno.TcpListener | undefined;
  const opening = sleep(LATE_MS, ctx.signal).then(() => {
    listener = Deno.listen({ hostname: "127.0.0.1", port });
    return performance.now();
  });
  const accepting = opening.then(async () => {
    try {
      for await (const conn of listener!) conn.close();
    } catch { /* closed */ }
  });
  try {
    const started = performance.now();
    const result = await waitFor([target], {
      timeoutMs: 5000,
      signal: ctx.signal,
      probe: (t, options) => probe(t, { ...options, trace: ctx.trace }),
    });
    const status = result.targets[0]!;
    if (!result.ready) {
      throw new TimeoutError(`The demo's late server was not ready: ${status.last}`);
    }
    const noticedMs = performance.now() - (await opening);
    await say(
      `ready after ${status.attempts} attempts, ${formatMs(performance.now() - started)} in all, ` +
        `${formatMs(noticedMs)} after it opened`,
    );
    await step({
      event: "wait",
      target: formatTargetName(target),
      ready: true,
      attempts: status.attempts,
      elapsed_ms: roundMs(result.elapsedMs),
    });
  } finally {
    await opening.catch(() => {});
    listener?.close();
    await accepting;
  }
}

/** The spec the demo's check step runs; `${...}` are filled in with the servers' ports. */
const DEMO_SPEC = `version: 1
vars: { WEB: "", DNS: "", ECHO_PORT: "" }
checks:
  - name: api health
    http: { url: "\${WEB}/health" }
    expect: { status: [200], json: { /status: up }, time_under: 2s }
  - name: name answers
    dns: { name: demo.sockit.test, server: "\${DNS}" }
    expect: { addresses: [192.0.2.7] }
  - name: no such name
    dns: { name: nope.sockit.test, type: A, server: "\${DNS}" }
    expect: { rcode: NXDOMAIN }
  - name: echo round trip
    echo: { host: 127.0.0.1, port: "\${ECHO_PORT}", payload: "hello, check" }
`;

/**
 * A spec file run against servers started for it (HTTP, DNS, echo): checks at once, the lines
 * in file order, and the JUnit report written beside the spec.
 */
async function demoCheck(ctx: Context, say: Say, step: Step): Promise<void> {
  const body = '{"status":"up"}';
  await using web = startHttpResponder([
    `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
  ]);
  await using dns = await startResponder({ "demo.sockit.test": ["192.0.2.7"] });
  await using echo = serveEcho({ hostname: "127.0.0.1", port: 0 });
  const dir = await Deno.makeTempDir({ prefix: "sockit-demo-" });
  try {
    const specPath = `${dir}/sockit.yaml`;
    await Deno.writeTextFile(specPath, DEMO_SPEC);
    const spec = await loadSpec(DEMO_SPEC, {
      file: specPath,
      baseDir: dir,
      env: () => undefined,
      vars: new Map([
        ["WEB", web.url("")],
        ["DNS", `${dns.server.address}:${dns.server.port}`],
        ["ECHO_PORT", String((echo.addr as Deno.NetAddr).port)],
      ]),
      userAgent: PRODUCT,
    });
    await say(`running the ${spec.checks.length} checks of ${specPath}, all at once:`);
    const startedAt = new Date();
    const started = performance.now();
    const results = await runChecks(spec.checks.map((check) => ({ check })), {
      signal: ctx.signal,
      trace: ctx.trace,
      onResult: (result) =>
        say(
          `${result.status === "passed" ? "ok  " : "FAIL"}  ${
            result.check.name.padEnd(15)
          }  ${result.message}`,
        ),
    });
    const report = {
      results,
      files: [specPath],
      startedAt,
      durationMs: performance.now() - started,
    };
    const junit = junitReport(report);
    const junitPath = `${dir}/junit.xml`;
    await Deno.writeTextFile(junitPath, junit);
    const counts = countResults(results);
    await say(summaryLine(report));
    await say(`the JUnit report, as CI reads it (${junitPath}, removed when the demo ends):`);
    if (!ctx.quiet && !ctx.json) await ctx.out.data(new TextEncoder().encode(junit));
    await step({
      event: "check",
      passed: counts.passed,
      failed: counts.failed,
      skipped: counts.skipped,
      junit_testcases: (junit.match(/<testcase /g) ?? []).length,
      junit_bytes: new TextEncoder().encode(junit).length,
    });
    if (counts.failed > 0) {
      throw new CheckError(
        `The demo's checks failed: ${results.find((r) => r.status !== "passed")!.message}`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/**
 * A UDP echo server in this process: one datagram sent and checked, then a three-datagram ping
 * with its loss (step 8, after the wait step).
 */
async function demoUdp(ctx: Context, say: Say, step: Step): Promise<void> {
  const { udp } = await serveEchoPair({ hostname: "127.0.0.1", port: 0 }, { udp: udpEvents(ctx) });
  await using server = udp!;
  const target = { address: "127.0.0.1", port: server.addr.port };
  const remote = `127.0.0.1:${target.port}`;
  await say(`a UDP echo server listens on ${remote} (udp)`);
  const message = new TextEncoder().encode("hello over UDP\n");
  const echo = await echoDatagram(target, message, {
    timeoutMs: 2000,
    signal: ctx.signal,
    trace: ctx.trace,
  });
  const mismatch = mismatchError(echo);
  if (mismatch) throw mismatch;
  // 64 bytes: the ping's 8-byte header (sequence number, run ID), then readable text.
  const template = new Uint8Array(64);
  template.set(
    new TextEncoder().encode(`${"a UDP ping from the sockit demo".padEnd(55, ".")}\n`),
    8,
  );
  const ping = await pingUdp(target, template, {
    count: 3,
    intervalMs: 0,
    timeoutMs: 2000,
    signal: ctx.signal,
  });
  await say(
    `${echo.received} bytes came back in ${
      formatMs(echo.timeMs)
    }, byte for byte; ping: ${ping.sent} sent, ` +
      `${ping.received} received, ${Math.round(ping.lossPct)}% loss`,
  );
  await step({
    event: "udp",
    remote,
    sent: echo.sent,
    received: echo.received,
    match: echo.match,
    time_ms: roundMs(echo.timeMs),
    ping: { sent: ping.sent, received: ping.received, loss_pct: ping.lossPct },
  });
}
