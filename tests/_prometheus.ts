/**
 * Real Prometheus 2.x and blackbox_exporter for end-to-end tests: each starts on a free loopback
 * port with its configuration (and Prometheus' TSDB) in the test's temporary folder, counts as
 * ready once its own readiness endpoint answers 200, and is stopped by its own process id.
 *
 * @module
 */
import assert from "node:assert/strict";
import { sleep } from "../lib/net/timer.ts";
import { freePort } from "./_http.ts";

/** One series of an instant query's answer: its labels and its value at the query's time. */
export interface PromSample {
  /** The series' labels, `__name__` included when the expression keeps it. */
  metric: Record<string, string>;
  /** The value (`NaN`, `Infinity` and `-Infinity` as numbers). */
  value: number;
}

/** One scrape target as `/api/v1/targets` reports it. */
export interface ScrapeTarget {
  /** The target's labels after relabelling (`job`, `instance`...). */
  labels: Record<string, string>;
  /** The URL Prometheus scrapes, with its parameters. */
  scrapeUrl: string;
  /** `up`, `down` or `unknown` (not scraped yet). */
  health: string;
  /** Why the last scrape failed; empty when it did not. */
  lastError: string;
}

/** Options for {@linkcode startPrometheus} and {@linkcode startBlackboxExporter}. */
export interface DaemonOptions {
  /** The configuration file's text (YAML). */
  config: string;
  /** The test's temporary folder: the configuration and any data go there; left in place. */
  dir: string;
  /** Give up when it is not ready by then. @default {20000} */
  readyTimeoutMs?: number;
}

/** A Prometheus server started by {@linkcode startPrometheus}. */
export interface PrometheusServer extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Its port. */
  readonly port: number;
  /** Stops it (SIGTERM, then SIGKILL after 10 s) and waits for its exit; safe to call twice. */
  stop(): Promise<void>;
  /** An instant query (`/api/v1/query`); fails on a bad expression or an unexpected answer. */
  query(expr: string): Promise<PromSample[]>;
  /**
   * Repeats the query until `predicate` holds for its answer, and returns that answer; fails
   * after `timeoutMs` with the last answer and the scrape targets' health.
   */
  waitFor(
    expr: string,
    predicate: (samples: PromSample[]) => boolean,
    timeoutMs: number,
  ): Promise<PromSample[]>;
  /** The active scrape targets (`/api/v1/targets`). */
  targets(): Promise<ScrapeTarget[]>;
}

/** A blackbox_exporter started by {@linkcode startBlackboxExporter}. */
export interface BlackboxExporter extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** `127.0.0.1:PORT`: what relabelling puts in `__address__`. */
  readonly address: string;
  /** Its port. */
  readonly port: number;
  /** Stops it and waits for its exit; safe to call twice. */
  stop(): Promise<void>;
}

/** A Pushgateway started by {@linkcode startPushgateway}. */
export interface Pushgateway extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Its port. */
  readonly port: number;
  /** Stops it and waits for its exit; safe to call twice. */
  stop(): Promise<void>;
  /** The groups it holds, as `/api/v1/metrics` gives them. */
  groups(): Promise<PushedGroup[]>;
}

/** One group of a Pushgateway's `/api/v1/metrics`: its labels and its metric families. */
export interface PushedGroup {
  /** The grouping key (`job`, `vantage`...). */
  labels: Record<string, string>;
  /** The families pushed, by name, each with its samples' labels and values. */
  families: Map<string, Array<{ labels: Record<string, string>; value: string }>>;
}

/** How often a readiness endpoint or a query is asked again while waiting. */
const POLL_MS = 100;
/** Most bytes of a daemon's stderr kept for a failure's message (the last ones). */
const STDERR_KEPT = 64 * 1024;
/** How long one HTTP request to a daemon may take. */
const REQUEST_TIMEOUT_MS = 5000;
/** How long a daemon has to exit after SIGTERM before it gets SIGKILL. */
const STOP_GRACE_MS = 10_000;

/** Path of the first of `names` found on PATH, or undefined. */
function findProgram(names: string[]): string | undefined {
  for (const name of names) {
    const found = new Deno.Command("sh", {
      args: ["-c", 'command -v "$1"', "sh", name],
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    const path = new TextDecoder().decode(found.stdout).trim();
    if (found.success && path) return path;
  }
  return undefined;
}

const programs = new Map<string, string | undefined>();

/** A program by any of its names, cached; says so on stderr (once) when it is not installed. */
function program(what: string, names: string[]): string | undefined {
  if (!programs.has(what)) {
    const path = findProgram(names);
    if (!path) {
      // deno-lint-ignore no-console
      console.error(`note: ${what} is not installed; the tests that need it are skipped`);
    }
    programs.set(what, path);
  }
  return programs.get(what);
}

/** Whether Prometheus is installed; says so on stderr when it is not. */
export function hasPrometheus(): boolean {
  return program("prometheus", ["prometheus"]) !== undefined;
}

/** Whether the Pushgateway is installed (Debian's name or upstream's); says so when not. */
export function hasPushgateway(): boolean {
  return pushgatewayPath() !== undefined;
}

function pushgatewayPath(): string | undefined {
  return program("pushgateway", ["prometheus-pushgateway", "pushgateway"]);
}

/** Whether blackbox_exporter is installed (Debian's name or upstream's); says so when not. */
export function hasBlackboxExporter(): boolean {
  return blackboxPath() !== undefined;
}

function blackboxPath(): string | undefined {
  return program("blackbox_exporter", ["prometheus-blackbox-exporter", "blackbox_exporter"]);
}

/** A GET with a bounded time; the status and the body's text. */
async function get(url: string, timeoutMs = REQUEST_TIMEOUT_MS): Promise<[number, string]> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return [response.status, await response.text()];
}

/** A Go daemon of the Prometheus family on a free port, ready when `readyPath` answers 200. */
class Daemon {
  readonly #process: Deno.ChildProcess;
  readonly #stderr: Promise<void>;
  #stderrTail = "";
  #exit: Deno.CommandStatus | undefined;
  #stopping: Promise<void> | undefined;
  readonly name: string;
  readonly port: number;

  private constructor(name: string, path: string, args: string[], port: number) {
    this.name = name;
    this.port = port;
    this.#process = new Deno.Command(path, {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.#process.status.then((status) => this.#exit = status);
    this.#stderr = this.#process.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
      new WritableStream({
        write: (chunk) => {
          this.#stderrTail = (this.#stderrTail + chunk).slice(-STDERR_KEPT);
        },
      }),
    ).catch(() => {});
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** What it wrote on stderr lately. */
  get stderr(): string {
    return this.#stderrTail;
  }

  /**
   * Writes `options.config` to `DIR/CONFIG_NAME` (when the daemon takes one), starts `path` with it, `extraArgs` and a free
   * port on 127.0.0.1, and waits for `readyPath` to answer 200; a port taken between choosing
   * and binding it is worth another try, nothing else.
   */
  static async start(
    name: string,
    path: string | undefined,
    how: { configName: string | undefined; extraArgs: string[]; readyPath: string },
    options: Omit<DaemonOptions, "config"> & { config?: string },
  ): Promise<Daemon> {
    assert.ok(path, `${name} is not installed`);
    const configArgs: string[] = [];
    if (how.configName !== undefined) {
      const configFile = `${options.dir}/${how.configName}`;
      await Deno.writeTextFile(configFile, options.config ?? "");
      configArgs.push(`--config.file=${configFile}`);
    }
    let why = "";
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = freePort();
      const args = [
        ...configArgs,
        `--web.listen-address=127.0.0.1:${port}`,
        ...how.extraArgs,
      ];
      const daemon = new Daemon(name, path, args, port);
      why = await daemon.#waitReady(how.readyPath, options.readyTimeoutMs ?? 20_000);
      if (why === "") return daemon;
      await daemon.stop();
      if (!/address already in use/i.test(daemon.stderr)) break;
    }
    throw new Error(`${name} did not start: ${why}`);
  }

  /** Empty when ready; otherwise why not, with what it wrote on stderr. */
  async #waitReady(readyPath: string, timeoutMs: number): Promise<string> {
    const deadline = performance.now() + timeoutMs;
    let last = "no answer";
    while (this.#exit === undefined) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      try {
        const [status, body] = await get(this.url + readyPath, Math.min(left, REQUEST_TIMEOUT_MS));
        if (status === 200) return "";
        last = `${readyPath} answered ${status}: ${body.trim()}`;
      } catch (error) {
        last = `${readyPath}: ${(error as Error).message}`;
      }
      await sleep(Math.min(POLL_MS, Math.max(0, deadline - performance.now())));
    }
    // Its exit, when it exited, is the story; its stderr is complete once that is read.
    if (this.#exit !== undefined) {
      await this.#stderr;
      return `it exited with code ${this.#exit.code}:\n${this.stderr}`;
    }
    return `not ready after ${timeoutMs} ms (${last}):\n${this.stderr}`;
  }

  /** SIGTERM, SIGKILL after the grace period, then its exit and the end of its stderr. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      if (this.#exit === undefined) {
        try {
          this.#process.kill("SIGTERM");
        } catch {
          // It exited meanwhile.
        }
        const controller = new AbortController();
        const grace = sleep(STOP_GRACE_MS, controller.signal).then(() => {
          if (this.#exit !== undefined || controller.signal.aborted) return;
          try {
            this.#process.kill("SIGKILL");
          } catch {
            // It exited meanwhile.
          }
        });
        await this.#process.status;
        controller.abort();
        await grace;
      }
      await this.#process.status;
      await this.#stderr;
    })();
    return this.#stopping;
  }
}

/** A value of the query API (`"1"`, `"NaN"`, `"+Inf"`) as a number. */
function sampleValue(text: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  return Number(text);
}

/**
 * Starts Prometheus with `config` (written to `DIR/prometheus.yml`), its TSDB in
 * `DIR/prometheus-data`, listening on 127.0.0.1 on a free port; resolves once `/-/ready`
 * answers 200.
 */
export async function startPrometheus(options: DaemonOptions): Promise<PrometheusServer> {
  const daemon = await Daemon.start("prometheus", program("prometheus", ["prometheus"]), {
    configName: "prometheus.yml",
    extraArgs: [`--storage.tsdb.path=${options.dir}/prometheus-data`],
    readyPath: "/-/ready",
  }, options);

  async function api(pathAndQuery: string): Promise<unknown> {
    const [status, body] = await get(daemon.url + pathAndQuery);
    let answer: { status?: string; data?: unknown; error?: string };
    try {
      answer = JSON.parse(body);
    } catch {
      throw new Error(`prometheus answered ${pathAndQuery} with ${status}: ${body.slice(0, 200)}`);
    }
    if (status !== 200 || answer.status !== "success") {
      throw new Error(`prometheus refused ${pathAndQuery}: ${answer.error ?? status}`);
    }
    return answer.data;
  }

  async function query(expr: string): Promise<PromSample[]> {
    const data = await api(`/api/v1/query?query=${encodeURIComponent(expr)}`) as {
      resultType: string;
      result: unknown;
    };
    if (data.resultType === "scalar") {
      const [, value] = data.result as [number, string];
      return [{ metric: {}, value: sampleValue(value) }];
    }
    assert.equal(data.resultType, "vector", `${expr}: not an instant vector`);
    return (data.result as Array<{ metric: Record<string, string>; value: [number, string] }>)
      .map(({ metric, value }) => ({ metric, value: sampleValue(value[1]) }));
  }

  async function targets(): Promise<ScrapeTarget[]> {
    const data = await api("/api/v1/targets?state=active") as { activeTargets: ScrapeTarget[] };
    return data.activeTargets.map(({ labels, scrapeUrl, health, lastError }) => ({
      labels,
      scrapeUrl,
      health,
      lastError,
    }));
  }

  async function waitFor(
    expr: string,
    predicate: (samples: PromSample[]) => boolean,
    timeoutMs: number,
  ): Promise<PromSample[]> {
    const deadline = performance.now() + timeoutMs;
    let last: PromSample[] = [];
    while (true) {
      last = await query(expr);
      if (predicate(last)) return last;
      const left = deadline - performance.now();
      if (left <= 0) break;
      await sleep(Math.min(POLL_MS, left));
    }
    const health = (await targets().catch(() => [])).map((target) =>
      `${target.scrapeUrl}: ${target.health}${target.lastError ? ` (${target.lastError})` : ""}`
    );
    assert.fail(
      `${expr} did not come to hold within ${timeoutMs} ms; last answer: ${
        JSON.stringify(last)
      }; targets: ${health.join("; ") || "none"}`,
    );
  }

  return {
    url: daemon.url,
    port: daemon.port,
    stop: () => daemon.stop(),
    query,
    waitFor,
    targets,
    [Symbol.asyncDispose]: () => daemon.stop(),
  };
}

/**
 * Starts blackbox_exporter with `config` (its modules, written to `DIR/blackbox.yml`),
 * listening on 127.0.0.1 on a free port; resolves once `/-/healthy` answers 200.
 */
export async function startBlackboxExporter(options: DaemonOptions): Promise<BlackboxExporter> {
  const daemon = await Daemon.start("blackbox_exporter", blackboxPath(), {
    configName: "blackbox.yml",
    extraArgs: [],
    readyPath: "/-/healthy",
  }, options);
  return {
    url: daemon.url,
    address: `127.0.0.1:${daemon.port}`,
    port: daemon.port,
    stop: () => daemon.stop(),
    [Symbol.asyncDispose]: () => daemon.stop(),
  };
}

/**
 * Starts a Pushgateway listening on 127.0.0.1 on a free port, its persistence file in `DIR`;
 * resolves once `/-/ready` answers 200.
 */
export async function startPushgateway(
  options: Omit<DaemonOptions, "config">,
): Promise<Pushgateway> {
  const daemon = await Daemon.start("pushgateway", pushgatewayPath(), {
    configName: undefined,
    extraArgs: [`--persistence.file=${options.dir}/pushgateway.data`],
    readyPath: "/-/ready",
  }, options);

  async function groups(): Promise<PushedGroup[]> {
    const [status, body] = await get(`${daemon.url}/api/v1/metrics`);
    assert.equal(status, 200, `pushgateway answered /api/v1/metrics with ${status}: ${body}`);
    type Family = { metrics: Array<{ labels: Record<string, string>; value?: string }> };
    const answer = JSON.parse(body) as {
      data: Array<{ labels: Record<string, string> } & Record<string, unknown>>;
    };
    return answer.data.map((group) => {
      const families = new Map<string, Array<{ labels: Record<string, string>; value: string }>>();
      for (const [name, family] of Object.entries(group)) {
        if (name === "labels" || typeof family !== "object" || family === null) continue;
        const metrics = (family as Family).metrics;
        if (!Array.isArray(metrics)) continue;
        families.set(name, metrics.map((m) => ({ labels: m.labels, value: m.value ?? "" })));
      }
      return { labels: group.labels, families };
    });
  }

  return {
    url: daemon.url,
    port: daemon.port,
    stop: () => daemon.stop(),
    groups,
    [Symbol.asyncDispose]: () => daemon.stop(),
  };
}

/** The value of the one sample of a query's answer, when there is exactly one. */
export function only(samples: PromSample[]): number | undefined {
  return samples.length === 1 ? samples[0]!.value : undefined;
}
