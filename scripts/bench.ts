/**
 * `deno task bench [--quick] [SECTION...]`: sockit against its floors and peers in the same run.
 * Speed is checked here, never in a timed test.
 *
 * sockit is measured as what users run: the shipped bundle, built at the start of the run with
 * `scripts/build.ts` `bundle()` (dist/sockit.js) and started as its first line starts it
 * (`deno run -q` with the permission and unstable flags of deno.json). Each performance figure is
 * printed with its floor (a bare Deno script doing the same work) or the peer its target names,
 * measured in the same run, with the median and the slowest run of each and the ratio against
 * the target; a summary table ends the report. `--quick` runs fewer rounds of less work, for
 * development: its figures are rougher.
 *
 * Servers are pinned to core 0 and clients (sockit, the floors and the peers alike) to core 1,
 * with taskset where present, so that on a 2-core machine each side has a core of its own.
 *
 * @module
 */
import { bundle, permissionFlags, unstableFlags } from "./build.ts";
import { formatFigure, formatSummary } from "./bench_stats.ts";
import type { Figure } from "./bench_stats.ts";

const ROOT = new URL("../", import.meta.url);

/** What every bench section gets. */
export interface BenchContext {
  /** Prints one line of the report. */
  print: (line: string) => void;
  /** The repository root, as a path ending in `/`. */
  root: string;
  /** Whether a program is on PATH; prints a note when it is not. */
  have: (program: string) => boolean;
  /** Prefixes a command line so that it runs on one core (`taskset -c N`), when possible. */
  pin: (core: number, cmd: string[]) => string[];
  /** Pins a running process (a server started by a helper) to one core, when possible. */
  pinProcess: (core: number, pid: number) => Promise<void>;
  /** The command line that starts sockit: the bundle, as its first line runs it. */
  sockit: string[];
  /** `--quick`: fewer rounds and less work. */
  quick: boolean;
  /** Prints a performance figure and keeps it for the summary. */
  figure: (figure: Figure) => void;
}

/** A section of the report. */
export interface BenchSection {
  /** Its name on the command line. */
  name: string;
  /** Runs it. */
  run: (ctx: BenchContext) => Promise<void>;
}

const SECTIONS: BenchSection[] = [
  { name: "startup", run: async (ctx) => (await import("./bench_startup.ts")).run(ctx) },
  { name: "http", run: async (ctx) => (await import("./bench_http.ts")).run(ctx) },
  { name: "dns", run: async (ctx) => (await import("./bench_dns.ts")).run(ctx) },
  { name: "memory", run: async (ctx) => (await import("./bench_memory.ts")).run(ctx) },
  { name: "echo", run: async (ctx) => (await import("./bench_echo.ts")).run(ctx) },
  { name: "udp", run: async (ctx) => (await import("./bench_udp.ts")).run(ctx) },
  { name: "tls", run: async (ctx) => (await import("./bench_tls.ts")).run(ctx) },
  { name: "wait", run: async (ctx) => (await import("./bench_wait.ts")).run(ctx) },
  { name: "monitor", run: async (ctx) => (await import("./bench_monitor.ts")).run(ctx) },
  { name: "merge", run: async (ctx) => (await import("./bench_merge.ts")).run(ctx) },
  { name: "check", run: async (ctx) => (await import("./bench_check.ts")).run(ctx) },
];

function print(line: string): void {
  // deno-lint-ignore no-console
  console.log(line);
}

const known = new Map<string, boolean>();

function have(program: string): boolean {
  if (!known.has(program)) {
    const found = new Deno.Command("sh", {
      args: ["-c", 'command -v "$1"', "sh", program],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
    if (!found) print(`note: ${program} is not installed; what needs it is skipped`);
    known.set(program, found);
  }
  return known.get(program)!;
}

const USAGE = "usage: deno task bench [--quick] [SECTION...]";

async function main(args: string[]): Promise<number> {
  const quick = args.includes("--quick");
  const flags = args.filter((a) => a.startsWith("-") && a !== "--quick");
  if (flags.length > 0) {
    print(`error: Unknown option "${flags[0]}"\n${USAGE}`);
    return 2;
  }
  const names = args.filter((a) => !a.startsWith("-"));
  const wanted = names.length > 0 ? names : SECTIONS.map((s) => s.name);
  const unknown = wanted.filter((name) => !SECTIONS.some((s) => s.name === name));
  if (unknown.length > 0) {
    print(
      `error: Unknown bench section "${unknown[0]}": choose from ${
        SECTIONS.map((s) => s.name).join(", ")
      }\n${USAGE}`,
    );
    return 2;
  }
  const pinning = have("taskset") && navigator.hardwareConcurrency >= 2;
  const path = await bundle();
  const figures: Figure[] = [];
  const ctx: BenchContext = {
    print,
    root: ROOT.pathname,
    have,
    pin: (core, cmd) => pinning ? ["taskset", "-c", String(core), ...cmd] : cmd,
    pinProcess: async (core, pid) => {
      if (!pinning) return;
      const args = ["-p", "-c", String(core), String(pid)];
      await new Deno.Command("taskset", { args, stdout: "null", stderr: "null" }).output();
    },
    sockit: [
      Deno.execPath(),
      "run",
      "-q",
      ...await unstableFlags(),
      ...await permissionFlags(),
      path,
    ],
    quick,
    figure: (figure) => {
      figures.push(figure);
      print("");
      for (const line of formatFigure(figure)) print(line);
    },
  };
  print(
    `sockit bench${
      quick ? " --quick (fewer rounds, less work: rough figures)" : ""
    } on ${navigator.hardwareConcurrency} cores, deno ${Deno.version.deno}; ` +
      (pinning
        ? "servers pinned to core 0, clients to core 1"
        : "no pinning (needs taskset and 2 cores)"),
  );
  print(
    `sockit is the shipped bundle, built for this run: ${
      path.replace(ROOT.pathname, "")
    }, started as its first line starts it (deno run -q, deno.json's permissions)`,
  );
  for (const section of SECTIONS.filter((s) => wanted.includes(s.name))) {
    print("");
    await section.run(ctx);
  }
  if (figures.length > 0) {
    print("");
    print("== summary: the figures, medians of this run");
    for (const line of formatSummary(figures)) print(line);
  }
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
