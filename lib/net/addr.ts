/**
 * Address helpers: strict IPv4 and IPv6 parsers (the one place that decides what is an address
 * literal), and formatting host and port pairs the way URLs and logs show them.
 *
 * @module
 */
import { invalidInput } from "./errors.ts";

/**
 * Formats a host and port as `host:port`, with IPv6 literals in brackets.
 *
 * @example Format IPv4 and IPv6 endpoints
 * ```ts
 * import { formatHostPort } from "./addr.ts";
 * import assert from "node:assert/strict";
 * assert.equal(formatHostPort("127.0.0.1", 80), "127.0.0.1:80");
 * assert.equal(formatHostPort("::1", 80), "[::1]:80");
 * ```
 */
export function formatHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Formats any `Deno.Addr` for logs: `host:port` for TCP/UDP, the path for Unix sockets.
 *
 * @example
 * ```ts
 * import { formatAddr } from "./addr.ts";
 * import assert from "node:assert/strict";
 * assert.equal(formatAddr({ transport: "tcp", hostname: "::1", port: 7 }), "[::1]:7");
 * assert.equal(formatAddr({ transport: "unix", path: "/tmp/s" }), "unix:/tmp/s");
 * ```
 */
export function formatAddr(addr: Deno.Addr): string {
  if ("path" in addr) return `unix:${addr.path || "(unnamed)"}`;
  if ("cid" in addr) return `vsock:${addr.cid}:${addr.port}`;
  return formatHostPort(addr.hostname, addr.port);
}

/**
 * The 4 bytes of a dotted-quad IPv4 address: four decimal numbers from 0 to 255, without
 * leading zeros (which some parsers read as octal), and nothing else.
 *
 * @throws {RangeError} Saying what is wrong: `Invalid IPv4 address "1.2.3.256": 256 is over 255`.
 *
 * @example
 * ```ts
 * import { ipv4Bytes } from "./addr.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(ipv4Bytes("192.0.2.1"), Uint8Array.of(192, 0, 2, 1));
 * assert.throws(() => ipv4Bytes("127.0.0.1:"), RangeError);
 * ```
 */
export function ipv4Bytes(text: string): Uint8Array {
  const fail = (why: string): never => {
    throw invalidInput(RangeError, "IPv4 address", text, why);
  };
  const parts = text.split(".");
  if (parts.length !== 4) fail(`expected 4 numbers separated by dots, got ${parts.length}`);
  return Uint8Array.from(parts, (part) => {
    if (!/^\d{1,3}$/.test(part)) fail(part === "" ? "empty number" : `"${part}" is not a number`);
    if (part.length > 1 && part.startsWith("0")) fail(`"${part}" has a leading zero`);
    const value = Number(part);
    if (value > 255) fail(`${value} is over 255`);
    return value;
  });
}

/**
 * The 16 bytes of an IPv6 address in any RFC 4291 text form (`::1`, `2001:db8::1`,
 * `::ffff:192.0.2.1`): eight groups of one to four hex digits, at most one `::` standing for at
 * least one zero group, an optional dotted-quad IPv4 tail. No brackets and no zone (`%eth0`).
 *
 * @throws {RangeError} Saying what is wrong: `Invalid IPv6 address "1:2:3": 3 groups, expected 8`.
 *
 * @example
 * ```ts
 * import { ipv6Bytes } from "./addr.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(ipv6Bytes("::1"), Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1));
 * assert.throws(() => ipv6Bytes("1:2:3"), RangeError);
 * ```
 */
export function ipv6Bytes(text: string): Uint8Array {
  const fail = (why: string): never => {
    throw invalidInput(RangeError, "IPv6 address", text, why);
  };
  const halves = text.split("::");
  if (halves.length > 2) fail('more than one "::"');
  const groupsOf = (part: string, last: boolean): number[] => {
    if (part === "") return [];
    const words = part.split(":");
    const groups: number[] = [];
    words.forEach((word, i) => {
      if (last && i === words.length - 1 && word.includes(".")) {
        let v4: Uint8Array;
        try {
          v4 = ipv4Bytes(word);
        } catch {
          return fail(`"${word}" is not a dotted-quad IPv4 tail`);
        }
        groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(word)) {
        groups.push(parseInt(word, 16));
      } else {
        fail(word === "" ? "empty group" : `"${word}" is not a group of 1 to 4 hex digits`);
      }
    });
    return groups;
  };
  const head = groupsOf(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? groupsOf(halves[1]!, true) : [];
  const given = head.length + tail.length;
  if (halves.length === 1 && given !== 8) fail(`${given} groups, expected 8`);
  if (halves.length === 2 && given > 7) fail(`"::" stands for no group: ${given} groups given`);
  const groups = [...head, ...Array<number>(8 - given).fill(0), ...tail];
  const out = new Uint8Array(16);
  groups.forEach((group, i) => {
    out[2 * i] = group >> 8;
    out[2 * i + 1] = group & 0xff;
  });
  return out;
}

/**
 * Formats 16 address bytes as RFC 5952 text: lower-case hex, no leading zeros, the longest run
 * of two or more zero groups as `::`.
 *
 * @example
 * ```ts
 * import { formatIpv6, ipv6Bytes } from "./addr.ts";
 * import assert from "node:assert/strict";
 * assert.equal(formatIpv6(ipv6Bytes("2001:DB8:0:0:0:0:0:1")), "2001:db8::1");
 * ```
 */
export function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let best = -1, bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLength).join(":")}`;
}

/**
 * The IP family of an address literal (no brackets; an IPv6 address may carry a zone such as
 * `%eth0`), or `undefined` when the text is not one. Strict: `127.0.0.1:`, `1:2:3`, `01.2.3.4`
 * and host names are not literals.
 *
 * @example
 * ```ts
 * import { ipFamily } from "./addr.ts";
 * import assert from "node:assert/strict";
 * assert.equal(ipFamily("192.0.2.1"), 4);
 * assert.equal(ipFamily("fe80::1%eth0"), 6);
 * assert.equal(ipFamily("127.0.0.1:"), undefined);
 * ```
 */
export function ipFamily(host: string): 4 | 6 | undefined {
  // A dotted quad is told by a scan, not by ipv4Bytes: every dial asks, and a host name made
  // ipv4Bytes throw (an Error with its stack) only to answer "no".
  if (!host.includes(":")) return isDottedQuad(host) ? 4 : undefined;
  try {
    const zone = host.indexOf("%");
    if (zone >= 0 && !/^%[\w.-]+$/.test(host.slice(zone))) return undefined;
    ipv6Bytes(zone >= 0 ? host.slice(0, zone) : host);
    return 6;
  } catch {
    return undefined;
  }
}

/** Whether `text` is what {@linkcode ipv4Bytes} accepts, without building its bytes or an error. */
function isDottedQuad(text: string): boolean {
  let parts = 0, digits = 0, value = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46; // the end closes the last number as "."
    if (c === 46) {
      if (digits === 0 || value > 255) return false;
      parts++;
      digits = 0;
      value = 0;
    } else if (c >= 48 && c <= 57) {
      if ((digits === 1 && value === 0) || ++digits > 3) return false; // a leading zero, 4 digits
      value = value * 10 + c - 48;
    } else {
      return false;
    }
  }
  return parts === 4;
}

/**
 * Tells whether a string is an IPv4 or IPv6 literal (no brackets), as {@linkcode ipFamily}.
 *
 * @example
 * ```ts
 * import { isIpLiteral } from "./addr.ts";
 * import assert from "node:assert/strict";
 * assert.ok(isIpLiteral("::ffff:192.0.2.1"));
 * assert.ok(!isIpLiteral("1:2:3"));
 * ```
 */
export function isIpLiteral(host: string): boolean {
  return ipFamily(host) !== undefined;
}

/**
 * Whether a bound or peer address is loopback: `127.0.0.0/8`, `::1`, or `::ffff:127.0.0.1`
 * (IPv4 loopback as an IPv6 socket reports it).
 *
 * @example
 * ```ts
 * import { isLoopback } from "./addr.ts";
 * import assert from "node:assert/strict";
 * assert.ok(isLoopback("127.0.0.53") && isLoopback("::1"));
 * assert.ok(!isLoopback("0.0.0.0"));
 * ```
 */
export function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === "::1" || address === "::ffff:127.0.0.1";
}

/**
 * One canonical text per address, so that `2001:DB8:0::1` equals `2001:db8::1`: IPv6 as
 * {@linkcode formatIpv6} (a zone kept as given), IPv4 as is. Text that is not an address comes
 * back unchanged.
 *
 * @example
 * ```ts
 * import { canonicalIp } from "./addr.ts";
 * import assert from "node:assert/strict";
 * assert.equal(canonicalIp("2001:DB8:0::1"), "2001:db8::1");
 * ```
 */
export function canonicalIp(address: string): string {
  if (ipFamily(address) !== 6) return address;
  const zone = address.indexOf("%");
  return zone >= 0
    ? formatIpv6(ipv6Bytes(address.slice(0, zone))) + address.slice(zone)
    : formatIpv6(ipv6Bytes(address));
}

/**
 * Checks a TCP/UDP port number and returns it.
 *
 * @throws {RangeError} When the value is not a whole number from 0 to 65535.
 */
export function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Invalid port ${port}: expected a whole number from 0 to 65535`);
  }
  return port;
}
