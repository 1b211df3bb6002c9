/**
 * Failure reasons: proven on what the probes really raise against real peers on loopback (a
 * refused port, a silent server, a DNS responder's NXDOMAIN, SERVFAIL and silence, TLS servers
 * with a self-signed, an expired and a wrong-name certificate), and on the table itself.
 */
import assert from "node:assert/strict";
import { runChecks } from "../check/runner.ts";
import type { CheckResult } from "../check/runner.ts";
import { loadSpec } from "../check/spec.ts";
import { startResponder } from "../dns/responder.ts";
import { encodeMessage, Rcode } from "../dns/wire.ts";
import type { ErrorKind } from "../net/errors.ts";
import {
  addServerCert,
  makeSelfSigned,
  makeTestPki,
  ReplayServer,
  SilentServer,
} from "../../tests/_http.ts";
import type { TestPki } from "../../tests/_http.ts";
import { hasProgram } from "../../tests/_helpers.ts";
import { FAILURE_REASONS, failureReason } from "./reason.ts";

/** Runs the one check of `checkYaml` (a list item) and returns its result. */
async function runOne(checkYaml: string): Promise<CheckResult> {
  const spec = await loadSpec(`version: 1\nchecks:\n  - ${checkYaml}\n`, {
    file: "s.yaml",
    baseDir: ".",
    env: () => undefined,
  });
  const [result] = await runChecks([{ check: spec.checks[0]! }]);
  return result!;
}

/** A port nothing listens on. */
function refusedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

Deno.test("a passing check has no failure reason", async () => {
  await using server = new ReplayServer(["HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"]);
  const result = await runOne(`{ name: a, http: { url: "${server.url()}" } }`);
  assert.equal(result.status, "passed");
  assert.equal(failureReason(result), undefined);
});

Deno.test("a refused port is connect_refused, for tcp, http and echo checks", async () => {
  const port = refusedPort();
  for (
    const check of [
      `{ name: a, tcp: { host: 127.0.0.1, port: ${port} } }`,
      `{ name: a, http: { url: "http://127.0.0.1:${port}/" } }`,
      `{ name: a, echo: { host: 127.0.0.1, port: ${port} } }`,
    ]
  ) {
    const result = await runOne(check);
    assert.equal(failureReason(result), "connect_refused", `${check}: ${result.message}`);
  }
});

Deno.test("a silent server is timeout for http and echo, expect_mismatch for tcp expecting bytes", async () => {
  await using silent = new SilentServer();
  const cases: Array<[string, string]> = [
    [`{ name: a, http: { url: "${silent.url()}" }, timeout: 200ms }`, "timeout"],
    [`{ name: a, echo: { host: 127.0.0.1, port: ${silent.port} }, timeout: 200ms }`, "timeout"],
    [
      `{ name: a, tcp: { host: 127.0.0.1, port: ${silent.port}, expect: "SSH-" }, timeout: 200ms }`,
      "expect_mismatch",
    ],
  ];
  for (const [check, reason] of cases) {
    const result = await runOne(check);
    assert.equal(failureReason(result), reason, `${check}: ${result.message}`);
  }
});

Deno.test("HTTP answers that break expectations are named by the first expectation that broke", async () => {
  await using server = new ReplayServer([
    "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\ndown",
    "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndown",
    "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndown",
    'HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n{"status":"no"}',
  ]);
  const url = server.url();
  const cases: Array<[string, string]> = [
    [`{ name: a, http: { url: "${url}" }, expect: { body_contains: up } }`, "status_mismatch"],
    [`{ name: a, http: { url: "${url}" }, expect: { body_contains: up } }`, "body_mismatch"],
    [`{ name: a, http: { url: "${url}" }, expect: { headers: { x-up: "1" } } }`, "header_mismatch"],
    [`{ name: a, http: { url: "${url}" }, expect: { json: { /status: up } } }`, "json_mismatch"],
  ];
  for (const [check, reason] of cases) {
    const result = await runOne(check);
    assert.equal(failureReason(result), reason, `${check}: ${result.message}`);
  }
});

Deno.test("DNS replies: NXDOMAIN, SERVFAIL and no answer when the spec wants records; a wrong RCODE when it asks for one", async () => {
  await using responder = await startResponder((query) => {
    const name = query.questions[0]?.name ?? "";
    if (name.startsWith("silent.")) return null;
    const rcode = name.startsWith("broken.") ? Rcode.SERVFAIL : Rcode.NXDOMAIN;
    return encodeMessage({
      id: query.id,
      questions: query.questions,
      flags: { qr: true, rcode },
    });
  });
  const server = `127.0.0.1:${responder.server.port}`;
  const cases: Array<[string, string]> = [
    [`{ name: a, dns: { name: nope.example.test, type: A, server: "${server}" } }`, "dns_nxdomain"],
    [
      `{ name: a, dns: { name: broken.example.test, type: A, server: "${server}" } }`,
      "dns_servfail",
    ],
    [
      `{ name: a, dns: { name: silent.example.test, type: A, server: "${server}" }, timeout: 200ms }`,
      "dns_timeout",
    ],
    [
      `{ name: a, dns: { name: nope.example.test, type: A, server: "${server}" }, expect: { rcode: NOERROR } }`,
      "rcode_mismatch",
    ],
  ];
  for (const [check, reason] of cases) {
    const result = await runOne(check);
    assert.equal(failureReason(result), reason, `${check}: ${result.message}`);
  }
});

/** Serves `pki`'s certificate over TLS, answering every request 200; stops when disposed. */
function serveTls(pki: Pick<TestPki, "cert" | "key">): { port: number } & AsyncDisposable {
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: Deno.readTextFileSync(pki.cert),
    key: Deno.readTextFileSync(pki.key),
  });
  const tasks = new Set<Promise<void>>();
  const accepting = (async () => {
    for await (const conn of listener) {
      const task = (async () => {
        try {
          await conn.handshake();
          const buf = new Uint8Array(16 * 1024);
          let seen = "";
          while (!seen.includes("\r\n\r\n")) {
            const n = await conn.read(buf);
            if (n === null) return;
            seen += new TextDecoder().decode(buf.subarray(0, n));
          }
          await conn.write(
            new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
          );
        } catch {
          // the client refused the certificate
        } finally {
          conn.close();
        }
      })();
      tasks.add(task);
      task.finally(() => tasks.delete(task));
    }
  })().catch(() => {});
  return {
    port: listener.addr.port,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
      await Promise.all([...tasks]);
    },
  };
}

const haveOpenssl = hasProgram("openssl");
if (!haveOpenssl) {
  // deno-lint-ignore no-console
  console.warn("openssl is not installed: the certificate reasons' test is ignored");
}

Deno.test({
  name:
    "certificates: self-signed is tls_untrusted, expired tls_expired, another name's tls_hostname, short-lived cert_expiring",
  ignore: !haveOpenssl,
  fn: async () => {
    const pki = await makeTestPki();
    const self = await makeSelfSigned();
    try {
      const expired = await addServerCert(pki, "expired", { days: -1 });
      const other = await addServerCert(pki, "other", { names: ["other.example.test"] });
      await using good = serveTls(pki);
      await using selfServer = serveTls(self);
      await using expiredServer = serveTls(expired);
      await using otherServer = serveTls(other);
      const https = (port: number) => `"https://127.0.0.1:${port}/", cacert: "${pki.caCert}"`;
      const cases: Array<[string, string]> = [
        [`{ name: a, http: { url: "https://127.0.0.1:${selfServer.port}/" } }`, "tls_untrusted"],
        [`{ name: a, http: { url: ${https(expiredServer.port)} } }`, "tls_expired"],
        [`{ name: a, http: { url: ${https(otherServer.port)} } }`, "tls_hostname"],
        [
          `{ name: a, http: { url: ${https(good.port)} }, expect: { cert_valid_for: 14d } }`,
          "cert_expiring",
        ],
      ];
      for (const [check, reason] of cases) {
        const result = await runOne(check);
        assert.equal(failureReason(result), reason, `${check}: ${result.message}`);
      }
    } finally {
      await pki.remove();
      await self.remove();
    }
  },
});

/** A result that ended with an error of `kind` (and the system's `code`), for the table. */
function errored(
  kind: ErrorKind | undefined,
  options: { code?: string; type?: string; checkKind?: "http" | "tcp" | "dns" } = {},
): CheckResult {
  return {
    check: { kind: options.checkKind ?? "http", probe: {} } as CheckResult["check"],
    status: "error",
    attempts: [],
    startedAt: new Date(0),
    durationMs: 1,
    message: "made by hand",
    failures: [],
    errorType: options.type ?? "SockitError",
    errorKind: kind,
    errorCode: options.code,
    facts: {},
  };
}

Deno.test("error kinds that cannot be made cheaply on loopback map as the module's table says", () => {
  const cases: Array<[CheckResult, string]> = [
    [errored("name-not-found"), "dns_nxdomain"],
    [errored("no-addresses"), "dns_nodata"],
    [errored("temporary-failure"), "dns_servfail"],
    [errored("connect", { code: "ENETUNREACH" }), "connect_unreachable"],
    [errored("connect", { code: "EHOSTUNREACH" }), "connect_unreachable"],
    [errored("connect", { code: "ETIMEDOUT" }), "connect_timeout"],
    [errored("connect", { code: "ENOENT" }), "connect_refused"],
    [errored("connect"), "other"],
    [errored("deadline", { checkKind: "tcp" }), "connect_timeout"],
    [errored("deadline", { checkKind: "dns" }), "dns_timeout"],
    [errored("read-timeout"), "timeout"],
    [errored("connection-lost"), "connection_lost"],
    [errored("not-yet-valid"), "tls_expired"],
    [errored("not-tls"), "tls_handshake"],
    [errored("max-body"), "limit_exceeded"],
    [errored(undefined, { type: "ProtocolError" }), "protocol_error"],
    [errored(undefined, { type: "InterruptedError" }), "other"],
    [errored("key-mismatch"), "other"],
  ];
  for (const [result, reason] of cases) {
    assert.equal(failureReason(result), reason, `${result.errorKind} ${result.errorCode}`);
  }
});

Deno.test("every reason is a label value of the fixed set, lower-case words", () => {
  assert.equal(new Set(FAILURE_REASONS).size, FAILURE_REASONS.length);
  for (const reason of FAILURE_REASONS) assert.match(reason, /^[a-z]+(_[a-z]+)*$/);
});
