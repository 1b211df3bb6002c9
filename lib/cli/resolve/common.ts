/**
 * What `resolve`'s ways of asking share: the first failure's exit code, names in messages, the
 * `--expect` check, the JSON fields, the system lookup with its deadline and the DNS client.
 *
 * @module
 */
import { canonicalIp } from "../../net/addr.ts";
import { withDeadline } from "../../net/deadline.ts";
import { CheckError } from "../../net/errors.ts";
import type { DnsNameForms } from "../../dns/name.ts";
import { DnsClient } from "../../dns/query.ts";
import type { DnsServer } from "../../dns/query.ts";
import { lookupSystem } from "../../dns/system.ts";
import type { SystemAddress } from "../../dns/system.ts";
import type { Context } from "../command.ts";
import { ExitCode, exitCodeFor } from "../exit_codes.ts";
import { StdoutClosedError } from "../output.ts";
import type { Plan } from "./plan.ts";

/**
 * Lets a per-name catch-all pass on what must end the whole command: a closed stdout (exit 141,
 * quietly) and Ctrl-C or SIGTERM (the reason of `ctx.signal`).
 */
export function rethrowIfFatal(ctx: Context, error: unknown): void {
  if (error instanceof StdoutClosedError) throw error;
  if (ctx.signal.aborted) throw ctx.signal.reason;
}

/** The exit code of the first failure among the names. */
export class FirstFailure {
  code: number = ExitCode.Ok;

  note(error: unknown): void {
    if (this.code === ExitCode.Ok) this.code = exitCodeFor(error);
  }
}

/** A name for messages: `"xn--bcher-kva.test" (b\u00fccher.test)`, or just `"a.test"`. */
export function quoted(text: string, n: DnsNameForms): string {
  return n.unicode === undefined ? `"${text}"` : `"${text}" (${n.unicode})`;
}

/** The --expect check of one name: which addresses it was to answer, which it did not. */
export interface Expectation {
  addresses: string[];
  missing: string[];
  /** The check's failure, when addresses are missing. */
  error: CheckError | undefined;
}

export function checkExpect(
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

export function expectJson(expectation: Expectation | undefined): Record<string, unknown> {
  return expectation
    ? { expect: { addresses: expectation.addresses, missing: expectation.missing } }
    : {};
}

export function idnJson(unicode: string | undefined): Record<string, string> {
  return unicode === undefined ? {} : { idn: unicode };
}

export function lookup(ctx: Context, p: Plan, n: DnsNameForms): Promise<SystemAddress[]> {
  return withDeadline(
    p.timeoutMs,
    `Cannot resolve ${quoted(n.ascii, n)}`,
    () => lookupSystem(n.ascii, { family: p.family }),
    { signal: ctx.signal },
  );
}

/** The client that asks `server` the way the plan says: transport, per-try timeout, tries. */
export function clientFor(ctx: Context, p: Plan, server: DnsServer): DnsClient {
  return new DnsClient(server, {
    transport: p.transport,
    timeoutMs: p.timeoutMs,
    tries: p.tries,
    trace: ctx.trace,
    signal: ctx.signal,
  });
}
