/**
 * A tiny DNS responder on loopback, built on the same codec: it answers A and AAAA questions
 * from a table, NXDOMAIN for other names and NODATA for other types. The demo queries it, and
 * tests give it a handler to misbehave on purpose.
 *
 * @module
 */
import { sameDnsName } from "./name.ts";
import { CLASS_IN, decodeMessage, encodeMessage, Rcode, RecordType } from "./wire.ts";
import type { DnsMessage, DnsRecord } from "./wire.ts";
import type { DnsServer } from "./query.ts";

/** Answers one query: the reply bytes (several to send more than one), or `null` to stay silent. */
export type ResponderHandler = (
  query: DnsMessage,
  raw: Uint8Array,
  from: { address: string; port: number },
) => Uint8Array | Uint8Array[] | null;

/** A running responder. */
export interface Responder extends AsyncDisposable {
  /** Where it listens (127.0.0.1 and a free port). */
  server: DnsServer;
  /** Queries received so far. */
  queries: number;
  /** Sends bytes to a client from the responder's own socket (for tests of stray replies). */
  sendTo(bytes: Uint8Array, to: { address: string; port: number }): Promise<void>;
  /** Stops it. */
  close(): Promise<void>;
}

/** Builds the reply to `query` from a table of names to addresses. */
export function answerFromTable(table: Record<string, string[]>, query: DnsMessage): Uint8Array {
  const q = query.questions[0];
  const base = { id: query.id, questions: query.questions };
  if (!q) return encodeMessage({ ...base, flags: { qr: true, rcode: Rcode.FORMERR } });
  const key = Object.keys(table).find((name) => sameDnsName(name, q.name));
  const flags = { qr: true, aa: true, rd: query.flags.rd };
  if (key === undefined) {
    return encodeMessage({ ...base, flags: { ...flags, rcode: Rcode.NXDOMAIN } });
  }
  const family = q.type === RecordType.AAAA ? ":" : q.type === RecordType.A ? "." : undefined;
  const answers: DnsRecord[] = family === undefined ? [] : table[key]!
    .filter((address) =>
      address.includes(family) && (family === "." ? !address.includes(":") : true)
    )
    .map((address) => ({
      name: q.name,
      type: q.type,
      class: CLASS_IN,
      ttl: 60,
      data: { address },
    }));
  return encodeMessage({ ...base, flags, answers });
}

/**
 * Starts a responder on 127.0.0.1 and a free port.
 *
 * @param answer A table of names to addresses, or a handler for full control.
 *
 * @example
 * ```ts
 * import { startResponder } from "./responder.ts";
 * await using responder = await startResponder({ "demo.test": ["192.0.2.7", "2001:db8::7"] });
 * console.assert(responder.server.port > 0);
 * ```
 */
export async function startResponder(
  answer: Record<string, string[]> | ResponderHandler,
): Promise<Responder> {
  const handler: ResponderHandler = typeof answer === "function"
    ? answer
    : (query) => answerFromTable(answer, query);
  // Loaded here, not at the top: node's modules cost every command start-up time.
  const { default: dgram } = await import("node:dgram");
  const socket = dgram.createSocket("udp4");
  const responder: Responder = {
    server: { address: "127.0.0.1", port: 0 },
    queries: 0,
    sendTo: (bytes, to) =>
      new Promise((resolve, reject) =>
        socket.send(bytes, to.port, to.address, (error) => error ? reject(error) : resolve())
      ),
    close: () => new Promise((resolve) => socket.close(() => resolve())),
    [Symbol.asyncDispose]: () => responder.close(),
  };
  socket.on("message", (raw: Uint8Array, rinfo: { address: string; port: number }) => {
    responder.queries++;
    let query: DnsMessage;
    try {
      query = decodeMessage(new Uint8Array(raw));
    } catch {
      return; // not a query we can read: stay silent
    }
    const reply = handler(query, new Uint8Array(raw), rinfo);
    if (reply === null) return;
    for (const bytes of Array.isArray(reply) ? reply : [reply]) {
      socket.send(bytes, rinfo.port, rinfo.address);
    }
  });
  return await new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", () => {
      responder.server = { address: "127.0.0.1", port: socket.address().port };
      resolve(responder);
    });
  });
}
