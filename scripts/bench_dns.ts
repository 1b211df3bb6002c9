/**
 * The DNS section of `deno task bench`: the A records of 1000 names from a local dnsmasq (pinned
 * to the servers' core), whole processes on the clients' core: `sockit resolve -f` against one
 * `dig -f` run over the same names, with the bare Deno floors beside it (32 queries in flight on
 * `node:dgram`, and on `Deno.listenDatagram`: scripts/bench_dns_floor.ts). Every run's answers
 * are checked.
 *
 * @module
 */
import type { BenchContext } from "./bench.ts";
import { interleaved } from "./bench_stats.ts";
import type { Timed } from "./bench_stats.ts";
import { DNSMASQ, Dnsmasq } from "../tests/_dns.ts";

const COUNT = 1000;

/** Runs the DNS section. */
export async function run(ctx: BenchContext): Promise<void> {
  const runs = ctx.quick ? 3 : 7;
  ctx.print(`== resolve: the A records of ${COUNT} names from a local dnsmasq, whole processes`);
  if (!DNSMASQ) return ctx.print("note: dnsmasq is not installed; this section is skipped");
  if (!ctx.have("dig")) return;
  const names = Array.from({ length: COUNT }, (_, i) => `h${i}.bench.test`);
  const addresses = names.map((_, i) => `10.${(i >> 8) & 255}.${i & 255}.1`);
  await using dns = await Dnsmasq.start({ hosts: names.map((n, i) => `${addresses[i]} ${n}`) });
  await ctx.pinProcess(0, dns.process.pid);
  const file = `${dns.dir}/names`;
  await Deno.writeTextFile(file, names.join("\n") + "\n");
  const expected = addresses.join("\n") + "\n";
  const port = String(dns.port);
  const floor = (mode: string, flags: string[] = []) =>
    ctx.pin(1, [
      Deno.execPath(),
      "run",
      "-q",
      ...flags,
      "--allow-net=127.0.0.1",
      `--allow-read=${file}`,
      `${ctx.root}scripts/bench_dns_floor.ts`,
      mode,
      port,
      file,
    ]);
  const commands = [
    {
      label: "sockit resolve -f",
      cmd: ctx.pin(1, [...ctx.sockit, "resolve", `@${dns.server}`, "-f", file, "--short"]),
    },
    {
      label: "dig -f",
      cmd: ctx.pin(1, [
        "dig",
        "@127.0.0.1",
        "-p",
        port,
        "-f",
        file,
        "+short",
        "+tries=1",
        "+time=2",
      ]),
    },
    { label: "bare deno node:dgram", cmd: floor("dgram") },
    { label: "bare deno listenDatagram", cmd: floor("datagram", ["--unstable-net"]) },
  ];
  const check = (label: string, timed: Timed) => {
    if (timed.stdout !== expected) {
      const lines = timed.stdout.split("\n").length - 1;
      throw new Error(`${label} printed ${lines} lines, not the ${COUNT} answers in order`);
    }
  };
  await interleaved(commands, 1, check);
  const [sockit, dig, dgram, datagram] = await interleaved(commands, runs, check);
  ctx.figure({
    name: `sockit resolve -f of ${COUNT} names`,
    unit: "ms",
    lowerIsBetter: true,
    sockit: sockit!,
    against: dig!,
    floor: datagram!,
    beside: [dgram!],
    ratio: "speed",
    target: 1.5,
    everyRun: true,
    before: 1.37,
    note: "against one dig -f over the same names; the bare floors ask 32 at a time",
  });
}
