/**
 * What `sockit resolve` is asked to do, read from its arguments and checked before anything is
 * sent: the names and their types, the way to ask, what to expect.
 *
 * @module
 */
import { canonicalIp, ipFamily } from "../../net/addr.ts";
import { normalizeDnsName } from "../../dns/name.ts";
import type { DnsNameForms } from "../../dns/name.ts";
import { parseDnsServer } from "../../dns/outcome.ts";
import type { DnsServer } from "../../dns/query.ts";
import { parseRecordType, RecordType, reverseName, typeName } from "../../dns/wire.ts";
import { asUsage, UsageError } from "../args.ts";
import type { Context } from "../command.ts";
import { readInput } from "../paths.ts";

/**
 * Parses `ADDR`, `ADDR:PORT`, `[V6]:PORT` or a bare IPv6 address.
 *
 * @throws {UsageError} Saying what is wrong: an empty or bad port, an address that is not an IP
 * literal.
 */
function parseServer(text: string): DnsServer {
  return asUsage(() => parseDnsServer(text));
}

/** One name and the record type it is asked for (query mode). */
export interface Ask {
  n: DnsNameForms;
  type: number;
}

/** What to do: which names, how to ask, what to check. */
export interface Plan {
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

export async function plan(ctx: Context): Promise<Plan> {
  const args = ctx.args;
  let server: DnsServer | undefined;
  const names: DnsNameForms[] = [];
  for (const word of args.positionals) {
    if (word.startsWith("@")) server = parseServer(word.slice(1));
    else names.push(checkedName(word));
  }
  if (args.given("server")) server = parseServer(args.string("server")!);
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
  let family: 4 | 6 | undefined = args.flag("ipv4") ? 4 : args.flag("ipv6") ? 6 : undefined;
  const typeText = args.string("type");
  const given = typeText === undefined ? undefined : asUsage(() => parseRecordType(typeText));
  // -4/-6 choose the names' type; with no name beside -x, they would choose nothing.
  if (reverse.length > 0 && family && names.length === 0) {
    throw new UsageError(`Options -${family} and -x cannot be used together`);
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
    args.flag("tcp") || args.given("tries");
  return {
    asks,
    mode: compare ? "compare" : query ? "query" : "system",
    server,
    family,
    transport: args.flag("tcp") ? "tcp" : "udp",
    tries: args.integer("tries", { min: 1, max: 20 }),
    timeoutMs: args.duration("timeout", query || compare ? 2000 : 5000),
    expect,
  };
}
