/**
 * The start-up section of `deno task bench`: `sockit --version` against an empty `deno run`, the
 * floor of any Deno program, both pinned to the clients' core and interleaved.
 *
 * @module
 */
import type { BenchContext } from "./bench.ts";
import { interleaved } from "./bench_stats.ts";

/** Runs the section. */
export async function run(ctx: BenchContext): Promise<void> {
  const runs = ctx.quick ? 7 : 21;
  ctx.print(`== startup: whole processes, ${runs} interleaved runs each`);
  const dir = await Deno.makeTempDir({ prefix: "sockit-bench-startup-" });
  try {
    const empty = `${dir}/empty.js`;
    await Deno.writeTextFile(empty, "");
    const commands = [
      { label: "sockit --version", cmd: ctx.pin(1, [...ctx.sockit, "--version"]) },
      { label: "empty deno run", cmd: ctx.pin(1, [Deno.execPath(), "run", "-q", empty]) },
    ];
    // One run of each first, so that neither pays for a cold disk cache.
    await interleaved(commands, 1);
    const [sockit, floor] = await interleaved(commands, runs);
    ctx.figure({
      name: "sockit --version, against an empty deno run",
      unit: "ms",
      lowerIsBetter: true,
      sockit: sockit!,
      against: floor!,
      ratio: "cost",
      target: 1.1,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
