/** The HTTP probe against a scripted loopback server. */
import assert from "node:assert/strict";
import { startHttpResponder } from "../http/responder.ts";
import { parseHttpUrl } from "../http/url.ts";
import { probeHttp } from "./http.ts";

Deno.test("probeHttp() is ready on a 2xx status when told nothing else", async () => {
  await using server = startHttpResponder(["HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"]);
  const result = await probeHttp(parseHttpUrl(server.url("/health")), { timeoutMs: 2000 });
  assert.equal(result.ready, true);
  assert.ok(result.ready && result.detail === "status 200");
  assert.equal(result.facts?.url, server.url("/health"));
  assert.equal(result.facts?.redirects, 0);
});

Deno.test("probeHttp() is not ready on a 503, naming the status expected", async () => {
  await using server = startHttpResponder([
    "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n",
  ]);
  const result = await probeHttp(parseHttpUrl(server.url()), { timeoutMs: 2000 });
  assert.equal(result.ready, false);
  assert.equal(!result.ready && result.failures?.[0]?.expectation, "status");
  assert.equal(result.facts?.status, 503);
});

Deno.test("probeHttp() with a certificate expectation on plain http fails it: no certificate", async () => {
  await using server = startHttpResponder(["HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"]);
  const url = server.url();
  const result = await probeHttp(parseHttpUrl(url), { timeoutMs: 2000 }, {
    certValidForMs: 86_400_000,
  });
  assert.equal(result.ready, false);
  assert.ok(!result.ready);
  assert.equal(result.reason, `${url} is not https: there is no certificate to check`);
  assert.equal(result.facts?.cert_expires, null);
});

Deno.test("probeHttp() measuring adds the phases, the content length, tls and the IP version", async () => {
  await using server = startHttpResponder(["HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"]);
  const result = await probeHttp(parseHttpUrl(server.url()), { timeoutMs: 2000 }, {
    measure: true,
  });
  assert.equal(result.ready, true);
  const facts = result.facts ?? {};
  for (const phase of ["resolve", "connect", "tls", "processing", "transfer"]) {
    const ms = facts[`phase_${phase}_ms`];
    assert.ok(typeof ms === "number" && ms >= 0, `phase_${phase}_ms is ${ms}`);
  }
  assert.equal(facts.phase_tls_ms, 0);
  assert.deepEqual([facts.content_length, facts.tls, facts.http_version, facts.ip_protocol], [
    5,
    false,
    1.1,
    4,
  ]);
});

Deno.test("probeHttp() measuring a chunked body reports its content length as -1", async () => {
  await using server = startHttpResponder([
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
  ]);
  const result = await probeHttp(parseHttpUrl(server.url()), { timeoutMs: 2000 }, {
    measure: true,
  });
  assert.equal(result.facts?.content_length, -1);
});

Deno.test("probeHttp() adds no measured facts unless asked, and no certificate for plain http", async () => {
  await using server = startHttpResponder(["HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"]);
  const result = await probeHttp(parseHttpUrl(server.url()), { timeoutMs: 2000 }, {
    readCertificate: true,
  });
  assert.equal(result.ready, true);
  assert.deepEqual(Object.keys(result.facts ?? {}).sort(), [
    "redirects",
    "status",
    "time_ms",
    "url",
  ]);
});
