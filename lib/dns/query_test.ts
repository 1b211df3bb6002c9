/**
 * The DNS client against a responder on 127.0.0.1 (UDP and TCP on one free port): answers over
 * each transport, the TCP retry of a truncated answer, tries, timeouts, malformed replies, and
 * several queries on one client.
 */
import assert from "node:assert/strict";
import { DnsClient, formatServer, queryDns } from "./query.ts";
import { answerFromTable, startResponder } from "./responder.ts";
import { encodeMessage, Rcode, RecordType } from "./wire.ts";
import type { DnsMessage } from "./wire.ts";

const TABLE = { "t.test": ["192.0.2.1", "2001:db8::1"] };

/** A reply to `query` with the TC bit set and no answers. */
function truncated(query: DnsMessage): Uint8Array {
  return encodeMessage({
    id: query.id,
    questions: query.questions,
    flags: { qr: true, tc: true, rd: query.flags.rd },
  });
}

Deno.test("queryDns() asks over UDP, and over TCP only when told, and says which answered", async () => {
  await using responder = await startResponder(TABLE);
  const udp = await queryDns("t.test", RecordType.A, responder.server);
  assert.deepEqual(
    [udp.transport, udp.truncated, udp.tries, udp.server],
    ["udp", false, 1, responder.server],
  );
  assert.deepEqual(udp.message.answers.map((r) => r.data), [{ address: "192.0.2.1" }]);
  assert.ok(udp.elapsedMs >= 0);
  const tcp = await queryDns("t.test", RecordType.AAAA, responder.server, { transport: "tcp" });
  assert.deepEqual([tcp.transport, tcp.truncated, tcp.tries], ["tcp", false, 1]);
  assert.deepEqual(tcp.message.answers.map((r) => r.data), [{ address: "2001:db8::1" }]);
  assert.equal(responder.queries, 2);
});

Deno.test("queryDns() asks again over TCP when the UDP answer is truncated", async () => {
  let asked = 0;
  await using responder = await startResponder((query) =>
    ++asked === 1 ? truncated(query) : answerFromTable(TABLE, query)
  );
  const result = await queryDns("t.test", RecordType.A, responder.server);
  assert.deepEqual([result.transport, result.truncated, result.tries], ["tcp", true, 1]);
  assert.deepEqual(result.message.answers.map((r) => r.data), [{ address: "192.0.2.1" }]);
  assert.equal(responder.queries, 2);
});

Deno.test("queryDns() asks again when a try goes unanswered, and counts the tries", async () => {
  let asked = 0;
  await using responder = await startResponder((query) =>
    ++asked === 1 ? null : answerFromTable(TABLE, query)
  );
  const result = await queryDns("t.test", RecordType.A, responder.server, { timeoutMs: 100 });
  assert.deepEqual([result.transport, result.tries], ["udp", 2]);
  assert.equal(responder.queries, 2);
});

Deno.test("queryDns() gives up after tries x timeout with a TimeoutError naming the server and transport", async () => {
  await using responder = await startResponder(() => null);
  const server = formatServer(responder.server);
  await assert.rejects(
    queryDns("t.test", RecordType.A, responder.server, { timeoutMs: 50, tries: 2 }),
    {
      name: "TimeoutError",
      message: `No answer from ${server} for t.test A: timed out after 2 tries of 50ms`,
    },
  );
  assert.equal(responder.queries, 2);
  await assert.rejects(
    queryDns("t.test", RecordType.A, responder.server, {
      timeoutMs: 50,
      tries: 2,
      transport: "tcp",
    }),
    {
      name: "TimeoutError",
      message: `No answer from ${server} over TCP for t.test A: timed out after 2 tries of 50ms`,
    },
  );
  assert.equal(responder.queries, 4);
});

Deno.test("queryDns() refuses a malformed name before sending anything", async () => {
  await using responder = await startResponder(TABLE);
  await assert.rejects(queryDns("a..b", RecordType.A, responder.server), {
    name: "RangeError",
    message: 'Invalid name "a..b": empty label',
  });
  assert.equal(responder.queries, 0);
});

Deno.test("queryDns() rejects a matching reply that is malformed with a ProtocolError", async () => {
  // The query's header and the first two bytes of its question, flagged as a reply.
  await using responder = await startResponder((_query, raw) => {
    const reply = raw.slice(0, 14);
    reply[2]! |= 0x80;
    return reply;
  });
  await assert.rejects(
    queryDns("t.test", RecordType.A, responder.server, { timeoutMs: 2000, tries: 1 }),
    {
      name: "ProtocolError",
      message: "Malformed DNS message: question name runs past the end (offset 14)",
    },
  );
});

Deno.test("DnsClient answers several queries at once, each with its own reply", async () => {
  await using responder = await startResponder(TABLE);
  await using client = new DnsClient(responder.server);
  const results = await Promise.all(
    ["t.test", "x.test", "T.TEST"].map((name) => client.query(name, RecordType.A)),
  );
  assert.deepEqual(
    results.map(({ message }) => [message.questions[0]!.name, message.flags.rcode]),
    [["t.test", Rcode.NOERROR], ["x.test", Rcode.NXDOMAIN], ["T.TEST", Rcode.NOERROR]],
  );
  assert.equal(responder.queries, 3);
});

Deno.test("formatServer() names a server the way dig does", () => {
  assert.equal(formatServer({ address: "127.0.0.1", port: 53 }), "127.0.0.1#53");
  assert.equal(formatServer({ address: "::1", port: 5353 }), "::1#5353");
});
