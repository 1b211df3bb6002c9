import assert from "node:assert/strict";
import { hasProgram } from "../../tests/_helpers.ts";
import { makeTestPki } from "../../tests/_http.ts";
import { dial } from "./dial.ts";
import type { Dialed } from "./dial.ts";
import { TlsError } from "./errors.ts";
import { overStream } from "./tls_stream.ts";

const haveOpenssl = hasProgram("openssl");

/**
 * A TLS server that reads until the client's close_notify, then answers with what it read and
 * whether the client ended cleanly.
 */
function tlsReader(cert: string, key: string) {
  const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert, key });
  const seen = (async () => {
    const conn = await listener.accept();
    try {
      const text = await new Response(conn.readable).text();
      return { text, clean: true };
    } catch {
      return { text: "", clean: false };
    }
  })();
  return { port: listener.addr.port, seen, close: () => listener.close() };
}

/** Runs `fn` dialed to a {@linkcode tlsReader} with a fresh test CA, all removed afterwards. */
async function withTlsReader(
  fn: (
    dialed: Dialed,
    caCerts: string[],
    seen: Promise<{ text: string; clean: boolean }>,
  ) => Promise<void>,
): Promise<void> {
  const pki = await makeTestPki();
  try {
    const server = tlsReader(await Deno.readTextFile(pki.cert), await Deno.readTextFile(pki.key));
    try {
      const dialed = await dial({ hostname: "127.0.0.1", port: server.port });
      await fn(dialed, [await Deno.readTextFile(pki.caCert)], server.seen);
    } finally {
      server.close();
    }
  } finally {
    await pki.remove();
  }
}

Deno.test({
  name: "overStream() speaks TLS to the server and ends with close_notify after use succeeds",
  ignore: !haveOpenssl,
  fn: () =>
    withTlsReader(async (dialed, caCerts, seen) => {
      const signal = new AbortController().signal;
      const tls = { servername: "localhost", caCerts };
      const used = await overStream(dialed, tls, signal, async (conn, used) => {
        await conn.write(new TextEncoder().encode("over TLS"));
        return used;
      });
      assert.equal(used?.alpn, null);
      assert.ok(used!.tlsMs >= 0);
      assert.deepEqual(await seen, { text: "over TLS", clean: true });
    }),
});

Deno.test({
  name: "overStream() rejects with TlsError when the certificate is not for the name",
  ignore: !haveOpenssl,
  fn: () =>
    withTlsReader(async (dialed, caCerts, seen) => {
      const signal = new AbortController().signal;
      let ran = false;
      await assert.rejects(
        overStream(dialed, { servername: "other.test", caCerts }, signal, () => {
          ran = true;
          return Promise.resolve();
        }),
        (error) => error instanceof TlsError && error.kind === "wrong-name",
      );
      assert.equal(ran, false);
      assert.equal((await seen).clean, false);
    }),
});

Deno.test("overStream() without TLS hands over the dialed connection and leaves it open", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const dialed = await dial({ hostname: "127.0.0.1", port: listener.addr.port });
  const signal = new AbortController().signal;
  await overStream(dialed, undefined, signal, async (conn, tls) => {
    assert.equal(tls, undefined);
    await conn.write(new Uint8Array([1, 2]));
  });
  await dialed.conn.write(new Uint8Array([3]));
  dialed.conn.close();
  const peer = await accepted;
  assert.deepEqual(
    new Uint8Array(await new Response(peer.readable).arrayBuffer()),
    new Uint8Array([1, 2, 3]),
  );
});
