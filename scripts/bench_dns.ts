/**
 * The DNS section of `deno task bench`: 1000 A queries to a local dnsmasq, sockit in one process
 * (`resolve -f`, queries in flight together) against one `dig -f` run over the same names.
 *
 * @module
 */
import type { BenchContext } from "./bench.ts";

const COUNT = 1000;

async function timed(cmd: string[]): Promise<{ ms: number; lines: number }> {
  const [program, ...args] = cmd;
  const started = performance.now();
  const out = await new Deno.Command(program!, { args, stdout: "piped", stderr: "piped" }).output();
  const ms = performance.now() - started;
  if (!out.success) {
    throw new Error(
      `${cmd.slice(0, 3).join(" ")} failed: ${new TextDecoder().decode(out.stderr).slice(0, 300)}`,
    );
  }
  return { ms, lines: new TextDecoder().decode(out.stdout).trim().split("\n").length };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Runs the DNS section. */
export async function run(ctx: BenchContext): Promise<void> {
  ctx.print(
    `== resolve: ${COUNT} A queries to a local dnsmasq (median of 5 runs, whole processes)`,
  );
  const dnsmasq = ["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq"].find((p) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  });
  if (!dnsmasq) return ctx.print("skipped: dnsmasq is not installed");
  if (!ctx.have("dig")) return;
  const dir = await Deno.makeTempDir({ prefix: "sockit-bench-dns-" });
  const names = Array.from({ length: COUNT }, (_, i) => `h${i}.bench.test`);
  await Deno.writeTextFile(
    `${dir}/hosts`,
    names.map((n, i) => `10.${(i >> 8) & 255}.${i & 255}.1 ${n}`).join("\n") + "\n",
  );
  await Deno.writeTextFile(`${dir}/names`, names.join("\n") + "\n");
  const port = 20000 + Math.floor(Math.random() * 20000);
  const [program, ...args] = ctx.pin(0, [
    dnsmasq,
    "--keep-in-foreground",
    "--conf-file=/dev/null",
    "--no-resolv",
    "--no-hosts",
    "--bind-interfaces",
    "--listen-address=127.0.0.1",
    `--port=${port}`,
    "--user=root",
    `--pid-file=${dir}/pid`,
    "--local=/bench.test/",
    `--addn-hosts=${dir}/hosts`,
    "--log-facility=-",
  ]);
  const server = new Deno.Command(program!, { args, stdout: "null", stderr: "piped" }).spawn();
  const log = server.stderr.pipeThrough(new TextDecoderStream()).getReader();
  try {
    let seen = "";
    while (!seen.includes("started, version")) {
      const { value, done } = await log.read();
      if (done) throw new Error(`dnsmasq did not start: ${seen}`);
      seen += value;
    }
    const draining = (async () => {
      while (!(await log.read()).done) { /* discard */ }
    })();
    const sockit = ctx.pin(1, [
      ...ctx.sockit,
      "resolve",
      `@127.0.0.1:${port}`,
      "-f",
      `${dir}/names`,
      "--short",
    ]);
    const dig = ctx.pin(1, [
      "dig",
      `@127.0.0.1`,
      "-p",
      String(port),
      "-f",
      `${dir}/names`,
      "+short",
      "+tries=1",
      "+time=2",
    ]);
    await timed(sockit); // warm the module cache
    const s: number[] = [], d: number[] = [];
    for (let i = 0; i < 5; i++) {
      const a = await timed(sockit);
      const b = await timed(dig);
      if (a.lines !== COUNT || b.lines !== COUNT) {
        throw new Error(`expected ${COUNT} answers, got sockit ${a.lines}, dig ${b.lines}`);
      }
      s.push(a.ms);
      d.push(b.ms);
    }
    const rate = (ms: number) => (COUNT / ms * 1000).toFixed(0);
    const ratio = median(d) / median(s);
    // The slowest run is shown too: a lost datagram costs a whole retry, which a median hides.
    const line = (ms: number[]) =>
      `${median(ms).toFixed(0)} ms, ${rate(median(ms))} queries/s (slowest ${
        Math.max(...ms).toFixed(0)
      } ms)`;
    ctx.print(`sockit resolve -f: ${line(s)}`);
    ctx.print(`dig -f:            ${line(d)}`);
    ctx.print(
      `${"rate: sockit / dig".padEnd(40)}${ratio.toFixed(2).padStart(6)}x  target >= 1x  ${
        ratio >= 1 ? "PASS" : "FAIL"
      }`,
    );
    server.kill("SIGTERM");
    await server.status;
    await draining;
  } finally {
    try {
      server.kill("SIGTERM");
    } catch { /* stopped */ }
    await server.status;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
