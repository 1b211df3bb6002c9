/**
 * A scripted HTTP peer for the client's tests, on loopback.
 *
 * @module
 */
import { parseHttpUrl } from "./url.ts";
import type { HttpUrl } from "./url.ts";

const encoder = new TextEncoder();

/**
 * A loopback server that answers each request on a connection with the next of `replies`
 * (`null`: read the request and never answer). Counts connections.
 */
export function serve(replies: Array<string | null>): {
  url: HttpUrl;
  readonly connections: number;
  [Symbol.asyncDispose](): Promise<void>;
} {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  let connections = 0;
  const done = (async () => {
    for await (const conn of listener) {
      connections++;
      conns.push(conn);
      const buf = new Uint8Array(4096);
      while (replies.length > 0 && await conn.read(buf) !== null) {
        const reply = replies.shift()!;
        if (reply !== null) await conn.write(encoder.encode(reply));
      }
    }
  })().catch(() => {});
  return {
    url: parseHttpUrl(`http://127.0.0.1:${listener.addr.port}/`),
    get connections() {
      return connections;
    },
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const conn of conns) conn.close();
      await done;
    },
  };
}

/**
 * A loopback server that reads each request whole (the head, then `Content-Length` body bytes)
 * and answers it with the next of `replies`; keeps what it read. The replies are shared by
 * every connection, in order.
 */
export function serveRequests(replies: string[]): {
  url: HttpUrl;
  requests: string[];
  [Symbol.asyncDispose](): Promise<void>;
} {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const requests: string[] = [];
  const conns: Deno.Conn[] = [];
  const done = (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      const buf = new Uint8Array(4096);
      let pending = "";
      while (replies.length > 0) {
        const end = pending.indexOf("\r\n\r\n");
        const length = Number(/^content-length: *(\d+)/im.exec(pending.slice(0, end))?.[1] ?? 0);
        if (end >= 0 && pending.length >= end + 4 + length) {
          requests.push(pending.slice(0, end + 4 + length));
          pending = pending.slice(end + 4 + length);
          await conn.write(encoder.encode(replies.shift()!));
          continue;
        }
        const n = await conn.read(buf);
        if (n === null) break;
        pending += new TextDecoder().decode(buf.subarray(0, n));
      }
    }
  })().catch(() => {});
  return {
    url: parseHttpUrl(`http://127.0.0.1:${listener.addr.port}/put`),
    requests,
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const conn of conns) conn.close();
      await done;
    },
  };
}
