/**
 * `deno task fuzz`: the fuzz campaign, a million inputs per parser by default
 * (`deno task fuzz --runs 10000` for a quick one, `--seed N` to repeat one, `--only NAME`).
 * Prints each parser's count, time and finding; exits 1 when there is a finding.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fuzz } from "../tests/fuzz/run.ts";
import { TARGETS } from "../tests/fuzz/targets.ts";

const USAGE = "usage: deno task fuzz [--runs N] [--seed N] [--only NAME]";
// deno-lint-ignore no-console
const print = (line: string) => console.log(line);
let values: { runs: string; seed?: string | undefined; only?: string | undefined };
try {
  ({ values } = parseArgs({
    args: Deno.args,
    options: {
      runs: { type: "string", default: "1000000" },
      seed: { type: "string" },
      only: { type: "string" },
    },
  }));
} catch (error) {
  // deno-lint-ignore no-console
  console.error(`error: ${(error as Error).message}\n${USAGE}`);
  Deno.exit(2);
}
const runs = Number(values.runs);
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
const targets = TARGETS.filter((t) => !values.only || t.name.includes(values.only));
print(`fuzz: ${targets.length} parsers, ${runs} inputs each, seed ${seed}`);
print(`${"parser".padEnd(40)}${"inputs".padStart(10)}${"seconds".padStart(10)}  finding`);
let findings = 0;
const started = performance.now();
for (const target of targets) {
  const report = await fuzz(target, runs, seed);
  if (report.finding) findings++;
  print(
    `${report.name.padEnd(40)}${String(report.runs).padStart(10)}${
      (report.ms / 1000).toFixed(1).padStart(10)
    }  ${report.finding ? report.finding.split("\n")[0]!.slice(0, 160) : "none"}`,
  );
  if (report.finding) print(report.finding.split("\n").map((l) => `    ${l}`).join("\n"));
}
print(`${findings} findings in ${((performance.now() - started) / 1000).toFixed(0)} s`);
Deno.exit(findings > 0 ? 1 : 0);
