/**
 * The `dns` kind: the name, and for a direct query the record type and server; its `expect` is
 * the RCODE (direct queries only) and the addresses the answer must hold.
 *
 * @module
 */
import { normalizeDnsName } from "../../dns/name.ts";
import { parseDnsServer } from "../../dns/outcome.ts";
import { parseRecordType, Rcode, RecordType, typeName } from "../../dns/wire.ts";
import { canonicalIp, formatHostPort, ipFamily } from "../../net/addr.ts";
import { lowerFirst } from "./reader.ts";
import type { SpecReader } from "./reader.ts";
import type { KindInput, KindReading } from "./schema.ts";

/** A `dns` check. */
export function readDns(
  reader: SpecReader,
  { keys, need, expect }: KindInput,
): KindReading | undefined {
  let ok = true;
  const nameNode = need("name");
  const nameText = nameNode && reader.string(nameNode, '"name"', { nonEmpty: true });
  let name;
  if (nameText !== undefined) {
    try {
      name = normalizeDnsName(nameText);
    } catch (error) {
      reader.problem(nameNode!.pos, lowerFirst((error as Error).message));
    }
  }
  const typeEntry = keys.get("type");
  let type: number | undefined;
  if (typeEntry) {
    const text = reader.string(typeEntry.value, '"type"');
    try {
      type = text === undefined ? undefined : parseRecordType(text, reader.quote(text));
    } catch (error) {
      ok = reader.problem(typeEntry.value.pos, lowerFirst((error as Error).message)) ?? false;
    }
  }
  const serverEntry = keys.get("server");
  let server;
  if (serverEntry) {
    const text = reader.string(serverEntry.value, '"server"', { nonEmpty: true });
    if (text !== undefined) {
      try {
        server = parseDnsServer(text);
      } catch (error) {
        ok = reader.problem(serverEntry.value.pos, lowerFirst((error as Error).message)) ?? false;
      }
    }
  }
  const rcodeEntry = expect.get("rcode");
  let expectRcodes: number[] | undefined;
  if (rcodeEntry) {
    expectRcodes = [];
    for (const text of reader.strings(rcodeEntry.value, '"rcode"') ?? []) {
      const code = Rcode[text.toUpperCase() as keyof typeof Rcode];
      if (code === undefined) {
        ok = reader.problem(
          rcodeEntry.value.pos,
          `unknown rcode ${reader.quote(text)}: use ${Object.keys(Rcode).join(", ")}`,
        ) ?? false;
      } else expectRcodes.push(code);
    }
    if (server === undefined && type === undefined) {
      ok = reader.problem(
        rcodeEntry.keyPos,
        '"expect.rcode" needs a direct query: give "dns.server" or "dns.type" (the system resolver has no RCODE)',
      ) ?? false;
    }
  }
  const addressesEntry = expect.get("addresses");
  const expectAddresses: string[] = [];
  for (
    const text of addressesEntry ? reader.strings(addressesEntry.value, '"addresses"') ?? [] : []
  ) {
    if (!ipFamily(text)) {
      ok = reader.problem(
        addressesEntry!.value.pos,
        `invalid address ${reader.quote(text)}: expected an IPv4 or IPv6 address`,
      ) ?? false;
    } else expectAddresses.push(canonicalIp(text));
  }
  const asked = type ?? RecordType.A;
  if (
    expectAddresses.length > 0 && (type !== undefined || server !== undefined) &&
    asked !== RecordType.A && asked !== RecordType.AAAA
  ) {
    ok = reader.problem(
      addressesEntry!.keyPos,
      `"expect.addresses" needs type A or AAAA, not ${typeName(asked)}`,
    ) ?? false;
  }
  if (expectAddresses.length > 0 && expectRcodes && !expectRcodes.includes(Rcode.NOERROR)) {
    ok = reader.problem(
      addressesEntry!.keyPos,
      '"expect.addresses" cannot hold when the expected rcode is not NOERROR',
    ) ?? false;
  }
  if (!name || !ok) return undefined;
  const direct = server !== undefined || type !== undefined;
  const text = `${name.ascii}${direct ? ` ${typeName(asked)}` : ""}${
    server
      ? ` @${formatHostPort(server.address, server.port)}`
      : direct
      ? " @system nameserver"
      : ""
  }`;
  return {
    target: { kind: "dns", text: `dns:${name.ascii}`, name },
    text,
    probe: { dns: { server, type, expectAddresses, expectRcodes } },
  };
}
