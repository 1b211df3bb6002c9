/**
 * `sockit resolve`: flags, help and output. System lookups are in `lib/dns/system.ts`, direct
 * queries in `lib/dns/query.ts`.
 *
 * @module
 */
import { isIpLiteral } from "../net/addr.ts";
import { withDeadline } from "../net/deadline.ts";
import { CheckError, ResolveError, SockitError } from "../net/errors.ts";
import { DnsClient, formatServer, queryDns } from "../dns/query.ts";
import type { DnsQueryResult, DnsServer } from "../dns/query.ts";
import { systemNameserver } from "../dns/resolv_conf.ts";
import { lookupSystem } from "../dns/system.ts";
import type { SystemAddress } from "../dns/system.ts";
import { fqdn } from "../dns/name.ts";
import {
  formatRecordData,
  Rcode,
  rcodeName,
  RecordType,
  reverseName,
  typeCode,
  typeName,
} from "../dns/wire.ts";
import type { DnsRecord } from "../dns/wire.ts";
import { UsageError, withCommon } from "./args.ts";
import type { CommandSpec, ParsedArgs } from "./args.ts";
import { describeError, runCommand } from "./command.ts";
import type { Context } from "./command.ts";
import { ExitCode, exitCodeFor } from "./exit_codes.ts";
import { formatMs, roundMs } from "./output.ts";
import type { Io } from "./output.ts";

/** How many names `resolve` asks at once over its one UDP socket. */
const QUERY_WINDOW = 32;

/** `sockit resolve`. */
export const RESOLVE: CommandSpec = {
  name: "resolve",
  summary: "resolve names as programs do (getaddrinfo), or ask a DNS server directly",
  usage: [
    "resolve NAME... [-4 | -6] [--short] [--expect ADDR]...",
    "resolve [@SERVER[:PORT]] NAME... [--type TYPE] [--tcp] [--tries N] [--short] [--expect ADDR]...",
    "resolve -x ADDRESS [@SERVER[:PORT]]",
    "resolve --compare NAME... [--server ADDR[:PORT]]",
  ],
  description: [
    "Without --type, --server, @SERVER, -x or --tcp, names go through the system resolver",
    "(getaddrinfo: /etc/hosts, search domains), as programs see them. With any of those, sockit",
    "writes the DNS query itself and asks the server (default: the first nameserver in",
    "/etc/resolv.conf) over UDP, asking again over TCP when the answer comes back truncated.",
    "A reply counts only when its source, ID and question match; others are ignored (--trace",
    "shows them). --timeout is per try (default 2s), and --tries bounds the attempts.",
    "",
    "Every failed lookup exits 3: NXDOMAIN (no such name), NODATA (the name has no records of",
    "that type), SERVFAIL and REFUSED. No answer in time exits 5, a malformed reply 7. With",
    "-4/-6 in query mode, the type defaults to A/AAAA. Types: A, AAAA, CNAME, MX, NS, SOA, TXT,",
    "SRV, PTR, CAA or TYPEnnn. --compare shows the system's and the server's addresses side by",
    "side and exits 1 when they differ.",
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
      value: "ADDRESS",
      description: "Reverse lookup: PTR of in-addr.arpa / ip6.arpa",
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
      description: "Exit 1 unless ADDR is among the answers",
    },
    { name: "compare", type: "boolean", description: "System and server answers side by side" },
    {
      name: "file",
      short: "f",
      type: "string",
      value: "FILE",
      description: "Read names from FILE, one per line",
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

/** Parses `ADDR`, `ADDR:PORT`, `[V6]:PORT` or a bare IPv6 address. */
export function parseServer(text: string): DnsServer {
  const bracketed = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(text);
  const plain = /^([0-9.]+)(?::(\d+))?$/.exec(text);
  const m = bracketed ?? plain;
  let address: string, port = 53;
  if (m) {
    address = m[1]!;
    if (m[2] !== undefined) port = Number(m[2]);
  } else {
    address = text;
  }
  if (!isIpLiteral(address) || port < 1 || port > 65535) {
    throw new UsageError(`Invalid server "${text}": use an address, ADDR:PORT or [IPV6]:PORT`);
  }
  return { address, port };
}

interface Plan {
  names: string[];
  query: boolean;
  type: number;
  server?: DnsServer;
  family: 4 | 6 | undefined;
  transport: "udp" | "tcp";
  tries: number;
  timeoutMs: number;
}

async function plan(args: ParsedArgs): Promise<Plan> {
  let server: DnsServer | undefined;
  const names: string[] = [];
  for (const word of args.positionals) {
    if (word.startsWith("@")) server = parseServer(word.slice(1));
    else names.push(word);
  }
  if (args.string("server") !== undefined) server = parseServer(args.string("server")!);
  const file = args.string("file");
  if (file !== undefined) {
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (error) {
      throw new UsageError(`Cannot read names from "${file}": ${(error as Error).message}`);
    }
    names.push(...text.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#")));
  }
  const reverse = args.string("reverse");
  if (reverse !== undefined) {
    try {
      names.push(reverseName(reverse));
    } catch {
      throw new UsageError(`Invalid address "${reverse}" for -x: expected IPv4 or IPv6`);
    }
  }
  if (names.length === 0) {
    throw new UsageError('Missing argument for "sockit resolve": expected NAME');
  }
  if (args.flag("ipv4") && args.flag("ipv6")) {
    throw new UsageError("Options -4 and -6 cannot be used together");
  }
  const family = args.flag("ipv4") ? 4 : args.flag("ipv6") ? 6 : undefined;
  const typeText = args.string("type");
  let type: number = reverse !== undefined
    ? RecordType.PTR
    : family === 6
    ? RecordType.AAAA
    : RecordType.A;
  if (typeText !== undefined) {
    const code = typeCode(typeText);
    if (code === undefined) {
      throw new UsageError(
        `Unknown record type "${typeText}": use A, AAAA, CNAME, MX, NS, SOA, TXT, SRV, PTR, CAA or TYPEnnn`,
      );
    }
    type = code;
  }
  const query = typeText !== undefined || server !== undefined || reverse !== undefined ||
    args.flag("tcp") || args.string("tries") !== undefined;
  if (args.flag("compare") && reverse !== undefined) {
    throw new UsageError("Options --compare and -x cannot be used together");
  }
  return {
    names,
    query,
    type,
    ...(server ? { server } : {}),
    family,
    transport: args.flag("tcp") ? "tcp" : "udp",
    tries: args.integer("tries", 3, { min: 1, max: 20 }),
    timeoutMs: args.duration("timeout", query || args.flag("compare") ? 2000 : 5000),
  };
}

async function resolveCommand(ctx: Context): Promise<number> {
  const p = await plan(ctx.args);
  const expected = ctx.args.strings("expect");
  for (const address of expected) {
    if (!isIpLiteral(address)) throw new UsageError(`Invalid address "${address}" for --expect`);
  }
  if (ctx.json) ctx.jsonPrinted = true;
  const seen = new Set<string>();
  let code: number = ExitCode.Ok;
  const fail = (error: unknown) => {
    if (code === ExitCode.Ok) code = exitCodeFor(error);
  };
  if (ctx.args.flag("compare")) {
    const server = p.server ?? await systemNameserver();
    for (const name of p.names) {
      try {
        await compare(ctx, p, name, server);
      } catch (error) {
        await ctx.out.error(describeError(error));
        fail(error);
      }
    }
    return code;
  }
  if (!p.query) {
    for (const name of p.names) {
      try {
        const found = await withDeadline(
          p.timeoutMs,
          `Cannot resolve "${name}"`,
          () => lookupSystem(name, { family: p.family }),
        );
        for (const a of found) seen.add(normalize(a.address));
        await printSystem(ctx, name, found, p.names.length > 1);
      } catch (error) {
        if (ctx.json) {
          await ctx.out.json({
            name,
            addresses: [],
            error: describeError(error),
            exit_code: exitCodeFor(error),
          });
        }
        await ctx.out.error(describeError(error));
        fail(error);
      }
    }
  } else {
    const server = p.server ?? await systemNameserver();
    // Many names are asked at once over one socket, printed in order. The window is small on
    // purpose: with 256 in flight, a burst of answers overflowed a 208 KiB receive buffer (the
    // Linux default) in a quarter of 1000-name runs, and each lost answer cost a whole retry.
    await using client = new DnsClient(server, {
      transport: p.transport,
      timeoutMs: p.timeoutMs,
      tries: p.tries,
      trace: ctx.trace,
    });
    const results = await pool(p.names, QUERY_WINDOW, (name) =>
      client.query(name, p.type).then(
        (r) => ({ name, result: r, error: undefined }),
        (error) => ({ name, result: undefined, error }),
      ));
    for (const { name, result, error } of results) {
      const failure = result ? outcomeError(name, p.type, result) : error;
      if (result) {
        for (const r of result.message.answers) {
          if ("address" in r.data) seen.add(normalize(r.data.address));
        }
        await printQuery(ctx, name, p.type, result, failure as SockitError | undefined);
      } else if (ctx.json) {
        await ctx.out.json({
          name: fqdn(name),
          type: typeName(p.type),
          server: formatServer(server),
          error: describeError(error),
          exit_code: exitCodeFor(error),
        });
      }
      if (failure) {
        await ctx.out.error(describeError(failure));
        fail(failure);
      }
    }
  }
  const missing = expected.filter((a) => !seen.has(normalize(a)));
  if (missing.length > 0) {
    const error = new CheckError(
      `Check failed: ${missing.join(", ")} ${
        missing.length === 1 ? "is" : "are"
      } not among the answers (${[...seen].join(", ") || "none"})`,
    );
    await ctx.out.error(error.message);
    fail(error);
  }
  return code;
}

/** One canonical text per address, so that `2001:DB8:0::1` equals `2001:db8::1`. */
function normalize(address: string): string {
  if (!address.includes(":")) return address;
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address.toLowerCase();
  }
}

async function pool<T, R>(items: T[], limit: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const i = next++;
      results[i] = await run(items[i]!);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const OUTCOME: Record<number, [string, string]> = {
  [Rcode.NXDOMAIN]: ["nxdomain", "NXDOMAIN (no such name)"],
  [Rcode.SERVFAIL]: ["servfail", "SERVFAIL (the server failed to answer)"],
  [Rcode.REFUSED]: ["refused", "REFUSED (the server refused to answer)"],
};

function outcomeOf(type: number, result: DnsQueryResult): string {
  const { rcode } = result.message.flags;
  if (rcode !== Rcode.NOERROR) return OUTCOME[rcode]?.[0] ?? rcodeName(rcode).toLowerCase();
  return answersFor(type, result.message.answers).length > 0 ? "answer" : "nodata";
}

/** Answers of the asked type, following the CNAME chain in the answer section. */
function answersFor(type: number, answers: DnsRecord[]): DnsRecord[] {
  return answers.filter((r) => r.type === type || type === RecordType.CNAME);
}

function outcomeError(name: string, type: number, result: DnsQueryResult): SockitError | undefined {
  const { rcode } = result.message.flags;
  const at = `"${name}" (${typeName(type)}) at ${formatServer(result.server)}`;
  if (rcode !== Rcode.NOERROR) {
    return new ResolveError(`Cannot resolve ${at}: ${OUTCOME[rcode]?.[1] ?? rcodeName(rcode)}`);
  }
  if (answersFor(type, result.message.answers).length === 0) {
    return new ResolveError(
      `Cannot resolve ${at}: NODATA (the name exists but has no ${typeName(type)} records)`,
    );
  }
  return undefined;
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

async function printQuery(
  ctx: Context,
  name: string,
  type: number,
  result: DnsQueryResult,
  failure: SockitError | undefined,
): Promise<void> {
  const m = result.message;
  const flags = (["qr", "aa", "tc", "rd", "ra", "ad", "cd"] as const).filter((f) => m.flags[f]);
  if (ctx.json) {
    await ctx.out.json({
      name: fqdn(name),
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
      error: failure ? failure.message : null,
      exit_code: failure ? exitCodeFor(failure) : 0,
    });
    return;
  }
  if (ctx.quiet) return;
  if (ctx.args.flag("short")) {
    for (const r of m.answers) await ctx.out.line(formatRecordData(r));
    return;
  }
  await ctx.out.line(
    `;; ${fqdn(name)} ${typeName(type)} @${formatServer(result.server)} (${result.transport}${
      result.truncated ? ", after a truncated UDP answer" : ""
    }): ${rcodeName(m.flags.rcode)}, flags: ${flags.join(" ")}; ${m.answers.length} answer${
      m.answers.length === 1 ? "" : "s"
    }, ${formatMs(result.elapsedMs)}`,
  );
  for (const r of m.answers) await ctx.out.line(recordLine(r));
  if (m.answers.length === 0 && m.authorities.length > 0) {
    await ctx.out.line(";; AUTHORITY:");
    for (const r of m.authorities) await ctx.out.line(recordLine(r));
  }
}

async function printSystem(
  ctx: Context,
  name: string,
  found: SystemAddress[],
  many: boolean,
): Promise<void> {
  if (ctx.json) return await ctx.out.json({ name, addresses: found });
  if (ctx.quiet) return;
  for (const a of found) {
    if (ctx.args.flag("short")) await ctx.out.line(a.address);
    else await ctx.out.line(`${many ? `${name}\t` : ""}${a.address}\tIPv${a.family}`);
  }
}

async function compare(ctx: Context, p: Plan, name: string, server: DnsServer): Promise<void> {
  const types = p.family === 4
    ? [RecordType.A]
    : p.family === 6
    ? [RecordType.AAAA]
    : [RecordType.A, RecordType.AAAA];
  const system = await withDeadline(
    p.timeoutMs,
    `Cannot resolve "${name}"`,
    () => lookupSystem(name, { family: p.family }),
  ).catch((error) => {
    if (error instanceof ResolveError) return [] as SystemAddress[];
    throw error;
  });
  const serverAddresses: string[] = [];
  for (const type of types) {
    const result = await queryDns(name, type, server, {
      transport: p.transport,
      timeoutMs: p.timeoutMs,
      tries: p.tries,
      trace: ctx.trace,
    });
    for (const r of result.message.answers) {
      if ("address" in r.data) serverAddresses.push(r.data.address);
    }
  }
  const sys = system.map((a) => normalize(a.address));
  const srv = serverAddresses.map(normalize);
  const all = [...new Set([...sys, ...srv])];
  const onlySystem = all.filter((a) => !srv.includes(a));
  const onlyServer = all.filter((a) => !sys.includes(a));
  const same = onlySystem.length === 0 && onlyServer.length === 0;
  if (ctx.json) {
    await ctx.out.json({
      name,
      server: formatServer(server),
      system: sys,
      dns: srv,
      only_system: onlySystem,
      only_server: onlyServer,
      same,
    });
  } else if (!ctx.quiet) {
    await ctx.out.line(`${name}: system (getaddrinfo) vs ${formatServer(server)}`);
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
  if (!same) {
    throw new CheckError(
      `Check failed: the system and ${formatServer(server)} disagree about "${name}"`,
    );
  }
}
