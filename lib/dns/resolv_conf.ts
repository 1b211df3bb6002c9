/**
 * The system's DNS server, from `/etc/resolv.conf`.
 *
 * @module
 */
import type { DnsServer } from "./query.ts";

/**
 * Returns the first `nameserver` of a resolv.conf text, or 127.0.0.1 as glibc assumes when
 * there is none.
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
  for (const line of text.split("\n")) {
    const m = /^\s*nameserver\s+([0-9a-fA-F.:]+)(%\S+)?\s*$/.exec(line);
    if (m) return { address: m[1]!, port: 53 };
  }
  return { address: "127.0.0.1", port: 53 };
}

/** Reads `/etc/resolv.conf` and returns its first nameserver. */
export async function systemNameserver(path = "/etc/resolv.conf"): Promise<DnsServer> {
  let text = "";
  try {
    text = await Deno.readTextFile(path);
  } catch {
    // No resolv.conf: glibc's default applies.
  }
  return firstNameserver(text);
}
