/**
 * The system's DNS server, from `/etc/resolv.conf`, read the way glibc reads it.
 *
 * @module
 */
import { ipFamily } from "../net/addr.ts";
import type { DnsServer } from "./query.ts";

/** Where glibc sends queries when resolv.conf names no server. */
const DEFAULT_SERVER: DnsServer = { address: "127.0.0.1", port: 53 };

/**
 * Every usable `nameserver` of a resolv.conf text, in order, as glibc reads them: the keyword
 * starts the line and is followed by a space or tab; the address ends at whitespace, `#` or `;`
 * (so a comment may follow it); an IPv6 address may carry a zone (`fe80::1%eth0`). Lines that
 * are comments, other keywords, or addresses that do not parse are skipped.
 *
 * @example
 * ```ts
 * import { nameservers } from "./resolv_conf.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(nameservers("nameserver 10.0.0.2 # office\nnameserver nope\nnameserver ::1\n"), [
 *   { address: "10.0.0.2", port: 53 },
 *   { address: "::1", port: 53 },
 * ]);
 * ```
 */
export function nameservers(text: string): DnsServer[] {
  const found: DnsServer[] = [];
  for (const line of text.split("\n")) {
    const m = /^nameserver[ \t]+([^\s#;]+)/.exec(line);
    if (m && ipFamily(m[1]!)) found.push({ address: m[1]!, port: 53 });
  }
  return found;
}

/**
 * Returns the first `nameserver` of a resolv.conf text ({@linkcode nameservers}), or 127.0.0.1
 * as glibc assumes when there is none.
 *
 * @example
 * ```ts
 * import { firstNameserver } from "./resolv_conf.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(firstNameserver("# x\nsearch a\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n"), {
 *   address: "10.0.0.2",
 *   port: 53,
 * });
 * ```
 */
export function firstNameserver(text: string): DnsServer {
  return nameservers(text)[0] ?? { ...DEFAULT_SERVER };
}

/** Reads resolv.conf (`/etc/resolv.conf` by default) and returns its first nameserver. */
export async function systemNameserver(path = "/etc/resolv.conf"): Promise<DnsServer> {
  let text = "";
  try {
    text = await Deno.readTextFile(path);
  } catch {
    // No resolv.conf: glibc's default applies.
  }
  return firstNameserver(text);
}
