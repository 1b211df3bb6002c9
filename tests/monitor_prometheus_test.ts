/**
 * A real Prometheus against sockit's monitor: it scrapes `check --every 1s --listen` and its API
 * returns `sockit_check_success` 1 for a healthy nginx check and 0 for a refused port, flipping
 * when nginx is stopped and started again; and it drives `/probe` through blackbox_exporter's
 * multi-target relabelling, with the module and target as URL parameters.
 */
import assert from "node:assert/strict";
import { closedPort } from "./_helpers.ts";
import { hasNginx, Nginx } from "./_http.ts";
import { MonitorProcess } from "./_monitor.ts";
import { hasPrometheus, only, startPrometheus } from "./_prometheus.ts";

const peers = hasPrometheus() && hasNginx();

Deno.test({
  name:
    "Prometheus scrapes a monitor: sockit_check_success is 1 for nginx, 0 for a refused port, and flips when nginx stops and starts",
  ignore: !peers,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sockit-monitor-prometheus-" });
    try {
      let nginx = await Nginx.start({ files: { "health": "ok\n" } });
      const port = nginx.port;
      const refused = closedPort();
      const spec = `${dir}/sockit.yaml`;
      await Deno.writeTextFile(
        spec,
        [
          "version: 1",
          "checks:",
          `  - { name: web, http: { url: "http://127.0.0.1:${port}/health" }, timeout: 500ms }`,
          `  - { name: db, tcp: { host: 127.0.0.1, port: ${refused} }, timeout: 500ms }`,
          "",
        ].join("\n"),
      );
      await using monitor = await MonitorProcess.start([spec], { every: "1s" });
      monitor.drain();
      await using prometheus = await startPrometheus({
        dir,
        config: `
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: sockit
    static_configs:
      - targets: ["127.0.0.1:${monitor.port}"]
`,
      });
      const success = (check: string) => `sockit_check_success{job="sockit",check="${check}"}`;
      await prometheus.waitFor(success("web"), (s) => only(s) === 1, 20_000);
      await prometheus.waitFor(success("db"), (s) => only(s) === 0, 20_000);
      const reason = await prometheus.query(
        `sockit_check_failure_info{check="db",reason="connect_refused"}`,
      );
      assert.equal(only(reason), 1);
      assert.equal(only(await prometheus.query(`sockit_http_status_code{check="web"}`)), 200);
      // No instance label of sockit's own: Prometheus' is the scrape target.
      const [sample] = await prometheus.query(success("web"));
      assert.equal(sample!.metric.instance, `127.0.0.1:${monitor.port}`);

      await nginx[Symbol.asyncDispose]();
      await prometheus.waitFor(success("web"), (s) => only(s) === 0, 20_000);
      nginx = await Nginx.start({ files: { "health": "ok\n" }, port });
      await prometheus.waitFor(success("web"), (s) => only(s) === 1, 20_000);
      await nginx[Symbol.asyncDispose]();

      const { code } = await monitor.stop("SIGTERM");
      assert.equal(code, 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "Prometheus drives /probe through blackbox_exporter's multi-target relabelling: a check of the spec as the module, any allowed target",
  ignore: !peers,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sockit-probe-prometheus-" });
    try {
      await using nginx = await Nginx.start({ files: { "index.html": "ok\n" } });
      const up = nginx.url("/");
      const refused = `http://127.0.0.1:${closedPort()}/`;
      const spec = `${dir}/sockit.yaml`;
      await Deno.writeTextFile(
        spec,
        [
          "version: 1",
          'targets_allowed: ["http://127\\\\.0\\\\.0\\\\.1:[0-9]+/"]',
          "checks:",
          `  - { name: http_2xx, http: { url: "${up}" }, timeout: 2s }`,
          "",
        ].join("\n"),
      );
      await using monitor = await MonitorProcess.start(["--vantage", "lab-1", spec], {
        every: "1m",
      });
      monitor.drain();
      await using prometheus = await startPrometheus({
        dir,
        config: `
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: sockit_probe
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
        replacement: 127.0.0.1:${monitor.port}
`,
      });
      // The monitor's vantage point is on /probe's series too, as on /metrics'.
      const success = (target: string) =>
        `probe_success{job="sockit_probe",instance="${target}",vantage="lab-1"}`;
      await prometheus.waitFor(success(up), (s) => only(s) === 1, 20_000);
      await prometheus.waitFor(success(refused), (s) => only(s) === 0, 20_000);
      assert.equal(only(await prometheus.query(`probe_http_status_code{instance="${up}"}`)), 200);
      const targets = await prometheus.targets();
      assert.deepEqual(targets.map((t) => t.health), ["up", "up"], JSON.stringify(targets));
      const { code } = await monitor.stop("SIGTERM");
      assert.equal(code, 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
