/**
 * DNS probes: a `dns:` target is ready when its name resolves, through the system resolver or
 * by asking a server directly, with the addresses or the status expected.
 *
 * @module
 */
import { addressesOf, answersFor, describeDnsFailure } from "../dns/outcome.ts";
import type { DnsNameForms } from "../dns/name.ts";
import { queryDns } from "../dns/query.ts";
import type { DnsServer } from "../dns/query.ts";
import { systemNameserver } from "../dns/resolv_conf.ts";
import { lookupSystem } from "../dns/system.ts";
import { formatRecordData, rcodeName, RecordType, typeName } from "../dns/wire.ts";
import { canonicalIp, formatHostPort } from "../net/addr.ts";
import { withDeadline } from "../net/deadline.ts";
import { failed } from "./result.ts";
import type { AttemptOptions, ProbeFacts, ProbeResult } from "./result.ts";

/** How a `dns:` target is asked. Without `server` and `type`, the system resolver is asked. */
export interface DnsProbeOptions {
  /** Ask this server directly (the system's nameserver when only `type` is given). */
  server?: DnsServer | undefined;
  /** Ask for this record type directly. */
  type?: number | undefined;
  /** Ready only when every one of these addresses is among the answers. */
  expectAddresses?: string[] | undefined;
  /**
   * Direct queries: ready when the reply's RCODE is one of these (an NXDOMAIN that is expected),
   * whether or not it has answers. Without it, a NOERROR reply with records of the type is needed.
   */
  expectRcodes?: number[] | undefined;
}

/** The longest a `dns:` attempt waits for its answer. */
export const DNS_ANSWER_WAIT_MS = 1000;

/** One attempt at a `dns:` name: resolved as `dns` says, the answers checked against it. */
export async function probeDns(
  name: DnsNameForms,
  options: AttemptOptions,
  dns: DnsProbeOptions = {},
): Promise<ProbeResult> {
  const wanted = (dns.expectAddresses ?? []).map(canonicalIp);
  const started = performance.now();
  let found: string[];
  let what: string;
  const facts: ProbeFacts = {};
  if (dns.server === undefined && dns.type === undefined) {
    const addresses = await withDeadline(
      options.timeoutMs,
      `Cannot resolve "${name.ascii}"`,
      () => lookupSystem(name.ascii),
      { signal: options.signal },
    );
    found = addresses.map((a) => canonicalIp(a.address));
    what = "the system resolver";
    facts.server = "system";
    facts.answers = found;
  } else {
    const type = dns.type ?? RecordType.A;
    const server = dns.server ?? await systemNameserver();
    // A UDP query sent before the server was up is lost without a word: a readiness probe asks
    // again within a second rather than waiting out a long attempt.
    const result = await queryDns(name.name, type, server, {
      timeoutMs: Math.min(options.timeoutMs, DNS_ANSWER_WAIT_MS),
      tries: 1,
      trace: options.trace,
      signal: options.signal,
    });
    const { rcode } = result.message.flags;
    what = `${typeName(type)} at ${server.address}#${server.port}`;
    facts.server = formatHostPort(server.address, server.port);
    facts.rcode = rcodeName(rcode);
    facts.answers = answersFor(type, result.message.answers).map(formatRecordData);
    facts.time_ms = result.elapsedMs;
    found = addressesOf(type, result.message).map(canonicalIp);
    if (dns.expectRcodes !== undefined) {
      if (!dns.expectRcodes.includes(rcode)) {
        const expected = dns.expectRcodes.map(rcodeName).join(" or ");
        const got = rcodeName(rcode) +
          (facts.answers.length > 0 ? ` (${facts.answers.join(", ")})` : "");
        return failed([{
          expectation: "rcode",
          expected,
          got,
          reason: `${name.ascii} ${typeName(type)}: ${got}, expected ${expected}`,
        }], facts);
      }
    } else {
      const failure = describeDnsFailure(type, result.message);
      if (failure !== undefined) {
        return failed([{
          expectation: "rcode",
          expected: `NOERROR with ${typeName(type)} records`,
          got: failure,
          reason: failure,
        }], facts);
      }
    }
    if (wanted.length === 0) {
      return {
        ready: true,
        detail: `${result.message.answers.length} answers (${what})`,
        facts,
      };
    }
  }
  facts.time_ms ??= performance.now() - started;
  const missing = wanted.filter((a) => !found.includes(a));
  if (missing.length > 0) {
    return failed([{
      expectation: "addresses",
      expected: wanted.join(", "),
      got: found.join(", ") || "none",
      reason: `${missing.join(", ")} not among the answers (${found.join(", ") || "none"})`,
    }], facts);
  }
  return { ready: true, detail: `${found.join(", ")} (${what})`, facts };
}
