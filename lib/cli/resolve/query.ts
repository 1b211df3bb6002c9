/**
 * `sockit resolve` asking a DNS server: many names at once over one client, printed in order,
 * dig-like or as JSON.
 *
 * @module
 */
import { ResolveError, SockitError } from "../../net/errors.ts";
import { pooledBatches } from "../../net/pool.ts";
import { fqdn } from "../../dns/name.ts";
import type { DnsNameForms } from "../../dns/name.ts";
import { addressesOf as dnsAddresses, describeDnsFailure, dnsOutcome } from "../../dns/outcome.ts";
import { formatServer } from "../../dns/query.ts";
import type { DnsQueryResult } from "../../dns/query.ts";
import { systemNameserver } from "../../dns/resolv_conf.ts";
import { formatRecordData, rcodeName, typeName } from "../../dns/wire.ts";
import type { DnsRecord } from "../../dns/wire.ts";
import { describeError, outcomeTail } from "../result.ts";
import type { Context } from "../command.ts";
import { formatMs, roundMs } from "../output.ts";
import { checkExpect, clientFor, expectJson, FirstFailure, idnJson, quoted } from "./common.ts";
import type { Expectation } from "./common.ts";
import type { Ask, Plan } from "./plan.ts";

const QUERY_WINDOW = 32;

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

  /**
   * One name's JSON object: `fields`, then the tail of its outcome. Once one is out, a failure
   * that ends the command (Ctrl-C) adds no object of its own: each name's carries its outcome.
   */
  json(fields: Record<string, unknown>, failure: unknown): void {
    this.#ctx.jsonPrinted = true;
    this.add(JSON.stringify({ ...fields, ...outcomeTail(failure) }));
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

/** Query mode: every name asked of the server, printed in the order given. */
export async function runQueries(ctx: Context, p: Plan): Promise<number> {
  const server = p.server ?? await systemNameserver();
  const failures = new FirstFailure();
  // Many names are asked at once over one socket, printed in order. The window is small on
  // purpose: with 256 in flight, a burst of answers overflowed a 208 KiB receive buffer (the
  // Linux default) in a quarter of 1000-name runs, and each lost answer cost a whole retry.
  await using client = clientFor(ctx, p, server);
  const answers = pooledBatches(
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
        }, error);
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
  return new ResolveError(`Cannot resolve ${at}`, { why });
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
    }, failure);
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
