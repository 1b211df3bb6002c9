/**
 * A tiny scripted HTTP/1.1 server on loopback: it reads each request head and answers with the
 * next response of its script, byte for byte, on one connection after another. The demo fetches
 * from it; it is the HTTP counterpart of the DNS responder in `lib/dns/responder.ts`.
 *
 * @module
 */
import { closeQuietly } from "../net/close.ts";
import { writeAll } from "../net/io.ts";
import { BufReader } from "../net/reader.ts";

/** A running scripted server. */
export interface HttpResponder extends AsyncDisposable {
  /** The bound port on 127.0.0.1. */
  port: number;
  /** `http://127.0.0.1:PORT` followed by `path`. */
  url(path?: string): string;
  /** Request heads received so far, as text. */
  requests: string[];
  /** Stops listening, closes open connections and waits for them. */
  close(): Promise<void>;
}

/** The longest request head the responder reads. */
const MAX_REQUEST_HEAD = 64 * 1024;

/**
 * Starts a scripted server on 127.0.0.1 and a free port. After the script's last response it
 * closes the connection.
 *
 * @param responses Whole responses (status line, fields, body), in the order they are sent.
 *
 * @example
 * ```ts
 * import { startHttpResponder } from "./responder.ts";
 * import assert from "node:assert/strict";
 * await using server = startHttpResponder(["HTTP/1.1 204 No Content\r\n\r\n"]);
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
 * await conn.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
 * const reply = await new Response(conn.readable).text();
 * assert.equal(reply, "HTTP/1.1 204 No Content\r\n\r\n");
 * ```
 */
export function startHttpResponder(responses: Array<string | Uint8Array>): HttpResponder {
  const script = responses.map((r) => typeof r === "string" ? new TextEncoder().encode(r) : r);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();
  const requests: string[] = [];
  const serve = async (conn: Deno.Conn) => {
    const reader = new BufReader(conn, { bufferSize: 16 * 1024 });
    while (script.length > 0) {
      const head: string[] = [];
      for (
        let line = await reader.readLine(MAX_REQUEST_HEAD);;
        line = await reader.readLine(MAX_REQUEST_HEAD)
      ) {
        if (line === null) return;
        if (line.length === 0) break;
        head.push(new TextDecoder().decode(line));
      }
      requests.push(head.join("\r\n"));
      await writeAll(conn, script.shift()!);
    }
  };
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      const task = serve(conn).catch(() => {}).finally(() => {
        conns.delete(conn);
        closeQuietly(conn);
      });
      tasks.add(task);
      task.finally(() => tasks.delete(task));
    }
  })().catch(() => {});
  const responder: HttpResponder = {
    port: listener.addr.port,
    url: (path = "/") => `http://127.0.0.1:${listener.addr.port}${path}`,
    requests,
    async close() {
      closeQuietly(listener);
      await accepting;
      for (const conn of conns) closeQuietly(conn);
      await Promise.all([...tasks]);
    },
    [Symbol.asyncDispose]: () => responder.close(),
  };
  return responder;
}
