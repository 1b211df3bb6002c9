/**
 * `sockit resolve --compare`: each name through the system resolver and a DNS server, side by
 * side. The verdict is `compareResolvers` in `lib/dns/compare.ts`; this file says it.
 *
 * @module
 */
import { CheckError, ResolveError, SockitError } from "../../net/errors.ts";
import { compareResolvers } from "../../dns/compare.ts";
import type { ResolverComparison, ServerSide, SystemSide } from "../../dns/compare.ts";
import type { DnsNameForms } from "../../dns/name.ts";
import { addressesOf, dnsOutcome } from "../../dns/outcome.ts";
import { formatServer } from "../../dns/query.ts";
import type { DnsClient, DnsServer } from "../../dns/query.ts";
import { systemNameserver } from "../../dns/resolv_conf.ts";
import { RecordType } from "../../dns/wire.ts";
import { describeError, outcomeTail, writeJsonResult } from "../result.ts";
import type { Context } from "../command.ts";
import { clientFor, FirstFailure, idnJson, lookup, quoted, rethrowIfFatal } from "./common.ts";
import type { Plan } from "./plan.ts";

/** `--compare`: each name both ways, one after another; exit 1 when any differs, 3 when both fail. */
export async function runCompare(ctx: Context, p: Plan): Promise<number> {
  const server = p.server ?? await systemNameserver();
  const failures = new FirstFailure();
  await using client = clientFor(ctx, p, server);
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
        await writeJsonResult(ctx, {
          name: n.ascii,
          ...idnJson(n.unicode),
          server: formatServer(server),
        }, outcomeTail(error));
      }
      await ctx.out.error(describeError(error));
      failures.note(error);
    }
  }
  return failures.code;
}

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
  let system: SystemSide = { outcome: "answer", addresses: [] };
  try {
    system = { outcome: "answer", addresses: (await lookup(ctx, p, n)).map((a) => a.address) };
  } catch (error) {
    if (!(error instanceof ResolveError)) throw error;
    system = { outcome: error.kind ?? "failed", addresses: [] };
  }
  const answers: ServerSide[] = [];
  for (const type of types) {
    const { message } = await client.query(n.name, type);
    answers.push({
      type,
      outcome: dnsOutcome(type, message),
      addresses: addressesOf(type, message),
    });
  }
  const c = compareResolvers(system, answers);
  const error = verdictError(c, quoted(n.ascii, n), where);
  if (ctx.json) {
    await writeJsonResult(ctx, {
      name: n.ascii,
      ...idnJson(n.unicode),
      server: where,
      system: c.system,
      dns: c.server,
      only_system: c.onlySystem,
      only_server: c.onlyServer,
      same: c.same,
      system_outcome: c.systemOutcome,
      server_outcome: c.serverOutcome,
    }, outcomeTail(error));
  } else if (!ctx.quiet) {
    const label = n.unicode === undefined ? n.ascii : `${n.ascii} (${n.unicode})`;
    await ctx.out.line(`${label}: system (getaddrinfo) vs ${where}`);
    await ctx.out.line(`  system (getaddrinfo): ${c.systemSays}`);
    await ctx.out.line(`  server (${where}): ${c.serverSays}`);
    const width = Math.max(8, ...c.addresses.map((a) => a.length)) + 2;
    await ctx.out.line(`  ${"address".padEnd(width)}system  server`);
    for (const a of c.addresses) {
      const s = c.system.includes(a), d = c.server.includes(a);
      await ctx.out.line(
        `  ${a.padEnd(width)}${(s ? "yes" : "-").padEnd(8)}${(d ? "yes" : "-").padEnd(6)}${
          s && d ? "" : "  <- differs"
        }`,
      );
    }
    if (c.addresses.length === 0) await ctx.out.line("  (no addresses either way)");
  }
  return error;
}

/** The comparison's verdict as the command's failure: none when the two agree. */
function verdictError(
  c: ResolverComparison,
  name: string,
  where: string,
): SockitError | undefined {
  switch (c.verdict) {
    case "agree":
      return undefined;
    case "differ":
      return new CheckError(`Check failed: the system and ${where} disagree about ${name}`);
    case "system-failed":
    case "server-failed":
      return new CheckError(
        `Check failed: the system and ${where} disagree about ${name}: ${
          c.verdict === "system-failed"
            ? `the system says ${c.systemSays}`
            : `${where} says ${c.serverSays}`
        }`,
      );
    case "both-failed":
      return new ResolveError(`Cannot resolve ${name} either way`, {
        why: `the system says ${c.systemSays}, ${where} says ${c.serverSays}`,
      });
  }
}
