/**
 * The layering of lib/, read from the source: every import of every .ts file in lib/ (static
 * `import` and `export ... from`, and dynamic `import()`) goes to its own floor or a lower one,
 * nothing below lib/cli imports it, and code outside lib/cli never writes to stdout or stderr.
 * The detectors are tested on sample text first, so that a detector that finds nothing fails.
 */
import assert from "node:assert/strict";

/**
 * The floors of lib/, bottom first. A folder may import its own files and any folder on a lower
 * floor; folders on the same floor do not import each other.
 */
const FLOORS: Record<string, number> = {
  net: 0, // sockets, timers, TLS, addresses, byte I/O
  text: 0, // quoting, paths, suggestions for messages
  dns: 1, // the DNS protocol over net
  echo: 1, // the echo protocol over net
  http: 1, // the HTTP/1.1 protocol over net
  metrics: 1, // the Prometheus exposition formats: metric families and their text
  probe: 2, // one readiness or certificate probe over the protocols
  check: 3, // specs of many probes, their runner and reports
  monitor: 4, // a spec on a schedule: its state, metrics, /probe, health and status page
  cli: 5, // commands: flags, help, calling the library, printing its results
};

const LIB = new URL("../lib/", import.meta.url);

/**
 * `source` with every comment blanked out (newlines kept, so positions keep their line), and
 * strings and template literals left as they are.
 */
function stripComments(source: string): string {
  let out = "";
  let i = 0;
  // Each open template literal's depth of `${` braces; empty when in plain code.
  const templates: number[] = [];
  let braces = 0;
  // Whether a `/` here starts a regular expression (it follows an operator, not a value).
  let regexAllowed = true;
  const blank = (text: string) => text.replace(/[^\n]/g, " ");
  while (i < source.length) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === "/" && next === "/") {
      const end = source.indexOf("\n", i);
      const stop = end === -1 ? source.length : end;
      out += blank(source.slice(i, stop));
      i = stop;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end === -1 ? source.length : end + 2;
      out += blank(source.slice(i, stop));
      i = stop;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < source.length && source[j] !== c && source[j] !== "\n") {
        j += source[j] === "\\" ? 2 : 1;
      }
      out += source.slice(i, j + 1);
      i = j + 1;
      regexAllowed = false;
    } else if (c === "`" || (c === "}" && templates.length > 0 && braces === 0)) {
      // The start of a template literal, or its text again after a `${...}`.
      if (c === "}") braces = templates.pop()!;
      let j = i + 1;
      while (
        j < source.length && source[j] !== "`" && !(source[j] === "$" && source[j + 1] === "{")
      ) {
        j += source[j] === "\\" ? 2 : 1;
      }
      if (source[j] === "`") {
        out += source.slice(i, j + 1);
        i = j + 1;
        regexAllowed = false;
      } else {
        out += source.slice(i, j + 2);
        i = j + 2;
        templates.push(braces);
        braces = 0;
        regexAllowed = true;
      }
    } else if (c === "/" && regexAllowed) {
      let j = i + 1;
      let inClass = false;
      while (j < source.length && source[j] !== "\n" && (inClass || source[j] !== "/")) {
        if (source[j] === "[") inClass = true;
        if (source[j] === "]") inClass = false;
        j += source[j] === "\\" ? 2 : 1;
      }
      out += source.slice(i, j + 1);
      i = j + 1;
      regexAllowed = false;
    } else {
      if (c === "{") braces++;
      if (c === "}") braces--;
      if (/[\w$)\]]/.test(c)) {
        // A word or a closing bracket is a value, unless the word is a keyword before an operand.
        const word = /[\w$]+$/.exec(source.slice(Math.max(0, i - 10), i + 1))?.[0] ?? "";
        regexAllowed = /^(return|typeof|case|do|else|in|of|new|delete|void|throw|yield|await)$/
          .test(word);
      } else if (!/\s/.test(c)) {
        regexAllowed = true;
      }
      out += c;
      i++;
    }
  }
  return out;
}

/** The specifiers `source` imports: static, re-exported, side-effect and dynamic. */
function importsOf(source: string): string[] {
  const code = stripComments(source);
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[\w$*{}\s,]*?\bfrom\s*["']([^"']+)["']/g,
    /\bimport\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["'`]([^"'`]+)["'`]\s*[,)]/g,
  ];
  for (const pattern of patterns) {
    for (const match of code.matchAll(pattern)) found.push(match[1]!);
  }
  // A dynamic import of a computed specifier cannot be checked, so it is reported as such.
  for (const match of code.matchAll(/\bimport\s*\((?!\s*["'`][^"'`$]*["'`]\s*[,)])/g)) {
    found.push(`<computed import at offset ${match.index}>`);
  }
  return found;
}

/**
 * The specifiers that `source`'s documentation examples import: `deno test --doc` runs each
 * ```ts block as a module beside the file, so an example obeys the floors as the code does.
 */
function exampleImportsOf(source: string): string[] {
  const found: string[] = [];
  for (const block of source.matchAll(/```ts\b[^\n]*\n([\s\S]*?)```/g)) {
    const code = block[1]!.split("\n").map((line) => line.replace(/^\s*\* ?/, "")).join("\n");
    found.push(...importsOf(code));
  }
  return found;
}

/** Each place in `source`'s code (not its comments) that writes to stdout or stderr. */
function printsIn(source: string): string[] {
  const code = stripComments(source);
  const pattern =
    /\b(?:console\s*\.\s*[\w$]+|Deno\s*\.\s*std(?:out|err)\b|process\s*\.\s*std(?:out|err)\b)/g;
  return [...code.matchAll(pattern)].map((match) => {
    const line = code.slice(0, match.index).split("\n").length;
    return `line ${line}: ${match[0].replace(/\s+/g, "")}`;
  });
}

/** Every .ts file under lib/, as a path relative to lib/ ("net/dial.ts"). */
async function libFiles(dir = LIB, prefix = ""): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = prefix + entry.name;
    if (entry.isDirectory) {
      files.push(...await libFiles(new URL(`${entry.name}/`, dir), `${path}/`));
    } else if (entry.name.endsWith(".ts")) {
      files.push(path);
    }
  }
  return files.sort();
}

/**
 * What is wrong with `file` (relative to lib/) importing `specifier`: undefined when the import
 * goes to the file's own floor folder, a lower floor, or a package.
 */
function importProblem(file: string, specifier: string): string | undefined {
  if (specifier.startsWith("<computed")) return `${file}: ${specifier} cannot be checked`;
  if (!specifier.startsWith(".")) return undefined; // jsr:, npm:, node: and bare names
  const from = file.split("/")[0]!;
  const target = new URL(specifier, new URL(file, LIB));
  // deno.json (for the version) and tests/ helpers (for tests beside modules) have no floor.
  if (!target.href.startsWith(LIB.href)) return undefined;
  const to = target.href.slice(LIB.href.length).split("/")[0]!;
  if (to === from) return undefined;
  const [floorFrom, floorTo] = [FLOORS[from], FLOORS[to]];
  if (floorFrom === undefined) return `${file}: lib/${from} has no floor in FLOORS`;
  if (floorTo === undefined) return `${file} imports lib/${to}, which has no floor in FLOORS`;
  if (to === "cli") return `${file} imports lib/cli (${specifier}): nothing below cli imports it`;
  if (floorTo >= floorFrom) {
    return `${file} (floor ${floorFrom}) imports lib/${to} (floor ${floorTo}): ${specifier}`;
  }
  return undefined;
}

/** Whether `file` (relative to lib/) is protocol code that must never print. */
function mustNotPrint(file: string): boolean {
  return !file.startsWith("cli/") && !/_(test|bench)\.ts$/.test(file);
}

Deno.test("the import reader finds static, re-exported, side-effect and dynamic imports, not commented ones", () => {
  const sample = [
    'import assert from "node:assert/strict";',
    'import type { Dial } from "../net/dial.ts";',
    "import {",
    "  a,",
    "  b,",
    '} from "./multi.ts";',
    'export { c } from "./re.ts";',
    'export * from "./all.ts";',
    'import "./side.ts";',
    'const m = await import("../cli/late.ts");',
    "const n = await import(name);",
    '// import { x } from "../cli/commented.ts";',
    '/** import { y } from "../cli/doc.ts"; */',
    'const url = "http://example.test/"; import { z } from "./after_url.ts";',
    'const re = /["\\/]/g; import { w } from "./after_regex.ts";',
    'const t = `${"//"}`; import { v } from "./after_template.ts";',
  ].join("\n");
  assert.deepEqual(importsOf(sample).map((s) => s.replace(/offset \d+/, "offset N")), [
    "node:assert/strict",
    "../net/dial.ts",
    "./multi.ts",
    "./re.ts",
    "./all.ts",
    "./after_url.ts",
    "./after_regex.ts",
    "./after_template.ts",
    "./side.ts",
    "../cli/late.ts",
    "<computed import at offset N>",
  ]);
});

Deno.test("the example reader finds the imports of each ```ts block in a JSDoc comment", () => {
  const source = [
    "/**",
    " * @example",
    " * ```ts",
    ' * import { withConn } from "./conn.ts";',
    ' * import { serveEcho } from "../echo/server.ts";',
    " * ```",
    " */",
    'import { dial } from "./dial.ts";',
  ].join("\n");
  assert.deepEqual(exampleImportsOf(source), ["./conn.ts", "../echo/server.ts"]);
  assert.match(
    importProblem("net/conn.ts", exampleImportsOf(source)[1]!)!,
    /floor 0.*lib\/echo \(floor 1\)/,
  );
});

Deno.test("the floor rule refuses an import of lib/cli or of a higher floor, and allows lower ones", () => {
  assert.match(importProblem("net/dial.ts", "../cli/output.ts")!, /nothing below cli imports it/);
  assert.match(importProblem("check/runner.ts", "../cli/log.ts")!, /nothing below cli imports it/);
  assert.match(importProblem("net/conn.ts", "../echo/server.ts")!, /floor 0.*floor 1/);
  assert.match(importProblem("http/fetch.ts", "../dns/query.ts")!, /floor 1.*floor 1/);
  assert.match(importProblem("probe/probe.ts", "../check/spec.ts")!, /floor 2.*floor 3/);
  assert.match(importProblem("newfloor/x.ts", "../net/dial.ts")!, /no floor in FLOORS/);
  assert.match(importProblem("probe/x.ts", "<computed import at offset 1>")!, /cannot be checked/);
  assert.equal(importProblem("cli/get.ts", "../check/emit.ts"), undefined);
  assert.equal(importProblem("probe/probe.ts", "../http/fetch.ts"), undefined);
  assert.equal(importProblem("net/tls.ts", "./node_tls.ts"), undefined);
  assert.equal(importProblem("net/dial.ts", "node:dns/promises"), undefined);
  assert.equal(importProblem("cli/version.ts", "../../deno.json"), undefined);
});

Deno.test("the print reader finds console, Deno.stdout/stderr and process.stdout/stderr in code, not in comments or strings' neighbours", () => {
  const sample = [
    'console.log("x");',
    "console .error(1);",
    "await Deno.stdout.write(bytes);",
    "const w = Deno.stderr.writable;",
    'process.stdout.write("y");',
    "// console.log in a comment",
    "/** ```ts\n * console.log(example);\n * ``` */",
    'const s = "http://a/"; console.warn(s);',
    "myconsole.log(1); Deno.stdin.read(b);",
  ].join("\n");
  assert.deepEqual(printsIn(sample), [
    "line 1: console.log",
    "line 2: console.error",
    "line 3: Deno.stdout",
    "line 4: Deno.stderr",
    "line 5: process.stdout",
    "line 10: console.warn",
  ]);
  assert.equal(mustNotPrint("http/fetch.ts"), true);
  assert.equal(mustNotPrint("cli/output.ts"), false);
  assert.equal(mustNotPrint("http/client_test.ts"), false);
  assert.equal(mustNotPrint("http/http_bench.ts"), false);
});

Deno.test("every folder of lib/ has a floor, and every import of lib/ goes to its own or a lower floor", async () => {
  const files = await libFiles();
  assert.ok(files.length > 50, `only ${files.length} files found under lib/`);
  const folders = new Set(files.map((file) => file.split("/")[0]!));
  assert.deepEqual([...folders].filter((folder) => !(folder in FLOORS)), []);
  const problems: string[] = [];
  for (const file of files) {
    const source = await Deno.readTextFile(new URL(file, LIB));
    for (const specifier of importsOf(source)) {
      const problem = importProblem(file, specifier);
      if (problem) problems.push(problem);
    }
    for (const specifier of exampleImportsOf(source)) {
      const problem = importProblem(file, specifier);
      if (problem) problems.push(`${problem} (in a documentation example)`);
    }
  }
  assert.deepEqual(problems, []);
});

Deno.test("no file of lib/ outside lib/cli writes to stdout or stderr", async () => {
  const problems: string[] = [];
  for (const file of (await libFiles()).filter(mustNotPrint)) {
    const source = await Deno.readTextFile(new URL(file, LIB));
    for (const place of printsIn(source)) problems.push(`lib/${file} ${place}`);
  }
  assert.deepEqual(problems, []);
});

/**
 * The files of lib/ whose module body loads a node: module (an `await import()` outside any
 * function): loading them starts Node's compatibility layer, about 20 ms. Only the TLS fallback,
 * which no command loads unless it speaks TLS without rustls, may.
 */
const NODE_AT_LOAD_ALLOWED = ["net/node_tls.ts"];

/** The lines of `source` that load a node: module when the module itself is evaluated. */
function nodeAtLoad(source: string): number[] {
  return source.split("\n").flatMap((line, i) =>
    /^(?:export )?(?:const|let|var)\b.*=\s*await import\(\s*["']node:/.test(line) ? [i + 1] : []
  );
}

Deno.test("the node-at-load reader finds a module-level import() of node:, not one in a function", () => {
  assert.deepEqual(nodeAtLoad('const { createHash } = await import("node:crypto");\n'), [1]);
  assert.deepEqual(nodeAtLoad('  const { lookup } = await import("node:dns/promises");\n'), []);
  assert.deepEqual(nodeAtLoad('// const x = await import("node:tls");\nconst y = 1;\n'), []);
});

Deno.test("no module of lib/ loads a node: module as it is evaluated, but the TLS fallback", async () => {
  const problems: string[] = [];
  for (const file of (await libFiles()).filter((f) => !f.endsWith("_test.ts"))) {
    if (NODE_AT_LOAD_ALLOWED.includes(file)) continue;
    const source = await Deno.readTextFile(new URL(file, LIB));
    for (const line of nodeAtLoad(source)) problems.push(`lib/${file}:${line}`);
  }
  assert.deepEqual(problems, []);
});

Deno.test("the README's Architecture table gives every folder of lib/ the floor the test enforces", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const section = readme.split("\n## Architecture\n")[1]?.split("\n## ")[0];
  assert.ok(section, 'no "## Architecture" section in the README');
  const documented: Record<string, number> = {};
  for (const row of section.matchAll(/^\| (`lib\/.+?) +\| (\d+) +\|/gm)) {
    for (const folder of row[1]!.matchAll(/`lib\/(\w+)`/g)) documented[folder[1]!] = Number(row[2]);
  }
  assert.deepEqual(documented, FLOORS);
});
