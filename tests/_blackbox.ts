/**
 * A real blackbox_exporter (Debian's `prometheus-blackbox-exporter`) on loopback, for tests
 * that compare sockit's `/probe` with it, and what reads its answers.
 *
 * @module
 */
import { type BlackboxExporter as StartedBlackbox, startBlackboxExporter } from "./_prometheus.ts";

export { hasBlackboxExporter } from "./_prometheus.ts";
import { promtoolCheck } from "../lib/metrics/_promtool.ts";

/** One `/probe` answer: the HTTP status, the body, and its samples by `name{labels}`. */
export interface BlackboxAnswer {
  status: number;
  body: string;
  samples: Map<string, number>;
}

/** blackbox_exporter on a free loopback port (started by tests/_prometheus.ts), for `/probe`. */
export class BlackboxExporter implements AsyncDisposable {
  readonly #daemon: StartedBlackbox;
  readonly #dir: string;
  /** Its port. */
  readonly port: number;

  private constructor(daemon: StartedBlackbox, dir: string) {
    this.#daemon = daemon;
    this.#dir = dir;
    this.port = daemon.port;
  }

  /** Starts it with `config` (the YAML of its `modules:`) in a folder of its own. */
  static async start(config: string): Promise<BlackboxExporter> {
    const dir = await Deno.makeTempDir({ prefix: "sockit-blackbox-" });
    try {
      return new BlackboxExporter(await startBlackboxExporter({ config, dir }), dir);
    } catch (error) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      throw error;
    }
  }

  /** Asks `/probe` for `module` and `target`, with the scrape timeout header when given. */
  async probe(
    module: string,
    target: string,
    options: { scrapeTimeoutSeconds?: number } = {},
  ): Promise<BlackboxAnswer> {
    const query = new URLSearchParams({ module, target });
    const headers: Record<string, string> = {};
    if (options.scrapeTimeoutSeconds !== undefined) {
      headers["X-Prometheus-Scrape-Timeout-Seconds"] = String(options.scrapeTimeoutSeconds);
    }
    const response = await fetch(`http://127.0.0.1:${this.port}/probe?${query}`, {
      headers,
      signal: AbortSignal.timeout(30_000),
    });
    const body = await response.text();
    return { status: response.status, body, samples: parseSamples(body) };
  }

  /** Stops it by its process id and removes its folder. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#daemon.stop();
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }
}

/** The samples of a text exposition, by `name{labels}` as written (comments left out). */
export function parseSamples(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

/** The family names of a text exposition, from its `# TYPE` lines. */
export function familyNames(text: string): string[] {
  return [...text.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]!);
}

/** What `promtool check metrics` says of `text` (read from its stdin): "" when it finds nothing. */
export async function promtoolCheckMetrics(text: string): Promise<string> {
  const { code, output } = await promtoolCheck(text);
  return code === 0 ? "" : output.trim();
}
