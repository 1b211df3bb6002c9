/**
 * End-to-end tests of certificates that do not verify, through `get`, `wait` and `check` as
 * subprocesses: real certificates made with openssl (a self-signed one as `openssl req -x509`
 * makes it, CA:TRUE) served over loopback, and curl beside sockit where it says what to expect.
 */
import assert from "node:assert/strict";
import { hasProgram, runSockit } from "./_helpers.ts";
import { addServerCert, makeSelfSigned, makeTestPki, TlsReplayServer } from "./_http.ts";

const OK = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";

/** The Rust names rustls and webpki give their reasons, which a message must never show. */
const LIBRARY_TEXT = /invalid peer certificate|Other\(|OtherError|CaUsedAsEndEntity/;

Deno.test("get names a self-signed certificate's failure in plain words (exit 6)", async () => {
  const self = await makeSelfSigned();
  try {
    await using server = new TlsReplayServer(self, OK);
    const result = await runSockit(["get", `https://localhost:${server.port}/`]);
    assert.equal(result.code, 6, result.err);
    assert.match(
      result.err,
      /^error: TLS handshake with localhost:\d+ failed: certificate is a CA/,
    );
    assert.doesNotMatch(result.err, LIBRARY_TEXT);
  } finally {
    await self.remove();
  }
});

Deno.test("a self-signed certificate ends the wait at once with exit 6", async () => {
  const self = await makeSelfSigned();
  try {
    await using server = new TlsReplayServer(self, OK);
    const started = performance.now();
    const result = await runSockit([
      "wait",
      "--timeout",
      "20s",
      `https://localhost:${server.port}/`,
    ]);
    assert.equal(result.code, 6, result.err);
    assert.doesNotMatch(result.err, LIBRARY_TEXT);
    assert.ok(performance.now() - started < 5000, "it did not wait for the timeout");
  } finally {
    await self.remove();
  }
});

Deno.test("check does not retry a certificate that does not verify", async () => {
  const self = await makeSelfSigned();
  const dir = await Deno.makeTempDir({ prefix: "sockit-certs-" });
  try {
    await using server = new TlsReplayServer(self, OK);
    await Deno.writeTextFile(
      `${dir}/spec.yaml`,
      `version: 1\nchecks:\n  - name: self-signed\n` +
        `    http: { url: "https://localhost:${server.port}/" }\n` +
        `    retry: { attempts: 5, interval: 1s }\n`,
    );
    const result = await runSockit(["check", "--json", `${dir}/spec.yaml`]);
    assert.equal(result.code, 1, result.err);
    const [check] = JSON.parse(result.out).checks;
    assert.equal(check.status, "error");
    assert.equal(check.attempts, 1, "a certificate failure is final");
    assert.doesNotMatch(check.error, LIBRARY_TEXT);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await self.remove();
  }
});

Deno.test("a certificate not meant for servers is a certificate failure (exit 6, no retry)", async () => {
  const pki = await makeTestPki();
  try {
    const client = await addServerCert(pki, "client", { extendedKeyUsage: "clientAuth" });
    await using server = new TlsReplayServer({ ...pki, ...client }, OK);
    const result = await runSockit([
      "wait",
      "--timeout",
      "20s",
      "--cacert",
      pki.caCert,
      `https://localhost:${server.port}/`,
    ]);
    assert.equal(result.code, 6, result.err);
    assert.match(result.err, /certificate is not for server authentication/);
  } finally {
    await pki.remove();
  }
});

Deno.test(
  "curl agrees that a self-signed certificate does not verify without --cacert",
  { ignore: !hasProgram("curl") },
  async () => {
    const self = await makeSelfSigned();
    try {
      await using server = new TlsReplayServer(self, OK);
      const url = `https://localhost:${server.port}/`;
      const curl = await new Deno.Command("curl", {
        args: ["-sS", "-o", "/dev/null", url],
        stdout: "null",
        stderr: "null",
      }).output();
      const ours = await runSockit(["get", url]);
      assert.equal(curl.code, 60, "curl: SSL certificate problem");
      assert.equal(ours.code, 6, ours.err);
    } finally {
      await self.remove();
    }
  },
);
