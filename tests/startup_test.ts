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
    entry: "lib/cli/get.ts",
    never: [NODE, LOGTAPE, /^lib\/(dns|echo|probe|check)\//, /yaml/],
  },
  {
    entry: "lib/cli/echo.ts",
    never: [LOGTAPE, /^lib\/(http|dns|probe|check)\//, /yaml/],
  },
  {
    entry: "lib/cli/resolve.ts",
    never: [NODE, LOGTAPE, /^lib\/(http|echo|probe|check)\//, /yaml/],
  },
  {
    entry: "lib/cli/wait.ts",
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
