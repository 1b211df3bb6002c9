/**
 * sockit's `/probe` beside the real blackbox_exporter: both probe the same targets (nginx's 200,
 * 404 and 301, a refused port, a server that never answers, an expired and a self-signed
 * certificate, a name that cannot resolve, a TCP banner, an IPv6 literal, and a certificate
 * that verifies), with the same scrape timeout header, and must agree on `probe_success` and
 * `probe_http_status_code`. Each sockit answer is also clean for `promtool check metrics`, and
 * names only families blackbox_exporter has for the same target.
 *
 * The decisions that make a spec say what blackbox_exporter does by default, listed in
 * {@linkcode DECISIONS}, are the only differences.
 */
import assert from "node:assert/strict";
import {
  BlackboxExporter,
  familyNames,
  hasBlackboxExporter,
  parseSamples,
  promtoolCheckMetrics,
} from "./_blackbox.ts";
import { closedPort, hasProgram } from "./_helpers.ts";
import {
  addServerCert,
  freePort,
  hasNginx,
  makeSelfSigned,
  makeTestPki,
  Nginx,
  SilentServer,
  TlsReplayServer,
} from "./_http.ts";
import { loadSpec } from "../lib/check/spec.ts";
import { handleProbe } from "../lib/monitor/probe_endpoint.ts";

/**
 * Where sockit's spec must say what blackbox_exporter does unasked, and what sockit leaves out;
 * the README's list.
 */
const DECISIONS = [
  "redirects: blackbox_exporter follows them by default; a sockit http check follows only with " +
  "follow_redirects: true, so the module for the 301 says so",
  "trusted CAs: both trust the system's roots; the test CA is given to both (tls_config.ca_file, " +
  "cacert)",
  "timeout: both take the scrape timeout header less 0.5 s; sockit bounds it by the check's own " +
  "timeout (5 s by default) where blackbox_exporter's module without a timeout has none",
  "families: sockit adds probe_timeout_seconds (blackbox_exporter's since 2026) and leaves out " +
  "probe_ip_addr_hash, probe_http_uncompressed_body_length, probe_ssl_last_chain_*, " +
  "probe_tls_version_info",
];

const BANNER = "SSH-2.0-sockit-test\r\n";
const SCRAPE_TIMEOUT_SECONDS = 1.5;

const blackbox = hasBlackboxExporter();
if (!blackbox) {
  // deno-lint-ignore no-console
  console.error("note: blackbox_exporter is not installed; the comparison with it is skipped");
}
const peers = blackbox && hasNginx() && hasProgram("openssl");
const promtool = hasProgram("promtool");
const OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/** A TCP server that sends a banner to each connection, then closes it. */
function startBanner(): { port: number } & AsyncDisposable {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    for await (const conn of listener) {
      await conn.write(new TextEncoder().encode(BANNER)).catch(() => 0);
      conn.close();
    }
  })().catch(() => {});
  return {
    port: listener.addr.port,
    async [Symbol.asyncDispose]() {
      listener.close();
      await serving;
    },
  };
}

interface Case {
  /** The check's name in sockit's spec: the module. */
  name: string;
  /** blackbox_exporter's module. */
  module: string;
  /** The target, for both. */
  target: string;
  /** The check's kind and keys in the spec (the target put in). */
  spec: string;
  /** What both must say: probe_success and probe_http_status_code (undefined: no such series). */
  expected: [success: number, status: number | undefined];
}

Deno.test({
  name:
    "blackbox_exporter and sockit's /probe agree on probe_success and the status on ten targets",
  ignore: !peers,
  async fn(t) {
    const v6Port = freePort();
    await using nginx = await Nginx.start({
      files: { "index.html": "hello\n" },
      locations: `listen [::1]:${v6Port};\n    location = /old { return 301 /index.html; }`,
    });
    await using silent = new SilentServer();
    await using banner = startBanner();
    const pki = await makeTestPki();
    const self = await makeSelfSigned();
    try {
      const expired = await addServerCert(pki, "expired", { days: -1 });
      await using good = new TlsReplayServer(pki, OK);
      await using stale = new TlsReplayServer({ ...pki, ...expired }, OK);
      await using selfSigned = new TlsReplayServer(self, OK);
      const refused = closedPort();
      const withCa = `, cacert: "${pki.caCert}"`;
      /** An http case: the same URL for both, the spec's check with `extra` keys. */
      const http = (
        name: string,
        module: string,
        url: string,
        expected: Case["expected"],
        extra = "",
      ): Case => ({ name, module, target: url, spec: `http: { url: "${url}"${extra} }`, expected });
      const cases: Case[] = [
        http("ok", "http_2xx", nginx.url("/"), [1, 200]),
        http("not_found", "http_2xx", nginx.url("/missing"), [0, 404]),
        http("moved", "http_2xx", nginx.url("/old"), [1, 200], ", follow_redirects: true"),
        http("refused", "http_2xx", `http://127.0.0.1:${refused}/`, [0, 0]),
        http("silent", "http_2xx", silent.url("/"), [0, 0]),
        http("expired", "http_ca", `https://127.0.0.1:${stale.port}/`, [0, 0], withCa),
        http("self_signed", "http_2xx", `https://127.0.0.1:${selfSigned.port}/`, [0, 0]),
        http("nxdomain", "http_2xx", "http://sockit-test.invalid/", [0, 0]),
        {
          name: "banner",
          module: "tcp_banner",
          target: `127.0.0.1:${banner.port}`,
          spec: `tcp: { host: 127.0.0.1, port: ${banner.port}, expect: "SSH-2.0-" }`,
          expected: [1, undefined],
        },
        http("ipv6", "http_2xx", `http://[::1]:${v6Port}/`, [1, 200]),
        http("tls_ok", "http_ca", `https://127.0.0.1:${good.port}/`, [1, 200], withCa),
      ];
      const spec = await loadSpec(
        `version: 1\nchecks:\n${cases.map((c) => `  - { name: ${c.name}, ${c.spec} }\n`).join("")}`,
        { file: "probe.yaml", baseDir: ".", env: () => undefined },
      );
      await using exporter = await BlackboxExporter.start(
        [
          "modules:",
          "  http_2xx:",
          "    prober: http",
          "  http_ca:",
          "    prober: http",
          "    http:",
          "      tls_config:",
          `        ca_file: ${pki.caCert}`,
          "  tcp_banner:",
          "    prober: tcp",
          "    tcp:",
          "      query_response:",
          '        - expect: "^SSH-2.0-"',
          "",
        ].join("\n"),
      );
      for (const c of cases) {
        await t.step(`${c.name}: ${c.target}`, async () => {
          const theirs = await exporter.probe(c.module, c.target, {
            scrapeTimeoutSeconds: SCRAPE_TIMEOUT_SECONDS,
          });
          const ours = await handleProbe([spec], {
            module: c.name,
            target: c.target,
            debug: false,
            scrapeTimeoutHeader: String(SCRAPE_TIMEOUT_SECONDS),
          }, { anyTarget: false });
          assert.equal(theirs.status, 200, theirs.body);
          assert.equal(ours.status, 200, ours.body);
          const samples = parseSamples(ours.body);
          const pair = (from: Map<string, number>) => [
            from.get("probe_success"),
            from.get("probe_http_status_code"),
          ];
          assert.deepEqual(pair(samples), pair(theirs.samples), `sockit:\n${ours.body}`);
          assert.deepEqual(pair(samples), c.expected);
          const theirFamilies = new Set([...familyNames(theirs.body), "probe_timeout_seconds"]);
          const extra = familyNames(ours.body).filter((name) => !theirFamilies.has(name));
          assert.deepEqual(extra, [], "families blackbox_exporter does not have here");
          assert.equal(samples.get("probe_timeout_seconds"), SCRAPE_TIMEOUT_SECONDS - 0.5);
          if (c.name === "tls_ok" || c.name === "ok") {
            assert.equal(samples.get("probe_http_ssl"), theirs.samples.get("probe_http_ssl"));
          }
          if (c.name === "tls_ok") {
            // blackbox_exporter reads the certificates the server sent (the leaf); sockit the
            // verified chain, whose CA was made a moment before the leaf: the same to a minute.
            const ourExpiry = samples.get("probe_ssl_earliest_cert_expiry")!;
            const theirExpiry = theirs.samples.get("probe_ssl_earliest_cert_expiry")!;
            assert.ok(Math.abs(ourExpiry - theirExpiry) < 60, `${ourExpiry} vs ${theirExpiry}`);
          }
          if (c.name === "ipv6" || c.name === "ok") {
            assert.equal(samples.get("probe_ip_protocol"), theirs.samples.get("probe_ip_protocol"));
          }
          if (promtool) assert.equal(await promtoolCheckMetrics(ours.body), "");
        });
      }
      assert.ok(DECISIONS.length > 0);
    } finally {
      await pki.remove();
      await self.remove();
    }
  },
});
