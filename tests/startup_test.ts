/**
 * Start-up stays cheap: a test of what gets loaded, not of how long it takes. `deno info` gives
 * each module's imports; the modules an entry point loads before running are those reached by
 * static imports (dynamic ones load only when their code runs). `sockit --version` must load
 * almost nothing, and each command must not pull in another command's protocol, the logging
 * library or Node's compatibility layer unless it needs them.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

interface InfoModule {
  specifier: string;
  dependencies?: Array<{ code?: { specifier: string }; isDynamic?: boolean }>;
}

const info = await (async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "--config", new URL("deno.json", ROOT).pathname, "main.ts"],
    cwd: ROOT.pathname,
    stdout: "piped",
    stderr: "null",
  }).output();
  const graph = JSON.parse(new TextDecoder().decode(output.stdout));
  return {
    modules: new Map<string, InfoModule>(graph.modules.map((m: InfoModule) => [m.specifier, m])),
    redirects: graph.redirects as Record<string, string>,
  };
})();

/** The modules `entry` loads before it runs: its static imports, transitively. */
function loadedBy(entry: string): string[] {
  const start = new URL(entry, ROOT).href;
  const seen = new Set<string>([start]);
  const queue = [start];
  while (queue.length > 0) {
    const module = info.modules.get(queue.shift()!);
    for (const dep of module?.dependencies ?? []) {
      if (!dep.code || dep.isDynamic) continue;
      const target = info.redirects[dep.code.specifier] ?? dep.code.specifier;
      if (!seen.has(target)) {
        seen.add(target);
        queue.push(target);
      }
    }
  }
  return [...seen].map((s) => s.replace(ROOT.href, ""));
}

const NODE = /^node:/;
const LOGTAPE = /@logtape/;

Deno.test("sockit --version loads the entrypoint, its streams and the version, nothing else", () => {
  assert.deepEqual(loadedBy("main.ts").sort(), ["lib/cli/io.ts", "main.ts"]);
  assert.deepEqual(loadedBy("lib/cli/version.ts").sort(), ["deno.json", "lib/cli/version.ts"]);
});

const RULES: Array<{ entry: string; never: RegExp[] }> = [
  {
    entry: "lib/cli/mod.ts",
    never: [NODE, LOGTAPE, /^lib\/(http|dns|echo|probe|check)\//],
  },
  {
    entry: "lib/cli/get/mod.ts",
    never: [NODE, LOGTAPE, /^lib\/(dns|echo|probe|check)\//, /yaml/],
  },
  {
    entry: "lib/cli/echo/mod.ts",
    never: [LOGTAPE, /^lib\/(http|dns|probe|check)\//, /yaml/],
  },
  {
    entry: "lib/cli/resolve/mod.ts",
    never: [NODE, LOGTAPE, /^lib\/(http|echo|probe|check)\//, /yaml/],
  },
  {
    entry: "lib/cli/wait/mod.ts",
    never: [LOGTAPE, /^lib\/check\//, /yaml/, /^node:util/],
  },
];

for (const rule of RULES) {
  Deno.test(`${rule.entry} does not load ${rule.never.map((r) => r.source).join(", ")}`, () => {
    const loaded = loadedBy(rule.entry);
    assert.ok(loaded.length > 1, `${rule.entry} is not in the graph`);
    for (const pattern of rule.never) {
      const found = loaded.filter((m) => pattern.test(m));
      assert.deepEqual(found, [], `${rule.entry} loads ${found.join(", ")}`);
    }
  });
}

/** Runs `script` in a fresh Deno (all permissions, the repo's config) and returns its stdout. */
async function evalFresh(script: string): Promise<string> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "-q", "--config", new URL("deno.json", ROOT).pathname, script],
    cwd: ROOT.pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(new TextDecoder().decode(output.stderr), "");
  return new TextDecoder().decode(output.stdout).trim();
}

Deno.test("loading get makes no decompression stream until a body is decoded", async () => {
  // Making one loads the runtime's compression and streams code: 8 ms of every get.
  const out = await evalFresh(`
let made = 0;
globalThis.DecompressionStream = class { constructor() { made++; } };
await import("${new URL("lib/cli/get/mod.ts", ROOT).href}");
const { decoders } = await import("${new URL("lib/http/decode.ts", ROOT).href}");
const before = made;
decoders();
console.log(before, made > 0);`);
  assert.equal(out, "0 true");
});

Deno.test("sockit get sets no setTimeout timer (the first one loads Node's timers)", async () => {
  const out = await evalFresh(`
let timers = 0;
const setTimeoutBefore = globalThis.setTimeout;
globalThis.setTimeout = (...args) => (timers++, setTimeoutBefore(...args));
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const serving = (async () => {
  const conn = await listener.accept();
  await conn.read(new Uint8Array(4096));
  await conn.write(new TextEncoder().encode("HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok"));
  conn.close();
})();
const { main } = await import("${new URL("main.ts", ROOT).href}");
const sink = { write: (b) => Promise.resolve(b.length) };
const io = { stdout: sink, stderr: sink, stdin: { read: () => Promise.resolve(null) },
  stderrIsTerminal: false, env: () => undefined };
const code = await main(["get", "--connect-timeout", "5s", \`http://127.0.0.1:\${listener.addr.port}/\`], io);
await serving;
listener.close();
console.log(code, timers);`);
  assert.equal(out, "0 0");
});
