/**
 * The `merge` section of `deno task bench`: `check merge` of many vantage points' reports.
 *
 * One real JSON report of a spec of 200 tcp checks (run against a local listener) is copied
 * into 50 reports, each with its own `vantage`; the figure is the whole `sockit check merge
 * --report json=/dev/null` of the 50 (start-up included), an absolute target of one second.
 * Beside it, the floor: a bare Deno script that reads the same 50 files, parses them, groups
 * every check by its name across them and writes the groups as JSON.
 *
 * @module
 */
import type { BenchContext } from "./bench.ts";

const REPORTS = 50;
const CHECKS = 200;

/** The bare floor: read, parse, group by check, write. */
const FLOOR = `
const groups = new Map();
for (const path of Deno.args) {
  const report = JSON.parse(await Deno.readTextFile(path));
  for (const check of report.checks) {
    const key = check.file + "\\u0000" + check.name;
    if (!groups.has(key)) groups.set(key, {});
    groups.get(key)[report.vantage] = check;
  }
}
await Deno.writeTextFile("/dev/null", JSON.stringify([...groups]));
`;

/** The wall time of one run of `cmd`, in milliseconds; throws when it fails. */
async function timed(cmd: string[], ok: (code: number) => boolean): Promise<number> {
  const started = performance.now();
  const out = await new Deno.Command(cmd[0]!, {
    args: cmd.slice(1),
    stdout: "null",
    stderr: "piped",
  }).output();
  const ms = performance.now() - started;
  if (!ok(out.code)) {
    throw new Error(`${cmd.join(" ")} exited ${out.code}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return ms;
}

/** Runs the section. */
export async function run(ctx: BenchContext): Promise<void> {
  ctx.print(`== merge: check merge of ${REPORTS} vantage points' reports of ${CHECKS} checks`);
  const dir = await Deno.makeTempDir({ prefix: "sockit-bench-merge-" });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = (async () => {
    for await (const conn of listener) conn.close();
  })().catch(() => {});
  try {
    const lines = ["version: 1", "checks:"];
    for (let i = 0; i < CHECKS; i++) {
      lines.push(`  - { name: check-${i}, tcp: { host: 127.0.0.1, port: ${listener.addr.port} } }`);
    }
    await Deno.writeTextFile(`${dir}/spec.yaml`, lines.join("\n") + "\n");
    await timed(
      [...ctx.sockit, "check", "-q", "--report", `json=${dir}/one.json`, `${dir}/spec.yaml`],
      (code) => code === 0,
    );
    const one = JSON.parse(await Deno.readTextFile(`${dir}/one.json`));
    const paths: string[] = [];
    for (let v = 0; v < REPORTS; v++) {
      const path = `${dir}/v${v}.json`;
      await Deno.writeTextFile(path, JSON.stringify({ ...one, vantage: `vantage-${v}` }));
      paths.push(path);
    }
    await Deno.writeTextFile(`${dir}/floor.ts`, FLOOR);
    const rounds = ctx.quick ? 5 : 15;
    const merge = [...ctx.sockit, "check", "merge", "--report", "json=/dev/null", ...paths];
    const floor = [Deno.execPath(), "run", "-q", "-A", `${dir}/floor.ts`, ...paths];
    const ours: number[] = [], bare: number[] = [];
    for (let i = 0; i < rounds; i++) {
      ours.push(await timed(ctx.pin(1, merge), (code) => code === 0));
      bare.push(await timed(ctx.pin(1, floor), (code) => code === 0));
    }
    const size = (await Deno.stat(paths[0]!)).size;
    ctx.figure({
      name: `check merge of ${REPORTS} reports of ${CHECKS} checks, the whole command`,
      unit: "ms",
      lowerIsBetter: true,
      sockit: { label: "sockit check merge", values: ours },
      against: { label: "bare deno: read, parse, group, write", values: bare },
      ratio: "absolute",
      target: 1000,
      note: `${REPORTS} files of ${Math.round(size / 1024)} KiB; start-up included; A B A B`,
    });
  } finally {
    listener.close();
    await accepting;
    await Deno.remove(dir, { recursive: true });
  }
}
