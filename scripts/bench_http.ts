/**
 * The `get` section of `deno task bench`, against nginx started for the run on a free loopback
 * port (pinned to the servers' core): a cold GET of a small file against the bare raw-GET
 * script, a 1 GiB body to /dev/null against the bare read/write loop (curl beside it), and 1000
 * GETs on one kept-alive connection against the bare keep-alive loop (curl with the same URLs
 * beside it). Every command is a whole process on the clients' core; the floors are
 * scripts/bench_http_floor.ts.
 *
 * @module
 */
import type { BenchContext } from "./bench.ts";
import { interleaved } from "./bench_stats.ts";
import type { Timed } from "./bench_stats.ts";
import { hasNginx, Nginx } from "../tests/_http.ts";

const SMALL = "hello from nginx\n";

/** Runs the section. */
export async function run(ctx: BenchContext): Promise<void> {
  const cold = ctx.quick ? 11 : 31;
  const bigRuns = ctx.quick ? 3 : 5;
  const bigBytes = (ctx.quick ? 256 : 1024) * 1024 * 1024;
  const keepAliveRuns = ctx.quick ? 3 : 7;
  const count = 1000;
  ctx.print(`== get: sockit's HTTP/1.1 client against nginx, whole processes`);
  if (!hasNginx() || !ctx.have("curl")) return;
  await using nginx = await Nginx.start({ files: { "small.txt": SMALL } });
  await ctx.pinProcess(0, nginx.process.pid);
  {
    // A sparse file: nginx sends zeros without a gigabyte on disk.
    using big = await Deno.open(`${nginx.root}/big.bin`, { write: true, create: true });
    await big.truncate(bigBytes);
  }
  const floor = (...args: string[]) =>
    ctx.pin(1, [
      Deno.execPath(),
      "run",
      "-q",
      "--allow-net=127.0.0.1",
      `${ctx.root}scripts/bench_http_floor.ts`,
      ...args,
    ]);
  const port = String(nginx.port);

  // Beside them, sockit --version: the bundle loaded and one line printed, the part of the cold
  // get that is start-up rather than the get itself.
  const coldCommands = [
    { label: "sockit get", cmd: ctx.pin(1, [...ctx.sockit, "get", nginx.url("/small.txt")]) },
    { label: "bare deno raw GET", cmd: floor("get", port, "/small.txt") },
    { label: "sockit --version", cmd: ctx.pin(1, [...ctx.sockit, "--version"]) },
  ];
  const sameBody = (label: string, timed: Timed) => {
    if (label === "sockit --version") return;
    if (timed.stdout !== SMALL) throw new Error(`${label} printed ${JSON.stringify(timed.stdout)}`);
  };
  await interleaved(coldCommands, 1, sameBody);
  const [coldSockit, coldFloor, coldVersion] = await interleaved(coldCommands, cold, sameBody);
  ctx.figure({
    name: "a cold sockit get of a small file from local nginx",
    unit: "ms",
    lowerIsBetter: true,
    sockit: coldSockit!,
    against: coldFloor!,
    beside: [coldVersion!],
    ratio: "cost",
    target: 1.25,
    before: 1.71,
  });

  const bigUrl = nginx.url("/big.bin");
  const [bigSockit, bigFloor, bigCurl] = await interleaved([
    { label: "sockit get", cmd: ctx.pin(1, [...ctx.sockit, "get", bigUrl]) },
    { label: "bare deno read/write loop", cmd: floor("get", port, "/big.bin") },
    { label: "curl", cmd: ctx.pin(1, ["curl", "-s", "--fail", bigUrl]) },
  ], bigRuns);
  ctx.figure({
    name: `sockit get of ${bigBytes / 1024 / 1024} MiB to /dev/null`,
    unit: "ms",
    lowerIsBetter: true,
    sockit: bigSockit!,
    against: bigFloor!,
    beside: [bigCurl!],
    ratio: "speed",
    target: 0.95,
    // Measured on 1 GiB; --quick gets 256 MiB.
    before: ctx.quick ? undefined : 1.0,
    note: "the bare loop reads 256 KiB at a time and writes each read to stdout",
  });

  const urls = Array.from({ length: count }, (_, i) => nginx.url(`/small.txt?i=${i}`));
  const all = SMALL.repeat(count);
  const sameBodies = (label: string, timed: Timed) => {
    if (timed.stdout !== all) {
      throw new Error(`${label} printed ${timed.stdout.length} bytes, not ${all.length}`);
    }
  };
  const [kaSockit, kaCurl, kaFloor] = await interleaved(
    [
      { label: "sockit get", cmd: ctx.pin(1, [...ctx.sockit, "get", ...urls]) },
      { label: "curl", cmd: ctx.pin(1, ["curl", "-s", "--fail", ...urls]) },
      {
        label: "bare deno keep-alive loop",
        cmd: floor("keepalive", port, "/small.txt", `${count}`),
      },
    ],
    keepAliveRuns,
    sameBodies,
  );
  const log = await nginx.accessLog();
  const connections = new Set(log.slice(-count).map((row) => row[0])).size;
  ctx.figure({
    name: `${count} GETs on one kept-alive connection`,
    unit: "ms",
    lowerIsBetter: true,
    sockit: kaSockit!,
    against: kaFloor!,
    beside: [kaCurl!],
    ratio: "speed",
    target: 0.9,
    before: 0.66,
    note: `the bare loop and curl with the same ${count} URLs; nginx saw ${connections} connection${
      connections === 1 ? "" : "s"
    } for the last run`,
  });
}
