/**
 * End-to-end tests of echo over TLS: `echo serve --tls` and `echo send --tls` against each other,
 * with a test CA made by openssl, through the CLI as a subprocess.
 */
import assert from "node:assert/strict";
import { EchoServerProcess, hasProgram, patternBytes, runSockit } from "./_helpers.ts";
import { addServerCert, makeTestPki } from "./_http.ts";
import type { TestPki } from "./_http.ts";

const haveOpenssl = hasProgram("openssl");

/** `echo serve --tls` with the PKI's certificate and key, and `extra` options. */
function startTlsServer(pki: TestPki, extra: string[] = []): Promise<EchoServerProcess> {
  return EchoServerProcess.start(["--tls", "--cert", pki.cert, "--key", pki.key, ...extra]);
}

/** Runs `fn` with a fresh test CA and server certificate, removed afterwards. */
async function withPki(fn: (pki: TestPki) => Promise<void>): Promise<void> {
  const pki = await makeTestPki();
  try {
    await fn(pki);
  } finally {
    await pki.remove();
  }
}

Deno.test({
  name: "echo send --tls verifies echo serve --tls with a private CA and gets 1 MiB back exactly",
  ignore: !haveOpenssl,
  fn: () =>
    withPki(async (pki) => {
      await using server = await startTlsServer(pki);
      const data = patternBytes(1024 * 1024, 7);
      const port = String(server.port);
      const stream = await runSockit(
        ["echo", "send", "--tls", "--cacert", pki.caCert, "-p", port],
        {
          stdin: data,
        },
      );
      assert.equal(stream.code, 0, stream.err);
      assert.equal(stream.stdout.length, data.length);
      assert.ok(stream.stdout.every((b, i) => b === data[i]), "different bytes came back");
      const accept = await server.events.until("accept");
      assert.deepEqual(accept.tls, { alpn: null });
      const json = await runSockit([
        "echo",
        "send",
        "--tls",
        "--json",
        "--cacert",
        pki.caCert,
        "--host",
        "localhost",
        "-p",
        port,
        "hi",
      ]);
      assert.equal(json.code, 0, json.err);
      const result = JSON.parse(json.out);
      assert.deepEqual(
        [result.transport, result.sent, result.received, result.match, result.exit_code],
        ["tls", 3, 3, true, 0],
      );
      assert.deepEqual(result.tls, { alpn: null });
      assert.equal(typeof result.tls_ms, "number");
      const ping = await runSockit([
        "echo",
        "send",
        "--tls",
        "--cacert",
        pki.caCert,
        "-p",
        port,
        "-c",
        "3",
        "-i",
        "0",
      ]);
      assert.equal(ping.code, 0, ping.err);
      assert.match(ping.out, /^3 round trips, min\/avg\/p50\/p99\/max = /m);
      const { code, events } = await server.stop();
      assert.equal(code, 0);
      const closes = events.map((e) => JSON.parse(e)).filter((e) => e.event === "close");
      // Every client ended with close_notify: each close is a clean half-close.
      assert.deepEqual(closes.map((e) => e.reason), ["eof", "eof", "eof"]);
      const shutdown = JSON.parse(events.at(-1)!);
      assert.deepEqual(
        [shutdown.transport, shutdown.connections, shutdown.rejected, shutdown.bytes],
        ["tls", 3, 0, data.length + 3 + 3 * 64],
      );
    }),
});

Deno.test({
  name:
    "echo send --tls exits 6 for an unknown issuer and a wrong name, with hints, and the server logs the rejects",
  ignore: !haveOpenssl,
  fn: () =>
    withPki(async (pki) => {
      await using server = await startTlsServer(pki);
      const port = String(server.port);
      const unknown = await runSockit(["echo", "send", "--tls", "-p", port, "x"]);
      assert.equal(unknown.code, 6);
      assert.equal(
        unknown.err,
        `error: TLS handshake with 127.0.0.1:${port} failed: certificate has an unknown issuer ` +
          "(is its CA trusted? trust a private CA with --cacert)\n",
      );
      const wrongName = await runSockit([
        "echo",
        "send",
        "--tls",
        "--json",
        "--cacert",
        pki.caCert,
        "--servername",
        "other.test",
        "-p",
        port,
        "x",
      ]);
      assert.equal(wrongName.code, 6);
      assert.deepEqual(JSON.parse(wrongName.out), {
        error: `TLS handshake with 127.0.0.1:${port} failed: certificate is not valid for ` +
          '"other.test" (it is for localhost, 127.0.0.1) (check another name with --servername)',
        exit_code: 6,
      });
      const rejects = [await server.events.nextJson(), await server.events.nextJson()];
      assert.deepEqual(rejects.map((e) => [e.event, e.reason]), [
        ["reject", "tls-handshake"],
        ["reject", "tls-handshake"],
      ]);
      assert.match(String(rejects[0]!.error), /alert/);
    }),
});

Deno.test({
  name: "echo serve --tls turns away a client that never finishes its handshake, and plain TCP",
  ignore: !haveOpenssl,
  fn: () =>
    withPki(async (pki) => {
      await using server = await startTlsServer(pki, ["--idle-timeout", "200ms"]);
      const silent = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      const idle = await server.events.nextJson();
      assert.deepEqual([idle.event, idle.reason, idle.error], [
        "reject",
        "tls-handshake",
        "no handshake within the idle timeout",
      ]);
      silent.close();
      const plain = await runSockit(["echo", "send", "-p", String(server.port), "hello"]);
      assert.notEqual(plain.code, 0);
      const garbage = await server.events.nextJson();
      assert.deepEqual([garbage.event, garbage.reason], ["reject", "tls-handshake"]);
      const { events } = await server.stop();
      assert.equal(JSON.parse(events.at(-1)!).rejected, 2);
    }),
});

Deno.test({
  name: "echo serve --tls refuses a certificate or key it cannot use with exit 2, before binding",
  ignore: !haveOpenssl,
  fn: () =>
    withPki(async (pki) => {
      const other = await addServerCert(pki, "other");
      await Deno.writeTextFile(`${pki.dir}/empty.pem`, "hello\n");
      // Whole PEM blocks whose contents the runtime cannot parse.
      const garbage = (label: string) =>
        `-----BEGIN ${label}-----\nbm90IGl0\n-----END ${label}-----\n`;
      await Deno.writeTextFile(`${pki.dir}/bad-key.pem`, garbage("PRIVATE KEY"));
      await Deno.writeTextFile(`${pki.dir}/bad-cert.pem`, garbage("CERTIFICATE"));
      const cases: Array<[string[], RegExp]> = [
        [["--tls", "--cert", pki.cert], /Option --tls needs --cert FILE and --key FILE/],
        [["--cert", pki.cert, "--key", pki.key], /Options --cert and --key need --tls/],
        [
          ["--tls", "--cert", `${pki.dir}/nope.pem`, "--key", pki.key],
          /Cannot read --cert ".*nope\.pem": no such file/,
        ],
        [
          ["--tls", "--cert", `${pki.dir}/empty.pem`, "--key", pki.key],
          /Invalid --cert ".*empty\.pem": no PEM "BEGIN CERTIFICATE" block/,
        ],
        [
          ["--tls", "--cert", pki.cert, "--key", pki.cert],
          /Invalid --key ".*server\.pem": no PEM "BEGIN PRIVATE KEY" block/,
        ],
        [
          ["--tls", "--cert", pki.cert, "--key", other.key],
          /Cannot use the TLS certificate and key: the key does not belong to the certificate/,
        ],
        [
          ["--tls", "--cert", pki.cert, "--key", `${pki.dir}/bad-key.pem`],
          /Cannot use the TLS certificate and key: cannot parse the private key \(--key\)/,
        ],
        [
          ["--tls", "--cert", `${pki.dir}/bad-cert.pem`, "--key", pki.key],
          /Cannot use the TLS certificate and key: a certificate in --cert is malformed/,
        ],
        [["--tls", "--udp", "--cert", pki.cert, "--key", pki.key], /no DTLS/],
        [["--tls", "--unix", "/tmp/x.sock", "--cert", pki.cert, "--key", pki.key], /--unix cannot/],
      ];
      for (const [args, message] of cases) {
        const result = await runSockit(["echo", "serve", "--port", "0", ...args]);
        assert.equal(result.code, 2, `${args.join(" ")}: ${result.err}`);
        assert.match(result.err, message);
        assert.equal(result.out, "", "nothing listened");
      }
      // A BEGIN line with no certificate after it is no CA file either.
      const beginOnly = `${pki.dir}/begin-only.pem`;
      await Deno.writeTextFile(beginOnly, "-----BEGIN CERTIFICATE-----\n");
      const client: Array<[string[], RegExp]> = [
        [["--cacert", pki.caCert, "x"], /Option --cacert needs --tls/],
        [["--servername", "a.test", "x"], /Option --servername needs --tls/],
        [["--tls", "--cacert", pki.key, "x"], /Invalid --cacert ".*": no PEM "BEGIN CERTIFICATE"/],
        [
          ["--tls", "--cacert", beginOnly, "x"],
          /Invalid --cacert ".*": no PEM "BEGIN CERTIFICATE"/,
        ],
        [["--tls", "--servername=", "x"], /Invalid value "" for --servername/],
      ];
      for (const [args, message] of client) {
        const result = await runSockit(["echo", "send", ...args]);
        assert.equal(result.code, 2, `${args.join(" ")}: ${result.err}`);
        assert.match(result.err, message);
      }
    }),
});

Deno.test("echo send --tls to a plain TCP echo server says it speaks plain TCP and exits 6", async () => {
  await using server = await EchoServerProcess.start();
  const result = await runSockit(["echo", "send", "--tls", "-p", String(server.port), "hi"]);
  assert.equal(result.code, 6);
  assert.equal(
    result.err,
    `error: TLS handshake with 127.0.0.1:${server.port} failed: the server sent our own TLS ` +
      "hello back: it speaks plain TCP\n",
  );
});

Deno.test({
  name:
    "echo serve --tls --once is not ended by a failed handshake: it serves the first client that completes one",
  ignore: !haveOpenssl,
  fn: () =>
    withPki(async (pki) => {
      await using server = await startTlsServer(pki, ["--once"]);
      const port = String(server.port);
      const refused = await runSockit(["echo", "send", "--tls", "-p", port, "x"]);
      assert.equal(refused.code, 6);
      const served = await runSockit([
        "echo",
        "send",
        "--tls",
        "--cacert",
        pki.caCert,
        "-p",
        port,
        "ok",
      ]);
      assert.deepEqual([served.code, served.out], [0, "ok\n"]);
      const status = await server.process.status;
      assert.equal(status.code, 0);
      const events = (await server.events.rest()).map((e) => JSON.parse(e));
      assert.deepEqual(events.map((e) => e.event), ["reject", "accept", "close", "shutdown"]);
    }),
});
