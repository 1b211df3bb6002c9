/**
 * What `deno task fuzz` and the fuzz sample in `deno task test` try: every parser of bytes from a
 * peer and of text from a user, each with its contract:
 *
 * - it returns a value, or throws the error its documentation names (a protocol error for bytes
 *   from a peer; a usage-type error with its "Invalid ..." message for text from a user), never
 *   a TypeError or RangeError of a bug, which would become exit 70;
 * - it finishes in a time bounded by its input (here: 100 ms for inputs of at most 64 KiB);
 * - it consumes no more than its limits allow;
 * - the HTTP readers give the same result however the bytes are split into reads, and DNS
 *   `decode(encode(m))` gives `m` back.
 *
 * @module
 */
import fc from "fast-check";
import assert from "node:assert/strict";
import { CHECK_KINDS, loadSpec, SpecError } from "../../lib/check/spec.ts";
import { parseCommand, parseDuration, UsageError } from "../../lib/cli/args.ts";
import { GET } from "../../lib/cli/get/mod.ts";
import { WAIT } from "../../lib/cli/wait/mod.ts";
import {
  encodeDnsName,
  formatDnsName,
  normalizeDnsName,
  parseDnsName,
} from "../../lib/dns/name.ts";
import { parseDnsServer } from "../../lib/dns/outcome.ts";
import { buildQuery, decodeMessage, encodeMessage, RecordType } from "../../lib/dns/wire.ts";
import type { DnsMessage, DnsRecord } from "../../lib/dns/wire.ts";
import { parseHeaderExpectation, parseStatusList } from "../../lib/http/expect.ts";
import {
  bodyFraming,
  BodyReader,
  HttpHeaders,
  parseFieldLine,
  parseStatusLine,
  readResponseHead,
} from "../../lib/http/response.ts";
import { parseSize } from "../../lib/http/size.ts";
import { parseHttpUrl } from "../../lib/http/url.ts";
import { formatIpv6 } from "../../lib/net/addr.ts";
import { LimitError, ProtocolError } from "../../lib/net/errors.ts";
import type { ByteReader } from "../../lib/net/io.ts";
import { BufReader } from "../../lib/net/reader.ts";
import { parseTarget } from "../../lib/probe/target.ts";
import { latin1Text, mutatedArb } from "./mutate.ts";

/** A fast-check property of any inputs, sync or async. */
// deno-lint-ignore no-explicit-any
export type AnyProperty = fc.IRawProperty<any>;

/** One parser and the property it must hold for every input. */
export interface FuzzTarget {
  /** The parser, as the report names it. */
  name: string;
  /** The property: throws (an assertion) only when the contract is broken. */
  property: () => AnyProperty;
}

const encoder = new TextEncoder();
const bytesOf = (text: string) => {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
};

/** The slowest a parser may be on inputs of at most 64 KiB. */
const TIME_LIMIT_MS = 100;

/** Fails the property on an error that is not `allowed`, or on a parse that took too long. */
function judge(
  input: unknown,
  tookMs: number,
  error: unknown,
  allowed: (error: unknown) => boolean,
): void {
  if (error !== undefined && !allowed(error)) {
    throw new Error(`Unexpected ${describe(error)} for ${show(input)}`, { cause: error });
  }
  if (tookMs > TIME_LIMIT_MS) throw new Error(`Took ${tookMs.toFixed(0)} ms for ${show(input)}`);
}

/** Calls `parse`; allows only `allowed` errors; fails on one that is slow. */
function within<T>(
  input: unknown,
  parse: () => T,
  allowed: (error: unknown) => boolean,
): T | Error {
  let outcome: { value: T } | { error: unknown } = { error: undefined };
  // A slow call is timed twice more and the fastest counts: a pause for garbage collection or a
  // busy machine is not the parser's doing, a quadratic loop is.
  let fastest = Infinity;
  for (let attempt = 0; attempt < 3 && fastest > TIME_LIMIT_MS; attempt++) {
    const started = performance.now();
    try {
      outcome = { value: parse() };
    } catch (error) {
      outcome = { error };
    }
    fastest = Math.min(fastest, performance.now() - started);
  }
  judge(input, fastest, "error" in outcome ? outcome.error : undefined, allowed);
  return "value" in outcome ? outcome.value : outcome.error as Error;
}

/** {@linkcode within} for an async parser. */
async function withinAsync<T>(
  input: unknown,
  parse: () => Promise<T>,
  allowed: (error: unknown) => boolean,
): Promise<T | Error> {
  let outcome: { value: T } | { error: unknown } = { error: undefined };
  let fastest = Infinity;
  for (let attempt = 0; attempt < 3 && fastest > TIME_LIMIT_MS; attempt++) {
    const started = performance.now();
    try {
      outcome = { value: await parse() };
    } catch (error) {
      outcome = { error };
    }
    fastest = Math.min(fastest, performance.now() - started);
  }
  judge(input, fastest, "error" in outcome ? outcome.error : undefined, allowed);
  return "value" in outcome ? outcome.value : outcome.error as Error;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function show(input: unknown): string {
  const text = input instanceof Uint8Array ? latin1Text(input) : JSON.stringify(input);
  return JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}... (${text.length})` : text);
}

const peerError = (error: unknown) => error instanceof ProtocolError || error instanceof LimitError;
const invalid = (type: new (...a: never[]) => Error, pattern: RegExp) => (error: unknown) =>
  error instanceof type && pattern.test(error.message);

/** A reader that hands out `bytes` in pieces cut at `cuts`. */
export function piecewise(bytes: Uint8Array, cuts: number[]): ByteReader {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const point of [...points, bytes.length]) {
    if (point > from) pieces.push(bytes.subarray(from, point));
    from = Math.max(from, point);
  }
  return {
    read(buf) {
      const next = pieces.shift();
      if (!next) return Promise.resolve(null);
      const n = Math.min(next.length, buf.length);
      buf.set(next.subarray(0, n));
      if (n < next.length) pieces.unshift(next.subarray(n));
      return Promise.resolve(n);
    },
  };
}

/** The fixture responses, as bytes: seeds for the HTTP parsers. */
async function httpSeeds(): Promise<Uint8Array[]> {
  const { cases } = JSON.parse(
    await Deno.readTextFile(new URL("../fixtures/http/cases.json", import.meta.url)),
  ) as { cases: Array<{ responses: string[] }> };
  return cases.flatMap((c) => c.responses).map(bytesOf);
}

const HTTP_SEEDS = await httpSeeds();

/** Reads a head and the body after it, as the client does; a JSON-able outcome. */
export async function readResponse(source: ByteReader, maxHead: number): Promise<string> {
  const reader = new BufReader(source, { bufferSize: 1024 });
  const head = await readResponseHead(reader, { maxHeadBytes: maxHead, maxFields: 100 });
  if (head === null) return "no response";
  const consumed = reader.bytesRead - reader.buffered;
  assert.ok(consumed <= maxHead, `consumed ${consumed} bytes of a ${maxHead}-byte head limit`);
  const framing = bodyFraming(head, "GET");
  const body = new BodyReader(reader, framing.body, { maxBytes: 1 << 16, maxHeadBytes: 4096 });
  let received = "";
  for (let chunk = await body.read(); chunk !== null; chunk = await body.read()) {
    received += latin1Text(chunk);
    assert.ok(received.length <= 1 << 16, "read past the body limit");
  }
  return JSON.stringify([head.status, head.headers.entries, framing, received, body.trailers]);
}

/** Reads a chunked body through small buffers, as text; at most 4096 bytes. */
export async function readChunked(source: ByteReader): Promise<string> {
  const body = new BodyReader(new BufReader(source, { bufferSize: 256 }), { kind: "chunked" }, {
    maxBytes: 4096,
    maxHeadBytes: 1024,
    maxFields: 10,
  });
  let text = "";
  for (let c = await body.read(); c !== null; c = await body.read()) text += latin1Text(c);
  assert.ok(text.length <= 4096, "read past the body limit");
  return text;
}

// ---------------------------------------------------------------------------------------------
// DNS messages that encode, for seeds and the round trip

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,14}[a-z0-9])?$/);
const nameArb = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join("."));
const recordArb: fc.Arbitrary<DnsRecord> = fc.oneof(
  fc.tuple(nameArb, fc.uint8Array({ minLength: 4, maxLength: 4 })).map(([name, b]) => ({
    name,
    type: RecordType.A,
    class: 1,
    ttl: 60,
    data: { address: Array.from(b).join(".") },
  })),
  fc.tuple(nameArb, fc.uint8Array({ minLength: 16, maxLength: 16 })).map(([name, b]) => ({
    name,
    type: RecordType.AAAA,
    class: 1,
    ttl: 0,
    data: { address: formatIpv6(b) },
  })),
  fc.tuple(nameArb, nameArb).map(([name, target]) => ({
    name,
    type: RecordType.CNAME,
    class: 1,
    ttl: 300,
    data: { target },
  })),
  fc.tuple(nameArb, fc.nat({ max: 65535 }), nameArb).map(([name, preference, exchange]) => ({
    name,
    type: RecordType.MX,
    class: 1,
    ttl: 1,
    data: { preference, exchange },
  })),
  fc.tuple(nameArb, fc.array(fc.uint8Array({ maxLength: 255 }), { minLength: 1, maxLength: 3 }))
    .map(([name, texts]) => ({ name, type: RecordType.TXT, class: 1, ttl: 2, data: { texts } })),
  fc.tuple(nameArb, fc.nat({ max: 65535 }), fc.nat({ max: 65535 }), fc.nat({ max: 65535 }), nameArb)
    .map(([name, priority, weight, port, target]) => ({
      name,
      type: RecordType.SRV,
      class: 1,
      ttl: 3,
      data: { priority, weight, port, target },
    })),
  fc.tuple(nameArb, fc.nat({ max: 60000 }), fc.uint8Array({ maxLength: 40 })).map((
    [name, type, raw],
  ) => ({
    name,
    type: 1000 + type % 5000,
    class: 1,
    ttl: 4,
    data: { raw },
  })),
);
const messageArb: fc.Arbitrary<DnsMessage> = fc.record({
  id: fc.nat({ max: 65535 }),
  flags: fc.record({
    qr: fc.boolean(),
    opcode: fc.nat({ max: 15 }),
    aa: fc.boolean(),
    tc: fc.boolean(),
    rd: fc.boolean(),
    ra: fc.boolean(),
    ad: fc.boolean(),
    cd: fc.boolean(),
    rcode: fc.nat({ max: 15 }),
  }),
  questions: fc.array(
    fc.record({ name: nameArb, type: fc.constantFrom(1, 28, 15, 16), class: fc.constant(1) }),
    { maxLength: 2 },
  ),
  answers: fc.array(recordArb, { maxLength: 4 }),
  authorities: fc.array(recordArb, { maxLength: 2 }),
  additionals: fc.array(recordArb, { maxLength: 2 }),
});

const DNS_SEEDS = [
  buildQuery("example.test", RecordType.A, { id: 1 }),
  buildQuery("a.b.c.example.test", RecordType.TXT, { id: 2, ednsUdpSize: 0 }),
  ...fc.sample(messageArb, { numRuns: 40, seed: 42 }).map((m) => encodeMessage(m)),
];

// ---------------------------------------------------------------------------------------------

const SPEC_SEEDS = [
  await Deno.readTextFile(new URL("../fixtures/check/every_kind.yaml", import.meta.url)),
  "version: 1\nchecks:\n  - name: a\n    tcp: { host: 127.0.0.1, port: 1 }\n",
  "version: 1\nvars: &v { A: x }\nchecks:\n  - name: ${A}\n    echo: { port: 7, payload: *v }\n",
  '{"version":1,"checks":[{"name":"h","http":{"url":"http://127.0.0.1/"},' +
  '"expect":{"status":[200,"3xx"],"time_under":"1s"},"retry":{"attempts":3,"interval":"1ms"}}]}',
];

/** A spec as data, with its keys right and its values anything: the loader's checks, not YAML's. */
const specObjectArb = fc.record({
  version: fc.oneof(fc.constant(1), fc.jsonValue({ maxDepth: 1 })),
  vars: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
  defaults: fc.dictionary(
    fc.constantFrom("timeout", "retry", "tags", "timout"),
    fc.jsonValue({ maxDepth: 2 }),
    { maxKeys: 2 },
  ),
  checks: fc.array(
    fc.dictionary(
      fc.constantFrom(...CHECK_KINDS, "name", "expect", "retry", "timeout", "tags", "x"),
      fc.oneof(
        fc.jsonValue({ maxDepth: 2 }),
        fc.dictionary(
          fc.constantFrom("url", "host", "port", "name", "type", "server", "path", "payload"),
          fc.oneof(fc.string({ maxLength: 30 }), fc.integer()),
          { maxKeys: 4 },
        ),
      ),
      { maxKeys: 4 },
    ),
    { maxLength: 4 },
  ),
}, { requiredKeys: ["checks"] });

/** The loader reads a `cacert` file through this: no file exists for the fuzzer. */
const readFile = (path: string) =>
  Promise.reject(new Deno.errors.NotFound(`No such file: ${path}`));

// ---------------------------------------------------------------------------------------------

const textSeeds = (...seeds: string[]) =>
  mutatedArb(seeds.map((s) => encoder.encode(s))).map(latin1Text);

/** A parser of text: seeds mutated, and any string; `allowed` is its documented error. */
function textTarget(
  name: string,
  seeds: string[],
  parse: (text: string) => unknown,
  allowed: (error: unknown) => boolean,
  extra: fc.Arbitrary<string>[] = [],
): FuzzTarget {
  return {
    name,
    property: () =>
      fc.property(
        fc.oneof(textSeeds(...seeds), fc.string(), ...extra),
        (text) => void within(text, () => parse(text), allowed),
      ),
  };
}

/**
 * Parses a name and checks that its other forms agree with the labels: the wire bytes the query
 * builder sends (which take a shortcut for plain names) and the presentation form shown.
 */
function dnsNameForms(text: string): void {
  let labels: Uint8Array[];
  try {
    labels = parseDnsName(text);
  } catch (error) {
    assert.throws(() => encodeDnsName(text), RangeError, `encodeDnsName took ${show(text)}`);
    throw error;
  }
  const wire = labels.flatMap((label) => [label.length, ...label]).concat(0);
  assert.deepEqual([...encodeDnsName(text)], wire, `wire bytes of ${show(text)}`);
  // deno-lint-ignore no-control-regex
  if (!/[^\x00-\x7f]/.test(text)) {
    assert.equal(normalizeDnsName(text).name, formatDnsName(labels), `the form of ${show(text)}`);
  }
}

/** Every fuzz target. */
export const TARGETS: FuzzTarget[] = [
  textTarget(
    "http status line",
    ["HTTP/1.1 200 OK", "HTTP/1.0 404 Not Found", "HTTP/1.1 103"],
    parseStatusLine,
    peerError,
  ),
  textTarget(
    "http field line",
    ["Content-Type: text/plain", "X-A:  1 , 2 ", "Set-Cookie: a=b"],
    parseFieldLine,
    peerError,
  ),
  {
    name: "http response head and body, any split",
    property: () =>
      fc.asyncProperty(
        fc.oneof(
          { weight: 4, arbitrary: mutatedArb(HTTP_SEEDS) },
          fc.uint8Array({ maxLength: 512 }),
        ),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        async (bytes, cutsA, cutsB) => {
          const a = await withinAsync(
            bytes,
            () => readResponse(piecewise(bytes, cutsA), 2048),
            peerError,
          );
          const b = await withinAsync(
            bytes,
            () => readResponse(piecewise(bytes, cutsB), 2048),
            peerError,
          );
          const outcome = (r: string | Error) => r instanceof Error ? `${r.name}: ${r.message}` : r;
          assert.equal(outcome(a), outcome(b), `split changes the outcome for ${show(bytes)}`);
        },
      ),
  },
  {
    name: "http body framing",
    property: () =>
      fc.property(
        fc.array(
          fc.tuple(
            fc.constantFrom("Content-Length", "Transfer-Encoding", "Connection", "content-length"),
            fc.oneof(
              fc.constantFrom(
                "5",
                "0",
                "005",
                "5, 5",
                "5,6",
                "-1",
                "chunked",
                "gzip, chunked",
                "close",
              ),
              fc.constantFrom("18446744073709551616", "99999999999999999999", "chunked, gzip"),
              fc.string({ maxLength: 12 }),
            ),
          ),
          { maxLength: 5 },
        ),
        fc.constantFrom("HTTP/1.1", "HTTP/1.0"),
        fc.constantFrom(200, 204, 304, 101, 404),
        fc.constantFrom("GET", "HEAD"),
        (fields, version, status, method) => {
          const head = {
            version,
            status,
            reason: "",
            headers: new HttpHeaders(fields),
            headBytes: 0,
          };
          const framing = within(fields, () => bodyFraming(head, method), peerError);
          if (framing instanceof Error) return;
          if (framing.body.kind === "length") assert.ok(Number.isSafeInteger(framing.body.length));
        },
      ),
  },
  {
    name: "chunked body, any split",
    property: () =>
      fc.asyncProperty(
        mutatedArb([
          "5\r\nhello\r\n0\r\n\r\n",
          "3;a=b\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n",
          "ffffffffffffffff\r\n",
          "1\r\nx\r\n" + "0\r\n" + "A: 1\r\n".repeat(3) + "\r\n",
        ].map(bytesOf)),
        fc.array(fc.nat(), { maxLength: 6 }),
        async (bytes, cuts) => {
          const whole = await withinAsync(
            bytes,
            () => readChunked(piecewise(bytes, [])),
            peerError,
          );
          const split = await withinAsync(
            bytes,
            () => readChunked(piecewise(bytes, cuts)),
            peerError,
          );
          const outcome = (r: string | Error) => r instanceof Error ? `${r.name}: ${r.message}` : r;
          assert.equal(
            outcome(whole),
            outcome(split),
            `split changes the outcome for ${show(bytes)}`,
          );
        },
      ),
  },
  {
    name: "dns message decoder",
    property: () =>
      fc.property(
        fc.oneof(
          { weight: 4, arbitrary: mutatedArb(DNS_SEEDS) },
          fc.uint8Array({ maxLength: 600 }),
        ),
        (bytes) =>
          void within(bytes, () => decodeMessage(bytes), (e) => e instanceof ProtocolError),
      ),
  },
  {
    name: "dns encode then decode",
    property: () =>
      fc.property(messageArb, (message) => {
        const decoded = decodeMessage(encodeMessage(message));
        assert.deepEqual(normalizeMessage(decoded), normalizeMessage(message));
      }),
  },
  textTarget(
    "dns name",
    ["a.example.test.", "with\\032space.test", "xn--bcher-kva.test", ".", "A.b", " .x"],
    dnsNameForms,
    invalid(RangeError, /^Invalid name /),
  ),
  textTarget(
    "dns server",
    ["127.0.0.1:5353", "[::1]:53", "::1"],
    parseDnsServer,
    invalid(TypeError, /^Invalid server /),
  ),
  textTarget(
    "url",
    ["http://127.0.0.1:8080/a?b=1", "https://[::1]/", "http://h/x#y"],
    (text) => parseHttpUrl(text),
    invalid(TypeError, /^(Invalid URL|Unsupported URL scheme) /),
    [fc.webUrl()],
  ),
  textTarget(
    "wait/check target",
    [
      "127.0.0.1:5432",
      "tcp://[::1]:80",
      "dns:a.test",
      "unix:/x.sock",
      "file:/tmp/r",
      "echo://h:7",
      "http://h/",
    ],
    parseTarget,
    invalid(TypeError, /^Invalid target /),
  ),
  textTarget(
    "duration",
    ["500ms", "1.5s", "24d", "2m", "0"],
    (text) => parseDuration(text, "--timeout"),
    (e) => e instanceof UsageError,
  ),
  textTarget(
    "size",
    ["64K", "10M", "1.5G", "4096", "1T"],
    parseSize,
    invalid(RangeError, /^Invalid size /),
  ),
  {
    name: "status list and header expectation",
    property: () =>
      fc.property(
        fc.oneof(textSeeds("200,204,3xx", "X-A: ^1$", "Content-Type: (json"), fc.string()),
        (text) => {
          within(text, () => parseStatusList(text), invalid(TypeError, /^Invalid status list /));
          within(
            text,
            () => parseHeaderExpectation(text),
            invalid(TypeError, /^Invalid (header expectation|regular expression) /),
          );
        },
      ),
  },
  {
    name: "command-line arguments",
    property: () =>
      fc.property(
        fc.array(
          fc.oneof(
            fc.constantFrom(
              "--max-time",
              "-m",
              "--port",
              "-H",
              "--",
              "-",
              "--json",
              "-vq",
              "--=",
              "--max-time=",
              "-5",
              "--retry",
            ),
            fc.string({ maxLength: 10 }),
          ),
          { maxLength: 8 },
        ),
        fc.boolean(),
        (argv, wait) => {
          const spec = wait ? WAIT : GET;
          within(argv, () => {
            const args = parseCommand(spec, argv);
            // The typed accessors are part of parsing too.
            for (const option of spec.options) {
              if (option.type !== "string" || args.string(option.name) === undefined) continue;
              if (option.value === "DURATION") args.duration(option.name);
              if (option.value === "N") args.integer(option.name, 0, { min: 0, max: 1000 });
            }
          }, (e) => e instanceof UsageError);
        },
      ),
  },
  {
    name: "check spec loader (YAML and JSON)",
    property: () =>
      fc.asyncProperty(
        fc.oneof(
          { weight: 4, arbitrary: textSeeds(...SPEC_SEEDS) },
          fc.string({ maxLength: 200 }),
          specObjectArb.map((spec) => JSON.stringify(spec)),
        ),
        fc.constantFrom("sockit.yaml", "sockit.json"),
        async (text, file) => {
          const spec = await withinAsync(
            text,
            () => loadSpec(text, { file, baseDir: "/nonexistent", env: () => undefined, readFile }),
            (e) => e instanceof SpecError,
          );
          if (spec instanceof Error) {
            // Every problem is placed in the file: a line and column inside the text.
            const lines = text.split(/\r\n|\r|\n/).length;
            for (const p of (spec as SpecError).problems) {
              assert.ok(p.line >= 1 && p.line <= lines + 1, `line ${p.line} of ${lines}`);
              assert.ok(p.col >= 1, `column ${p.col}`);
            }
            return;
          }
          assert.ok(spec.checks.length >= 1);
          for (const check of spec.checks) assert.ok(CHECK_KINDS.includes(check.kind));
        },
      ),
  },
];

/** A message as comparable data: sections and flags, TXT bytes as arrays. */
function normalizeMessage(m: DnsMessage): unknown {
  const records = (rs: DnsRecord[]) =>
    rs.map((r) => ({
      type: r.type,
      class: r.class,
      ttl: r.ttl,
      name: r.name.toLowerCase(),
      data: "texts" in r.data
        ? { texts: r.data.texts.map((t) => Array.from(t)) }
        : "raw" in r.data
        ? { raw: Array.from(r.data.raw) }
        : JSON.parse(
          JSON.stringify(r.data, (_k, v) => typeof v === "string" ? v.toLowerCase() : v),
        ),
    }));
  return {
    id: m.id,
    flags: { ...m.flags },
    questions: m.questions.map((q) => ({
      name: q.name.toLowerCase(),
      type: q.type,
      class: q.class,
    })),
    answers: records(m.answers),
    authorities: records(m.authorities),
    additionals: records(m.additionals),
  };
}
