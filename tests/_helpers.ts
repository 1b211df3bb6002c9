/**
 * Helpers for end-to-end tests: run the CLI as a subprocess with exactly the permission set
 * that the compiled binary gets (`permissions.sockit` in deno.json, through `-P=sockit`), or the
 * compiled binary itself when `SOCKIT_BIN` points at one, or the bundle (`SOCKIT_BUNDLE`).
 *
 * @module
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const CONFIG = new URL("deno.json", ROOT).pathname;
const MAIN = new URL("main.ts", ROOT).pathname;

/**
 * The command line that starts sockit, without its arguments: a compiled binary when
 * `SOCKIT_BIN` names one, the bundle when `SOCKIT_BUNDLE` names one (run with the same
 * permission set), or main.ts.
 */
export function sockitCommand(): [string, ...string[]] {
  const bin = Deno.env.get("SOCKIT_BIN");
  if (bin) return [bin];
  const bundle = Deno.env.get("SOCKIT_BUNDLE");
  const entry = bundle ? new URL(bundle, `file://${Deno.cwd()}/`).pathname : MAIN;
  return [Deno.execPath(), "run", "-q", "-P=sockit", "--config", CONFIG, entry];
}

/** Which build the end-to-end tests run: `binary`, `bundle` or `source`. */
export function buildUnderTest(): "binary" | "bundle" | "source" {
  return Deno.env.get("SOCKIT_BIN")
    ? "binary"
    : Deno.env.get("SOCKIT_BUNDLE")
    ? "bundle"
    : "source";
}

/** What a finished sockit run produced. */
export interface RunResult {
  /** Exit code. */
  code: number;
  /** Raw stdout. */
  stdout: Uint8Array;
  /** Stdout decoded as UTF-8. */
  out: string;
  /** Stderr decoded as UTF-8. */
  err: string;
}

/** Options for {@linkcode runSockit} and {@linkcode spawnSockit}. */
export interface RunOptions {
  /** Bytes or text to write to stdin (then closed). Without it, stdin is empty. */
  stdin?: Uint8Array | string | ReadableStream<Uint8Array>;
  /** Extra environment variables. */
  env?: Record<string, string>;
}

/** Runs sockit to completion and returns its exit code and output. */
export async function runSockit(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const child = spawnSockit(args, options);
  const [status, stdout, stderr] = await Promise.all([
    child.process.status,
    new Response(child.process.stdout).bytes(),
    new Response(child.process.stderr).text(),
  ]);
  return { code: status.code, stdout, out: new TextDecoder().decode(stdout), err: stderr };
}

/** A running sockit process with piped streams. */
export interface SockitProcess {
  /** The child process. */
  process: Deno.ChildProcess;
}

/** Starts sockit with piped stdin, stdout and stderr; stdin is fed from `options.stdin`. */
export function spawnSockit(args: string[], options: RunOptions = {}): SockitProcess {
  const [cmd, ...pre] = sockitCommand();
  const process = new Deno.Command(cmd, {
    args: [...pre, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...options.env },
  }).spawn();
  const input = options.stdin;
  if (input instanceof ReadableStream) {
    input.pipeTo(process.stdin).catch(() => {});
  } else {
    const writer = process.stdin.getWriter();
    const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
    (async () => {
      try {
        if (bytes && bytes.length > 0) await writer.write(bytes);
        await writer.close();
      } catch {
        // The child exited before reading all of stdin; its exit code tells the story.
      }
    })();
  }
  return { process };
}

/** Reads a child's stdout as lines, one at a time, while leaving the rest for later. */
export class LineReader {
  readonly #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";
  #ended = false;

  /** @param stream A byte stream, usually a child's stdout. */
  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** The next line without its newline, or `null` at end of stream. */
  async next(): Promise<string | null> {
    while (true) {
      const newline = this.#buffer.indexOf("\n");
      if (newline >= 0) {
        const line = this.#buffer.slice(0, newline);
        this.#buffer = this.#buffer.slice(newline + 1);
        return line;
      }
      if (this.#ended) {
        if (this.#buffer === "") return null;
        const rest = this.#buffer;
        this.#buffer = "";
        return rest;
      }
      const { value, done } = await this.#reader.read();
      if (done) this.#ended = true;
      else this.#buffer += value;
    }
  }

  /** The next line parsed as JSON (fails the test at end of stream). */
  async nextJson(): Promise<Record<string, unknown>> {
    const line = await this.next();
    assert.notEqual(line, null, "expected a JSON line, got end of stream");
    return JSON.parse(line!);
  }

  /** Reads JSON lines until one has `event === name`; returns it. */
  async until(name: string): Promise<Record<string, unknown>> {
    while (true) {
      const event = await this.nextJson();
      if (event.event === name) return event;
    }
  }

  /** Closes the stream unread, as `| head -1` closes its end of the pipe. */
  async cancel(): Promise<void> {
    await this.#reader.cancel();
  }

  /** Everything left, as lines. */
  async rest(): Promise<string[]> {
    const lines: string[] = [];
    for (let line = await this.next(); line !== null; line = await this.next()) lines.push(line);
    return lines;
  }
}

/** An echo server run through the CLI on a free port, with its JSON event stream. */
export class EchoServerProcess implements AsyncDisposable {
  /** The child process. */
  readonly process: Deno.ChildProcess;
  /** Its stdout, as JSON lines. */
  readonly events: LineReader;
  /** Its stderr, collected as text when the process ends. */
  readonly stderr: Promise<string>;
  /** The bound port. */
  port = 0;

  private constructor(args: string[]) {
    this.process = spawnSockit(["echo", "serve", "--port", "0", "--json", ...args]).process;
    this.events = new LineReader(this.process.stdout);
    this.stderr = new Response(this.process.stderr).text();
  }

  /** Starts `sockit echo serve --port 0 --json ARGS` and waits for its `listening` event. */
  static async start(args: string[] = []): Promise<EchoServerProcess> {
    const server = new EchoServerProcess(args);
    const listening = await server.events.nextJson();
    assert.equal(listening.event, "listening");
    server.port = listening.port as number;
    return server;
  }

  /** Sends a signal, then waits for the exit; returns the code and the remaining events. */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<{ code: number; events: string[] }> {
    try {
      this.process.kill(signal);
    } catch {
      // Already exited.
    }
    const [events, status] = await Promise.all([this.events.rest(), this.process.status]);
    await this.stderr;
    return { code: status.code, events };
  }

  /** Stops the server if it still runs. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop("SIGKILL");
  }
}

/** A loopback port that nothing listens on: bound, then released, so a connect is refused. */
export function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/**
 * Starts something after `delayMs` (the scenario: a service that comes up late) and returns
 * the promise of it. A failure to start is kept for whoever awaits the promise: left unhandled
 * meanwhile, it would cancel the test and every later one in its file with no message.
 */
export function startLater<T>(delayMs: number, start: () => T | Promise<T>): Promise<T> {
  const started = new Promise((resolve) => setTimeout(resolve, delayMs)).then(start);
  started.catch(() => {});
  return started;
}

const available = new Map<string, boolean>();

/** Whether a program is on PATH (a real peer such as socat or nc). */
export function hasProgram(name: string): boolean {
  if (!available.has(name)) {
    const found =
      new Deno.Command("sh", { args: ["-c", `command -v ${name}`], stdout: "null", stderr: "null" })
        .outputSync().success;
    if (!found) {
      // deno-lint-ignore no-console
      console.error(`note: ${name} is not installed; the tests that need it are skipped`);
    }
    available.set(name, found);
  }
  return available.get(name)!;
}

/** A deterministic pseudo-random buffer (xorshift32), so a failure can be reproduced. */
export function patternBytes(length: number, seed = 0x9e3779b9): Uint8Array {
  const out = new Uint8Array(length);
  const words = new Uint32Array(out.buffer, 0, Math.floor(length / 4));
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  for (let i = words.length * 4; i < length; i++) out[i] = i & 0xff;
  return out;
}

/** A stream of `total` bytes, produced `chunk` bytes at a time from a repeating pattern. */
export function patternStream(total: number, chunk = 1 << 20): ReadableStream<Uint8Array> {
  const block = patternBytes(chunk);
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= total) return controller.close();
      const n = Math.min(chunk, total - sent);
      controller.enqueue(n === chunk ? block.slice() : block.slice(0, n));
      sent += n;
    },
  });
}

/** SHA-256 of bytes, as hex. */
export async function sha256(data: Uint8Array | ArrayBuffer): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", data as ArrayBuffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
