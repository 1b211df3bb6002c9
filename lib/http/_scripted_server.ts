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
