/** A `sockit check --every --listen` run as a subprocess, for the monitor's end-to-end tests. */
import assert from "node:assert/strict";
import { LineReader, spawnSockit } from "./_helpers.ts";

/** A monitor on a free loopback port, with its JSON lines. */
export class MonitorProcess implements AsyncDisposable {
  /** The child process. */
  readonly process: Deno.ChildProcess;
  /** Its stdout, as JSON lines. */
  readonly events: LineReader;
  /** Its stderr, collected as text when the process ends. */
  readonly stderr: Promise<string>;
  /** The bound port. */
  port = 0;
  #exited = false;
  #draining: Promise<string[]> | undefined;

  private constructor(args: string[], env: Record<string, string>) {
    this.process = spawnSockit(args, { env }).process;
    this.events = new LineReader(this.process.stdout);
    this.stderr = new Response(this.process.stderr).text();
  }

  /**
   * Starts `sockit check --every EVERY --listen 127.0.0.1:0 --json ARGS` and waits for its
   * `listening` event.
   */
  static async start(
    args: string[],
    options: { every?: string; env?: Record<string, string> } = {},
  ): Promise<MonitorProcess> {
    const monitor = new MonitorProcess([
      "check",
      "--every",
      options.every ?? "1s",
      "--listen",
      "127.0.0.1:0",
      "--json",
      ...args,
    ], options.env ?? {});
    const first = await monitor.events.nextJson().catch(async (error) => {
      throw new Error(`the monitor did not start: ${error}\n${await monitor.stop()}`);
    });
    assert.equal(first.event, "listening", JSON.stringify(first));
    monitor.port = first.port as number;
    return monitor;
  }

  /** `http://127.0.0.1:PORT` + path. */
  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** GETs a path: the status, the fields and the body as text. */
  async get(
    path: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; headers: Headers; body: string }> {
    const response = await fetch(this.url(path), { headers });
    return { status: response.status, headers: response.headers, body: await response.text() };
  }

  /** Reads JSON lines until `match` holds for one; returns it. */
  async until(
    match: (event: Record<string, unknown>) => boolean,
  ): Promise<Record<string, unknown>> {
    while (true) {
      const event = await this.events.nextJson();
      if (match(event)) return event;
    }
  }

  /**
   * Reads the JSON lines from now on in the background (a monitor whose lines nobody reads would
   * fill the pipe and stall); {@linkcode MonitorProcess.stop} returns them.
   */
  drain(): void {
    this.#draining ??= this.events.rest();
  }

  /** Sends a signal, then waits for the exit; returns the code, the events left and stderr. */
  async stop(
    signal: Deno.Signal = "SIGTERM",
  ): Promise<{ code: number; events: string[]; stderr: string }> {
    if (!this.#exited) {
      try {
        this.process.kill(signal);
      } catch {
        // Already exited.
      }
    }
    this.#exited = true;
    const [events, status, stderr] = await Promise.all([
      this.#draining ?? this.events.rest(),
      this.process.status,
      this.stderr,
    ]);
    return { code: status.code, events, stderr };
  }

  /** Stops the monitor if it still runs. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#exited) await this.stop("SIGKILL");
  }
}

/** The value of the one sample of `name` whose labels include `labels`, from a text exposition. */
export function sampleValue(
  text: string,
  name: string,
  labels: Record<string, string>,
): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const wanted = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (wanted) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return undefined;
}
