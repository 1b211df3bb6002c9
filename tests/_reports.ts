/**
 * Helpers for tests that read `sockit check`'s reports as their consumers do: JSON.parse,
 * xmllint for JUnit (when it is installed) and tap-parser for TAP.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Parser } from "tap-parser";
import { hasProgram, runSockit } from "./_helpers.ts";
import type { RunResult } from "./_helpers.ts";

/** What tap-parser made of a TAP stream. */
export interface TapResults {
  /** Whether every test point passed and the plan held. */
  ok: boolean;
  /** Test points seen, and how many passed, failed and were skipped (a skip is a pass too). */
  count: number;
  /** See {@linkcode TapResults.count}. */
  pass: number;
  /** See {@linkcode TapResults.count}. */
  fail: number;
  /** See {@linkcode TapResults.count}. */
  skip: number;
  /** The plan, when there was one. */
  plan: { start: number; end: number };
  /** Test points that failed, and the parser's own complaints (`tapError`). */
  failures: Array<{ name?: string; tapError?: string | null; diag?: Record<string, unknown> }>;
}

/** TAP text parsed by tap-parser. */
export function parseTap(text: string): Promise<TapResults> {
  return new Promise((resolve) => {
    // deno-lint-ignore no-explicit-any
    const parser = new Parser((results: any) => resolve(results));
    parser.end(text);
  });
}

/** Asserts that TAP text parses, with a plan of `tests` test points that all came. */
export async function assertTapParses(text: string, tests: number): Promise<TapResults> {
  const tap = await parseTap(text);
  const complaints = tap.failures.filter((f) => f.tapError !== undefined && f.tapError !== null);
  assert.deepEqual(complaints, [], `tap-parser complains:\n${text}`);
  assert.deepEqual([tap.plan.start, tap.plan.end, tap.count], [1, tests, tests], text);
  return tap;
}

/**
 * Asserts that a JUnit file is well-formed XML, as xmllint reads it; `false` when xmllint is not
 * installed (and the caller checks less).
 */
export async function assertJunitParses(path: string): Promise<boolean> {
  if (!hasProgram("xmllint")) return false;
  const lint = await new Deno.Command("xmllint", { args: ["--noout", path] }).output();
  assert.ok(
    lint.success,
    `xmllint: ${new TextDecoder().decode(lint.stderr)}\n${await Deno.readTextFile(path)}`,
  );
  return true;
}

/** A run of `sockit check` with every report written, and what each holds. */
export interface ReportedRun {
  /** The process's outcome. */
  result: RunResult;
  /** The JSON report (`--report json=`), as text. */
  json: string;
  /** The JUnit report, as text. */
  junit: string;
  /** The TAP report, as text. */
  tap: string;
  /** The JUnit report's path (for xmllint). */
  junitPath: string;
}

/**
 * Runs `sockit check` on `spec` (written to a temporary sockit.yaml) with a JSON, JUnit and TAP
 * report each in a file, plus `args`; `use` reads them before the folder is removed.
 */
export async function runWithReports<T>(
  spec: string,
  options: { args?: string[]; env?: Record<string, string> },
  use: (run: ReportedRun) => T | Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "sockit-reports-" });
  try {
    const path = `${dir}/sockit.yaml`;
    await Deno.writeTextFile(path, spec);
    const result = await runSockit([
      "check",
      path,
      "--report",
      `json=${dir}/r.json`,
      "--report",
      `junit=${dir}/r.xml`,
      "--report",
      `tap=${dir}/r.tap`,
      ...options.args ?? [],
    ], options.env ? { env: options.env } : {});
    const read = (name: string) => Deno.readTextFile(`${dir}/${name}`).catch(() => "");
    return await use({
      result,
      json: await read("r.json"),
      junit: await read("r.xml"),
      tap: await read("r.tap"),
      junitPath: `${dir}/r.xml`,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * A loopback server that sends back what it is sent: for HTTP, a 200 response whose body (and
 * `X-Echo` field, the request line) is the request head; for anything else, the first bytes
 * read, after which it closes. `received` holds every request, one character per byte.
 */
export class ReflectingServer implements AsyncDisposable {
  readonly #listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  readonly #tasks = new Set<Promise<void>>();
  readonly #accepting: Promise<void>;
  /** What came on each connection, one character per byte. */
  readonly received: string[] = [];

  constructor() {
    this.#accepting = (async () => {
      for await (const conn of this.#listener) {
        const task = this.#serve(conn).catch(() => {}).finally(() => conn.close());
        this.#tasks.add(task);
        task.finally(() => this.#tasks.delete(task));
      }
    })().catch(() => {});
  }

  /** The bound port. */
  get port(): number {
    return this.#listener.addr.port;
  }

  async #serve(conn: Deno.Conn): Promise<void> {
    const buf = new Uint8Array(64 * 1024);
    let got = new Uint8Array(0);
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      got = Uint8Array.from([...got, ...buf.subarray(0, n)]);
      const text = String.fromCharCode(...got);
      // A request head is whole at its empty line; other protocols send one line.
      if (!text.startsWith("GET ") || text.includes("\r\n\r\n")) break;
    }
    this.received.push(String.fromCharCode(...got));
    let reply = got;
    if (String.fromCharCode(...got.subarray(0, 4)) === "GET ") {
      const firstLine = got.subarray(0, got.indexOf(0x0d));
      const head = new TextEncoder().encode(
        `HTTP/1.1 200 OK\r\nContent-Length: ${got.length}\r\nX-Echo: `,
      );
      reply = Uint8Array.from([...head, ...firstLine, 13, 10, 13, 10, ...got]);
    }
    let at = 0;
    while (at < reply.length) at += await conn.write(reply.subarray(at));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#accepting;
    await Promise.all([...this.#tasks]);
  }
}
