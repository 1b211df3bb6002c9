/**
 * A tiny DNS responder on loopback, built on the same codec: it answers A and AAAA questions
 * from a table, NXDOMAIN for other names and NODATA for other types, over UDP and over TCP on the
 * same port, as a DNS server must (RFC 7766). The demo queries it, and tests give it a handler to
 * misbehave on purpose.
 *
 * @module
 */
import { closeQuietly } from "../net/close.ts";
import { writeAll } from "../net/io.ts";
import { BufReader } from "../net/reader.ts";
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
  /** Where it listens (127.0.0.1 and a port free for both UDP and TCP). */
  server: DnsServer;
  /** Queries received so far, over either transport. */
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
 * Starts a responder on 127.0.0.1 and a port free for both UDP and TCP. Over TCP it answers each
 * length-prefixed query on the connection with the same handler (a handler that stays silent
 * keeps the connection open and silent).
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
  let socket: import("node:dgram").Socket;
  let listener: Deno.TcpListener | undefined;
  // A port whose TCP side is taken by another program is given back and another one tried.
  for (let i = 0; listener === undefined; i++) {
    socket = dgram.createSocket("udp4");
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(0, "127.0.0.1", () => resolve());
    });
    try {
      listener = Deno.listen({ hostname: "127.0.0.1", port: socket.address().port });
    } catch (error) {
      await new Promise<void>((resolve) => socket.close(() => resolve()));
      if (!(error instanceof Deno.errors.AddrInUse) || i >= 100) throw error;
    }
  }
  const udp = socket!;
  const tcp = listener;
  const conns = new Set<Deno.Conn>();
  const answerOne = (raw: Uint8Array, from: { address: string; port: number }) => {
    responder.queries++;
    let query: DnsMessage;
    try {
      query = decodeMessage(raw);
    } catch {
      return []; // not a query we can read: stay silent
    }
    const reply = handler(query, raw, from);
    return reply === null ? [] : Array.isArray(reply) ? reply : [reply];
  };
  const serveTcp = async (conn: Deno.Conn) => {
    conns.add(conn);
    const remote = conn.remoteAddr as Deno.NetAddr;
    const reader = new BufReader(conn, { bufferSize: 65536 + 2 });
    try {
      while (true) {
        const prefix = await reader.readExact(2);
        const raw = (await reader.readExact((prefix[0]! << 8) | prefix[1]!)).slice();
        for (const bytes of answerOne(raw, { address: remote.hostname, port: remote.port })) {
          const framed = new Uint8Array(2 + bytes.length);
          framed.set([bytes.length >> 8, bytes.length & 0xff]);
          framed.set(bytes, 2);
          await writeAll(conn, framed);
        }
      }
    } catch {
      // the client went away, sent half a message, or the responder closed
    } finally {
      conns.delete(conn);
      closeQuietly(conn);
    }
  };
  const serving = new Set<Promise<void>>();
  const accepting = (async () => {
    try {
      for await (const conn of tcp) {
        const task = serveTcp(conn);
        serving.add(task);
        task.finally(() => serving.delete(task));
      }
    } catch {
      // closed
    }
  })();
  const responder: Responder = {
    server: { address: "127.0.0.1", port: udp.address().port },
    queries: 0,
    sendTo: (bytes, to) =>
      new Promise((resolve, reject) =>
        udp.send(bytes, to.port, to.address, (error) => error ? reject(error) : resolve())
      ),
    close: async () => {
      closeQuietly(tcp);
      for (const conn of conns) closeQuietly(conn);
      await accepting;
      await Promise.all(serving);
      await new Promise<void>((resolve) => udp.close(() => resolve()));
    },
    [Symbol.asyncDispose]: () => responder.close(),
  };
  udp.on("message", (raw: Uint8Array, rinfo: { address: string; port: number }) => {
    for (const bytes of answerOne(new Uint8Array(raw), rinfo)) {
      udp.send(bytes, rinfo.port, rinfo.address);
    }
  });
  return responder;
}
