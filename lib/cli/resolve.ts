/**
 * `sockit resolve`: flags, help and output. Name rules and IDNA are in `lib/dns/name.ts`,
 * system lookups in `lib/dns/system.ts`, direct queries in `lib/dns/query.ts`.
 *
 * @module
 */
import { canonicalIp, formatHostPort, ipFamily } from "../net/addr.ts";
import { formatDuration, withDeadline } from "../net/deadline.ts";
import { CheckError, ResolveError, SockitError } from "../net/errors.ts";
import { fqdn, normalizeDnsName } from "../dns/name.ts";
import type { DnsNameForms } from "../dns/name.ts";
import {
  addressesOf as dnsAddresses,
  describeDnsFailure,
  dnsOutcome,
  parseDnsServer,
} from "../dns/outcome.ts";
import { DnsClient, formatServer } from "../dns/query.ts";
import type { DnsQueryResult, DnsServer } from "../dns/query.ts";
import { systemNameserver } from "../dns/resolv_conf.ts";
import { lookupSystem } from "../dns/system.ts";
import type { SystemAddress } from "../dns/system.ts";
import {
  formatRecordData,
  parseRecordType,
  rcodeName,
  RecordType,
  reverseName,
  typeName,
} from "../dns/wire.ts";
import type { DnsRecord } from "../dns/wire.ts";
import { UsageError, withCommon } from "./args.ts";
import type { CommandSpec } from "./args.ts";
import { describeError, runCommand } from "./command.ts";
import type { Context } from "./command.ts";
import { ExitCode, exitCodeFor } from "./exit_codes.ts";
import { formatMs, roundMs, StdoutClosedError } from "./output.ts";
import type { Io } from "./output.ts";
import { readInput } from "./paths.ts";

/** How many names `resolve` asks at once over its one UDP socket. */
const QUERY_WINDOW = 32;

/** `sockit resolve`. */
export const RESOLVE: CommandSpec = {
  name: "resolve",
  summary: "resolve names as programs do (getaddrinfo), or ask a DNS server directly",
  usage: [
    "resolve NAME... [-4 | -6] [--short] [--expect ADDR]...",
    "resolve [@SERVER[:PORT]] NAME... [--type TYPE] [--tcp] [--tries N] [--short] [--expect ADDR]...",
    "resolve [NAME...] -x ADDRESS... [@SERVER[:PORT]]",
    "resolve --compare NAME... [--server ADDR[:PORT]] [-4 | -6]",
  ],
  description: [
    "Without --type, --server, @SERVER, -x, --tcp or --tries, names go through the system",
    "resolver (getaddrinfo: /etc/hosts, search domains), as programs see them. With any of",
    "those, sockit writes the DNS query itself and asks the server (default: the first",
    "nameserver in /etc/resolv.conf) over UDP, asking again over TCP when the answer comes back",
    "truncated. A reply counts only when its source, ID and question match; others are ignored",
    "(--trace shows them). --timeout is per try (default 2s), and --tries bounds the attempts.",
    "",
    "Names are checked before anything is sent (a malformed name or server exits 2), and",
    "non-ASCII names are converted with IDNA (b\u00fccher.test is asked as xn--bcher-kva.test).",
    "Every failed lookup exits 3: NXDOMAIN (no such name), NODATA (the name has no records of",
    "that type), SERVFAIL, REFUSED and other error statuses. No answer in time exits 5, a",
    "malformed reply 7. -4/-6 in query mode ask for A/AAAA. Types: A, AAAA, CNAME, MX, NS, SOA,",
    "TXT, SRV, PTR, CAA or TYPEnnn; names given beside -x keep theirs, and -x's reverse names",
    "are asked for PTR (as dig asks them; --type applies to them when no other name is given).",
    "--expect is checked per name. --compare shows each side's",
    "outcome and addresses, and exits 1 when they differ, 3 when both fail.",
  ].join("\n"),
  options: withCommon([
    {
      name: "type",
      short: "t",
      type: "string",
      value: "TYPE",
      default: "A",
      description: "Record type to ask for (query mode)",
    },
    {
      name: "server",
      short: "s",
      type: "string",
      value: "ADDR[:PORT]",
      description: "DNS server to ask (or @ADDR)",
    },
    {
      name: "reverse",
      short: "x",
      type: "string",
      multiple: true,
      value: "ADDRESS",
      description: "Reverse lookup: PTR of in-addr.arpa / ip6.arpa, beside any NAME (repeatable)",
    },
    { name: "tcp", type: "boolean", description: "Ask over TCP only" },
    {
      name: "tries",
      type: "string",
      value: "N",
      default: "3",
      description: "Attempts before giving up (query mode)",
    },
    { name: "ipv4", short: "4", type: "boolean", description: "IPv4 only (A)" },
    { name: "ipv6", short: "6", type: "boolean", description: "IPv6 only (AAAA)" },
    { name: "short", type: "boolean", description: "Print the data only, one per line" },
    {
      name: "expect",
      type: "string",
      multiple: true,
      value: "ADDR",
      description: "Exit 1 unless each name answers ADDR (repeatable)",
    },
    { name: "compare", type: "boolean", description: "System and server answers side by side" },
    {
      name: "file",
      short: "f",
      type: "string",
      value: "FILE",
      description: "Read names from FILE (- for stdin), one per line, # comments",
    },
    {
      name: "emit-check",
      type: "boolean",
      description: "Print the sockit check entries that do the same, instead of resolving",
    },
  ]),
  positionals: { min: 0, max: Infinity, name: "NAME" },
  examples: [
    ["What programs get for a name", "sockit resolve localhost"],
    ["Ask a server directly, like dig", "sockit resolve @127.0.0.1:5353 example.test --type MX"],
    [
      "A CI check: the name must point at 192.0.2.1",
      "sockit resolve api.internal --expect 192.0.2.1 --json",
    ],
  ],
};

/** Runs `sockit resolve`. */
export async function runResolve(argv: string[], io: Io): Promise<number> {
  return await runCommand(RESOLVE, argv, io, resolveCommand);
}

/**
 * Parses `ADDR`, `ADDR:PORT`, `[V6]:PORT` or a bare IPv6 address.
 *
 * @throws {UsageError} Saying what is wrong: an empty or bad port, an address that is not an IP
 * literal.
 */
export function parseServer(text: string): DnsServer {
  try {
    return parseDnsServer(text);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** One name and the record type it is asked for (query mode). */
interface Ask {
  n: DnsNameForms;
  type: number;
}

/** What to do: which names, how to ask, what to check. */
interface Plan {
  /**
   * The names in the order given (the arguments, then -f's, then -x's), each with its type: the
   * names take --type (or -4/-6's A/AAAA, A by default) and -x's reverse names PTR, as dig asks
   * them; -x's take --type only when no other name is given (`-x ADDR -t TXT`, as in dig).
   */
  asks: Ask[];
  mode: "system" | "query" | "compare";
  server: DnsServer | undefined;
  family: 4 | 6 | undefined;
  transport: "udp" | "tcp";
  tries: number;
  timeoutMs: number;
  /** --expect addresses, canonical. */
  expect: string[];
}

/** A name from the command line or a file, checked and in all its forms. */
function checkedName(text: string, where?: string): DnsNameForms {
  try {
    return normalizeDnsName(text);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new UsageError(where ? `${error.message} (${where})` : error.message);
  }
}

/** Cuts a `#` comment (an unescaped `#` and what follows) off a line of a names file. */
function stripComment(line: string): string {
  for (let i = 0; i < line.length; i++) {
    if (line[i] === "\\") i++;
    else if (line[i] === "#") return line.slice(0, i);
  }
  return line;
}

function checkedAddress(text: string, option: string): string {
  if (!ipFamily(text)) {
    throw new UsageError(`Invalid address "${text}" for ${option}: not an IPv4 or IPv6 address`);
  }
  return canonicalIp(text);
}

async function plan(ctx: Context): Promise<Plan> {
  const args = ctx.args;
  let server: DnsServer | undefined;
  const names: DnsNameForms[] = [];
  for (const word of args.positionals) {
    if (word.startsWith("@")) server = parseServer(word.slice(1));
    else names.push(checkedName(word));
  }
  if (args.string("server") !== undefined) server = parseServer(args.string("server")!);
  const file = args.string("file");
  if (file !== undefined) {
    const text = await readInput(ctx.io, file, "-f");
    text.split("\n").forEach((line, i) => {
      const name = stripComment(line).trim();
      if (name !== "") names.push(checkedName(name, `-f ${file}, line ${i + 1}`));
    });
  }
  const reverse = args.strings("reverse");
  const reversed: DnsNameForms[] = [];
  for (const address of reverse) {
    let name: string;
    try {
      name = reverseName(checkedAddress(address, "-x"));
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      throw new UsageError(`Invalid address "${address}" for -x: not an IPv4 or IPv6 address`);
    }
    reversed.push(normalizeDnsName(name));
  }
  if (names.length === 0 && reversed.length === 0) {
    throw new UsageError('Missing argument for "sockit resolve": expected NAME');
  }
  const compare = args.flag("compare");
  if (args.flag("ipv4") && args.flag("ipv6")) {
    throw new UsageError("Options -4 and -6 cannot be used together");
  }
  let family: 4 | 6 | undefined = args.flag("ipv4") ? 4 : args.flag("ipv6") ? 6 : undefined;
  const typeText = args.string("type");
  let given: number | undefined;
  try {
    given = typeText === undefined ? undefined : parseRecordType(typeText);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (reverse.length > 0) {
    if (compare) throw new UsageError("Options --compare and -x cannot be used together");
    // -4/-6 choose the names' type; with no name beside -x, they would choose nothing.
    if (family && names.length === 0) {
      throw new UsageError(`Options -${family} and -x cannot be used together`);
    }
  }
  const familyType = family === 6 ? RecordType.AAAA : RecordType.A;
  if (family && given !== undefined && given !== familyType) {
    throw new UsageError(
      `Options -${family} and --type ${
        typeName(given)
      } cannot be used together: -${family} asks for ${typeName(familyType)}`,
    );
  }
  const nameType = given ?? familyType;
  const reverseType = names.length === 0 ? given ?? RecordType.PTR : RecordType.PTR;
  const asks: Ask[] = [
    ...names.map((n) => ({ n, type: nameType })),
    ...reversed.map((n) => ({ n, type: reverseType })),
  ];
  const expect = args.strings("expect").map((a) => checkedAddress(a, "--expect"));
  if (compare) {
    if (given !== undefined && given !== RecordType.A && given !== RecordType.AAAA) {
      throw new UsageError(
        `Option --compare compares addresses: it takes --type A or AAAA, not ${typeName(given)}`,
      );
    }
    if (given !== undefined) family = given === RecordType.AAAA ? 6 : 4;
    for (const option of ["short", "expect"] as const) {
      if (args.strings(option).length > 0 || args.flag(option)) {
        throw new UsageError(`Options --compare and --${option} cannot be used together`);
      }
    }
  } else if (expect.length > 0) {
    const other = asks.find((a) => a.type !== RecordType.A && a.type !== RecordType.AAAA);
    if (other !== undefined) {
      throw new UsageError(
        reversed.includes(other.n) && other.type === RecordType.PTR
          ? "Option --expect checks addresses: -x asks for PTR"
          : `Option --expect checks addresses: it needs --type A or AAAA, not ${
            typeName(other.type)
          }`,
      );
    }
  }
  const query = given !== undefined || server !== undefined || reverse.length > 0 ||
    args.flag("tcp") || args.string("tries") !== undefined;
  return {
    asks,
    mode: compare ? "compare" : query ? "query" : "system",
    server,
    family,
    transport: args.flag("tcp") ? "tcp" : "udp",
    tries: args.integer("tries", 3, { min: 1, max: 20 }),
    timeoutMs: args.duration("timeout", query || compare ? 2000 : 5000),
    expect,
  };
}

async function resolveCommand(ctx: Context): Promise<number> {
  const p = await plan(ctx);
  if (ctx.args.flag("emit-check")) return await emitResolveChecks(ctx, p);
  if (p.mode === "compare") return await runCompare(ctx, p);
  if (p.mode === "query") return await runQueries(ctx, p);
  return await runSystem(ctx, p);
}

/** `--emit-check`: a dns check per name, asking the way this command line would. */
async function emitResolveChecks(ctx: Context, p: Plan): Promise<number> {
  const { emitChecks, notCarriedOver, uniqueNames } = await import("./emit_check.ts");
  const { specLiteral } = await import("../check/emit.ts");
  if (p.mode === "compare") {
    throw new UsageError("Options --compare and --emit-check cannot be used together");
  }
  const notes = notCarriedOver(ctx.args, ["tcp", "tries", "short"]);
  if (p.mode === "system" && p.family !== undefined) {
    notes.push(`-${p.family} has no equivalent for the system resolver in a check: left out`);
  }
  const query = p.mode === "query";
  const checks = p.asks.map(({ n, type }) => ({
    name: specLiteral(`resolve ${n.ascii}${query ? ` ${typeName(type)}` : ""}`),
    dns: {
      name: specLiteral(n.ascii),
      ...(query ? { type: typeName(type) } : {}),
      ...(p.server ? { server: formatHostPort(p.server.address, p.server.port) } : {}),
    },
    ...(p.expect.length > 0 ? { expect: { addresses: p.expect } } : {}),
    ...(ctx.args.string("timeout") !== undefined ? { timeout: formatDuration(p.timeoutMs) } : {}),
  }));
  return await emitChecks(ctx, uniqueNames(checks), notes);
}

/**
 * Lets a per-name catch-all pass on what must end the whole command: a closed stdout (exit 141,
 * quietly) and Ctrl-C or SIGTERM (the reason of `ctx.signal`).
 */
function rethrowIfFatal(ctx: Context, error: unknown): void {
  if (error instanceof StdoutClosedError) throw error;
  if (ctx.signal.aborted) throw ctx.signal.reason;
}

/** The exit code of the first failure among the names. */
class FirstFailure {
  code: number = ExitCode.Ok;

  note(error: unknown): void {
    if (this.code === ExitCode.Ok) this.code = exitCodeFor(error);
  }
}

/** A name for messages: `"xn--bcher-kva.test" (b\u00fccher.test)`, or just `"a.test"`. */
function quoted(text: string, n: DnsNameForms): string {
  return n.unicode === undefined ? `"${text}"` : `"${text}" (${n.unicode})`;
}

/** The --expect check of one name: which addresses it was to answer, which it did not. */
interface Expectation {
  addresses: string[];
  missing: string[];
  /** The check's failure, when addresses are missing. */
  error: CheckError | undefined;
}

function checkExpect(
  expected: string[],
  name: string,
  answered: string[],
): Expectation | undefined {
  if (expected.length === 0) return undefined;
  const got = answered.map(canonicalIp);
  const missing = expected.filter((a) => !got.includes(a));
  const error = missing.length === 0 ? undefined : new CheckError(
    `Check failed: ${missing.join(", ")} ${
      missing.length === 1 ? "is" : "are"
    } not among the answers for ${name} (${got.join(", ") || "none"})`,
  );
  return { addresses: expected, missing, error };
}

/**
 * Prints one name's JSON object. Once one is out, a failure that ends the command (Ctrl-C) adds
 * no `{error, exit_code}` object of its own: each name's object already carries its outcome.
 */
async function printJson(ctx: Context, value: Record<string, unknown>): Promise<void> {
  ctx.jsonPrinted = true;
  await ctx.out.json(value);
}

function expectJson(expectation: Expectation | undefined) {
  return expectation
    ? { expect: { addresses: expectation.addresses, missing: expectation.missing } }
    : {};
}

function idnJson(unicode: string | undefined) {
  return unicode === undefined ? {} : { idn: unicode };
}

function lookup(ctx: Context, p: Plan, n: DnsNameForms): Promise<SystemAddress[]> {
  return withDeadline(
    p.timeoutMs,
    `Cannot resolve ${quoted(n.ascii, n)}`,
    () => lookupSystem(n.ascii, { family: p.family }),
    { signal: ctx.signal },
  );
}

async function runSystem(ctx: Context, p: Plan): Promise<number> {
  const failures = new FirstFailure();
  for (const { n } of p.asks) {
    let found: SystemAddress[] = [];
    let failure: unknown;
    try {
      found = await lookup(ctx, p, n);
    } catch (error) {
      rethrowIfFatal(ctx, error);
      failure = error;
    }
    const expectation = checkExpect(
      p.expect,
      quoted(n.ascii, n),
      found.map((a) => a.address),
    );
    failure ??= expectation?.error;
    if (ctx.json) {
      await printJson(ctx, {
        name: n.ascii,
        ...idnJson(n.unicode),
        addresses: found,
        ...expectJson(expectation),
        error: failure === undefined ? null : describeError(failure),
        exit_code: failure === undefined ? 0 : exitCodeFor(failure),
      });
    } else if (!ctx.quiet) {
      const label = n.unicode === undefined ? n.ascii : `${n.ascii} (${n.unicode})`;
      for (const a of found) {
        if (ctx.args.flag("short")) await ctx.out.line(a.address);
        else {
          await ctx.out.line(
            `${p.asks.length > 1 ? `${label}\t` : ""}${a.address}\tIPv${a.family}`,
          );
        }
      }
    }
    if (failure !== undefined) {
      await ctx.out.error(describeError(failure));
      failures.note(failure);
    }
  }
  return failures.code;
}

/**
 * Runs `ask` over `items` with at most `limit` in flight, and yields the results in the order of
 * `items` as soon as each is ready, in batches: each batch holds every result ready by then, so
 * that output starts with the first answer and many answers go out in one write. Starts no new
 * work once the consumer stops (breaks, or throws: a closed stdout).
 */
async function* inOrder<T, R>(
  items: readonly T[],
  limit: number,
  ask: (item: T) => Promise<R>,
): AsyncGenerator<R[]> {
  const slots = items.map(() => Promise.withResolvers<void>());
  const results: R[] = new Array(items.length);
  const ready = new Uint8Array(items.length);
  let next = 0;
  let stopped = false;
  async function worker() {
    while (next < items.length && !stopped) {
      const i = next++;
      results[i] = await ask(items[i]!);
      ready[i] = 1;
      slots[i]!.resolve();
    }
  }
  const workers = Array.from({ length: Math.min(limit, items.length) }, worker);
  try {
    for (let i = 0; i < items.length;) {
      await slots[i]!.promise;
      const batch: R[] = [];
      while (i < items.length && ready[i] === 1) batch.push(results[i++]!);
      yield batch;
    }
  } finally {
    stopped = true;
    // The workers end once what is in flight settles (the caller closes the client for that).
    Promise.all(workers).catch(() => {});
  }
}

/**
 * Lines for stdout, gathered and written together: a thousand answers that arrive at once are
 * one write, not a thousand. Flush before writing to stderr, so that the two keep their order.
 */
class Lines {
  readonly #ctx: Context;
  #text = "";

  constructor(ctx: Context) {
    this.#ctx = ctx;
  }

  add(line: string): void {
    this.#text += line + "\n";
  }

  /** One name's JSON object (see {@linkcode printJson}). */
  json(value: Record<string, unknown>): void {
    this.#ctx.jsonPrinted = true;
    this.add(JSON.stringify(value));
  }

  async flush(): Promise<void> {
    if (this.#text === "") return;
    const text = this.#text;
    this.#text = "";
    await this.#ctx.out.data(new TextEncoder().encode(text));
  }
}

interface Asked extends Ask {
  result: DnsQueryResult | undefined;
  error: unknown;
}

async function runQueries(ctx: Context, p: Plan): Promise<number> {
  const server = p.server ?? await systemNameserver();
  const failures = new FirstFailure();
  // Many names are asked at once over one socket, printed in order. The window is small on
  // purpose: with 256 in flight, a burst of answers overflowed a 208 KiB receive buffer (the
  // Linux default) in a quarter of 1000-name runs, and each lost answer cost a whole retry.
  await using client = new DnsClient(server, {
    transport: p.transport,
    timeoutMs: p.timeoutMs,
    tries: p.tries,
    trace: ctx.trace,
    signal: ctx.signal,
  });
  const answers = inOrder(
    p.asks,
    QUERY_WINDOW,
    ({ n, type }): Promise<Asked> =>
      client.query(n.name, type).then(
        (result) => ({ n, type, result, error: undefined }),
        (error) => ({ n, type, result: undefined, error }),
      ),
  );
  const lines = new Lines(ctx);
  for await (const batch of answers) {
    for (const { n, type, result, error } of batch) {
      if (ctx.signal.aborted) {
        await lines.flush();
        throw ctx.signal.reason;
      }
      const lookupFailure = result ? outcomeError(n, type, result) : error;
      const expectation = p.expect.length === 0 ? undefined : checkExpect(
        p.expect,
        quoted(n.name, n),
        result ? addressesOf(type, result) : [],
      );
      const failure = lookupFailure ?? expectation?.error;
      if (result) printQuery(ctx, lines, n, type, result, failure, expectation);
      else if (ctx.json) {
        lines.json({
          name: n.fqdn,
          ...idnJson(n.unicode === undefined ? undefined : fqdn(n.unicode)),
          type: typeName(type),
          server: formatServer(server),
          ...expectJson(expectation),
          error: describeError(error),
          exit_code: exitCodeFor(error),
        });
      }
      if (failure !== undefined) {
        await lines.flush();
        await ctx.out.error(describeError(failure));
        failures.note(failure);
      }
    }
    await lines.flush();
  }
  return failures.code;
}

/** `answer`, `nodata`, or the lower-cased status (`nxdomain`, `servfail`, `badvers`...). */
function outcomeOf(type: number, result: DnsQueryResult): string {
  return dnsOutcome(type, result.message);
}

/** The addresses among the answers of the asked type. */
function addressesOf(type: number, result: DnsQueryResult): string[] {
  return dnsAddresses(type, result.message);
}

function outcomeError(
  n: DnsNameForms,
  type: number,
  result: DnsQueryResult,
): SockitError | undefined {
  const why = describeDnsFailure(type, result.message);
  if (why === undefined) return undefined;
  const at = `${quoted(n.name, n)} (${typeName(type)}) at ${formatServer(result.server)}`;
  return new ResolveError(`Cannot resolve ${at}: ${why}`);
}

function recordJson(r: DnsRecord) {
  return {
    name: fqdn(r.name),
    ttl: r.ttl,
    class: r.class === 1 ? "IN" : `CLASS${r.class}`,
    type: typeName(r.type),
    data: formatRecordData(r),
  };
}

function recordLine(r: DnsRecord): string {
  const j = recordJson(r);
  return `${j.name.padEnd(24)} ${String(j.ttl).padStart(6)}  ${j.class}  ${
    j.type.padEnd(5)
  }  ${j.data}`;
}

function printQuery(
  ctx: Context,
  lines: Lines,
  n: DnsNameForms,
  type: number,
  result: DnsQueryResult,
  failure: unknown,
  expectation: Expectation | undefined,
): void {
  const m = result.message;
  if (ctx.quiet && !ctx.json) return;
  if (ctx.args.flag("short") && !ctx.json) {
    for (const r of m.answers) lines.add(formatRecordData(r));
    return;
  }
  const flags = (["qr", "aa", "tc", "rd", "ra", "ad", "cd"] as const).filter((f) => m.flags[f]);
  const unicode = n.unicode === undefined ? undefined : fqdn(n.unicode);
  if (ctx.json) {
    lines.json({
      name: n.fqdn,
      ...idnJson(unicode),
      type: typeName(type),
      server: formatServer(result.server),
      transport: result.transport,
      status: rcodeName(m.flags.rcode),
      outcome: outcomeOf(type, result),
      flags,
      answers: m.answers.map(recordJson),
      authority: m.authorities.map(recordJson),
      additional: m.additionals.map(recordJson),
      truncated_udp: result.truncated,
      tries: result.tries,
      query_ms: roundMs(result.elapsedMs),
      ...expectJson(expectation),
      error: failure === undefined ? null : describeError(failure),
      exit_code: failure === undefined ? 0 : exitCodeFor(failure),
    });
    return;
  }
  lines.add(
    `;; ${n.fqdn}${unicode === undefined ? "" : ` (${unicode})`} ${typeName(type)} @${
      formatServer(result.server)
    } (${result.transport}${result.truncated ? ", after a truncated UDP answer" : ""}): ${
      rcodeName(m.flags.rcode)
    }, flags: ${flags.join(" ")}; ${m.answers.length} answer${m.answers.length === 1 ? "" : "s"}, ${
      formatMs(result.elapsedMs)
    }`,
  );
  for (const r of m.answers) lines.add(recordLine(r));
  if (m.answers.length === 0 && m.authorities.length > 0) {
    lines.add(";; AUTHORITY:");
    for (const r of m.authorities) lines.add(recordLine(r));
  }
}

async function runCompare(ctx: Context, p: Plan): Promise<number> {
  const server = p.server ?? await systemNameserver();
  const failures = new FirstFailure();
  await using client = new DnsClient(server, {
    transport: p.transport,
    timeoutMs: p.timeoutMs,
    tries: p.tries,
    trace: ctx.trace,
    signal: ctx.signal,
  });
  for (const { n } of p.asks) {
    try {
      const failure = await compare(ctx, p, n, client, server);
      if (failure) {
        await ctx.out.error(describeError(failure));
        failures.note(failure);
      }
    } catch (error) {
      rethrowIfFatal(ctx, error);
      if (ctx.json) {
        await printJson(ctx, {
          name: n.ascii,
          ...idnJson(n.unicode),
          server: formatServer(server),
          error: describeError(error),
          exit_code: exitCodeFor(error),
        });
      }
      await ctx.out.error(describeError(error));
      failures.note(error);
    }
  }
  return failures.code;
}

/** What the system resolver's failure is called in --compare: JSON word and text. */
const SYSTEM_OUTCOME: Record<string, string> = {
  "name-not-found": "name not found",
  "no-addresses": "no addresses",
  "temporary-failure": "temporary failure in name resolution",
};

/**
 * One name, both ways. A side that cannot say (no answer in time, a malformed reply) throws;
 * otherwise returns the verdict: nothing when both sides agree, a `CheckError` when they differ
 * (one side failing counts), a `ResolveError` when both fail.
 */
async function compare(
  ctx: Context,
  p: Plan,
  n: DnsNameForms,
  client: DnsClient,
  server: DnsServer,
): Promise<SockitError | undefined> {
  const where = formatServer(server);
  const types = p.family === 4
    ? [RecordType.A]
    : p.family === 6
    ? [RecordType.AAAA]
    : [RecordType.A, RecordType.AAAA];
  let system: SystemAddress[] = [];
  let systemOutcome = "answer";
  try {
    system = await lookup(ctx, p, n);
  } catch (error) {
    if (!(error instanceof ResolveError)) throw error;
    systemOutcome = error.kind ?? "failed";
  }
  const serverAddresses: string[] = [];
  const outcomes: string[] = [];
  for (const type of types) {
    const result = await client.query(n.name, type);
    outcomes.push(outcomeOf(type, result));
    serverAddresses.push(...addressesOf(type, result));
  }
  // The server's outcome: an answer for any type counts; otherwise its most telling failure.
  const serverOutcome = outcomes.includes("answer")
    ? "answer"
    : outcomes.find((o) => o !== "nodata") ?? "nodata";
  const sys = system.map((a) => canonicalIp(a.address));
  const srv = serverAddresses.map(canonicalIp);
  const all = [...new Set([...sys, ...srv])];
  const onlySystem = all.filter((a) => !srv.includes(a));
  const onlyServer = all.filter((a) => !sys.includes(a));
  const same = onlySystem.length === 0 && onlyServer.length === 0;
  const systemText = systemOutcome === "answer"
    ? count(sys.length, "address", "addresses")
    : SYSTEM_OUTCOME[systemOutcome] ?? "failed";
  const serverText = serverOutcome === "answer"
    ? count(srv.length, "address", "addresses")
    : new Set(outcomes).size === 1
    ? serverOutcome.toUpperCase()
    : outcomes.map((o, i) => `${typeName(types[i]!)} ${o.toUpperCase()}`).join(", ");
  const systemFailed = systemOutcome !== "answer";
  const serverFailed = serverOutcome !== "answer";
  const name = quoted(n.ascii, n);
  const verdict = systemFailed && serverFailed
    ? new ResolveError(
      `Cannot resolve ${name} either way: the system says ${systemText}, ${where} says ${serverText}`,
    )
    : systemFailed || serverFailed
    ? new CheckError(
      `Check failed: the system and ${where} disagree about ${name}: ${
        systemFailed ? `the system says ${systemText}` : `${where} says ${serverText}`
      }`,
    )
    : same
    ? undefined
    : new CheckError(`Check failed: the system and ${where} disagree about ${name}`);
  if (ctx.json) {
    await printJson(ctx, {
      name: n.ascii,
      ...idnJson(n.unicode),
      server: where,
      system: sys,
      dns: srv,
      only_system: onlySystem,
      only_server: onlyServer,
      same,
      system_outcome: systemOutcome,
      server_outcome: serverOutcome,
      error: verdict === undefined ? null : verdict.message,
      exit_code: verdict === undefined ? 0 : exitCodeFor(verdict),
    });
  } else if (!ctx.quiet) {
    const label = n.unicode === undefined ? n.ascii : `${n.ascii} (${n.unicode})`;
    await ctx.out.line(`${label}: system (getaddrinfo) vs ${where}`);
    await ctx.out.line(`  system (getaddrinfo): ${systemText}`);
    await ctx.out.line(`  server (${where}): ${serverText}`);
    const width = Math.max(8, ...all.map((a) => a.length)) + 2;
    await ctx.out.line(`  ${"address".padEnd(width)}system  server`);
    for (const a of all) {
      const s = sys.includes(a), d = srv.includes(a);
      await ctx.out.line(
        `  ${a.padEnd(width)}${(s ? "yes" : "-").padEnd(8)}${(d ? "yes" : "-").padEnd(6)}${
          s && d ? "" : "  <- differs"
        }`,
      );
    }
    if (all.length === 0) await ctx.out.line("  (no addresses either way)");
  }
  return verdict;
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
