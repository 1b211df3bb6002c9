/**
 * Address overrides, curl's `--resolve HOST:PORT:ADDRESS[,ADDRESS...]`: one parser for the
 * option and the spec's `resolve:` list, and the one key a client looks an override up by.
 *
 * @module
 */
import { ipFamily } from "./addr.ts";

/** One parsed `HOST:PORT:ADDRESS[,ADDRESS...]` entry. */
export interface AddressOverride {
  /** The lookup key, as {@linkcode overrideKey} builds it from the host and the port. */
  key: string;
  /** The addresses to connect to instead, IPv6 literals without brackets, in order. */
  addresses: string[];
}

/**
 * The key an override is found by: the host lower-cased, without IPv6 brackets, and the port.
 *
 * @example
 * ```ts
 * import { overrideKey } from "./override.ts";
 * import assert from "node:assert/strict";
 * assert.equal(overrideKey("Example.TEST", 443), "example.test:443");
 * assert.equal(overrideKey("[::1]", 8080), "::1:8080");
 * ```
 */
export function overrideKey(host: string, port: number): string {
  return `${host.replace(/^\[|\]$/g, "").toLowerCase()}:${port}`;
}

/**
 * Parses one `HOST:PORT:ADDRESS[,ADDRESS...]` entry (IPv6 in brackets or not), or returns
 * `undefined` when it is not one: every address must be an IP literal and the port at most 65535.
 *
 * @example
 * ```ts
 * import { parseAddressOverride } from "./override.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseAddressOverride("example.test:443:127.0.0.1,[::1]"), {
 *   key: "example.test:443",
 *   addresses: ["127.0.0.1", "::1"],
 * });
 * assert.equal(parseAddressOverride("example.test:443:localhost"), undefined);
 * ```
 */
export function parseAddressOverride(text: string): AddressOverride | undefined {
  const match = /^(\[[^\]]+\]|[^:]+):(\d+):(.+)$/.exec(text);
  if (!match) return undefined;
  const port = Number(match[2]);
  const addresses = match[3]!.split(",").map((a) => a.trim().replace(/^\[|\]$/g, ""));
  if (port > 65535 || addresses.some((a) => !ipFamily(a))) return undefined;
  return { key: overrideKey(match[1]!, port), addresses };
}
