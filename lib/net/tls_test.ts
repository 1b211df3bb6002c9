import assert from "node:assert/strict";
import { makeSelfSigned } from "../../tests/_http.ts";
import { TlsError } from "./errors.ts";
import {
  CERTIFICATE_KINDS,
  checkCertificatePem,
  describeTlsError,
  keyPairFailure,
  startTls,
  tlsFailure,
} from "./tls.ts";

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

Deno.test("describeTlsError() says why a handshake failed in a few words", () => {
  const why = (message: string) => describeTlsError(new Error(message), "a.test");
  assert.equal(why("invalid peer certificate: UnknownIssuer"), "certificate has an unknown issuer");
  assert.equal(
    why(
      'invalid peer certificate: certificate not valid for name "a.test"; certificate is only ' +
        'valid for DnsName("localhost") or IpAddress(127.0.0.1)',
    ),
    'certificate is not valid for "a.test" (it is for localhost, 127.0.0.1)',
  );
  assert.equal(why("invalid peer certificate: Expired"), "certificate has expired");
  assert.equal(why("invalid peer certificate: NotValidYet"), "certificate is not valid yet");
  assert.equal(why("invalid peer certificate: Revoked"), "certificate is revoked");
  assert.equal(
    why("invalid peer certificate: BadSignature"),
    "certificate is malformed or badly signed",
  );
  assert.equal(
    describeTlsError(new Deno.errors.ConnectionReset("reset"), "a.test"),
    "connection closed during the handshake (connection reset by peer)",
  );
  assert.equal(why("something else (os error 5)"), "something else");
});

Deno.test("tlsFailure() gives every certificate failure a certificate kind and plain words", () => {
  const of = (message: string, code?: string) =>
    tlsFailure(Object.assign(new Error(message), code ? { code } : {}), "a.test");
  assert.deepEqual(of("invalid peer certificate: Other(OtherError(CaUsedAsEndEntity))"), {
    why: "certificate is a CA certificate, used as the server's own (self-signed?)",
    kind: "ca-as-leaf",
  });
  assert.deepEqual(
    of("invalid peer certificate: certificate expired: verification time 1 (UNIX), but ..."),
    { why: "certificate has expired", kind: "expired" },
  );
  assert.deepEqual(
    of(
      'invalid peer certificate: certificate not valid for name "a.test"; certificate is only ' +
        'valid for DnsName("other.test")',
    ),
    { why: 'certificate is not valid for "a.test" (it is for other.test)', kind: "wrong-name" },
  );
  // A reason this list does not know is still a certificate failure, in words.
  assert.deepEqual(of("invalid peer certificate: Other(OtherError(PathLenConstraintViolated))"), {
    why: "certificate is refused: path len constraint violated",
    kind: "certificate",
  });
  assert.equal(of("invalid peer certificate: " + "x ".repeat(500)).why.length < 160, true);
  // node:tls reports OpenSSL's verify codes.
  assert.equal(of("self-signed certificate", "DEPTH_ZERO_SELF_SIGNED_CERT").kind, "self-signed");
  assert.deepEqual(
    of(
      "Hostname/IP does not match certificate's altnames: Host: a.test. is not in the cert's " +
        "altnames: DNS:localhost, IP Address:127.0.0.1",
      "ERR_TLS_CERT_ALTNAME_INVALID",
    ),
    {
      why: 'certificate is not valid for "a.test" (it is for localhost, 127.0.0.1)',
      kind: "wrong-name",
    },
  );
  assert.equal(of("odd", "CERT_UNTRUSTED").kind, "certificate");
  // Plain HTTP on an https port is not the certificate's fault: a server still starting may do it.
  assert.equal(of("received corrupt message of type InvalidContentType").kind, "not-tls");
  assert.equal(of("unexpected end of file").kind, "closed");
  assert.equal(
    of("Client network socket disconnected before secure TLS connection").kind,
    "closed",
  );
  for (const kind of ["ca-as-leaf", "certificate", "self-signed", "wrong-purpose"]) {
    assert.ok(CERTIFICATE_KINDS.has(kind), kind);
  }
  assert.equal(CERTIFICATE_KINDS.has("closed"), false);
});

Deno.test("keyPairFailure() names each way the runtime refuses a server's certificate and key", () => {
  const cases: Array<[string, string | undefined]> = [
    ["invalid private key: KeyMismatch", "key-mismatch"],
    ["failed to parse private key as RSA, ECDSA, or EdDSA", "bad-key"],
    ["No certificates found in cert file", "missing-certificate"],
    ["invalid certificate: BadEncoding", "bad-certificate"],
    ["something else entirely", undefined],
  ];
  for (const [message, kind] of cases) {
    assert.equal(keyPairFailure(new Error(message)).kind, kind, message);
  }
  assert.deepEqual(keyPairFailure(new Error("something else")), { why: "something else" });
});
