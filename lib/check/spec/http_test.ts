/** The http kind: URL, method, header fields, redirects, TLS trust, resolve and a Unix socket. */
import assert from "node:assert/strict";
import { loadSpec } from "../spec.ts";
import { options, problems } from "../_test_helpers.ts";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

Deno.test("an http check reads every key of its kind into the request it makes", async () => {
  const spec = await loadSpec(
    [
      "version: 1",
      "secrets: [PASS]",
      "checks:",
      "  - name: a",
      "    http:",
      "      url: https://me:${PASS}@a.test/health",
      "      method: HEAD",
      "      headers: { Accept: null, X-Id: 7 }",
      "      follow_redirects: true",
      "      max_redirects: 3",
      "      compressed: true",
      "      insecure: true",
      "      cacert: ca.pem",
      "      resolve: a.test:443:127.0.0.1",
      "  - { name: b, http: { url: 'http://b.test/', unix_socket: run/h.sock } }",
      "",
    ].join("\n"),
    options({
      env: () => "pw",
      userAgent: "ua",
      readFile: (path) => path === "/srv/checks/ca.pem" ? Promise.resolve(PEM) : Promise.reject(),
    }),
  );
  const [a, b] = spec.checks;
  assert.equal(a!.targetText, "HEAD https://a.test/health");
  assert.ok(a!.holdsSecret);
  assert.deepEqual(spec.secrets, ["pw", btoa("me:pw")]);
  const http = a!.probe.http!;
  assert.deepEqual(http.fields, [["User-Agent", "ua"], ["X-Id", "7"]]);
  assert.deepEqual(
    [http.method, http.follow, http.maxRedirects, http.compressed, http.insecure, http.caCerts],
    ["HEAD", true, 3, true, true, [PEM]],
  );
  assert.deepEqual([...http.resolve!], [["a.test:443", ["127.0.0.1"]]]);
  assert.equal(b!.probe.http!.unixSocket, "/srv/checks/run/h.sock");
  assert.deepEqual(b!.probe.http!.fields, [["User-Agent", "ua"], ["Accept", "*/*"]]);
  assert.ok(!b!.holdsSecret);
});

Deno.test("an http check's keys are checked, each problem at its value", async () => {
  const text = [
    "version: 1",
    "checks:",
    "  - name: a",
    "    http:",
    "      url: ftp://a.test/",
    "      method: POST",
    '      headers: { "bad name": x }',
    "      max_redirects: 3",
    "  - { name: b, http: { url: 'https://b.test/', unix_socket: /h.sock, headers: [x] } }",
    "  - { name: c, http: { url: 'https://c.test/', cacert: gone.pem } }",
    "  - { name: d, http: { url: 'https://d.test/', cacert: locked.pem } }",
    "",
  ].join("\n");
  const readFile = (path: string) =>
    Promise.reject(
      path.endsWith("gone.pem")
        ? new Deno.errors.NotFound(`No such file: ${path}`)
        : new Deno.errors.PermissionDenied(`Permission denied (os error 13): open '${path}'`),
    );
  assert.deepEqual(await problems(text, { readFile }), [
    '5:12: unsupported URL scheme "ftp" in "ftp://a.test/": use http or https',
    '6:15: "method" must be GET or HEAD, not "POST"',
    '7:18: invalid header name "bad name" is not a token',
    '8:7: "max_redirects" needs "follow_redirects: true"',
    '9:48: "unix_socket" works with http URLs only',
    '9:79: "headers" must be a mapping of names to values, not a list',
    '10:56: cannot read cacert "/srv/checks/gone.pem": no such file',
    '11:56: cannot read cacert "/srv/checks/locked.pem": permission denied',
  ]);
});
