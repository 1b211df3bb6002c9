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

Deno.test("get --cacert with the server's own self-signed certificate succeeds, as curl's does", async () => {
  const self = await makeSelfSigned();
  try {
    await using server = new TlsReplayServer(self, OK);
    const url = `https://localhost:${server.port}/`;
    const ours = await runSockit(["get", "--cacert", self.caCert, url]);
    assert.equal(ours.code, 0, ours.err);
    assert.equal(ours.out, "ok\n");
    assert.equal(ours.err, "", "nothing to warn about: the certificate was verified");
    if (hasProgram("curl")) {
      const curl = await new Deno.Command("curl", {
        args: ["-sS", "--cacert", self.caCert, url],
        stderr: "null",
      }).output();
      assert.equal(curl.code, 0);
      assert.equal(new TextDecoder().decode(curl.stdout), ours.out);
    }
    // The name is still checked against the certificate.
    const other = await runSockit([
      "get",
      "--cacert",
      self.caCert,
      "--resolve",
      `other.test:${server.port}:127.0.0.1`,
      `https://other.test:${server.port}/`,
    ]);
    assert.equal(other.code, 6, other.err);
    assert.match(other.err, /certificate is not valid for "other\.test" \(it is for localhost/);
  } finally {
    await self.remove();
  }
});

Deno.test("--cacert trusts the server's own certificate only: another self-signed one is refused", async () => {
  const served = await makeSelfSigned();
  const given = await makeSelfSigned();
  try {
    await using server = new TlsReplayServer(served, OK);
    const result = await runSockit([
      "get",
      "--cacert",
      given.caCert,
      `https://localhost:${server.port}/`,
    ]);
    assert.equal(result.code, 6, result.err);
    assert.match(result.err, /certificate is self-signed \(trust it with --cacert FILE/);
  } finally {
    await served.remove();
    await given.remove();
  }
});

Deno.test("wait and check trust the server's own certificate given as cacert", async () => {
  const self = await makeSelfSigned();
  const dir = await Deno.makeTempDir({ prefix: "sockit-certs-" });
  try {
    await using server = new TlsReplayServer(self, OK);
    const url = `https://127.0.0.1:${server.port}/`;
    const waited = await runSockit(["wait", "--timeout", "10s", "--cacert", self.caCert, url]);
    assert.equal(waited.code, 0, waited.err);
    await Deno.writeTextFile(
      `${dir}/spec.yaml`,
      `version: 1\nchecks:\n  - name: own certificate\n` +
        `    http: { url: "${url}", cacert: ${JSON.stringify(self.caCert)} }\n`,
    );
    const checked = await runSockit(["check", "--json", `${dir}/spec.yaml`]);
    assert.equal(checked.code, 0, checked.err);
    assert.equal(JSON.parse(checked.out).checks[0].insecure, false);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await self.remove();
  }
});

Deno.test("-k accepts any certificate in get and wait, warns on stderr and says insecure in --json", async () => {
  const self = await makeSelfSigned(["elsewhere.test"]);
  try {
    await using server = new TlsReplayServer(self, OK);
    const url = `https://127.0.0.1:${server.port}/`;
    const got = await runSockit(["get", "-k", "-q", "--json", "-o", "/dev/null", url]);
    assert.equal(got.code, 0, got.err);
    assert.equal(JSON.parse(got.out).insecure, true);
    assert.match(got.err, /^warning: -k\/--insecure: https certificates are NOT verified/);
    const verified = await runSockit(["get", "--json", "-o", "/dev/null", url]);
    assert.equal(JSON.parse(verified.out).insecure, false);
    const waited = await runSockit(["wait", "--insecure", "--json", "--timeout", "10s", url]);
    assert.equal(waited.code, 0, waited.err);
    const done = waited.out.trim().split("\n").map((line) => JSON.parse(line)).at(-1);
    assert.equal(done.insecure, true);
    assert.match(waited.err, /warning: -k\/--insecure: https certificates are NOT verified/);
  } finally {
    await self.remove();
  }
});

Deno.test("insecure: true (or check -k) is loud in every report of the check", async () => {
  const self = await makeSelfSigned();
  const dir = await Deno.makeTempDir({ prefix: "sockit-certs-" });
  try {
    await using server = new TlsReplayServer(self, OK);
    const url = `https://localhost:${server.port}/`;
    await Deno.writeTextFile(
      `${dir}/spec.yaml`,
      `version: 1\nchecks:\n  - name: lax\n    http: { url: "${url}", insecure: true }\n` +
        `  - name: strict\n    http: { url: "${url}" }\n`,
    );
    const run = await runSockit([
      "check",
      "--json",
      "--report",
      `junit=${dir}/junit.xml`,
      "--report",
      `tap=${dir}/report.tap`,
      `${dir}/spec.yaml`,
    ]);
    assert.equal(run.code, 1, "the strict check still verifies");
    const [lax, strict] = JSON.parse(run.out).checks;
    assert.deepEqual([lax.insecure, lax.status], [true, "passed"]);
    assert.deepEqual([strict.insecure, strict.status], [false, "error"]);
    assert.match(run.err, /warning: insecure: true in check "lax": https certificates are NOT/);
    const junit = await Deno.readTextFile(`${dir}/junit.xml`);
    assert.match(junit, /<testcase name="lax"[^>]*>\s*<properties><property name="insecure"/);
    const tap = await Deno.readTextFile(`${dir}/report.tap`);
    assert.match(tap, /^ok 1 - lax\n {2}---\n {2}insecure: true\n {2}\.\.\.$/m);
    const all = await runSockit(["check", "-k", "--json", `${dir}/spec.yaml`]);
    assert.equal(all.code, 0, all.err);
    assert.deepEqual(JSON.parse(all.out).checks.map((c: { insecure: boolean }) => c.insecure), [
      true,
      true,
    ]);
    await Deno.writeTextFile(
      `${dir}/bad.yaml`,
      `version: 1\nchecks:\n  - name: lax\n    http: { url: "${url}", insecure: "yes" }\n`,
    );
    const bad = await runSockit(["check", "--validate", `${dir}/bad.yaml`]);
    assert.equal(bad.code, 2, bad.err);
    assert.match(bad.err, /bad\.yaml:4:\d+: .*"insecure"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await self.remove();
  }
});

/** Whether tests/fixtures/tls/impostor.c can be built: cc and OpenSSL's headers. */
function canBuildImpostor(): boolean {
  try {
    Deno.statSync("/usr/include/openssl/ssl.h");
  } catch {
    // deno-lint-ignore no-console
    console.error("note: OpenSSL's headers (libssl-dev) are missing; the impostor test is skipped");
    return false;
  }
  return hasProgram("cc");
}

Deno.test({
  name: "a server that shows the trusted certificate without holding its key is refused",
  ignore: !canBuildImpostor(),
}, async () => {
  const self = await makeSelfSigned();
  const other = await makeSelfSigned();
  try {
    const impostor = `${self.dir}/impostor`;
    const source = new URL("./fixtures/tls/impostor.c", import.meta.url).pathname;
    const built = await new Deno.Command("cc", {
      args: ["-o", impostor, source, "-lssl", "-lcrypto"],
      stdout: "null",
    }).output();
    assert.ok(built.success, new TextDecoder().decode(built.stderr));
    const server = new Deno.Command(impostor, {
      args: [self.cert, other.key],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    try {
      const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
      const port = Number((await reader.read()).value?.trim());
      reader.releaseLock();
      const url = `https://localhost:${port}/`;
      const ours = await runSockit(["get", "--cacert", self.caCert, url]);
      assert.equal(ours.code, 6, ours.err);
      assert.doesNotMatch(ours.out, /impostor/);
      if (hasProgram("curl")) {
        const curl = await new Deno.Command("curl", {
          args: ["-sS", "--cacert", self.caCert, url],
          stderr: "null",
        }).output();
        assert.notEqual(curl.code, 0, "curl refuses it too");
      }
    } finally {
      server.kill("SIGTERM");
      await server.status;
      await server.stdout.cancel().catch(() => {});
    }
  } finally {
    await self.remove();
    await other.remove();
  }
});

Deno.test("-k carries a body of megabytes whole, to its end, at the reader's pace", async () => {
  const self = await makeSelfSigned();
  const dir = await Deno.makeTempDir({ prefix: "sockit-certs-" });
  try {
    const body = "0123456789abcdef".repeat(256 * 1024); // 4 MiB, more than any read-ahead
    await using server = new TlsReplayServer(
      self,
      `HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n${body}`,
    );
    const url = `https://localhost:${server.port}/`;
    for (const trust of [["-k"], ["--cacert", self.caCert]]) {
      const result = await runSockit([
        "get",
        ...trust,
        "--read-timeout",
        "5s",
        "-o",
        `${dir}/body`,
        url,
      ]);
      assert.equal(result.code, 0, result.err);
      assert.equal((await Deno.stat(`${dir}/body`)).size, body.length);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
    await self.remove();
  }
});
