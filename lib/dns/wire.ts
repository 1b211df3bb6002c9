/**
 * The DNS message codec (RFC 1035), written by hand: header, questions and resource records,
 * with name compression both ways and an EDNS0 OPT record (RFC 6891). Decoding is strict: a
 * pointer loop, a pointer out of range, a label over 63 bytes or a record that runs past the end
 * is a {@linkcode ProtocolError}, never a crash or a hang.
 *
 * @module
 */
import { formatIpv6, ipv4Bytes, ipv6Bytes } from "../net/addr.ts";
import { ProtocolError } from "../net/errors.ts";
import {
  encodeDnsName,
  formatDnsName,
  formatLabel,
  fqdn,
  MAX_NAME_BYTES,
  parseDnsName,
} from "./name.ts";

/** Record types sockit knows by name. */
export const RecordType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  CAA: 257,
} as const;

/**
 * Response codes (RFC 1035 section 4.1.1, RFC 6895). Codes above 15 exist only with EDNS: their
 * upper 8 bits travel in the OPT record (RFC 6891 6.1.3).
 */
export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  YXDOMAIN: 6,
  YXRRSET: 7,
  NXRRSET: 8,
  NOTAUTH: 9,
  NOTZONE: 10,
  BADVERS: 16,
  BADCOOKIE: 23,
} as const;

/** The Internet class. */
export const CLASS_IN = 1;

/** The UDP payload size sockit advertises in EDNS0 (the DNS flag day 2020 value). */
export const EDNS_UDP_SIZE = 1232;

const TYPE_NAMES = new Map<number, string>(Object.entries(RecordType).map(([n, c]) => [c, n]));

/** The name of a record type: `A`, `CAA`, or `TYPE65` for ones sockit has no name for. */
export function typeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `TYPE${type}`;
}

/** The code of a record type name (`mx`, `MX` or `TYPE15`), or `undefined`. */
export function typeCode(name: string): number | undefined {
  const upper = name.toUpperCase();
  if (upper in RecordType) return RecordType[upper as keyof typeof RecordType];
  const m = /^TYPE(\d{1,5})$/.exec(upper);
  return m && Number(m[1]) <= 65535 ? Number(m[1]) : undefined;
}

/**
 * The code of a record type name as {@linkcode typeCode}, or a `TypeError` naming the choices.
 * `shown` is how the text appears in the message (quoted as it is by default).
 *
 * @example
 * ```ts
 * import { parseRecordType } from "./wire.ts";
 * import assert from "node:assert/strict";
 * assert.equal(parseRecordType("mx"), 15);
 * assert.throws(() => parseRecordType("MXX"), /^TypeError: Unknown record type "MXX": use A, AAAA/);
 * ```
 */
export function parseRecordType(text: string, shown = `"${text}"`): number {
  const code = typeCode(text);
  if (code === undefined) {
    throw new TypeError(
      `Unknown record type ${shown}: use A, AAAA, CNAME, MX, NS, SOA, TXT, SRV, PTR, CAA or TYPEnnn`,
    );
  }
  return code;
}

/** The name of a response code: `NXDOMAIN`, or `RCODE9`. */
export function rcodeName(rcode: number): string {
  for (const [name, code] of Object.entries(Rcode)) if (code === rcode) return name;
  return `RCODE${rcode}`;
}

/** Header flags. */
export interface DnsFlags {
  /** A response (not a query). */
  qr: boolean;
  /** The kind of query; 0 is a standard query. */
  opcode: number;
  /** Authoritative answer. */
  aa: boolean;
  /** Truncated: the answer did not fit. */
  tc: boolean;
  /** Recursion desired. */
  rd: boolean;
  /** Recursion available. */
  ra: boolean;
  /** Authentic data (DNSSEC). */
  ad: boolean;
  /** Checking disabled (DNSSEC). */
  cd: boolean;
  /**
   * Response code: the header's 4 bits, plus the upper 8 bits from the OPT record when the
   * message has one (so BADVERS reads as 16).
   */
  rcode: number;
}

/** A question. */
export interface DnsQuestion {
  /** The name, in presentation form without the final dot: `example.test` (`.` for the root). */
  name: string;
  /** Record type code. */
  type: number;
  /** Class code (1, IN). */
  class: number;
}

/** The data of a record, by type. */
export type RecordData =
  | { address: string } // A, AAAA
  | { target: string } // CNAME, NS, PTR
  | { preference: number; exchange: string } // MX
  | { texts: Uint8Array[] } // TXT
  | { priority: number; weight: number; port: number; target: string } // SRV
  | {
    mname: string;
    rname: string;
    serial: number;
    refresh: number;
    retry: number;
    expire: number;
    minimum: number;
  } // SOA
  | { flags: number; tag: string; value: Uint8Array } // CAA
  | { raw: Uint8Array }; // anything else

/** A resource record. */
export interface DnsRecord {
  /** Owner name, without the final dot (`.` for the root). */
  name: string;
  /** Record type code. */
  type: number;
  /** Class code. */
  class: number;
  /** Time to live, in seconds. */
  ttl: number;
  /** Type-specific data. */
  data: RecordData;
}

/** EDNS0 information carried by an OPT record. */
export interface Edns {
  /** The sender's UDP payload size. */
  udpSize: number;
  /** EDNS version. */
  version: number;
  /** The DNSSEC OK bit. */
  dnssecOk: boolean;
}

/** A whole DNS message. */
export interface DnsMessage {
  /** Query ID. */
  id: number;
  /** Header flags. */
  flags: DnsFlags;
  /** Question section. */
  questions: DnsQuestion[];
  /** Answer section. */
  answers: DnsRecord[];
  /** Authority section. */
  authorities: DnsRecord[];
  /** Additional section, without the OPT record. */
  additionals: DnsRecord[];
  /** EDNS0, when the message has an OPT record. */
  edns?: Edns;
}

const FLAG_DEFAULTS: DnsFlags = {
  qr: false,
  opcode: 0,
  aa: false,
  tc: false,
  rd: false,
  ra: false,
  ad: false,
  cd: false,
  rcode: 0,
};

// ---------------------------------------------------------------------------------------------
// Encoding

class Writer {
  #buf = new Uint8Array(512);
  #view = new DataView(this.#buf.buffer);
  length = 0;
  readonly #names = new Map<string, number>();

  #ensure(n: number): void {
    if (this.length + n <= this.#buf.length) return;
    const bigger = new Uint8Array(Math.max(this.#buf.length * 2, this.length + n));
    bigger.set(this.#buf.subarray(0, this.length));
    this.#buf = bigger;
    this.#view = new DataView(bigger.buffer);
  }

  u8(v: number): void {
    this.#ensure(1);
    this.#view.setUint8(this.length, v);
    this.length += 1;
  }

  u16(v: number): void {
    this.#ensure(2);
    this.#view.setUint16(this.length, v);
    this.length += 2;
  }

  u32(v: number): void {
    this.#ensure(4);
    this.#view.setUint32(this.length, v >>> 0);
    this.length += 4;
  }

  bytes(b: Uint8Array): void {
    this.#ensure(b.length);
    this.#buf.set(b, this.length);
    this.length += b.length;
  }

  setU16(at: number, v: number): void {
    this.#view.setUint16(at, v);
  }

  /**
   * Writes a name, pointing back at an earlier copy of any suffix (RFC 1035 4.1.4).
   *
   * @throws {RangeError} When the name breaks a rule of `parseDnsName`.
   */
  name(name: string, compress = true): void {
    const labels = parseDnsName(name);
    for (let i = 0; i < labels.length; i++) {
      const suffix = formatDnsName(labels.slice(i)).toLowerCase();
      const earlier = compress ? this.#names.get(suffix) : undefined;
      if (earlier !== undefined) {
        this.u16(0xc000 | earlier);
        return;
      }
      if (compress && this.length < 0x4000) this.#names.set(suffix, this.length);
      this.u8(labels[i]!.length);
      this.bytes(labels[i]!);
    }
    this.u8(0);
  }

  done(): Uint8Array {
    return this.#buf.slice(0, this.length);
  }
}

const encoder = new TextEncoder();

function encodeFlags(f: DnsFlags): number {
  return (f.qr ? 0x8000 : 0) | ((f.opcode & 0xf) << 11) | (f.aa ? 0x400 : 0) |
    (f.tc ? 0x200 : 0) | (f.rd ? 0x100 : 0) | (f.ra ? 0x80 : 0) | (f.ad ? 0x20 : 0) |
    (f.cd ? 0x10 : 0) | (f.rcode & 0xf);
}

function writeRecord(w: Writer, record: DnsRecord): void {
  w.name(record.name);
  w.u16(record.type);
  w.u16(record.class);
  w.u32(record.ttl);
  const lengthAt = w.length;
  w.u16(0);
  const start = w.length;
  const d = record.data;
  if ("address" in d) {
    w.bytes(record.type === RecordType.AAAA ? ipv6Bytes(d.address) : ipv4Bytes(d.address));
  } else if ("exchange" in d) {
    w.u16(d.preference);
    w.name(d.exchange);
  } else if ("port" in d) {
    w.u16(d.priority);
    w.u16(d.weight);
    w.u16(d.port);
    w.name(d.target, false); // RFC 2782: no compression of the target
  } else if ("target" in d) w.name(d.target);
  else if ("texts" in d) {
    for (const text of d.texts) {
      if (text.length > 255) throw new RangeError("TXT string longer than 255 bytes");
      w.u8(text.length);
      w.bytes(text);
    }
  } else if ("mname" in d) {
    w.name(d.mname);
    w.name(d.rname);
    for (const v of [d.serial, d.refresh, d.retry, d.expire, d.minimum]) w.u32(v);
  } else if ("tag" in d) {
    const tag = encoder.encode(d.tag);
    w.u8(d.flags);
    w.u8(tag.length);
    w.bytes(tag);
    w.bytes(d.value);
  } else w.bytes(d.raw);
  w.setU16(lengthAt, w.length - start);
}

/**
 * Encodes a message, compressing names.
 *
 * @throws {RangeError} When a name breaks a rule of `parseDnsName` (a label over 63 bytes, a
 * name over 255), an address is malformed, or an RCODE over 15 has no OPT record to carry it.
 *
 * @example Round-trip a query
 * ```ts
 * import { decodeMessage, encodeMessage, RecordType } from "./wire.ts";
 * import assert from "node:assert/strict";
 * const bytes = encodeMessage({
 *   id: 7, flags: { rd: true }, questions: [{ name: "example.test", type: RecordType.A, class: 1 }],
 * });
 * assert.equal(decodeMessage(bytes).questions[0]?.name, "example.test");
 * ```
 */
export function encodeMessage(
  message: Partial<Omit<DnsMessage, "flags">> & { id: number; flags?: Partial<DnsFlags> },
): Uint8Array {
  const w = new Writer();
  const flags = { ...FLAG_DEFAULTS, ...message.flags };
  if (!Number.isInteger(flags.rcode) || flags.rcode < 0 || flags.rcode > 0xfff) {
    throw new RangeError(`Invalid RCODE ${flags.rcode}: expected 0 to 4095`);
  }
  if (flags.rcode > 0xf && !message.edns) {
    throw new RangeError(`RCODE ${rcodeName(flags.rcode)} needs an OPT record (EDNS) to carry it`);
  }
  const questions = message.questions ?? [];
  const answers = message.answers ?? [];
  const authorities = message.authorities ?? [];
  const additionals = message.additionals ?? [];
  w.u16(message.id);
  w.u16(encodeFlags(flags));
  w.u16(questions.length);
  w.u16(answers.length);
  w.u16(authorities.length);
  w.u16(additionals.length + (message.edns ? 1 : 0));
  for (const q of questions) {
    w.name(q.name);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const r of [...answers, ...authorities, ...additionals]) writeRecord(w, r);
  if (message.edns) {
    w.u8(0); // root name
    w.u16(RecordType.OPT);
    w.u16(message.edns.udpSize);
    w.u32(
      ((flags.rcode >> 4) << 24) | (message.edns.version << 16) |
        (message.edns.dnssecOk ? 0x8000 : 0),
    );
    w.u16(0);
  }
  return w.done();
}

/** Options for {@linkcode buildQuery}. */
export interface QueryOptions {
  /** The query ID. @default {a random one} */
  id?: number;
  /** Ask the server to recurse. @default {true} */
  recursionDesired?: boolean;
  /** Advertise EDNS0 with this UDP size; `0` sends no OPT record. @default {1232} */
  ednsUdpSize?: number;
}

/**
 * Builds a standard query for one name and type.
 *
 * @example
 * ```ts
 * import { buildQuery, decodeMessage, RecordType } from "./wire.ts";
 * import assert from "node:assert/strict";
 * const q = decodeMessage(buildQuery("example.test", RecordType.MX, { id: 1 }));
 * assert.deepEqual([q.id, q.questions[0]?.type, q.edns?.udpSize], [1, 15, 1232]);
 * ```
 */
export function buildQuery(name: string, type: number, options: QueryOptions = {}): Uint8Array {
  const size = options.ednsUdpSize ?? EDNS_UDP_SIZE;
  const id = options.id ?? crypto.getRandomValues(new Uint16Array(1))[0]!;
  // Written in place rather than through encodeMessage: a batch of names builds a thousand of
  // these, and one name has nothing earlier to compress against. wire_test.ts checks that the
  // two agree byte for byte.
  const wireName = encodeDnsName(name);
  const question = 12 + wireName.length;
  const out = new Uint8Array(question + 4 + (size > 0 ? 11 : 0));
  const view = new DataView(out.buffer);
  view.setUint16(0, id);
  view.setUint16(2, encodeFlags({ ...FLAG_DEFAULTS, rd: options.recursionDesired ?? true }));
  view.setUint16(4, 1);
  view.setUint16(10, size > 0 ? 1 : 0);
  out.set(wireName, 12);
  view.setUint16(question, type);
  view.setUint16(question + 2, CLASS_IN);
  if (size > 0) {
    // The OPT record (RFC 6891): the root name, its type, the UDP size as its class, then a TTL
    // of extended RCODE 0, version 0 and no DO bit, and no options.
    view.setUint16(question + 5, RecordType.OPT);
    view.setUint16(question + 7, size);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decoding

class Reader {
  readonly view: DataView;
  offset = 0;
  /** Each name read, by the offset it starts at: its presentation form and its wire length. */
  readonly #names = new Map<number, { name: string; wire: number }>();

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  need(n: number, what: What): void {
    if (this.offset + n > this.bytes.length) {
      throw new ProtocolError(
        `Malformed DNS message: ${described(what)} runs past the end (offset ${this.offset})`,
      );
    }
  }

  u8(what: What): number {
    this.need(1, what);
    return this.view.getUint8(this.offset++);
  }

  u16(what: What): number {
    this.need(2, what);
    const v = this.view.getUint16(this.offset);
    this.offset += 2;
    return v;
  }

  u32(what: What): number {
    this.need(4, what);
    const v = this.view.getUint32(this.offset);
    this.offset += 4;
    return v;
  }

  take(n: number, what: What): Uint8Array {
    this.need(n, what);
    const out = this.bytes.slice(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  /**
   * Reads a possibly compressed name. Every pointer must point strictly before the label that
   * holds it, which rules out loops; the whole name is at most 255 bytes. A name read once is
   * kept by where it starts, so a pointer back at it (an answer naming the question, the usual
   * case) costs no second reading.
   */
  name(what: What): string {
    const bytes = this.bytes;
    let labels = "";
    let at = this.offset;
    let end: number | undefined;
    let wire = 1; // the root's zero byte
    let floor = at; // pointers must go below this
    while (true) {
      if (at >= bytes.length) {
        throw new ProtocolError(
          `Malformed DNS message: ${described(what)} runs past the end (offset ${at})`,
        );
      }
      const len = bytes[at]!;
      if ((len & 0xc0) === 0xc0) {
        if (at + 1 >= bytes.length) {
          throw new ProtocolError(
            `Malformed DNS message: ${described(what)} has a cut-off pointer`,
          );
        }
        const target = ((len & 0x3f) << 8) | bytes[at + 1]!;
        if (target >= bytes.length) {
          throw new ProtocolError(
            `Malformed DNS message: ${
              described(what)
            } points out of range (${target} of ${bytes.length})`,
          );
        }
        if (target >= floor) {
          throw new ProtocolError(
            `Malformed DNS message: ${described(what)} has a compression loop`,
          );
        }
        end ??= at + 2;
        const known = this.#names.get(target);
        if (known !== undefined && wire + known.wire - 1 <= MAX_NAME_BYTES) {
          labels = labels === ""
            ? known.name
            : known.name === "."
            ? labels
            : `${labels}.${known.name}`;
          wire += known.wire - 1;
          break;
        }
        floor = target;
        at = target;
        continue;
      }
      if ((len & 0xc0) !== 0) {
        throw new ProtocolError(
          `Malformed DNS message: ${described(what)} uses reserved label type 0x${
            len.toString(16)
          }`,
        );
      }
      if (len === 0) {
        end ??= at + 1;
        break;
      }
      if (at + 1 + len > bytes.length) {
        throw new ProtocolError(
          `Malformed DNS message: ${described(what)} runs past the end (offset ${at})`,
        );
      }
      wire += len + 1;
      if (wire > MAX_NAME_BYTES) {
        throw new ProtocolError(
          `Malformed DNS message: ${described(what)} is longer than ${MAX_NAME_BYTES} bytes`,
        );
      }
      const label = formatLabel(bytes.subarray(at + 1, at + 1 + len));
      labels = labels === "" ? label : `${labels}.${label}`;
      at += 1 + len;
    }
    const name = labels === "" ? "." : labels;
    this.#names.set(this.offset, { name, wire });
    this.offset = end;
    return name;
  }
}

/** What a reader is reading, for its error messages: words, or how to make them when needed. */
type What = string | (() => string);

function described(what: What): string {
  return typeof what === "string" ? what : what();
}

/** The words for the fixed fields of each section's records. */
const RECORD_FIELDS = Object.fromEntries(
  ["answer", "authority", "additional"].map((section) => [section, {
    name: `${section} record name`,
    type: `${section} record type`,
    class: `${section} record class`,
    ttl: `${section} record TTL`,
    length: `${section} record length`,
  }]),
);

function expectLength(length: number, n: number, what: () => string): void {
  if (length !== n) {
    throw new ProtocolError(
      `Malformed DNS message: ${what()} has ${length} bytes of data, expected ${n}`,
    );
  }
}

/** An OPT record as read: the EDNS information and the upper 8 bits of the RCODE. */
interface OptRecord {
  edns: Edns;
  rcodeHigh: number;
}

function readRecord(r: Reader, section: string): DnsRecord | OptRecord {
  const fields = RECORD_FIELDS[section]!;
  const name = r.name(fields.name);
  const type = r.u16(fields.type);
  const klass = r.u16(fields.class);
  const ttl = r.u32(fields.ttl);
  const length = r.u16(fields.length);
  // Made only for an error message: a reply of a thousand records should not build its words.
  const what = () => `${section} ${typeName(type)} record`;
  r.need(length, () => `${what()} data`);
  const end = r.offset + length;
  let data: RecordData;
  switch (type) {
    case RecordType.OPT:
      r.offset = end;
      return {
        edns: { udpSize: klass, version: (ttl >>> 16) & 0xff, dnssecOk: (ttl & 0x8000) !== 0 },
        rcodeHigh: ttl >>> 24,
      };
    case RecordType.A: {
      expectLength(length, 4, what);
      const b = r.bytes, at = r.offset;
      data = { address: `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}` };
      r.offset += 4;
      break;
    }
    case RecordType.AAAA:
      expectLength(length, 16, what);
      data = { address: formatIpv6(r.take(16, what)) };
      break;
    case RecordType.CNAME:
    case RecordType.NS:
    case RecordType.PTR:
      data = { target: r.name(() => `${what()} target`) };
      break;
    case RecordType.MX:
      data = { preference: r.u16(what), exchange: r.name(() => `${what()} exchange`) };
      break;
    case RecordType.SRV:
      data = {
        priority: r.u16(what),
        weight: r.u16(what),
        port: r.u16(what),
        target: r.name(() => `${what()} target`),
      };
      break;
    case RecordType.SOA:
      data = {
        mname: r.name(() => `${what()} mname`),
        rname: r.name(() => `${what()} rname`),
        serial: r.u32(what),
        refresh: r.u32(what),
        retry: r.u32(what),
        expire: r.u32(what),
        minimum: r.u32(what),
      };
      break;
    case RecordType.TXT: {
      const texts: Uint8Array[] = [];
      while (r.offset < end) {
        const n = r.u8(what);
        if (r.offset + n > end) {
          throw new ProtocolError(
            `Malformed DNS message: ${what()} has a string past its data`,
          );
        }
        texts.push(r.take(n, what));
      }
      data = { texts };
      break;
    }
    case RecordType.CAA: {
      const flags = r.u8(what);
      const tagLength = r.u8(what);
      if (r.offset + tagLength > end) {
        throw new ProtocolError(`Malformed DNS message: ${what()} has a tag past its data`);
      }
      const tag = new TextDecoder().decode(r.take(tagLength, what));
      data = { flags, tag, value: r.take(end - r.offset, what) };
      break;
    }
    default:
      data = { raw: r.take(length, what) };
  }
  if (r.offset !== end) {
    throw new ProtocolError(
      `Malformed DNS message: ${what()} data has ${length} bytes, used ${
        length - (end - r.offset)
      }`,
    );
  }
  return { name, type, class: klass, ttl, data };
}

/**
 * Decodes a DNS message.
 *
 * @throws {ProtocolError} On anything malformed: short header, truncated records, names that
 * loop or point out of range, record data of the wrong length, bytes left over.
 */
export function decodeMessage(bytes: Uint8Array): DnsMessage {
  const r = new Reader(bytes);
  if (bytes.length < 12) {
    throw new ProtocolError(`Malformed DNS message: ${bytes.length} bytes, shorter than a header`);
  }
  const id = r.u16("header");
  const f = r.u16("header");
  const counts = [r.u16("header"), r.u16("header"), r.u16("header"), r.u16("header")] as const;
  const flags: DnsFlags = {
    qr: (f & 0x8000) !== 0,
    opcode: (f >> 11) & 0xf,
    aa: (f & 0x400) !== 0,
    tc: (f & 0x200) !== 0,
    rd: (f & 0x100) !== 0,
    ra: (f & 0x80) !== 0,
    ad: (f & 0x20) !== 0,
    cd: (f & 0x10) !== 0,
    rcode: f & 0xf,
  };
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < counts[0]; i++) {
    questions.push({
      name: r.name("question name"),
      type: r.u16("question type"),
      class: r.u16("question class"),
    });
  }
  const sections: DnsRecord[][] = [[], [], []];
  let edns: Edns | undefined;
  ["answer", "authority", "additional"].forEach((section, s) => {
    for (let i = 0; i < counts[s + 1]!; i++) {
      const record = readRecord(r, section);
      if ("edns" in record) {
        edns = record.edns;
        flags.rcode = (record.rcodeHigh << 4) | (flags.rcode & 0xf);
      } else sections[s]!.push(record);
    }
  });
  if (r.offset !== bytes.length) {
    throw new ProtocolError(
      `Malformed DNS message: ${bytes.length - r.offset} bytes after the last record`,
    );
  }
  return {
    id,
    flags,
    questions,
    answers: sections[0]!,
    authorities: sections[1]!,
    additionals: sections[2]!,
    ...(edns ? { edns } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Presentation

function quoteText(bytes: Uint8Array): string {
  let out = '"';
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c) out += "\\" + String.fromCharCode(b);
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += "\\" + String(b).padStart(3, "0");
  }
  return out + '"';
}

/**
 * Shows a record's data as dig does: `10 mail.example.test.`, `"v=spf1 -all"`.
 *
 * @example
 * ```ts
 * import { formatRecordData, RecordType } from "./wire.ts";
 * import assert from "node:assert/strict";
 * const mx = { name: "x", type: RecordType.MX, class: 1, ttl: 0, data: { preference: 10, exchange: "mx.x" } };
 * assert.equal(formatRecordData(mx), "10 mx.x.");
 * ```
 */
export function formatRecordData(record: DnsRecord): string {
  const d = record.data;
  if ("address" in d) return d.address;
  if ("exchange" in d) return `${d.preference} ${fqdn(d.exchange)}`;
  if ("port" in d) return `${d.priority} ${d.weight} ${d.port} ${fqdn(d.target)}`;
  if ("target" in d) return fqdn(d.target);
  if ("texts" in d) return d.texts.map(quoteText).join(" ");
  if ("mname" in d) {
    return `${fqdn(d.mname)} ${
      fqdn(d.rname)
    } ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`;
  }
  if ("tag" in d) return `${d.flags} ${d.tag} ${quoteText(d.value)}`;
  return `\\# ${d.raw.length} ${
    Array.from(d.raw, (b) => b.toString(16).padStart(2, "0")).join("")
  }`;
}

/**
 * The reverse-lookup name of an IPv4 or IPv6 address (RFC 1035 3.5, RFC 3596 2.5).
 *
 * @example
 * ```ts
 * import { reverseName } from "./wire.ts";
 * import assert from "node:assert/strict";
 * assert.equal(reverseName("192.0.2.1"), "1.2.0.192.in-addr.arpa");
 * assert.equal(reverseName("::1").slice(0, 8), "1.0.0.0.");
 * ```
 *
 * @throws {RangeError} When the text is not an address.
 */
export function reverseName(address: string): string {
  if (address.includes(":")) {
    const nibbles = Array.from(ipv6Bytes(address)).flatMap((b) => [b >> 4, b & 0xf]);
    return `${nibbles.reverse().map((n) => n.toString(16)).join(".")}.ip6.arpa`;
  }
  return `${Array.from(ipv4Bytes(address)).reverse().join(".")}.in-addr.arpa`;
}
