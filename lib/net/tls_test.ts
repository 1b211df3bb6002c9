import assert from "node:assert/strict";
import { makeSelfSigned } from "../../tests/_http.ts";
import { TlsError } from "./errors.ts";
import { checkCertificatePem, startTls } from "./tls.ts";

/** A TLS server on loopback that echoes one line back, with a self-signed certificate. */
function echoOnce(cert: string, key: string) {
  const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert, key });
  const served = (async () => {
    for await (const conn of listener) {
      try {
        const buf = new Uint8Array(1024);
        const n = await conn.read(buf);
        if (n !== null) await conn.write(buf.subarray(0, n));
      } catch {
        // a client that refused the certificate
      } finally {
        conn.close();
      }
    }
  })();
  return {
    port: listener.addr.port,
    async close() {
      listener.close();
      await served;
    },
  };
}

Deno.test("startTls() over node:tls (own certificate, insecure) reads, writes and closes with nothing left open", async () => {
  const self = await makeSelfSigned();
  const [cert, key] = [await Deno.readTextFile(self.cert), await Deno.readTextFile(self.key)];
  const server = echoOnce(cert, key);
  try {
    for (const trust of [{ caCerts: [cert] }, { insecure: true }]) {
      const tcp = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      const signal = new AbortController().signal;
      const made = await startTls(tcp, {
        hostname: "localhost",
        port: server.port,
        ...trust,
        signal,
      });
      assert.equal(made.trust, trust.insecure ? "insecure" : "own-certificate");
      await made.conn.write(new TextEncoder().encode("hello\n"));
      assert.equal(await new Response(made.conn.readable).text(), "hello\n");
      made.conn.close();
    }
    // The name is still checked, and a signal that aborts ends the attempt.
    const tcp = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    await assert.rejects(
      startTls(tcp, {
        hostname: "other.test",
        port: server.port,
        caCerts: [cert],
        signal: new AbortController().signal,
      }),
      (error: TlsError) => error.kind === "wrong-name",
    );
  } finally {
    await server.close();
    await self.remove();
  }
});

Deno.test("startTls() over node:tls ends with its signal's reason when the peer never answers", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held = listener.accept();
  const tcp = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const controller = new AbortController();
  const reason = new Error("the deadline passed");
  const handshake = startTls(tcp, {
    hostname: "localhost",
    port: listener.addr.port,
    insecure: true,
    signal: controller.signal,
  });
  const silent = await held;
  controller.abort(reason);
  await assert.rejects(handshake, (error) => error === reason);
  silent.close();
});

Deno.test("checkCertificatePem() wants a whole BEGIN to END CERTIFICATE block", () => {
  const why = 'no PEM "BEGIN CERTIFICATE" block';
  assert.equal(
    checkCertificatePem("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"),
    undefined,
  );
  assert.equal(checkCertificatePem("-----BEGIN CERTIFICATE-----\nMIIB\n"), why);
  assert.equal(
    checkCertificatePem("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"),
    why,
  );
  assert.equal(checkCertificatePem(""), why);
});
