/**
 * The `get` section of `deno task bench`, against nginx started for the run on a free loopback
 * port: 1000 sequential small GETs over keep-alive (sockit against one curl process), a 1 GiB
 * body to /dev/null (against curl), and one cold GET (against a bare `deno run` raw GET script).
 * Runs on its own too: `deno run -P=bench scripts/bench_http.ts`.
 *
 * @module
 */
import { hasNginx, Nginx } from "../tests/_http.ts";

/** What the bench runner hands each section; only a line printer is needed here. */
export interface BenchContext {
  /** Prints one line of results. */
  print?: (line: string) => void;
}

const ROOT = new URL("../", import.meta.url);
const MAIN = new URL("main.ts", ROOT).pathname;
const CONFIG = new URL("deno.json", ROOT).pathname;

async function timed(cmd: string, args: string[]): Promise<number> {
  const started = performance.now();
  const result = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
  const ms = performance.now() - started;
  if (!result.success) {
    throw new Error(
      `${cmd} ${args.slice(0, 3).join(" ")}... failed: ${
        new TextDecoder().decode(result.stderr).slice(0, 400)
      }`,
    );
  }
  return ms;
}

async function median(runs: number, work: () => Promise<number>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await work());
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

function sockit(args: string[]): [string, string[]] {
  return [Deno.execPath(), ["run", "-q", "-P=sockit", "--config", CONFIG, MAIN, "get", ...args]];
}

function hasCurl(): boolean {
  return new Deno.Command("sh", { args: ["-c", "command -v curl"], stdout: "null", stderr: "null" })
    .outputSync().success;
}

/** Runs the section. */
export async function run(ctx: BenchContext = {}): Promise<void> {
  // deno-lint-ignore no-console
  const print = ctx.print ?? ((line: string) => console.log(line));
  print("== get: sockit's HTTP/1.1 client against nginx");
  if (!hasNginx() || !hasCurl()) {
    print("skipped: nginx and curl are needed");
    return;
  }
  const dir = await Deno.makeTempDir({ prefix: "sockit-bench-http-" });
  try {
    // A sparse 1 GiB file: nginx sends zeros without a gigabyte on disk.
    const gib = 1024 * 1024 * 1024;
    await using nginx = await Nginx.start({
      files: { "small.txt": "hello from nginx\n" },
    });
    using big = await Deno.open(`${nginx.root}/big.bin`, { write: true, create: true });
    await big.truncate(gib);
    const script = `${dir}/raw_get.ts`;
    await Deno.writeTextFile(
      script,
      `const c = await Deno.connect({ hostname: "127.0.0.1", port: ${nginx.port} });
await c.write(new TextEncoder().encode("GET /small.txt HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nConnection: close\\r\\n\\r\\n"));
const b = new Uint8Array(65536);
while ((await c.read(b)) !== null);
c.close();
`,
    );

    const urls = Array.from({ length: 1000 }, (_, i) => nginx.url(`/small.txt?i=${i}`));
    const [cmd, args] = sockit(urls);
    await timed(cmd, args); // warm the module cache
    const sockitMs = await median(3, () => timed(cmd, args));
    const curlMs = await median(3, () => timed("curl", ["-s", "--fail", ...urls]));
    const rows = await nginx.accessLog();
    const lastConns = new Set(rows.slice(-1000).map((row) => row[0])).size;
    print(
      `1000 keep-alive GETs: sockit ${(1000 / sockitMs * 1000).toFixed(0)} req/s, curl ${
        (1000 / curlMs * 1000).toFixed(0)
      } req/s: ${
        (curlMs / sockitMs).toFixed(2)
      }x curl (target >= 1.0x; nginx saw ${lastConns} connection)`,
    );

    const [bigCmd, bigArgs] = sockit([nginx.url("/big.bin")]);
    const sockitBig = await median(3, () => timed(bigCmd, bigArgs));
    const curlBig = await median(3, () => timed("curl", ["-s", "--fail", nginx.url("/big.bin")]));
    const rate = (ms: number) => `${(1024 / (ms / 1000)).toFixed(0)} MiB/s`;
    print(
      `1 GiB to /dev/null: sockit ${rate(sockitBig)}, curl ${rate(curlBig)}: ${
        (curlBig / sockitBig).toFixed(2)
      }x curl (target >= 0.8x)`,
    );

    const [coldCmd, coldArgs] = sockit([nginx.url("/small.txt")]);
    const bareArgs = ["run", "-q", "--allow-net=127.0.0.1", script];
    await timed(Deno.execPath(), bareArgs);
    const sockitCold = await median(7, () => timed(coldCmd, coldArgs));
    const bareCold = await median(7, () => timed(Deno.execPath(), bareArgs));
    print(
      `one cold GET: sockit ${sockitCold.toFixed(0)} ms, bare deno raw GET ${
        bareCold.toFixed(0)
      } ms: sockit adds ${((sockitCold / bareCold - 1) * 100).toFixed(0)}% (target <= 20%)`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  await run();
}
