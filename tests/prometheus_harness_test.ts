/**
 * The Prometheus harness of the end-to-end tests (tests/_prometheus.ts) against real programs:
 * Prometheus scrapes blackbox_exporter through the multi-target relabelling of
 * blackbox_exporter's README, and its query API gives each probed target's result.
 */
import assert from "node:assert/strict";
import { closedPort } from "./_helpers.ts";
import { hasNginx, Nginx } from "./_http.ts";
import {
  hasBlackboxExporter,
  hasPrometheus,
  only,
  startBlackboxExporter,
  startPrometheus,
} from "./_prometheus.ts";

const peers = hasPrometheus() && hasBlackboxExporter() && hasNginx();

Deno.test({
  name:
    "Prometheus scrapes blackbox_exporter through multi-target relabelling and reports probe_success 1 for nginx and 0 for a refused port",
  ignore: !peers,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sockit-prometheus-" });
    try {
      await using nginx = await Nginx.start({ files: { "index.html": "ok\n" } });
      await using blackbox = await startBlackboxExporter({
        dir,
        config: `
modules:
  http_2xx:
    prober: http
    timeout: 2s
`,
      });
      const up = nginx.url("/");
      const refused = `http://127.0.0.1:${closedPort()}/`;
      await using prometheus = await startPrometheus({
        dir,
        config: `
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: blackbox
    metrics_path: /probe
    params:
      module: [http_2xx]
    static_configs:
      - targets: ["${up}", "${refused}"]
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: ${blackbox.address}
`,
      });
      const success = (target: string) => `probe_success{job="blackbox",instance="${target}"}`;
      await prometheus.waitFor(success(up), (s) => only(s) === 1, 15_000);
      await prometheus.waitFor(success(refused), (s) => only(s) === 0, 15_000);
      assert.equal(only(await prometheus.query(`probe_http_status_code{instance="${up}"}`)), 200);
      // The scrape itself succeeded for both: a failed probe is data, not a failed scrape.
      const targets = await prometheus.targets();
      assert.deepEqual(
        targets.map((t) => [t.labels.instance, t.health]).sort(),
        [
          [refused, "up"],
          [up, "up"],
        ].sort(),
      );
      for (const target of targets) {
        const url = new URL(target.scrapeUrl);
        assert.equal(url.host, blackbox.address);
        assert.equal(url.pathname, "/probe");
        assert.equal(url.searchParams.get("module"), "http_2xx");
        assert.equal(url.searchParams.get("target"), target.labels.instance);
      }
      const requests = await nginx.accessLog();
      assert.ok(requests.length > 0, "blackbox_exporter never reached nginx");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "startPrometheus() says why Prometheus did not start when its configuration is invalid",
  ignore: !hasPrometheus(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sockit-prometheus-" });
    try {
      await assert.rejects(
        startPrometheus({ dir, config: "scrape_configs:\n  - job_nam: typo\n" }),
        /prometheus did not start: it exited with code \d+:[\s\S]*job_nam/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
