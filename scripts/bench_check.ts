/**
 * The `check` section of `deno task bench`: `check --jobs 64 -q` of one spec of 10,000 tcp
 * checks (2,000 with `--quick`) against a local listener, beside a bare Deno script making the
 * same connections 64 at a time (scripts/bench_check_floor.ts), in the same run.
 *
 * The listener is a bare Deno one that accepts and closes (the floor script's `listen` mode),
 * pinned to the servers' core. Each run is measured with `/usr/bin/time`: wall-clock time (the
 * figure, as a user waits for it), CPU time (user + system, printed beside it: steadier on a
 * shared machine) and peak RSS (`%M`, the kernel's maximum resident set size of the process,
 * which is VmHWM). The spec loader's share is `check --validate` of the same spec (read and
 * checked, nothing run) less `--version` (start-up alone), against the whole run.
 *
 * @module
 */
import type { BenchContext } from "./bench.ts";
import { rotated, startServer } from "./bench_echo.ts";
import { firstLinePort } from "./bench_udp.ts";
import { median } from "./bench_stats.ts";

const JOBS = 64;
const TIME = "/usr/bin/time";

/** One run of a process: wall and CPU milliseconds and peak RSS in MB (1,000,000 bytes). */
interface Run {
  wallMs: number;
  cpuMs: number;
  rssMB: number;
}

/** Runs `cmd` under `/usr/bin/time` to its end; a failure throws with the start of its stderr. */
async function measure(cmd: string[], out: string): Promise<Run> {
  const started = performance.now();
  const result = await new Deno.Command(TIME, {
    args: ["-f", "%U %S %M", "-o", out, ...cmd],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  const wallMs = performance.now() - started;
  if (!result.success) {
    throw new Error(
      `${cmd.slice(0, 4).join(" ")}... exited ${result.code}: ${
        new TextDecoder().decode(result.stderr).slice(0, 400)
      }`,
    );
  }
  const [user, system, kib] = (await Deno.readTextFile(out)).trim().split("\n").at(-1)!
    .split(" ").map(Number) as [number, number, number];
  return { wallMs, cpuMs: (user + system) * 1000, rssMB: kib * 1.024 / 1000 };
}

/** Runs the section. */
export async function run(ctx: BenchContext): Promise<void> {
  const checks = ctx.quick ? 2000 : 10000;
  const rounds = ctx.quick ? 5 : 9;
  ctx.print(
    `== check: ${checks} tcp checks of one spec against a local listener, --jobs ${JOBS} ` +
      `(${rounds} rounds, interleaved)`,
  );
  try {
    await Deno.stat(TIME);
  } catch {
    ctx.print(`note: ${TIME} is not installed; the check section is skipped`);
    return;
  }
  const floorScript = `${ctx.root}scripts/bench_check_floor.ts`;
  const deno = [Deno.execPath(), "run", "-q", "--allow-net=127.0.0.1"];
  const listen = () => startServer(ctx.pin(0, [...deno, floorScript, "listen"]), firstLinePort);
  const dir = await Deno.makeTempDir({ prefix: "sockit-bench-check-" });
  const spec = `${dir}/checks.yaml`;
  const writeSpec = async (port: number) => {
    const lines = ["version: 1", "checks:"];
    for (let i = 0; i < checks; i++) {
      lines.push(`  - { name: check-${i}, tcp: { host: 127.0.0.1, port: ${port} } }`);
    }
    await Deno.writeTextFile(spec, lines.join("\n") + "\n");
  };
  try {
    // Each run that connects gets a fresh listener on a port of its own: the listener closes
    // first, so every connection leaves it a TIME_WAIT entry, and a later run whose client port
    // met one would wait a second for its SYN to be sent again.
    const commands: Array<[string, (port: number) => string[]]> = [
      ["sockit", () => [...ctx.sockit, "check", "--jobs", String(JOBS), "-q", spec]],
      ["floor", (port) => [...deno, floorScript, String(port), String(checks), String(JOBS)]],
      ["validate", () => [...ctx.sockit, "check", "--validate", "-q", spec]],
      ["version", () => [...ctx.sockit, "--version"]],
    ];
    const connects = new Set(["sockit", "floor"]);
    const once = async ([label, cmd]: [string, (port: number) => string[]]): Promise<Run> => {
      if (!connects.has(label)) return await measure(ctx.pin(1, cmd(0)), `${dir}/time`);
      const listener = await listen();
      try {
        await writeSpec(listener.port);
        return await measure(ctx.pin(1, cmd(listener.port)), `${dir}/time`);
      } finally {
        await listener.stop();
      }
    };
    const runs = new Map<string, Run[]>(commands.map(([label]) => [label, []]));
    // A warm-up of each, unmeasured: the first run pays for the page cache.
    for (const command of commands) await once(command);
    for (let round = 0; round < rounds; round++) {
      for (const command of rotated(commands, round)) {
        runs.get(command[0])!.push(await once(command));
      }
    }
    const of = (label: string, field: keyof Run) => runs.get(label)!.map((r) => r[field]);
    const note = `${checks} checks, ${JOBS} at a time; listener pinned to core 0`;
    ctx.figure({
      name: `${checks} tcp checks of one spec, --jobs ${JOBS}, against a bare connect loop`,
      unit: "ms",
      lowerIsBetter: true,
      sockit: { label: "sockit check --jobs 64 -q", values: of("sockit", "wallMs") },
      against: { label: "bare deno connect loop", values: of("floor", "wallMs") },
      ratio: "cost",
      target: 1.5,
      // The ratio before was measured on 10,000 checks; --quick runs fewer, with start-up a larger share.
      before: ctx.quick ? undefined : 3.3,
      note: `${note}; wall clock`,
    });
    const cpu = (label: string) => median(of(label, "cpuMs"));
    ctx.print(
      `    CPU time (user + system), medians: sockit ${cpu("sockit").toFixed(0)} ms, floor ${
        cpu("floor").toFixed(0)
      } ms: ${(cpu("sockit") / cpu("floor")).toFixed(2)}x`,
    );
    ctx.figure({
      name: `peak RSS of ${checks} tcp checks, --jobs ${JOBS}`,
      unit: "MB",
      lowerIsBetter: true,
      sockit: { label: "sockit check --jobs 64 -q", values: of("sockit", "rssMB") },
      against: { label: "bare deno connect loop", values: of("floor", "rssMB") },
      beside: [{ label: "sockit check --validate", values: of("validate", "rssMB") }],
      ratio: "absolute",
      target: 100,
      note: `${note}; /usr/bin/time %M`,
    });
    const wall = (label: string) => median(of(label, "wallMs"));
    const loader = wall("validate") - wall("version");
    const loaderCpu = cpu("validate") - cpu("version");
    ctx.print("");
    ctx.print(
      `the spec loader: check --validate ${wall("validate").toFixed(0)} ms less --version ${
        wall("version").toFixed(0)
      } ms = ${loader.toFixed(0)} ms, ${(100 * loader / wall("sockit")).toFixed(0)}% of the run ` +
        `(CPU: ${loaderCpu.toFixed(0)} ms, ${(100 * loaderCpu / cpu("sockit")).toFixed(0)}%)`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
