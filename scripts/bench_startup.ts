/**
 * The start-up section of `deno task bench`: `sockit --version` against an empty `deno run`, the
 * floor of any Deno program, both pinned to the clients' core and interleaved. Beside them, a file
 * of the bundle's size that is one comment: what Deno costs to load that many bytes before any
 * of them runs, the share of the distance that only a smaller bundle can take away.
 *
 * @module
 */
import type { BenchContext } from "./bench.ts";
import { interleaved } from "./bench_stats.ts";

/** Runs the section. */
export async function run(ctx: BenchContext): Promise<void> {
  const runs = ctx.quick ? 11 : 41;
  ctx.print(`== startup: whole processes, ${runs} interleaved runs each`);
  const dir = await Deno.makeTempDir({ prefix: "sockit-bench-startup-" });
  try {
    const empty = `${dir}/empty.js`;
    await Deno.writeTextFile(empty, "");
    const bundle = await Deno.readTextFile(ctx.sockit.at(-1)!);
    const inert = `${dir}/inert.js`;
    await Deno.writeTextFile(
      inert,
      `/*${bundle.slice(bundle.indexOf("\n")).replaceAll("*/", "* /")}*/\n`,
    );
    const plain = (file: string) => ctx.pin(1, [Deno.execPath(), "run", "-q", file]);
    const commands = [
      { label: "sockit --version", cmd: ctx.pin(1, [...ctx.sockit, "--version"]) },
      { label: "empty deno run", cmd: plain(empty) },
      { label: "a bundle-sized comment", cmd: plain(inert) },
    ];
    // One run of each first, so that none pays for a cold disk cache.
    await interleaved(commands, 1);
    const [sockit, floor, sized] = await interleaved(commands, runs);
    ctx.figure({
      name: "sockit --version, against an empty deno run",
      unit: "ms",
      lowerIsBetter: true,
      sockit: sockit!,
      against: floor!,
      beside: [sized!],
      ratio: "cost",
      target: 1.1,
      before: 1.17,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
