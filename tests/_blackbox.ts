/**
 * A real blackbox_exporter (Debian's `prometheus-blackbox-exporter`) on loopback, for tests
 * that compare sockit's `/probe` with it: its configuration in a temporary folder, a free port,
 * ready once it logs that it listens, stopped by its own process id.
 *
 * @module
 */
import { LineReader } from "./_helpers.ts";
import { freePort } from "./_http.ts";

/** The exporter's binary names, Debian's first. */
const NAMES = ["prometheus-blackbox-exporter", "blackbox_exporter"];

/** The path of blackbox_exporter, or undefined when it is not installed. */
export function blackboxExporterPath(): string | undefined {
  for (const dir of ["/usr/bin", "/usr/local/bin", "/usr/sbin"]) {
    for (const name of NAMES) {
      try {
        if (Deno.statSync(`${dir}/${name}`).isFile) return `${dir}/${name}`;
      } catch {
        // not there
      }
    }
  }
  return undefined;
}

/** One `/probe` answer: the HTTP status, the body, and its samples by `name{labels}`. */
export interface BlackboxAnswer {
  status: number;
  body: string;
  samples: Map<string, number>;
}

/** blackbox_exporter running in the foreground on a free loopback port. */
export class BlackboxExporter implements AsyncDisposable {
  readonly #process: Deno.ChildProcess;
  readonly #dir: string;
  readonly #log: string[];
  readonly #draining: Promise<void>;
  /** Its port. */
  readonly port: number;

  private constructor(
    process: Deno.ChildProcess,
    dir: string,
    port: number,
    log: string[],
    draining: Promise<void>,
  ) {
    this.#process = process;
    this.#dir = dir;
    this.port = port;
    this.#log = log;
    this.#draining = draining;
  }

  /**
   * Starts it with `config` (the YAML of its `modules:`) and waits for its "Listening on" line;
   * a port taken meanwhile is retried on another.
   */
  static async start(config: string): Promise<BlackboxExporter> {
    const binary = blackboxExporterPath();
    if (binary === undefined) throw new Error("blackbox_exporter is not installed");
    const dir = await Deno.makeTempDir({ prefix: "sockit-blackbox-" });
    await Deno.writeTextFile(`${dir}/blackbox.yml`, config);
    let lastLog = "";
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = freePort();
      const process = new Deno.Command(binary, {
        args: [`--config.file=${dir}/blackbox.yml`, `--web.listen-address=127.0.0.1:${port}`],
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const lines = new LineReader(process.stderr);
      const log: string[] = [];
      // Its log goes to stderr: read until it listens or exits (the stream then ends).
      let listening = false;
      for (let line = await lines.next(); line !== null; line = await lines.next()) {
        log.push(line);
        if (line.includes('msg="Listening on"')) {
          listening = true;
          break;
        }
      }
      // The rest of its log is read on, so that the pipe never fills.
      const draining = lines.rest().then((rest) => void log.push(...rest));
      if (listening) return new BlackboxExporter(process, dir, port, log, draining);
      await process.status;
      await draining;
      lastLog = log.join("\n");
      if (!/address already in use/i.test(lastLog)) break;
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw new Error(`blackbox_exporter did not start:\n${lastLog}`);
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

  /** Its log so far. */
  get log(): string {
    return this.#log.join("\n");
  }

  /** Stops it by its process id and removes its folder. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#process.kill("SIGTERM");
    } catch {
      // exited
    }
    await this.#process.status;
    await this.#draining;
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
  const child = new Deno.Command("promtool", {
    args: ["check", "metrics"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await ReadableStream.from([new TextEncoder().encode(text)]).pipeTo(child.stdin);
  const { success, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return success ? "" : `${decoder.decode(stdout)}${decoder.decode(stderr)}`.trim();
}
