/**
 * What `wait` and `check` can probe, written the way people write it: `host:port`,
 * `tcp://host:port`, `http(s)://...`, `unix:/path`, `dns:name`, `echo://host:port`, `file:/path`.
 * One parser for every front end.
 *
 * @module
 */
import { checkPort, formatHostPort } from "../net/addr.ts";
import { parseHttpUrl } from "../http/url.ts";
import type { HttpUrl } from "../http/url.ts";
import { normalizeDnsName } from "../dns/name.ts";
import type { DnsNameForms } from "../dns/name.ts";
import { invalidInput, isInvalidInput } from "../net/errors.ts";

/** A parsed target; `text` is how it was written, for messages. */
export type Target =
  | { kind: "tcp"; text: string; host: string; port: number }
  | { kind: "echo"; text: string; host: string; port: number }
  | { kind: "unix"; text: string; path: string }
  | { kind: "http"; text: string; url: HttpUrl }
  | { kind: "dns"; text: string; name: DnsNameForms }
  | { kind: "file"; text: string; path: string };

/** The kinds of target, in the order the help lists them. */
export const TARGET_KINDS = ["tcp", "http", "unix", "dns", "echo", "file"] as const;

/** One of {@linkcode TARGET_KINDS}. */
export type TargetKind = Target["kind"];

/**
 * Parses a target.
 *
 * @throws {TypeError} When it is not one, saying why: `Invalid target "x:": no port`.
 *
 * @example
 * ```ts
 * import { parseTarget } from "./target.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseTarget("localhost:5432"),
 *   { kind: "tcp", text: "localhost:5432", host: "localhost", port: 5432 });
 * assert.equal(parseTarget("[::1]:80").kind, "tcp");
 * assert.equal(parseTarget("http://127.0.0.1:8080/health").kind, "http");
 * assert.deepEqual(parseTarget("file:/tmp/ready"), { kind: "file", text: "file:/tmp/ready", path: "/tmp/ready" });
 * assert.throws(() => parseTarget("localhost"), /expected HOST:PORT/);
 * ```
 */
export function parseTarget(text: string): Target {
  const invalid = (why: string) => invalidInput(TypeError, "target", text, why);
  if (text.trim() === "") throw invalid("empty");
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase();
  if (scheme === "http" || scheme === "https") {
    try {
      const url = parseHttpUrl(text);
      // The target is shown in messages and reports: never with its password.
      const shown = url.credentials ? text.replace(/\/\/[^/@]*@/, "//***@") : text;
      return { kind: "http", text: shown, url };
    } catch (error) {
      throw invalid(isInvalidInput(error) ? error.why : (error as Error).message);
    }
  }
  if (scheme === "tcp" || scheme === "echo") {
    const rest = text.slice(scheme.length + 1);
    if (!rest.startsWith("//")) throw invalid(`expected ${scheme}://HOST:PORT`);
    const { host, port } = hostPort(rest.slice(2).replace(/\/$/, ""), invalid);
    return { kind: scheme, text, host, port };
  }
  if (scheme === "unix" || scheme === "file") {
    const path = text.slice(scheme.length + 1).replace(/^\/\/(?=\/)/, "");
    if (!path.startsWith("/")) throw invalid(`expected ${scheme}:/ABSOLUTE/PATH`);
    return { kind: scheme, text, path };
  }
  if (scheme === "dns") {
    const name = text.slice(4).replace(/^\/\//, "");
    if (name === "") throw invalid("expected dns:NAME");
    try {
      return { kind: "dns", text, name: normalizeDnsName(name) };
    } catch (error) {
      throw invalid(isInvalidInput(error) ? error.why : (error as Error).message);
    }
  }
  // No scheme, or one that is really a host name: HOST:PORT.
  const { host, port } = hostPort(text, invalid);
  return { kind: "tcp", text, host, port };
}

function hostPort(
  text: string,
  invalid: (why: string) => TypeError,
): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.%\w-]+)\]|([^:/\s\[\]]+)):(\d{1,5})$/.exec(text);
  if (!match) {
    // Which part is wrong, said with plain string checks.
    const colon = text.lastIndexOf(":");
    if (colon < 0) throw invalid("expected HOST:PORT (no port)");
    if (colon === text.length - 1) throw invalid("no port after the colon");
    if (!text.startsWith("[") && !/^\d+$/.test(text.slice(colon + 1))) {
      throw invalid("the port is not a number");
    }
    throw invalid("expected HOST:PORT, [IPV6]:PORT or a URL");
  }
  const port = Number(match[3]);
  try {
    checkPort(port);
  } catch {
    throw invalid(`port ${port} is out of range (1 to 65535)`);
  }
  if (port === 0) throw invalid("port 0 cannot be connected to");
  return { host: match[1] ?? match[2]!, port };
}

/** Shows a target the way messages name it: `tcp://127.0.0.1:5432`, `http://...`, `dns:x`. */
export function formatTargetName(target: Target): string {
  switch (target.kind) {
    case "tcp":
    case "echo":
      return `${target.kind}://${formatHostPort(target.host, target.port)}`;
    case "http":
      return target.url.href;
    case "unix":
    case "file":
      return `${target.kind}:${target.path}`;
    case "dns":
      return `dns:${target.name.ascii}`;
  }
}
