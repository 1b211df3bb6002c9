/**
 * `sockit resolve` against a fake DNS server that does what dnsmasq will not: fail, refuse,
 * answer with the wrong ID or from the wrong port, send malformed replies, or stay silent.
 */
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { DnsClient, queryDns } from "../lib/dns/query.ts";
import { startResponder } from "../lib/dns/responder.ts";
import { encodeMessage, Rcode, RecordType } from "../lib/dns/wire.ts";
import type { DnsMessage } from "../lib/dns/wire.ts";
import { InterruptedError, TimeoutError } from "../lib/net/errors.ts";
import { startTimer } from "../lib/net/timer.ts";
import { runSockit } from "./_helpers.ts";

function reply(
  query: DnsMessage,
  extra: Parameters<typeof encodeMessage>[0] extends infer T ? Partial<T> : never,
) {
  return encodeMessage({
    id: query.id,
    questions: query.questions,
    ...extra,
    flags: { qr: true, rd: true, ra: true, ...extra.flags },
  });
}

function answerA(query: DnsMessage, address: string, id = query.id): Uint8Array {
  return encodeMessage({
    id,
    flags: { qr: true, rd: true, ra: true },
    questions: query.questions,
    answers: [{
      name: query.questions[0]!.name,
      type: RecordType.A,
      class: 1,
      ttl: 30,
      data: { address },
    }],
  });
}

for (
  const [rcode, label] of [[Rcode.SERVFAIL, "SERVFAIL (the server failed to answer)"], [
    Rcode.REFUSED,
    "REFUSED (the server refused to answer)",
  ]] as const
) {
  Deno.test(`resolve exits 3 on ${label.split(" ")[0]} and says so in text and JSON`, async () => {
    await using fake = await startResponder((query) => reply(query, { flags: { rcode } }));
    const server = `${fake.server.address}:${fake.server.port}`;
    const text = await runSockit(["resolve", `@${server}`, "x.test"]);
    assert.equal(text.code, 3);
    assert.equal(
      text.err,
      `error: Cannot resolve "x.test" (A) at 127.0.0.1#${fake.server.port}: ${label}\n`,
    );
    const json = await runSockit(["resolve", `@${server}`, "x.test", "--json"]);
    assert.equal(json.code, 3);
    const answer = JSON.parse(json.out);
    assert.deepEqual([answer.status, answer.outcome, answer.exit_code], [
      label.split(" ")[0],
      label.split(" ")[0]!.toLowerCase(),
      3,
    ]);
  });
}

Deno.test("resolve ignores a reply with the wrong ID and takes the right one", async () => {
  await using fake = await startResponder((query) => [
    answerA(query, "10.9.9.9", (query.id + 1) & 0xffff),
    answerA(query, "192.0.2.55"),
  ]);
  const result = await runSockit([
    "resolve",
    `@127.0.0.1:${fake.server.port}`,
    "x.test",
    "--short",
    "--trace",
  ]);
  assert.equal(result.code, 0, result.err);
  assert.equal(result.out, "192.0.2.55\n");
  assert.match(result.err, /recv \d+ bytes ignored: ID \d+, expected \d+/);
});

Deno.test("resolve ignores a reply from another port and takes the server's own", async () => {
  const forger = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => forger.bind(0, "127.0.0.1", resolve));
  try {
    // The server has a forged answer (right ID, wrong source port) sent first, then answers.
    await using server = await startResponder((query, _raw, from) => {
      forger.send(answerA(query, "10.6.6.6"), from.port, from.address, () => {
        void server.sendTo(answerA(query, "192.0.2.77"), from);
      });
      return null;
    });
    const result = await runSockit([
      "resolve",
      `@127.0.0.1:${server.server.port}`,
      "x.test",
      "--short",
      "--trace",
    ]);
    assert.equal(result.code, 0, result.err);
    assert.equal(result.out, "192.0.2.77\n");
    const forgerPort = forger.address().port;
    assert.match(
      result.err,
      new RegExp(
        `recv \\d+ bytes ignored: from 127\\.0\\.0\\.1:${forgerPort}, not 127\\.0\\.0\\.1#${server.server.port}`,
      ),
    );
  } finally {
    await new Promise<void>((resolve) => forger.close(() => resolve()));
  }
});

Deno.test("resolve reports a compression loop as a protocol error, exit 7", async () => {
  await using fake = await startResponder((query) => {
    const good = answerA(query, "192.0.2.1");
    // The answer's name (right after the question) becomes a pointer to itself.
    const at = good.length - 16;
    const bad = good.slice();
    bad[at] = 0xc0 | (at >> 8);
    bad[at + 1] = at & 0xff;
    return bad;
  });
  const result = await runSockit(["resolve", `@127.0.0.1:${fake.server.port}`, "x.test"]);
  assert.equal(result.code, 7);
  assert.equal(
    result.err,
    "error: Malformed DNS message: answer record name has a compression loop\n",
  );
});

Deno.test("resolve reports a truncated record as a protocol error, exit 7", async () => {
  await using fake = await startResponder((query) => answerA(query, "192.0.2.1").slice(0, -2));
  const result = await runSockit(["resolve", `@127.0.0.1:${fake.server.port}`, "x.test", "--json"]);
  assert.equal(result.code, 7);
  assert.match(result.err, /^error: Malformed DNS message: answer A record data runs past the end/);
  assert.equal(JSON.parse(result.out).exit_code, 7);
});

Deno.test("resolve gives up on a silent server after --timeout x --tries, exit 5", async () => {
  await using fake = await startResponder(() => null);
  const result = await runSockit([
    "resolve",
    `@127.0.0.1:${fake.server.port}`,
    "x.test",
    "--timeout",
    "200ms",
    "--tries",
    "2",
  ]);
  assert.equal(result.code, 5);
  assert.equal(
    result.err,
    `error: No answer from 127.0.0.1#${fake.server.port} for x.test A: timed out after 2 tries of 200ms\n`,
  );
  assert.equal(fake.queries, 2, "one query per try");
});

Deno.test("queryDns() gives up within timeout x tries plus 10%", async () => {
  await using fake = await startResponder(() => null);
  const started = performance.now();
  await assert.rejects(
    queryDns("x.test", RecordType.A, fake.server, { timeoutMs: 300, tries: 3 }),
    TimeoutError,
  );
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 900 && elapsed <= 990, `gave up after ${elapsed.toFixed(0)} ms`);
});

/** Rejects when `promise` has not settled within `ms`, so that a query that hangs fails the test. */
async function settlesWithin<T>(promise: Promise<T>, ms = 2000): Promise<T> {
  let timer;
  const late = new Promise<never>((_, reject) => {
    timer = startTimer(() => reject(new Error(`did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    timer!.clear();
  }
}

Deno.test("issue 9 defect 18: DnsClient rejects queries at once, with the reason, once its signal aborted or it closed", async () => {
  const received = Promise.withResolvers<void>();
  await using silent = await startResponder(() => {
    received.resolve();
    return null;
  });
  const controller = new AbortController();
  const client = new DnsClient(silent.server, { signal: controller.signal, timeoutMs: 60_000 });
  const pending = client.query("x.test", RecordType.A);
  await received.promise;
  const reason = new InterruptedError("Stopped by the test");
  controller.abort(reason);
  const isReason = (error: unknown) => error === reason;
  await assert.rejects(settlesWithin(pending), isReason);
  await assert.rejects(settlesWithin(client.query("y.test", RecordType.A)), isReason);
  await client.close();
  // A signal aborted before the client exists, over either transport.
  for (const transport of ["udp", "tcp"] as const) {
    await using early = new DnsClient(silent.server, { signal: controller.signal, transport });
    await assert.rejects(settlesWithin(early.query("x.test", RecordType.A)), isReason);
  }
  // Closed without a signal: an InterruptedError that says so.
  const closed = new DnsClient(silent.server);
  await closed.close();
  await assert.rejects(
    settlesWithin(closed.query("x.test", RecordType.A)),
    (error) => error instanceof InterruptedError && /DNS client .* was closed/.test(error.message),
  );
});
