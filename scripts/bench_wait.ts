/**
 * The `wait` section of `deno task bench`: how soon a waiter notices a loopback port that opens
 * after a random 1 to 3 s, from the moment the port accepts to the moment the waiter exits
 * (sockit against wait-on, the npm tool it replaces, in the same run), and what 50 ready targets
 * cost against one.
 *
 * @module
 */
import type { BenchContext } from "./bench.ts";

const ROOT = new URL("../", import.meta.url);
const WAIT_ON_DIR = new URL(".bench-build/wait-on/", ROOT).pathname;
const WAIT_ON = `${WAIT_ON_DIR}node_modules/wait-on/bin/wait-on`;

const RUNS = 11;

function sockitWait(ctx: BenchContext, args: string[]): [string, string[]] {
  const [program, ...rest] = [...ctx.sockit, "wait", ...args];
  return [program!, rest];
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/** Installs wait-on from the npm registry into .bench-build once; false when that fails. */
async function ensureWaitOn(print: (line: string) => void): Promise<boolean> {
  try {
    await Deno.stat(WAIT_ON);
    return true;
  } catch {
    // not yet installed
  }
  const npm = await new Deno.Command("npm", {
    args: ["install", "--prefix", WAIT_ON_DIR, "--no-audit", "--no-fund", "wait-on@8"],
    stdout: "null",
    stderr: "piped",
  }).output().catch((error) => ({
    success: false,
    stderr: new TextEncoder().encode(String(error)),
  }));
  if (!npm.success) {
    print(`note: cannot install wait-on: ${new TextDecoder().decode(npm.stderr).slice(0, 200)}`);
    return false;
  }
  return true;
}

/**
 * Starts `cmd`, opens `port` after `delayMs`, and returns the milliseconds from the listener's
 * first moment to the waiter's exit.
 */
async function noticeMs(cmd: [string, string[]], port: number, delayMs: number): Promise<number> {
  const child = new Deno.Command(cmd[0], { args: cmd[1], stdout: "null", stderr: "null" }).spawn();
  const exited = child.status.then((status) => ({ status, at: performance.now() }));
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  const opened = performance.now();
  const accepting = (async () => {
    try {
      for await (const conn of listener) conn.close();
    } catch { /* closed */ }
  })();
  const { status, at } = await exited;
  listener.close();
  await accepting;
  if (!status.success) throw new Error(`${cmd[1].join(" ")} exited ${status.code}`);
  return at - opened;
}

function stats(samples: number[]): { median: number; p90: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    median: sorted[Math.floor(sorted.length / 2)]!,
    p90: sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.9) - 1)]!,
  };
}

async function wholeRunMs(cmd: [string, string[]]): Promise<number> {
  const started = performance.now();
  const result = await new Deno.Command(cmd[0], { args: cmd[1], stdout: "null", stderr: "piped" })
    .output();
  if (!result.success) throw new Error(new TextDecoder().decode(result.stderr).slice(0, 300));
  return performance.now() - started;
}

/** Runs the section. */
export async function run(ctx: BenchContext): Promise<void> {
  const print = ctx.print;
  print(
    `== wait: a loopback port that opens after 1 to 3 s, from its first accept to the waiter's ` +
      `exit (median of ${RUNS}, both waiters at once on ports of their own)`,
  );
  const haveWaitOn = await ensureWaitOn(print);
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const delay = 1000 + Math.random() * 2000;
    const a = freePort(), b = freePort();
    const [x, y] = await Promise.all([
      noticeMs(sockitWait(ctx, ["--timeout", "30s", `127.0.0.1:${a}`]), a, delay),
      haveWaitOn
        ? noticeMs(["node", [WAIT_ON, "-t", "30000", `tcp:127.0.0.1:${b}`]], b, delay)
        : Promise.resolve(NaN),
    ]);
    ours.push(x);
    theirs.push(y);
  }
  const s = stats(ours), w = stats(theirs);
  print(`${"waiter".padEnd(10)}${"median ms".padStart(10)}${"p90 ms".padStart(10)}`);
  print(
    `${"sockit".padEnd(10)}${s.median.toFixed(0).padStart(10)}${s.p90.toFixed(0).padStart(10)}`,
  );
  if (haveWaitOn) {
    print(
      `${"wait-on".padEnd(10)}${w.median.toFixed(0).padStart(10)}${w.p90.toFixed(0).padStart(10)}`,
    );
    const ratio = s.median / w.median;
    print(
      `readiness: sockit / wait-on median  ${ratio.toFixed(2)}x  target <= 1x  ${
        ratio <= 1 ? "PASS" : "FAIL"
      }`,
    );
  }
  print("");
  print(`== wait: 50 targets that are all ready against 1, whole run (median of ${RUNS})`);
  const listeners = Array.from(
    { length: 50 },
    () => Deno.listen({ hostname: "127.0.0.1", port: 0 }),
  );
  const accepting = listeners.map(async (listener) => {
    try {
      for await (const conn of listener) conn.close();
    } catch { /* closed */ }
  });
  try {
    const targets = listeners.map((l) => `127.0.0.1:${l.addr.port}`);
    const one: number[] = [], fifty: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      one.push(await wholeRunMs(sockitWait(ctx, ["-q", targets[0]!])));
      fifty.push(await wholeRunMs(sockitWait(ctx, ["-q", ...targets])));
    }
    const m1 = stats(one).median, m50 = stats(fifty).median;
    const ratio = m50 / m1;
    print(`1 target ${m1.toFixed(0)} ms, 50 targets ${m50.toFixed(0)} ms`);
    print(
      `50 targets / 1 target  ${ratio.toFixed(2)}x  target <= 1.5x  ${
        ratio <= 1.5 ? "PASS" : "FAIL"
      }`,
    );
  } finally {
    for (const listener of listeners) listener.close();
    await Promise.all(accepting);
  }
}
