/**
 * Address helpers: formatting host and port pairs the way URLs and logs show them.
 *
 * @module
 */

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

/** Tells whether a string is an IPv4 or IPv6 literal (no brackets). */
export function isIpLiteral(host: string): boolean {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) {
    return host.split(".").every((part) => Number(part) <= 255);
  }
  return host.includes(":") && /^[0-9a-fA-F:.]+(%[\w.-]+)?$/.test(host);
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
