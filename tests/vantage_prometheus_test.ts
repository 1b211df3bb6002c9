/**
 * One spec from three vantage points on loopback: monitors `a`, `b` and `c` run it, `c` asking a
 * second dnsmasq that gives a wrong address, so one check fails from `c` alone. A real Prometheus
 * scrapes all three with the shipped rules loaded: its API shows the check failing from `c` only,
 * and the "some vantage points" alert fires for it, naming `c`. The three one-shot JSON reports
 * of the same spec, merged, name that check as the one that differs, with what `c` saw.
 */
import assert from "node:assert/strict";
import { runSockit } from "./_helpers.ts";
import { Dnsmasq, hasDnsmasq } from "./_dns.ts";
import { MonitorProcess } from "./_monitor.ts";
import { hasPrometheus, type PromSample, startPrometheus } from "./_prometheus.ts";

const peers = hasPrometheus() && hasDnsmasq();

/** The shipped rules with every `for:` set to 0s: the test cannot wait five minutes. */
async function rulesWithoutWaiting(dir: string): Promise<string> {
  const rules = await Deno.readTextFile(
    new URL("../deploy/prometheus/sockit-rules.yml", import.meta.url),
  );
  const path = `${dir}/sockit-rules.yml`;
  await Deno.writeTextFile(path, rules.replace(/^(\s+)for: \S+$/gm, "$1for: 0s"));
  return path;
}

function byVantage(samples: PromSample[]): Record<string, number> {
  return Object.fromEntries(samples.map((s) => [s.metric.vantage!, s.value]));
}

Deno.test({
  name:
    "three vantage points, one resolver wrong: Prometheus sees the check fail from c alone and the some-vantage-points alert names c",
  ignore: !peers,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sockit-vantage-" });
    try {
      await using good = await Dnsmasq.start({ hosts: ["192.0.2.10 api.example.test"] });
      await using wrong = await Dnsmasq.start({ hosts: ["198.51.100.66 api.example.test"] });
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const accepting = (async () => {
        for await (const conn of listener) conn.close();
      })().catch(() => {});
      const spec = `${dir}/sockit.yaml`;
      await Deno.writeTextFile(
        spec,
        [
          "version: 1",
          "checks:",
          "  - name: api name",
          '    dns: { name: api.example.test, type: A, server: "${DNS}" }',
          "    expect: { addresses: [192.0.2.10] }",
          `  - { name: db port, tcp: { host: 127.0.0.1, port: ${listener.addr.port} } }`,
          "",
        ].join("\n"),
      );
      const start = (vantage: string, dns: Dnsmasq) =>
        MonitorProcess.start(["--vantage", vantage, "--var", `DNS=${dns.server}`, spec], {
          every: "500ms",
        });
      await using a = await start("a", good);
      await using b = await start("b", good);
      await using c = await start("c", wrong);
      for (const monitor of [a, b, c]) monitor.drain();
      const rules = await rulesWithoutWaiting(dir);
      await using prometheus = await startPrometheus({
        dir,
        config: `
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: ["${rules}"]
scrape_configs:
  - job_name: sockit
    static_configs:
      - targets: ["127.0.0.1:${a.port}", "127.0.0.1:${b.port}", "127.0.0.1:${c.port}"]
`,
      });
      const api = await prometheus.waitFor(
        'sockit_check_success{check="api name"}',
        (s) => s.length === 3,
        20_000,
      );
      assert.deepEqual(byVantage(api), { a: 1, b: 1, c: 0 });
      const db = await prometheus.waitFor(
        'sockit_check_success{check="db port"}',
        (s) => s.length === 3,
        20_000,
      );
      assert.deepEqual(byVantage(db), { a: 1, b: 1, c: 1 });
      await prometheus.waitFor(
        'ALERTS{alertname="SockitCheckFailingSomewhere",alertstate="firing",check="api name"}',
        (s) => s.length === 1,
        20_000,
      );
      const everywhere = await prometheus.query('ALERTS{alertname="SockitCheckFailingEverywhere"}');
      assert.deepEqual(everywhere, []);
      const alerts = await (await fetch(`${prometheus.url}/api/v1/alerts`)).json();
      const some = alerts.data.alerts.find((x: { labels: Record<string, string> }) =>
        x.labels.alertname === "SockitCheckFailingSomewhere"
      );
      assert.equal(some.annotations.failing_vantages, "c");
      assert.equal(some.labels.check, "api name");
      for (const monitor of [a, b, c]) assert.equal((await monitor.stop("SIGTERM")).code, 0);

      // The same spec once from each place, and the three JSON reports merged.
      const reports: string[] = [];
      for (const [vantage, dns] of [["a", good], ["b", good], ["c", wrong]] as const) {
        const report = `${dir}/${vantage}.json`;
        const run = await runSockit([
          "check",
          "--vantage",
          vantage,
          "--var",
          `DNS=${dns.server}`,
          "--report",
          `json=${report}`,
          spec,
        ]);
        assert.equal(run.code, vantage === "c" ? 1 : 0, run.err);
        reports.push(report);
      }
      const merged = await runSockit(["check", "merge", ...reports]);
      assert.equal(merged.code, 1, merged.err);
      const differs = merged.out.slice(merged.out.indexOf("Differs between vantage points:"));
      assert.ok(differs.length > 0 && merged.out.includes("Differs between"), merged.out);
      assert.match(differs, /api name/);
      assert.doesNotMatch(differs, /db port/);
      assert.match(differs, /198\.51\.100\.66/);
      const json = await runSockit(["check", "merge", "--json", ...reports]);
      const differing = JSON.parse(json.out).checks.filter((x: { differs: boolean }) => x.differs);
      assert.deepEqual(differing.map((x: { name: string }) => x.name), ["api name"]);
      listener.close();
      await accepting;
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
