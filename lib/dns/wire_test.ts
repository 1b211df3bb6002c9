import assert from "node:assert/strict";
import { ProtocolError } from "../net/errors.ts";
import {
  buildQuery,
  decodeMessage,
  encodeMessage,
  formatRecordData,
  parseRecordType,
  rcodeName,
  RecordType,
  reverseName,
  typeCode,
} from "./wire.ts";
import type { DnsRecord, QueryOptions } from "./wire.ts";

const te = (s: string) => new TextEncoder().encode(s);

const RECORDS: DnsRecord[] = [
  { name: "a.example.test", type: RecordType.A, class: 1, ttl: 60, data: { address: "192.0.2.1" } },
  {
    name: "a.example.test",
    type: RecordType.AAAA,
    class: 1,
    ttl: 60,
    data: { address: "2001:db8::1" },
  },
  {
    name: "www.example.test",
    type: RecordType.CNAME,
    class: 1,
    ttl: 5,
    data: { target: "a.example.test" },
  },
  {
    name: "example.test",
    type: RecordType.NS,
    class: 1,
    ttl: 5,
    data: { target: "ns1.example.test" },
  },
  {
    name: "1.2.0.192.in-addr.arpa",
    type: RecordType.PTR,
    class: 1,
    ttl: 5,
    data: { target: "a.example.test" },
  },
  {
    name: "example.test",
    type: RecordType.MX,
    class: 1,
    ttl: 5,
    data: { preference: 10, exchange: "mail.example.test" },
  },
  {
    name: "example.test",
    type: RecordType.TXT,
    class: 1,
    ttl: 5,
    data: { texts: [te("v=spf1 -all"), te('quote " and \\')] },
  },
  {
    name: "_sip._tcp.example.test",
    type: RecordType.SRV,
    class: 1,
    ttl: 5,
    data: { priority: 1, weight: 2, port: 5060, target: "sip.example.test" },
  },
  {
    name: "example.test",
    type: RecordType.SOA,
    class: 1,
    ttl: 5,
    data: {
      mname: "ns1.example.test",
      rname: "hostmaster.example.test",
      serial: 2026112501,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum: 300,
    },
  },
  {
    name: "example.test",
    type: RecordType.CAA,
    class: 1,
    ttl: 5,
    data: { flags: 0, tag: "issue", value: te("ca.example.net") },
  },
  { name: "example.test", type: 99, class: 1, ttl: 5, data: { raw: Uint8Array.of(1, 2, 3) } },
];

Deno.test("every supported record type round-trips through encodeMessage() and decodeMessage()", () => {
  const bytes = encodeMessage({
    id: 0xbeef,
    flags: { qr: true, aa: true, rd: true, ra: true },
    questions: [{ name: "example.test", type: RecordType.A, class: 1 }],
    answers: RECORDS,
    edns: { udpSize: 1232, version: 0, dnssecOk: false },
  });
  const decoded = decodeMessage(bytes);
  assert.equal(decoded.id, 0xbeef);
  assert.deepEqual(
    [decoded.flags.qr, decoded.flags.aa, decoded.flags.rd, decoded.flags.ra, decoded.flags.tc],
    [true, true, true, true, false],
  );
  assert.deepEqual(decoded.answers, RECORDS);
  assert.deepEqual(decoded.edns, { udpSize: 1232, version: 0, dnssecOk: false });
});

Deno.test("formatRecordData() prints each type as dig does", () => {
  assert.deepEqual(RECORDS.map(formatRecordData), [
    "192.0.2.1",
    "2001:db8::1",
    "a.example.test.",
    "ns1.example.test.",
    "a.example.test.",
    "10 mail.example.test.",
    '"v=spf1 -all" "quote \\" and \\\\"',
    "1 2 5060 sip.example.test.",
    "ns1.example.test. hostmaster.example.test. 2026112501 3600 600 86400 300",
    '0 issue "ca.example.net"',
    "\\# 3 010203",
  ]);
});

Deno.test("encodeMessage() compresses a repeated name into a two-byte pointer", () => {
  const one = encodeMessage({
    id: 1,
    questions: [{ name: "long-name.example.test", type: 1, class: 1 }],
  });
  const two = encodeMessage({
    id: 1,
    questions: [{ name: "long-name.example.test", type: 1, class: 1 }],
    answers: [{
      name: "long-name.example.test",
      type: 1,
      class: 1,
      ttl: 0,
      data: { address: "192.0.2.1" },
    }],
  });
  // The answer adds a pointer (2) + type, class, TTL, length (10) + 4 address bytes.
  assert.equal(two.length - one.length, 16);
  assert.deepEqual([two[one.length], two[one.length + 1]], [0xc0, 12]);
});

Deno.test("decodeMessage() follows a pointer to a suffix written earlier", () => {
  // Question "a.example" at 12; the answer name is "www" + pointer to "example" (offset 14).
  const bytes = Uint8Array.of(
    0,
    1,
    0x81,
    0x80,
    0,
    1,
    0,
    1,
    0,
    0,
    0,
    0,
    1,
    97,
    7,
    ...te("example"),
    0,
    0,
    1,
    0,
    1,
    3,
    ...te("www"),
    0xc0,
    14,
    0,
    1,
    0,
    1,
    0,
    0,
    0,
    9,
    0,
    4,
    10,
    0,
    0,
    1,
  );
  const m = decodeMessage(bytes);
  assert.equal(m.questions[0]!.name, "a.example");
  assert.equal(m.answers[0]!.name, "www.example");
  assert.deepEqual(m.answers[0]!.data, { address: "10.0.0.1" });
});

Deno.test("decodeMessage() keeps escapes for dots and odd bytes inside labels", () => {
  const bytes = encodeMessage({
    id: 2,
    questions: [{ name: "a\\.b.c\\032d.test", type: 1, class: 1 }],
  });
  assert.equal(decodeMessage(bytes).questions[0]!.name, "a\\.b.c\\032d.test");
});

const header = (qd: number, an: number) => [0, 9, 0x81, 0x80, 0, qd, 0, an, 0, 0, 0, 0];

/** Wire bytes of a name made of labels of these lengths (letters a, b, c...), root included. */
const wireName = (...lengths: number[]) => [
  ...lengths.flatMap((n, i) => [n, ...Array(n).fill(97 + i)]),
  0,
];

const MALFORMED: Array<[string, number[], RegExp]> = [
  ["a header cut short", [0, 1, 0x81], /shorter than a header/],
  ["a pointer to itself", [...header(1, 0), 0xc0, 12, 0, 1, 0, 1], /compression loop/],
  [
    "two pointers to each other",
    [...header(1, 0), 0xc0, 14, 0xc0, 12, 0, 1, 0, 1],
    /compression loop/,
  ],
  ["a pointer past the end", [...header(1, 0), 0xc0, 200, 0, 1, 0, 1], /points out of range/],
  ["a label past the end", [...header(1, 0), 9, 97, 98], /runs past the end/],
  ["a question without its type", [...header(1, 0), 1, 97, 0], /question type runs past the end/],
  [
    "an A record with 3 bytes",
    [...header(0, 1), 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 3, 1, 2, 3],
    /answer A record has 3 bytes of data, expected 4/,
  ],
  [
    "record data longer than the message",
    [...header(0, 1), 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 40, 1, 2, 3, 4],
    /record data runs past the end/,
  ],
  [
    "a TXT string past its data",
    [...header(0, 1), 0, 0, 16, 0, 1, 0, 0, 0, 0, 0, 3, 5, 97, 98],
    /string past its data/,
  ],
  ["a reserved label type", [...header(1, 0), 0x40, 0, 0, 1, 0, 1], /reserved label type/],
  ["bytes after the last record", [...header(0, 0), 0], /1 bytes after the last record/],
  [
    "a name over 255 bytes",
    [...header(1, 0), ...Array(5).fill([63, ...Array(63).fill(97)]).flat(), 0, 0, 1, 0, 1],
    /longer than 255 bytes/,
  ],
];

Deno.test("decodeMessage() counts the root's byte: 256 bytes is too long, 255 is not", () => {
  // 64 + 64 + 64 + 63 bytes of labels and the root's zero: 256 bytes on the wire.
  const question = (name: number[]) => Uint8Array.from([...header(1, 0), ...name, 0, 1, 0, 1]);
  assert.throws(
    () => decodeMessage(question(wireName(63, 63, 63, 62))),
    (error) =>
      error instanceof ProtocolError &&
      /question name is longer than 255 bytes/.test(error.message),
  );
  const name = decodeMessage(question(wireName(63, 63, 63, 61))).questions[0]!.name;
  assert.equal(name.length, 63 * 3 + 61 + 3);
});

Deno.test("encodeMessage() refuses a name over 255 bytes or with a long label", () => {
  const labels = (...lengths: number[]) =>
    lengths.map((n, i) => String.fromCharCode(97 + i).repeat(n)).join(".");
  const query = (name: string) =>
    encodeMessage({ id: 1, questions: [{ name, type: RecordType.A, class: 1 }] });
  assert.throws(() => query(labels(63, 63, 63, 62)), /256 bytes on the wire, more than 255/);
  assert.throws(() => query(labels(64)), /label 1 is 64 bytes, more than 63/);
  assert.throws(
    () =>
      encodeMessage({
        id: 1,
        answers: [{
          name: "x.test",
          type: RecordType.CNAME,
          class: 1,
          ttl: 1,
          data: { target: labels(63, 63, 63, 62) },
        }],
      }),
    RangeError,
  );
  const longest = labels(63, 63, 63, 61);
  assert.equal(decodeMessage(query(longest)).questions[0]!.name, longest);
});

Deno.test("decodeMessage() reads the extended RCODE from the OPT record: BADVERS is 16", () => {
  // Header RCODE 0; the OPT record's TTL carries the upper 8 bits (1), so the RCODE is 16.
  const bytes = Uint8Array.from([
    ...[0, 7, 0x81, 0x80, 0, 0, 0, 0, 0, 0, 0, 1],
    ...[0, 0, 41, 0x04, 0xd0, 1, 0, 0, 0, 0, 0],
  ]);
  const message = decodeMessage(bytes);
  assert.equal(message.flags.rcode, 16);
  assert.equal(rcodeName(message.flags.rcode), "BADVERS");
  assert.deepEqual(message.edns, { udpSize: 1232, version: 0, dnssecOk: false });
  const edns = { udpSize: 1232, version: 0, dnssecOk: false };
  const reply = encodeMessage({ id: 8, flags: { qr: true, rcode: 16 }, edns });
  assert.equal(decodeMessage(reply).flags.rcode, 16);
  assert.throws(() => encodeMessage({ id: 8, flags: { rcode: 16 } }), /needs an OPT record/);
});

for (const [what, bytes, message] of MALFORMED) {
  Deno.test(`decodeMessage() rejects ${what} as a protocol error`, () => {
    assert.throws(() => decodeMessage(Uint8Array.from(bytes)), (error) => {
      assert.ok(error instanceof ProtocolError, `got ${error}`);
      assert.match((error as Error).message, message);
      return true;
    });
  });
}

Deno.test("decodeMessage() rejects every truncation of a valid reply, and nothing else", () => {
  const full = encodeMessage({
    id: 3,
    flags: { qr: true },
    questions: [{ name: "example.test", type: RecordType.MX, class: 1 }],
    answers: RECORDS,
    edns: { udpSize: 1232, version: 0, dnssecOk: false },
  });
  for (let n = 0; n < full.length; n++) {
    assert.throws(() => decodeMessage(full.subarray(0, n)), ProtocolError, `cut at ${n}`);
  }
});

Deno.test("buildQuery() asks for recursion and advertises EDNS0 with 1232 bytes", () => {
  const q = decodeMessage(buildQuery("example.test", RecordType.AAAA, { id: 77 }));
  assert.deepEqual([q.id, q.flags.rd, q.flags.qr, q.questions[0]!.type], [77, true, false, 28]);
  assert.equal(q.edns?.udpSize, 1232);
});

Deno.test("buildQuery() writes the bytes encodeMessage() writes for the same query", () => {
  const names = [
    "example.test",
    "Example.TEST.",
    ".",
    "with space.test",
    "a\\.b.c\\032d\\\\.test",
    "\u00fc.test",
    "_sip._tcp.x",
    `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`,
  ];
  const variants: QueryOptions[] = [{}, { ednsUdpSize: 0 }, { ednsUdpSize: 4096 }, {
    recursionDesired: false,
  }];
  for (const name of names) {
    for (const options of variants) {
      const size = options.ednsUdpSize ?? 1232;
      const expected = encodeMessage({
        id: 4660,
        flags: { rd: options.recursionDesired ?? true },
        questions: [{ name, type: RecordType.CAA, class: 1 }],
        ...(size > 0 ? { edns: { udpSize: size, version: 0, dnssecOk: false } } : {}),
      });
      const built = buildQuery(name, RecordType.CAA, { ...options, id: 4660 });
      assert.deepEqual(built, expected, `${name}, ${JSON.stringify(options)}`);
    }
  }
  for (const bad of ["", "a..test", `${"a".repeat(64)}.test`, "a\\256"]) {
    assert.throws(() => buildQuery(bad, RecordType.A), RangeError, bad);
  }
});

Deno.test("reverseName() builds in-addr.arpa and ip6.arpa names", () => {
  assert.equal(reverseName("127.0.0.1"), "1.0.0.127.in-addr.arpa");
  assert.equal(
    reverseName("2001:db8::567:89ab"),
    "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
  );
  assert.throws(() => reverseName("300.1.1.1"), RangeError);
});

Deno.test("typeCode() reads names in any case and TYPEnnn", () => {
  assert.deepEqual([typeCode("mx"), typeCode("CAA"), typeCode("TYPE99"), typeCode("nope")], [
    15,
    257,
    99,
    undefined,
  ]);
});

Deno.test("parseRecordType() reads a name or TYPEnnn and names the choices for anything else", () => {
  assert.equal(parseRecordType("aaaa"), RecordType.AAAA);
  assert.equal(parseRecordType("TYPE65"), 65);
  assert.throws(
    () => parseRecordType("TYPE65536"),
    new TypeError(
      'Unknown record type "TYPE65536": use A, AAAA, CNAME, MX, NS, SOA, TXT, SRV, PTR, CAA or TYPEnnn',
    ),
  );
  assert.throws(() => parseRecordType("x\n", '"x\\n"'), /^TypeError: Unknown record type "x\\n": /);
});
