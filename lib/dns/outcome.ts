/**
 * What an answer means for the question asked: an answer, NODATA, or a failed status. `resolve`,
 * `wait` and `check` all judge replies this way.
 *
 * @module
 */
import { ipFamily } from "../net/addr.ts";
import type { DnsServer } from "./query.ts";
import { Rcode, rcodeName, RecordType, typeName } from "./wire.ts";
import type { DnsMessage, DnsRecord } from "./wire.ts";
import { invalidInput } from "../net/errors.ts";

const FAILED: Record<number, [string, string]> = {
  [Rcode.NXDOMAIN]: ["nxdomain", "NXDOMAIN (no such name)"],
  [Rcode.SERVFAIL]: ["servfail", "SERVFAIL (the server failed to answer)"],
  [Rcode.REFUSED]: ["refused", "REFUSED (the server refused to answer)"],
  [Rcode.BADVERS]: ["badvers", "BADVERS (the server does not support EDNS version 0)"],
};

/** Answers of the asked type, following the CNAME chain in the answer section. */
export function answersFor(type: number, answers: readonly DnsRecord[]): DnsRecord[] {
  return answers.filter((r) => r.type === type || type === RecordType.CNAME);
}

/** The addresses among the answers of the asked type. */
export function addressesOf(type: number, message: DnsMessage): string[] {
  return answersFor(type, message.answers).flatMap((r) =>
    "address" in r.data ? [r.data.address] : []
  );
}

/**
 * The outcome of a reply for the asked type: `answer`, `nodata`, or the lower-cased status
 * (`nxdomain`, `servfail`, `refused`, `badvers`, `rcode9`...).
 *
 * @example
 * ```ts
 * import { dnsOutcome } from "./outcome.ts";
 * import { decodeMessage, encodeMessage, Rcode, RecordType } from "./wire.ts";
 * import assert from "node:assert/strict";
 * const reply = decodeMessage(encodeMessage({ id: 1, flags: { qr: true, rcode: Rcode.NXDOMAIN } }));
 * assert.equal(dnsOutcome(RecordType.A, reply), "nxdomain");
 * ```
 */
export function dnsOutcome(type: number, message: DnsMessage): string {
  const { rcode } = message.flags;
  if (rcode !== Rcode.NOERROR) return FAILED[rcode]?.[0] ?? rcodeName(rcode).toLowerCase();
  return answersFor(type, message.answers).length > 0 ? "answer" : "nodata";
}

/**
 * Why a reply is not an answer to the asked type, in a few words (`NXDOMAIN (no such name)`,
 * `NODATA (the name exists but has no AAAA records)`), or `undefined` when it is one.
 */
export function describeDnsFailure(type: number, message: DnsMessage): string | undefined {
  const { rcode } = message.flags;
  if (rcode !== Rcode.NOERROR) return FAILED[rcode]?.[1] ?? rcodeName(rcode);
  if (answersFor(type, message.answers).length === 0) {
    return `NODATA (the name exists but has no ${typeName(type)} records)`;
  }
  return undefined;
}

/**
 * Parses a DNS server as people write it: `ADDR`, `ADDR:PORT`, `[IPV6]:PORT` or a bare IPv6
 * address. The port defaults to 53.
 *
 * @throws {TypeError} Saying what is wrong: `Invalid server "127.0.0.1:": empty port after the colon`.
 *
 * @example
 * ```ts
 * import { parseDnsServer } from "./outcome.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseDnsServer("[::1]:5353"), { address: "::1", port: 5353 });
 * assert.deepEqual(parseDnsServer("127.0.0.1"), { address: "127.0.0.1", port: 53 });
 * assert.throws(() => parseDnsServer("127.0.0.1:"), /empty port/);
 * ```
 */
export function parseDnsServer(text: string): DnsServer {
  const fail = (why: string): never => {
    throw invalidInput(TypeError, "server", text, why);
  };
  if (text === "") fail("empty (expected ADDR, ADDR:PORT or [IPV6]:PORT)");
  let address = text;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(text);
  if (bracketed) {
    address = bracketed[1]!;
    portText = bracketed[2];
    if (ipFamily(address) !== 6) fail(`"${address}" in brackets is not an IPv6 address`);
  } else if (text.startsWith("[")) {
    fail("expected [IPV6] or [IPV6]:PORT");
  } else if (text.split(":").length === 2) {
    [address, portText] = text.split(":") as [string, string];
  }
  let port = 53;
  if (portText !== undefined) {
    if (portText === "") fail("empty port after the colon");
    if (!/^\d+$/.test(portText)) fail(`port "${portText}" is not a number`);
    port = Number(portText);
    if (port < 1 || port > 65535) fail(`port ${portText} is out of range, expected 1 to 65535`);
  }
  if (!ipFamily(address)) {
    fail(`"${address}" is not an IP address (a DNS server is given by its address)`);
  }
  return { address, port };
}
