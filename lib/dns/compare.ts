/**
 * Comparing two resolvers' answers for one name: the system resolver's addresses and a DNS
 * server's, and whether the two agree.
 *
 * @module
 */
import { canonicalIp } from "../net/addr.ts";
import { typeName } from "./wire.ts";

/** What the system resolver said about a name. */
export interface SystemSide {
  /**
   * `answer`, or why it failed: the `kind` of the lookup's `ResolveError` (a `SystemFailure`
   * of `system.ts`, such as `name-not-found`).
   */
  outcome: string;
  /** The addresses it gave (none when it failed). */
  addresses: readonly string[];
}

/** What a DNS server said to one question about the name. */
export interface ServerSide {
  /** The record type asked for (A or AAAA). */
  type: number;
  /** The reply's outcome for that type: `answer`, `nodata`, `nxdomain`... (see `dnsOutcome`). */
  outcome: string;
  /** The addresses among its answers of that type. */
  addresses: readonly string[];
}

/**
 * Whether the two resolvers agree: `agree` (both answered, the same addresses), `differ` (both
 * answered, other addresses), `system-failed` or `server-failed` (one side answered, the other
 * did not: they differ), `both-failed` (neither answered).
 */
export type ComparisonVerdict =
  | "agree"
  | "differ"
  | "system-failed"
  | "server-failed"
  | "both-failed";

/** The comparison of one name, from {@linkcode compareResolvers}. */
export interface ResolverComparison {
  /** The verdict. */
  verdict: ComparisonVerdict;
  /** The system's addresses, canonical, in its order. */
  system: string[];
  /** The server's addresses, canonical, in its order (all types asked). */
  server: string[];
  /** Every address either side gave, once each: the system's first. */
  addresses: string[];
  /** The addresses only the system gave. */
  onlySystem: string[];
  /** The addresses only the server gave. */
  onlyServer: string[];
  /** Whether both sides gave the same set of addresses. */
  same: boolean;
  /** The system's outcome: `answer` or its failure's kind. */
  systemOutcome: string;
  /** The server's outcome: `answer` when any type had one, else its most telling failure. */
  serverOutcome: string;
  /** The system's side in a few words: `2 addresses`, `name not found`. */
  systemSays: string;
  /** The server's side in a few words: `1 address`, `NXDOMAIN`, `A NODATA, AAAA SERVFAIL`. */
  serverSays: string;
}

/** What each system failure is called in the comparison's text. */
const SYSTEM_SAYS: Readonly<Record<string, string>> = {
  "name-not-found": "name not found",
  "no-addresses": "no addresses",
  "temporary-failure": "temporary failure in name resolution",
};

/**
 * Compares what the system resolver and a DNS server said about one name. Addresses compare in
 * canonical form (`::ffff:0:1` and `0::ffff:0:1` are one), as sets.
 *
 * @example
 * ```ts
 * import { compareResolvers } from "./compare.ts";
 * import { RecordType } from "./wire.ts";
 * import assert from "node:assert/strict";
 * const c = compareResolvers(
 *   { outcome: "answer", addresses: ["192.0.2.1"] },
 *   [{ type: RecordType.A, outcome: "answer", addresses: ["192.0.2.2"] }],
 * );
 * assert.equal(c.verdict, "differ");
 * assert.deepEqual(c.onlyServer, ["192.0.2.2"]);
 * ```
 */
export function compareResolvers(
  system: SystemSide,
  server: readonly ServerSide[],
): ResolverComparison {
  const outcomes = server.map((s) => s.outcome);
  const serverOutcome = outcomes.includes("answer")
    ? "answer"
    : outcomes.find((o) => o !== "nodata") ?? "nodata";
  const sys = system.addresses.map(canonicalIp);
  const srv = server.flatMap((s) => s.addresses).map(canonicalIp);
  const addresses = [...new Set([...sys, ...srv])];
  const onlySystem = addresses.filter((a) => !srv.includes(a));
  const onlyServer = addresses.filter((a) => !sys.includes(a));
  const same = onlySystem.length === 0 && onlyServer.length === 0;
  const systemFailed = system.outcome !== "answer";
  const serverFailed = serverOutcome !== "answer";
  const verdict: ComparisonVerdict = systemFailed && serverFailed
    ? "both-failed"
    : systemFailed
    ? "system-failed"
    : serverFailed
    ? "server-failed"
    : same
    ? "agree"
    : "differ";
  return {
    verdict,
    system: sys,
    server: srv,
    addresses,
    onlySystem,
    onlyServer,
    same,
    systemOutcome: system.outcome,
    serverOutcome,
    systemSays: systemFailed
      ? SYSTEM_SAYS[system.outcome] ?? "failed"
      : count(sys.length, "address", "addresses"),
    serverSays: !serverFailed
      ? count(srv.length, "address", "addresses")
      : new Set(outcomes).size === 1
      ? serverOutcome.toUpperCase()
      : server.map((s) => `${typeName(s.type)} ${s.outcome.toUpperCase()}`).join(", "),
  };
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
