/**
 * The kinds that talk over a plain stream: `tcp` and `unix` (connect, optionally send bytes and
 * expect bytes back) and `echo` (send a payload to an echo server, which must return it).
 *
 * @module
 */
import { formatHostPort } from "../../net/addr.ts";
import type { MapEntry } from "../tree.ts";
import type { SpecReader } from "./reader.ts";
import { CHECK_DEFAULTS } from "./schema.ts";
import type { KindInput, KindReading } from "./schema.ts";

/** A `tcp` check: `host`, `port`, and the optional `send` and `expect`. */
export function readTcp(reader: SpecReader, input: KindInput): KindReading | undefined {
  const address = readAddress(reader, input);
  if (!address) return undefined;
  const stream = readExchange(reader, input.keys);
  if (!stream) return undefined;
  const { host, port, text } = address;
  return { target: { kind: "tcp", text, host, port }, text, probe: { stream } };
}

/** An `echo` check: `host`, `port`, and the `payload` sent (a default one when not given). */
export function readEcho(reader: SpecReader, input: KindInput): KindReading | undefined {
  const address = readAddress(reader, input);
  if (!address) return undefined;
  const payloadEntry = input.keys.get("payload");
  const payload = payloadEntry
    ? reader.string(payloadEntry.value, '"payload"', { numbers: true, nonEmpty: true })
    : CHECK_DEFAULTS.payload;
  if (payload === undefined) return undefined;
  const { host, port, text } = address;
  return {
    target: { kind: "echo", text, host, port },
    text,
    probe: { echo: { payload: new TextEncoder().encode(payload) } },
  };
}

/** A `unix` check: the socket's `path` (relative to the spec's folder), `send` and `expect`. */
export function readUnix(reader: SpecReader, input: KindInput): KindReading | undefined {
  const pathNode = input.need("path");
  const path = pathNode && reader.path(pathNode, '"path"');
  const stream = readExchange(reader, input.keys);
  if (path === undefined || !stream) return undefined;
  return { target: { kind: "unix", text: path, path }, text: path, probe: { stream } };
}

/** The `host` and `port` both must give, and the two as `host:port`. */
function readAddress(
  reader: SpecReader,
  input: KindInput,
): { host: string; port: number; text: string } | undefined {
  const hostNode = input.need("host"), portNode = input.need("port");
  const host = hostNode && reader.host(hostNode);
  const port = portNode && reader.port(portNode);
  if (host === undefined || port === undefined) return undefined;
  return { host, port, text: formatHostPort(host, port) };
}

/** The bytes to `send` and to `expect`, each optional. */
function readExchange(
  reader: SpecReader,
  keys: Map<string, MapEntry>,
): { send?: Uint8Array; expect?: Uint8Array } | undefined {
  const out: { send?: Uint8Array; expect?: Uint8Array } = {};
  for (const key of ["send", "expect"] as const) {
    const entry = keys.get(key);
    if (!entry) continue;
    const text = reader.string(entry.value, `"${key}"`, { numbers: true, nonEmpty: true });
    if (text === undefined) return undefined;
    out[key] = new TextEncoder().encode(text);
  }
  return out;
}
