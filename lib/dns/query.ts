/**
 * Asking a DNS server directly: over UDP with `node:dgram` (no unstable flag needed) and over TCP
 * with `Deno.connect` and a two-byte length prefix (RFC 7766). A truncated UDP answer is asked
 * again over TCP. A reply counts only when its source address and port, ID and question match
 * the query; anything else is ignored (and traced) until the try's timeout.
 *
 * @module
 */
import dgram from "node:dgram";
import { formatHostPort } from "../net/addr.ts";
import { withDeadline } from "../net/deadline.ts";
import { dial } from "../net/dial.ts";
import { ProtocolError, TimeoutError } from "../net/errors.ts";
import { writeAll } from "../net/io.ts";
import { BufReader } from "../net/reader.ts";
import type { TraceFn } from "../net/trace.ts";
import { buildQuery, CLASS_IN, decodeMessage, typeName } from "./wire.ts";
import type { DnsMessage } from "./wire.ts";

/** A DNS server's address and port. */
export interface DnsServer {
  /** IPv4 or IPv6 address. */
  address: string;
  /** UDP and TCP port. @default {53} */
  port: number;
}

/** Options for {@linkcode queryDns}. */
export interface DnsQueryOptions {
  /** `udp` (with TCP fallback on truncation) or `tcp` only. @default {"udp"} */
  transport?: "udp" | "tcp";
  /** Milliseconds to wait for an answer on each try. @default {2000} */
  timeoutMs?: number;
  /** How many times to ask before giving up. @default {3} */
  tries?: number;
  /** Receives send, recv and ignored-reply steps. */
  trace?: TraceFn | undefined;
  /** Ends the query early. */
  signal?: AbortSignal | undefined;
}

/** An answer and how it was obtained. */
export interface DnsQueryResult {
  /** The reply. */
  message: DnsMessage;
  /** The server that answered. */
  server: DnsServer;
  /** The transport of the reply (`tcp` after a truncated UDP answer). */
  transport: "udp" | "tcp";
  /** Milliseconds from the first send to the reply. */
  elapsedMs: number;
  /** Tries used, 1 when the first was answered. */
  tries: number;
  /** Whether a UDP answer came back truncated and was asked again over TCP. */
  truncated: boolean;
}

/** Formats a server as `127.0.0.1#53`, the way dig names it. */
export function formatServer(server: DnsServer): string {
  return `${server.address}#${server.port}`;
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase().replace(/\.$/, "") === b.toLowerCase().replace(/\.$/, "");
}

/** Why a reply is not the answer to our query, or `undefined` when it is. */
function mismatch(
  message: DnsMessage,
  id: number,
  name: string,
  type: number,
): string | undefined {
  if (message.id !== id) return `ID ${message.id}, expected ${id}`;
  if (!message.flags.qr) return "not a response";
  const q = message.questions[0];
  if (message.questions.length !== 1 || !q) return `${message.questions.length} questions`;
  if (!sameName(q.name, name) || q.type !== type || q.class !== CLASS_IN) {
    return `question ${q.name} ${typeName(q.type)}, expected ${name} ${typeName(type)}`;
  }
  return undefined;
}

function normalizeAddress(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

/** Asks once over UDP, waiting up to `timeoutMs` per try; resolves `undefined` after all tries. */
function askUdp(
  query: Uint8Array,
  id: number,
  name: string,
  type: number,
  server: DnsServer,
  options: Required<Pick<DnsQueryOptions, "timeoutMs" | "tries">> & DnsQueryOptions,
): Promise<{ message: DnsMessage; tries: number } | undefined> {
  const { trace, signal } = options;
  const where = formatServer(server);
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(server.address.includes(":") ? "udp6" : "udp4");
    let tries = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let settled = false;
    const finish = (error: unknown, value?: { message: DnsMessage; tries: number }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket.close(() => error ? reject(error) : resolve(value));
    };
    const onAbort = () => finish(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const send = () => {
      if (tries >= options.tries) return finish(undefined, undefined);
      tries++;
      trace?.({
        step: "send",
        detail: `udp ${where} (try ${tries} of ${options.tries})`,
        bytes: query.length,
        data: query,
      });
      socket.send(query, server.port, server.address, (error) => {
        if (error) finish(new ProtocolError(`Cannot send to ${where}: ${error.message}`));
      });
      timer = setTimeout(send, options.timeoutMs);
    };
    socket.on("error", (error) => finish(error));
    socket.on("message", (bytes: Uint8Array, rinfo: { address: string; port: number }) => {
      const from = formatHostPort(normalizeAddress(rinfo.address), rinfo.port);
      if (normalizeAddress(rinfo.address) !== server.address || rinfo.port !== server.port) {
        trace?.({
          step: "recv",
          detail: `ignored: from ${from}, not ${where}`,
          bytes: bytes.length,
        });
        return;
      }
      if (bytes.length >= 2 && ((bytes[0]! << 8) | bytes[1]!) !== id) {
        trace?.({
          step: "recv",
          detail: `ignored: ID ${(bytes[0]! << 8) | bytes[1]!}, expected ${id}`,
          bytes: bytes.length,
        });
        return;
      }
      trace?.({ step: "recv", detail: `udp ${from}`, bytes: bytes.length, data: bytes });
      let message: DnsMessage;
      try {
        message = decodeMessage(new Uint8Array(bytes));
      } catch (error) {
        return finish(error);
      }
      const why = mismatch(message, id, name, type);
      if (why) {
        trace?.({ step: "recv", detail: `ignored: ${why}` });
        return;
      }
      finish(undefined, { message, tries });
    });
    socket.bind(0, server.address.includes(":") ? "::" : "0.0.0.0", send);
  });
}

async function askTcp(
  query: Uint8Array,
  id: number,
  name: string,
  type: number,
  server: DnsServer,
  options: DnsQueryOptions & { timeoutMs: number },
): Promise<DnsMessage> {
  const { trace } = options;
  const where = formatServer(server);
  return await withDeadline(
    options.timeoutMs,
    `No answer from ${where} over TCP`,
    async (signal) => {
      const { conn } = await dial({ hostname: server.address, port: server.port }, {
        signal,
        trace,
      });
      const onAbort = () => conn.close();
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        const framed = new Uint8Array(2 + query.length);
        framed[0] = query.length >> 8;
        framed[1] = query.length & 0xff;
        framed.set(query, 2);
        trace?.({ step: "send", detail: `tcp ${where}`, bytes: framed.length, data: framed });
        await writeAll(conn, framed);
        const reader = new BufReader(conn, { bufferSize: 65536 + 2 });
        while (true) {
          const prefix = await reader.readExact(2);
          const length = (prefix[0]! << 8) | prefix[1]!;
          const bytes = (await reader.readExact(length)).slice();
          trace?.({ step: "recv", detail: `tcp ${where}`, bytes: length + 2, data: bytes });
          const message = decodeMessage(bytes);
          const why = mismatch(message, id, name, type);
          if (!why) return message;
          trace?.({ step: "recv", detail: `ignored: ${why}` });
        }
      } finally {
        signal.removeEventListener("abort", onAbort);
        try {
          conn.close();
        } catch { /* closed by the deadline */ }
      }
    },
    { signal: options.signal },
  );
}

/**
 * Asks `server` for `name` and `type`, over UDP (asking again over TCP when the answer comes back
 * truncated) or over TCP only. Gives up after `tries` x `timeoutMs`.
 *
 * @throws {TimeoutError} When no matching answer comes in time.
 * @throws {ProtocolError} When the matching reply is malformed.
 *
 * @example Ask a responder built on the same codec
 * ```ts
 * import { queryDns, RecordType } from "./mod.ts";
 * import { startResponder } from "./responder.ts";
 * import assert from "node:assert/strict";
 * await using responder = await startResponder({ "demo.test": ["192.0.2.7"] });
 * const { message } = await queryDns("demo.test", RecordType.A, responder.server);
 * assert.deepEqual(message.answers.map((r) => r.data), [{ address: "192.0.2.7" }]);
 * ```
 */
export async function queryDns(
  name: string,
  type: number,
  server: DnsServer,
  options: DnsQueryOptions = {},
): Promise<DnsQueryResult> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const tries = options.tries ?? 3;
  const id = crypto.getRandomValues(new Uint16Array(1))[0]!;
  const query = buildQuery(name, type, { id });
  const started = performance.now();
  const where = formatServer(server);
  const what = `${name} ${typeName(type)}`;
  if (options.transport === "tcp") {
    const message = await askTcpWithTries(query, id, name, type, server, {
      ...options,
      timeoutMs,
      tries,
    });
    return {
      message,
      server,
      transport: "tcp",
      elapsedMs: performance.now() - started,
      tries: 1,
      truncated: false,
    };
  }
  const answer = await askUdp(query, id, name, type, server, { ...options, timeoutMs, tries });
  if (!answer) {
    throw new TimeoutError(
      `No answer from ${where} for ${what}: timed out after ${tries} ${
        tries === 1 ? "try" : "tries"
      } of ${timeoutMs}ms`,
    );
  }
  if (!answer.message.flags.tc) {
    return {
      message: answer.message,
      server,
      transport: "udp",
      elapsedMs: performance.now() - started,
      tries: answer.tries,
      truncated: false,
    };
  }
  options.trace?.({ step: "recv", detail: "truncated (TC): asking again over TCP" });
  const message = await askTcpWithTries(query, id, name, type, server, {
    ...options,
    timeoutMs,
    tries,
  });
  return {
    message,
    server,
    transport: "tcp",
    elapsedMs: performance.now() - started,
    tries: answer.tries,
    truncated: true,
  };
}

async function askTcpWithTries(
  query: Uint8Array,
  id: number,
  name: string,
  type: number,
  server: DnsServer,
  options: DnsQueryOptions & { timeoutMs: number; tries: number },
): Promise<DnsMessage> {
  for (let attempt = 1;; attempt++) {
    try {
      return await askTcp(query, id, name, type, server, options);
    } catch (error) {
      if (!(error instanceof TimeoutError) || attempt >= options.tries) {
        if (error instanceof TimeoutError) {
          throw new TimeoutError(
            `No answer from ${formatServer(server)} over TCP for ${name} ${
              typeName(type)
            }: timed out after ${options.tries} tries of ${options.timeoutMs}ms`,
          );
        }
        throw error;
      }
    }
  }
}
