/**
 * `sockit resolve`: flags, help, and which way to ask. The plan is read in `plan.ts`; system
 * lookups print in `system.ts`, direct queries in `query.ts`, `--compare` in `compare.ts`. Name
 * rules and IDNA are in `lib/dns/name.ts`, the lookups and queries in `lib/dns/`.
 *
 * @module
 */
import { formatHostPort } from "../../net/addr.ts";
import { formatDuration } from "../../net/deadline.ts";
import { typeName } from "../../dns/wire.ts";
import { withCommon } from "../args.ts";
import type { CommandSpec } from "../args.ts";
import { runCommand } from "../command.ts";
import type { Context } from "../command.ts";
import type { Io } from "../output.ts";
import { runCompare } from "./compare.ts";
import { plan } from "./plan.ts";
import type { Plan } from "./plan.ts";
import { runQueries } from "./query.ts";
import { runSystem } from "./system.ts";

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
      label: "-x",
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
    {
      name: "ipv4",
      short: "4",
      type: "boolean",
      label: "-4",
      conflicts: ["ipv6"],
      description: "IPv4 only (A)",
    },
    { name: "ipv6", short: "6", type: "boolean", label: "-6", description: "IPv6 only (AAAA)" },
    { name: "short", type: "boolean", description: "Print the data only, one per line" },
    {
      name: "expect",
      type: "string",
      multiple: true,
      value: "ADDR",
      description: "Exit 1 unless each name answers ADDR (repeatable)",
    },
    {
      name: "compare",
      type: "boolean",
      conflicts: ["reverse", "short", "expect", "emit-check"],
      description: "System and server answers side by side",
    },
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

async function resolveCommand(ctx: Context): Promise<number> {
  const p = await plan(ctx);
  if (ctx.args.flag("emit-check")) return await emitResolveChecks(ctx, p);
  if (p.mode === "compare") return await runCompare(ctx, p);
  if (p.mode === "query") return await runQueries(ctx, p);
  return await runSystem(ctx, p);
}

/** `--emit-check`: a dns check per name, asking the way this command line would. */
async function emitResolveChecks(ctx: Context, p: Plan): Promise<number> {
  const { emitChecks, notCarriedOver, uniqueNames } = await import("../emit_check.ts");
  const { specLiteral } = await import("../../check/emit.ts");
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
    ...(ctx.args.given("timeout") ? { timeout: formatDuration(p.timeoutMs) } : {}),
  }));
  return await emitChecks(ctx, uniqueNames(checks), notes);
}
