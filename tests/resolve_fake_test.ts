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
import { runSockit, spawnSockit } from "./_helpers.ts";

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

/** Labels of these lengths (letters a, b, c...) joined as a name. */
function nameOf(...lengths: number[]): string {
  return lengths.map((n, i) => String.fromCharCode(97 + i).repeat(n)).join(".");
}

Deno.test("resolve refuses a malformed name or server with exit 2 before sending anything", async (t) => {
  await using fake = await startResponder({ "a.test": ["192.0.2.1"] });
  const at = `@127.0.0.1:${fake.server.port}`;
  const cases: Array<[string[], RegExp]> = [
    [[at, "a.test", "a..test"], /^error: Invalid name "a\.\.test": empty label\n/],
    [
      [at, `${"b".repeat(64)}.test`],
      /^error: Invalid name "b{64}\.test": label 1 is 64 bytes, more than 63\n/,
    ],
    [
      [at, nameOf(63, 63, 63, 62)],
      /^error: Invalid name "a{60}\.\.\.d{20}" \(254 characters\): 256 bytes on the wire, more than 255\n/,
    ],
    [[at, ""], /^error: Invalid name "": empty name/],
    [[at, ".a.test"], /^error: Invalid name "\.a\.test": empty label\n/],
    [[at, "a\\256.test"], /^error: Invalid name "a\\256\.test": escape \\256 is over 255\n/],
    [
      ["@127.0.0.1:", "a.test"],
      /^error: Invalid server "127\.0\.0\.1:": empty port after the colon\n/,
    ],
    [
      ["@127.0.0.1:x", "a.test"],
      /^error: Invalid server "127\.0\.0\.1:x": port "x" is not a number\n/,
    ],
    [["@127.0.0.1:65536", "a.test"], /port 65536 is out of range, expected 1 to 65535\n/],
    [["--server", "127.0.0.1:0", "a.test"], /port 0 is out of range, expected 1 to 65535\n/],
    [["@1:2:3", "a.test"], /^error: Invalid server "1:2:3": "1:2:3" is not an IP address/],
    [["@", "a.test"], /^error: Invalid server "": empty/],
    [
      ["--server", "[::1", "a.test"],
      /^error: Invalid server "\[::1": expected \[IPV6\] or \[IPV6\]:PORT\n/,
    ],
    [["--server", "[127.0.0.1]:53", "a.test"], /in brackets is not an IPv6 address/],
    [
      [at, "-x", "1.2.3"],
      /^error: Invalid address "1\.2\.3" for -x: not an IPv4 or IPv6 address\n/,
    ],
    [[at, "-x", "::1", "-x", "1:2:3"], /^error: Invalid address "1:2:3" for -x/],
    [[at, "a.test", "--expect", "1:2:3"], /^error: Invalid address "1:2:3" for --expect/],
    // System mode checks names the same way.
    [["a..test"], /^error: Invalid name "a\.\.test": empty label\n/],
    [[`${"b".repeat(64)}.test`], /label 1 is 64 bytes, more than 63/],
    [[""], /^error: Invalid name "": empty name/],
  ];
  for (const [args, pattern] of cases) {
    await t.step(`resolve ${args.join(" ")}`, async () => {
      const result = await runSockit(["resolve", ...args]);
      assert.equal(result.code, 2, result.err);
      assert.match(result.err, pattern);
      const json = await runSockit(["resolve", ...args, "--json"]);
      assert.equal(JSON.parse(json.out).exit_code, 2);
    });
  }
  await t.step("a bad line of -f names its file and line", async () => {
    const file = await Deno.makeTempFile();
    try {
      await Deno.writeTextFile(file, "a.test\nb..test\n");
      const result = await runSockit(["resolve", at, "-f", file]);
      assert.equal(result.code, 2);
      assert.match(
        result.err,
        new RegExp(`^error: Invalid name "b\\.\\.test": empty label \\(-f ${file}, line 2\\)\n`),
      );
    } finally {
      await Deno.remove(file);
    }
  });
  assert.equal(fake.queries, 0, "no query was sent");
});

Deno.test("resolve -f strips # comments and blank lines, and reads stdin for - and /dev/stdin", async (t) => {
  await using fake = await startResponder({
    "a.test": ["192.0.2.1"],
    "b#c.test": ["192.0.2.3"],
    "b.test": ["192.0.2.2"],
  });
  const at = `@127.0.0.1:${fake.server.port}`;
  const names = [
    "# names to check",
    "",
    "a.test   # the web server",
    "\tb.test\t#backup\r",
    "   # an indented comment",
    "b\\#c.test",
    "",
  ].join("\n");
  const expected = "192.0.2.1\n192.0.2.2\n192.0.2.3\n";
  await t.step("from a file", async () => {
    const file = await Deno.makeTempFile();
    try {
      await Deno.writeTextFile(file, names);
      const result = await runSockit(["resolve", at, "-f", file, "--short", "--tries", "1"]);
      assert.deepEqual([result.code, result.out, result.err], [0, expected, ""]);
    } finally {
      await Deno.remove(file);
    }
  });
  for (const path of ["-", "/dev/stdin"]) {
    await t.step(`from stdin as ${path}`, async () => {
      const result = await runSockit(["resolve", at, "-f", path, "--short", "--tries", "1"], {
        stdin: names,
      });
      assert.deepEqual([result.code, result.out, result.err], [0, expected, ""]);
    });
  }
});

Deno.test("resolve --compare exits 1 when only the server fails, and says SERVFAIL", async () => {
  await using fake = await startResponder((query) =>
    reply(query, { flags: { rcode: Rcode.SERVFAIL } })
  );
  const where = `127.0.0.1#${fake.server.port}`;
  const args = [
    "resolve",
    "--compare",
    "localhost",
    "-4",
    "--server",
    `127.0.0.1:${fake.server.port}`,
  ];
  const text = await runSockit(args);
  assert.equal(text.code, 1);
  assert.match(
    text.out,
    new RegExp(`\n  system \\(getaddrinfo\\): 1 address\n  server \\(${where}\\): SERVFAIL\n`),
  );
  assert.equal(
    text.err,
    `error: Check failed: the system and ${where} disagree about "localhost": ${where} says SERVFAIL\n`,
  );
  const json = JSON.parse((await runSockit([...args, "--json"])).out);
  assert.deepEqual(
    [json.system, json.dns, json.system_outcome, json.server_outcome, json.exit_code],
    [["127.0.0.1"], [], "answer", "servfail", 1],
  );
});

Deno.test("resolve --compare honours -t A, refuses -t MX and --short, and keeps timeouts at exit 5", async () => {
  await using fake = await startResponder({ "localhost": ["127.0.0.1", "::1"] });
  const server = ["--server", `127.0.0.1:${fake.server.port}`];
  const a = await runSockit(["resolve", "--compare", "localhost", "-t", "A", ...server, "--json"]);
  assert.equal(a.code, 0, a.err);
  const json = JSON.parse(a.out);
  assert.deepEqual([json.system, json.dns, json.same, json.error], [
    ["127.0.0.1"],
    ["127.0.0.1"],
    true,
    null,
  ]);
  for (
    const extra of [["-t", "MX"], ["--short"], ["--expect", "127.0.0.1"], ["-t", "AAAA", "-4"]]
  ) {
    const refused = await runSockit(["resolve", "--compare", "localhost", ...server, ...extra]);
    assert.equal(refused.code, 2, extra.join(" "));
  }
  await using silent = await startResponder(() => null);
  const slow = await runSockit([
    "resolve",
    "--compare",
    "localhost",
    "--server",
    `127.0.0.1:${silent.server.port}`,
    "--timeout",
    "200ms",
    "--tries",
    "1",
  ]);
  assert.equal(slow.code, 5);
  assert.match(slow.err, /^error: No answer from 127\.0\.0\.1#\d+ for localhost A: timed out/);
});

Deno.test("resolve reads BADVERS from the OPT record's extended RCODE, exit 3", async () => {
  const edns = { udpSize: 1232, version: 0, dnssecOk: false };
  // BADVERS is 16: 0 in the header's four bits, 1 in the OPT record's upper eight.
  await using fake = await startResponder((query) => reply(query, { flags: { rcode: 16 }, edns }));
  const at = `@127.0.0.1:${fake.server.port}`;
  const text = await runSockit(["resolve", at, "x.test"]);
  assert.equal(text.code, 3);
  assert.match(text.out, /^;; x\.test\. A @127\.0\.0\.1#\d+ \(udp\): BADVERS, /);
  assert.equal(
    text.err,
    `error: Cannot resolve "x.test" (A) at 127.0.0.1#${fake.server.port}: BADVERS (the server does not support EDNS version 0)\n`,
  );
  const json = JSON.parse((await runSockit(["resolve", at, "x.test", "--json"])).out);
  assert.deepEqual([json.status, json.outcome, json.exit_code], ["BADVERS", "badvers", 3]);
});

Deno.test("resolve asks for a 255-byte name and rejects a 256-byte name in a reply, exit 7", async () => {
  await using fake = await startResponder((query) => answerA(query, "192.0.2.1"));
  const longest = nameOf(63, 63, 63, 61);
  const ok = await runSockit(["resolve", `@127.0.0.1:${fake.server.port}`, longest, "--json"]);
  assert.equal(ok.code, 0, ok.err);
  assert.equal(JSON.parse(ok.out).name, `${longest}.`);
  // A reply whose answer is owned by a name of 256 bytes on the wire, root byte included.
  await using bad = await startResponder((query) => {
    const head = encodeMessage({ id: query.id, flags: { qr: true }, questions: query.questions });
    head[7] = 1; // one answer
    const owner = [63, 63, 63, 62].flatMap((n, i) => [n, ...Array(n).fill(97 + i)]);
    return Uint8Array.from([...head, ...owner, 0, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 192, 0, 2, 1]);
  });
  const result = await runSockit(["resolve", `@127.0.0.1:${bad.server.port}`, "x.test"]);
  assert.equal(result.code, 7);
  assert.equal(
    result.err,
    "error: Malformed DNS message: answer record name is longer than 255 bytes\n",
  );
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

Deno.test("DnsClient rejects queries at once, with the reason, once its signal aborted or it closed", async () => {
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

Deno.test("resolve stops at once with exit 130 on SIGINT while it waits for a server", async () => {
  const received = Promise.withResolvers<void>();
  await using silent = await startResponder(() => {
    received.resolve();
    return null;
  });
  const { process } = spawnSockit([
    "resolve",
    `@127.0.0.1:${silent.server.port}`,
    "x.test",
    "--timeout",
    "30s",
  ]);
  const stderr = new Response(process.stderr).text();
  const stdout = new Response(process.stdout).text();
  await received.promise;
  const sent = performance.now();
  process.kill("SIGINT");
  const status = await process.status;
  const took = performance.now() - sent;
  assert.equal(status.code, 130);
  assert.deepEqual([await stdout, await stderr], ["", ""]);
  // Without the signal reaching the query, the command would be cut off after its 2 s grace.
  assert.ok(took < 1500, `exited ${took.toFixed(0)} ms after SIGINT`);
});

Deno.test("DnsClient ignores replies to another question and takes one that differs in letter case only", async () => {
  const answered = (query: DnsMessage, question: DnsMessage["questions"][0], address: string) =>
    encodeMessage({
      id: query.id,
      flags: { qr: true, rd: true, ra: true },
      questions: [question],
      answers: [{ name: question.name, type: RecordType.A, class: 1, ttl: 30, data: { address } }],
    });
  await using fake = await startResponder((query) => {
    const q = query.questions[0]!;
    return [
      answered(query, { ...q, name: "y.test" }, "10.1.1.1"),
      answered(query, { ...q, type: RecordType.AAAA }, "10.2.2.2"),
      answered(query, { ...q, class: 3 }, "10.3.3.3"),
      answered(query, { ...q, name: "X.Test" }, "192.0.2.9"),
    ];
  });
  const ignored: string[] = [];
  const { message } = await queryDns("x.test", RecordType.A, fake.server, {
    trace: (event) => {
      if (event.detail?.startsWith("ignored: question")) ignored.push(event.detail);
    },
  });
  assert.deepEqual(message.answers.map((r) => r.data), [{ address: "192.0.2.9" }]);
  assert.deepEqual(ignored, [
    "ignored: question y.test A, expected x.test A",
    "ignored: question x.test AAAA, expected x.test A",
    "ignored: question x.test A, expected x.test A",
  ]);
});

Deno.test("DnsClient takes a reply whose question is a pointer to the same name, compared name to name", async () => {
  // Asked for the root: the reply's question is a pointer to byte 4 of its header, the high
  // byte of its question count, a zero: the root again, worded so the bytes differ from ours.
  await using fake = await startResponder((query) => {
    const plain = encodeMessage({
      id: query.id,
      flags: { qr: true, rd: true, ra: true },
      questions: query.questions,
    });
    const worded = new Uint8Array(plain.length + 1);
    worded.set(plain.subarray(0, 12));
    worded.set([0xc0, 0x04], 12);
    worded.set(plain.subarray(13), 14);
    return worded;
  });
  const { message } = await queryDns(".", RecordType.NS, fake.server, { tries: 1 });
  assert.deepEqual(message.questions, [{ name: ".", type: RecordType.NS, class: 1 }]);
});
