/**
 * `deno task bench`: sockit against real peers in the same run, with ratios against targets.
 * Speed is checked here, never in a timed test. `deno task bench echo` runs one section.
 *
 * Servers are pinned to core 0 and load generators to core 1 (with taskset, where present), so
 * that on a 2-core machine each side has a core of its own.
 *
 * @module
 */

const ROOT = new URL("../", import.meta.url);

/** What every bench section gets. */
export interface BenchContext {
  /** Prints one line of the report. */
  print: (line: string) => void;
  /** The repository root, as a path. */
  root: string;
  /** Whether a program is on PATH; prints a note when it is not. */
  have: (program: string) => boolean;
  /** Prefixes a command line so that it runs on one core (`taskset -c N`), when possible. */
  pin: (core: number, cmd: string[]) => string[];
  /** The command line that starts sockit (`deno run -q -P=sockit main.ts`). */
  sockit: string[];
}

/** A section of the report. */
export interface BenchSection {
  /** Its name on the command line. */
  name: string;
  /** Runs it. */
  run: (ctx: BenchContext) => Promise<void>;
}

const SECTIONS: BenchSection[] = [
  { name: "echo", run: async (ctx) => (await import("./bench_echo.ts")).run(ctx) },
  { name: "udp", run: async (ctx) => (await import("./bench_udp.ts")).run(ctx) },
  { name: "tls", run: async (ctx) => (await import("./bench_tls.ts")).run(ctx) },
  { name: "dns", run: async (ctx) => (await import("./bench_dns.ts")).run(ctx) },
  { name: "http", run: async (ctx) => (await import("./bench_http.ts")).run(ctx) },
  { name: "wait", run: async (ctx) => (await import("./bench_wait.ts")).run(ctx) },
];

function print(line: string): void {
  // deno-lint-ignore no-console
  console.log(line);
}

const known = new Map<string, boolean>();

function have(program: string): boolean {
  if (!known.has(program)) {
    const found = new Deno.Command("sh", {
      args: ["-c", `command -v ${program}`],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
    if (!found) print(`note: ${program} is not installed; what needs it is skipped`);
    known.set(program, found);
  }
  return known.get(program)!;
}

async function main(args: string[]): Promise<number> {
  const wanted = args.length > 0 ? args : SECTIONS.map((s) => s.name);
  const unknown = wanted.filter((name) => !SECTIONS.some((s) => s.name === name));
  if (unknown.length > 0) {
    print(
      `error: Unknown bench section "${unknown[0]}": choose from ${
        SECTIONS.map((s) => s.name).join(", ")
      }`,
    );
    return 2;
  }
  const pinning = have("taskset") && navigator.hardwareConcurrency >= 2;
  const ctx: BenchContext = {
    print,
    root: ROOT.pathname,
    have,
    pin: (core, cmd) => pinning ? ["taskset", "-c", String(core), ...cmd] : cmd,
    sockit: [
      Deno.execPath(),
      "run",
      "-q",
      "-P=sockit",
      "--config",
      new URL("deno.json", ROOT).pathname,
      new URL("main.ts", ROOT).pathname,
    ],
  };
  print(
    `sockit bench on ${navigator.hardwareConcurrency} cores, deno ${Deno.version.deno}; ` +
      (pinning
        ? "servers pinned to core 0, load to core 1"
        : "no pinning (needs taskset and 2 cores)"),
  );
  for (const section of SECTIONS.filter((s) => wanted.includes(s.name))) {
    print("");
    await section.run(ctx);
  }
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
