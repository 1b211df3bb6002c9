/**
 * `sockit check` over real peers, in one spec: nginx (status, headers, a JSON body, a gzip body,
 * a redirect), TLS with a test CA (a pass, and cert_valid_for failing on a certificate that
 * expires in a day), dnsmasq (an answer, an NXDOMAIN expected and got), a socat listener with a
 * banner for send/expect, sockit's own echo server and a Unix socket; and a failure of each kind,
 * each named in every report: JUnit (parsed by xmllint, counted with XPath), TAP (parsed by
 * tap-parser) and JSON.
 */
import assert from "node:assert/strict";
import { closedPort, EchoServerProcess, hasProgram, runSockit } from "./_helpers.ts";
import { Dnsmasq, hasDnsmasq } from "./_dns.ts";
import { parseTap } from "./_reports.ts";
import { freePort, hasNginx, makeTestPki, Nginx, SilentServer, TlsReplayServer } from "./_http.ts";
import { probe } from "../lib/probe/probe.ts";
import { parseTarget } from "../lib/probe/target.ts";
import { waitFor } from "../lib/probe/wait.ts";

const peers = hasNginx() && hasDnsmasq() && hasProgram("socat") && hasProgram("xmllint") &&
  hasProgram("openssl");

/** socat on a free port: a banner, then `+PONG` for each line read. */
async function startSocat(dir: string): Promise<{ port: number; stop(): Promise<void> }> {
  const port = freePort();
  const script = `${dir}/banner.sh`;
  await Deno.writeTextFile(
    script,
    "printf '+OK sockit test banner\\r\\n'\nwhile read -r line; do printf '+PONG\\r\\n'; done\n",
  );
  const child = new Deno.Command("socat", {
    args: [`TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`, `SYSTEM:sh ${script}`],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const ready = await waitFor([parseTarget(`127.0.0.1:${port}`)], { timeoutMs: 5000, probe });
  assert.ok(ready.ready, "socat did not start");
  return {
    port,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

/** xmllint's answer to an XPath count. */
async function xpathCount(file: string, xpath: string): Promise<number> {
  const out = await new Deno.Command("xmllint", { args: ["--xpath", `count(${xpath})`, file] })
    .output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return Number(new TextDecoder().decode(out.stdout).trim());
}

Deno.test({
  name:
    "check runs one spec over nginx, TLS, dnsmasq, socat, echo and a Unix socket, and names each failure in JUnit, TAP and JSON",
  ignore: !peers,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sockit-check-" });
    const longLived = await makeTestPki();
    const shortLived = await makeTestPki(["localhost", "127.0.0.1"], { days: 1 });
    const big = "all work and no play makes a gzip body\n".repeat(200);
    await using nginx = await Nginx.start({
      files: { "big.txt": big },
      locations: `
        gzip on; gzip_types text/plain application/json; gzip_min_length 1;
        location = /big.txt { default_type text/plain; }
        location = /health {
          default_type application/json;
          add_header X-Version 2.4.1;
          return 200 '{"status":"up","checks":[{"ok":true}],"version":"2.4.1","db":"up"}';
        }
        location = /old { return 301 /health; }
        location = /down { default_type application/json; return 503 '{"status":"down"}'; }`,
    });
    await using tls = new TlsReplayServer(
      shortLived,
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
    );
    await using dns = await Dnsmasq.start();
    const socat = await startSocat(dir);
    await using echo = await EchoServerProcess.start();
    await using silent = new SilentServer();
    const socketPath = `${dir}/app.sock`;
    const unix = Deno.listen({ transport: "unix", path: socketPath });
    const accepting = (async () => {
      for await (const conn of unix) conn.close();
    })().catch(() => {});
    try {
      const https = `https://localhost:${tls.port}/`;
      const spec = `version: 1
vars:
  WEB: ${nginx.url("")}
  DNS: ${dns.server}
checks:
  - name: nginx health
    http: { url: "\${WEB}/health" }
    expect:
      status: [200]
      headers: { content-type: "^application/json", x-version: "^2\\\\." }
      body_regex: '"db": *"up"'
      json: { /status: up, /checks/0/ok: true, /version: { regex: "^2\\\\." }, /trace: { exists: false } }
      time_under: 2s
    tags: [smoke]
  - name: nginx gzip
    http: { url: "\${WEB}/big.txt", compressed: true }
    expect: { headers: { content-encoding: gzip }, body_contains: "makes a gzip body" }
  - name: nginx redirect followed
    http: { url: "\${WEB}/old", follow_redirects: true, max_redirects: 2 }
    expect: { status: 200, json: { /status: up } }
  - name: nginx redirect itself
    http: { url: "\${WEB}/old", method: HEAD }
    expect: { status: [301], headers: { location: "/health$" } }
  - name: tls with the test CA
    http: { url: "${https}", cacert: ${shortLived.caCert} }
    expect: { status: 200, body_contains: ok, cert_valid_for: 12h }
  - name: dns answer
    dns: { name: a.example.test, server: "\${DNS}" }
    expect: { addresses: [192.0.2.1] }
  - name: dns nxdomain expected
    dns: { name: nope.example.test, type: A, server: "\${DNS}" }
    expect: { rcode: NXDOMAIN }
  - name: socat banner
    tcp: { host: 127.0.0.1, port: ${socat.port}, expect: "+OK" }
  - name: socat ping
    tcp: { host: 127.0.0.1, port: ${socat.port}, send: "PING\\r\\n", expect: "+PONG" }
  - name: sockit echo
    echo: { host: 127.0.0.1, port: ${echo.port}, payload: "hello, echo" }
  - name: unix socket
    unix: { path: ${socketPath} }
  - name: FAIL status
    http: { url: "\${WEB}/down" }
    retry: { attempts: 2, interval: 10ms }
  - name: FAIL json
    http: { url: "\${WEB}/health" }
    expect: { json: { /status: down, /checks/0/ok: false } }
  - name: FAIL header
    http: { url: "\${WEB}/health" }
    expect: { headers: { x-version: "^3\\\\." } }
  - name: FAIL cert expires in a day
    http: { url: "${https}", cacert: ${shortLived.caCert} }
    expect: { cert_valid_for: 14d }
  - name: ERROR unknown issuer
    http: { url: "${https}" }
  - name: FAIL dns rcode
    dns: { name: nope.example.test, server: "\${DNS}" }
  - name: FAIL banner
    tcp: { host: 127.0.0.1, port: ${socat.port}, expect: "SSH-2.0" }
    timeout: 500ms
  - name: ERROR refused
    tcp: { host: 127.0.0.1, port: ${closedPort()} }
  - name: ERROR timeout
    http: { url: "${silent.url("/")}" }
    timeout: 300ms
  - name: skipped by tag
    tcp: { host: 127.0.0.1, port: ${echo.port} }
    tags: [nightly]
`;
      const specPath = `${dir}/peers.yaml`;
      await Deno.writeTextFile(specPath, spec);
      const result = await runSockit([
        "check",
        specPath,
        "--name",
        "^(?!skipped)",
        "--report",
        `junit=${dir}/junit.xml`,
        "--report",
        `tap=${dir}/report.tap`,
        "--report",
        `json=${dir}/report.json`,
      ]);
      assert.equal(result.code, 1, result.out + result.err);
      const failing = [
        "FAIL status",
        "FAIL json",
        "FAIL header",
        "FAIL cert expires in a day",
        "FAIL dns rcode",
        "FAIL banner",
      ];
      const erroring = ["ERROR unknown issuer", "ERROR refused", "ERROR timeout"];
      const passing = spec.match(/^ {2}- name: (?!FAIL|ERROR|skipped)(.*)$/gm)!.length;
      assert.equal(passing, 11);

      // The terminal: one line per check in file order, the reasons below, then the counts.
      const lines = result.out.trimEnd().split("\n");
      const heads = lines.filter((l) => /^(ok|FAIL|skip) /.test(l));
      assert.deepEqual(
        heads.map((l) => l.slice(6).trim().split(/ {2,}/)[0]),
        [...spec.matchAll(/^ {2}- name: (.*)$/gm)].map((m) => m[1]),
      );
      assert.match(lines.at(-1)!, /^11 passed, 9 failed, 1 skipped in \d+\.\d+s$/);
      assert.match(result.out, /ok {4}nginx health +200 in /);
      assert.match(result.out, /ok {4}dns nxdomain expected +NXDOMAIN in /);
      assert.match(result.out, /ok {4}dns answer +192\.0\.2\.1 \(NOERROR\) in /);
      assert.match(
        result.out,
        /ok {4}socat ping +got "\+OK sockit test banner\\r\\n\+PONG\\r\\n" in /,
      );
      assert.match(result.out, /ok {4}tls with the test CA +200, certificate valid until \d{4}-/);
      assert.match(
        result.out,
        /FAIL {2}FAIL status.*\n +status 503, expected 2xx\n +\(2 attempts in /,
      );
      assert.match(result.out, /is not valid for 14d more: it expires in 2[0-3]h \d+m \(\d{4}-/);
      assert.match(result.out, /FAIL dns rcode.*\n +NXDOMAIN \(no such name\)/);
      assert.match(result.out, /could not run: .*certificate has an unknown issuer/);
      assert.match(result.out, /could not run: .*timed out after 300ms/);

      // JUnit: well-formed for a real XML parser, and the counts add up.
      const junit = `${dir}/junit.xml`;
      const lint = await new Deno.Command("xmllint", { args: ["--noout", junit] }).output();
      assert.ok(lint.success, new TextDecoder().decode(lint.stderr));
      assert.equal(await xpathCount(junit, "//testsuite"), 1);
      assert.equal(await xpathCount(junit, "//testcase"), 21);
      assert.equal(await xpathCount(junit, "//testcase/failure"), failing.length);
      assert.equal(await xpathCount(junit, "//testcase/error"), erroring.length);
      assert.equal(await xpathCount(junit, "//testcase/skipped"), 1);
      assert.equal(
        await xpathCount(junit, "//testsuite[@tests=21][@failures=6][@errors=3][@skipped=1]"),
        1,
      );
      assert.equal(await xpathCount(junit, '//testcase[@classname="peers"]'), 21);
      for (const name of failing) {
        assert.equal(
          await xpathCount(junit, `//testcase[@name="${name}"]/failure[@message]`),
          1,
          name,
        );
      }
      for (const name of erroring) {
        assert.equal(
          await xpathCount(junit, `//testcase[@name="${name}"]/error[@message]`),
          1,
          name,
        );
      }
      assert.equal(await xpathCount(junit, '//testcase[@name="FAIL status"]/system-out'), 1);

      // TAP: tap-parser reads it and counts the same.
      const tap = await parseTap(await Deno.readTextFile(`${dir}/report.tap`));
      assert.equal(tap.ok, false);
      assert.equal(tap.count, 21);
      assert.equal(tap.pass, 12); // TAP counts a skipped test point as ok
      assert.equal(tap.fail, 9);
      assert.equal(tap.skip, 1);
      assert.deepEqual(tap.failures.map((f) => f.name).sort(), [...failing, ...erroring].sort());
      const certFailure = tap.failures.find((f) => f.name === "FAIL cert expires in a day")!;
      assert.equal(certFailure.diag?.expected, "valid for 14d more");
      assert.match(String(certFailure.diag?.got), /^expires \d{4}-/);
      assert.equal(certFailure.diag?.attempts, 1);

      // JSON: the documented shape, the same outcome.
      const json = JSON.parse(await Deno.readTextFile(`${dir}/report.json`));
      assert.deepEqual(
        [json.passed, json.failed, json.skipped, json.errors],
        [11, 9, 1, 3],
      );
      assert.equal(typeof json.duration_ms, "number");
      for (const check of json.checks) {
        for (
          const key of [
            "name",
            "kind",
            "target",
            "ok",
            "attempts",
            "duration_ms",
            "error",
            "details",
          ]
        ) {
          assert.ok(key in check, `${check.name}: no ${key}`);
        }
      }
      const byName = new Map(json.checks.map((c: { name: string }) => [c.name, c]));
      for (const name of [...failing, ...erroring]) {
        const check = byName.get(name) as { ok: boolean; error: string };
        assert.equal(check.ok, false, name);
        assert.equal(typeof check.error, "string", name);
      }
      const health = byName.get("nginx health") as { details: { status: number } };
      assert.equal(health.details.status, 200);
      // The certificate read for cert_valid_for is named by its SHA-256, as openssl prints it.
      const fingerprint = await new Deno.Command("openssl", {
        args: ["x509", "-noout", "-fingerprint", "-sha256", "-in", shortLived.cert],
      }).output();
      const sha256 = new TextDecoder().decode(fingerprint.stdout).trim().split("=")[1];
      assert.match(sha256 ?? "", /^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/);
      const viaCa = byName.get("tls with the test CA") as { details: Record<string, unknown> };
      assert.equal(viaCa.details.cert_sha256, sha256);
      assert.equal(
        viaCa.details.cert_expires,
        (byName.get("FAIL cert expires in a day") as {
          details: Record<string, unknown>;
        }).details.cert_expires,
      );
    } finally {
      unix.close();
      await accepting;
      await socat.stop();
      await longLived.remove();
      await shortLived.remove();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
