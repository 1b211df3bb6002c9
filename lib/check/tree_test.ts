/**
 * Reading a spec file into a positioned tree: where each key and value is written, and the
 * problems found before any check is read (JSON syntax, a second document, an empty file, depth).
 */
import assert from "node:assert/strict";
import process from "node:process";
import { formatOf, jsonSyntaxError, readTree } from "./tree.ts";

Deno.test("readTree() gives every key and value the line and column it is written at", () => {
  const { root, problems } = readTree(
    "version: 1\nchecks:\n  - name: a\n    tcp: { host: h, port: 1 }\n",
    "yaml",
  );
  assert.deepEqual(problems, []);
  assert.ok(root?.type === "map");
  const [version, checks] = root.entries;
  assert.equal(version!.key, "version");
  assert.deepEqual(version!.value, {
    type: "scalar",
    pos: { line: 1, col: 10 },
    value: 1,
    source: "1",
  });
  assert.equal(checks!.key, "checks");
  assert.deepEqual(checks!.keyPos, { line: 2, col: 1 });
  assert.ok(checks!.value.type === "seq");
  const check = checks!.value.items[0]!;
  assert.ok(check.type === "map");
  const tcp = check.entries[1]!;
  assert.ok(tcp.value.type === "map");
  assert.deepEqual(
    tcp.value.entries.map((e) => [e.key, e.keyPos, e.value.pos]),
    [["host", { line: 4, col: 12 }, { line: 4, col: 18 }], ["port", { line: 4, col: 21 }, {
      line: 4,
      col: 27,
    }]],
  );
});

Deno.test("readTree() refuses a second document, an empty file and nesting past 100 levels", () => {
  assert.deepEqual(readTree("a: 1\n---\nb: 2\n", "yaml"), {
    root: undefined,
    problems: [{
      line: 2,
      col: 1,
      message:
        "a second YAML document starts here: a spec file holds one (give each its own file: check takes several)",
    }],
  });
  assert.deepEqual(readTree("", "yaml"), {
    root: undefined,
    problems: [{
      line: 1,
      col: 1,
      message: "the file is empty: expected a mapping with version and checks",
    }],
  });
  const deep = { line: 1, col: 101, message: "mappings and lists nested more than 100 deep" };
  assert.deepEqual(readTree("[".repeat(1000), "yaml"), { root: undefined, problems: [deep] });
  assert.deepEqual(readTree("[".repeat(1000), "json"), { root: undefined, problems: [deep] });
});

Deno.test("readTree() reads a .json spec as strict JSON: a trailing comma is a problem where it is", () => {
  assert.deepEqual(readTree('{"a": 1,}', "json"), {
    root: undefined,
    problems: [{ line: 1, col: 9, message: "invalid JSON: a trailing comma" }],
  });
  // The same text is YAML's flow mapping, which allows it.
  assert.deepEqual(readTree('{"a": 1,}', "yaml").problems, []);
});

Deno.test("jsonSyntaxError() finds the first place that is not RFC 8259 JSON, and nothing in valid JSON", () => {
  assert.equal(jsonSyntaxError('[1, 2, {"a": [true, null, "x\\u00e9"]}]'), undefined);
  assert.deepEqual(jsonSyntaxError('{"a":\n "\u0001"}'), {
    line: 2,
    col: 3,
    message: "invalid JSON: a control character in a string (escape it)",
  });
  assert.match(jsonSyntaxError("{a: 1}")!.message, /a key that is not a double-quoted string/);
  assert.match(jsonSyntaxError('"\\x"')!.message, /a bad escape/);
  assert.match(jsonSyntaxError('"abc')!.message, /an unterminated string/);
});

Deno.test("formatOf() reads .json in any case as JSON and every other name as YAML", () => {
  assert.equal(formatOf("checks.JSON"), "json");
  assert.equal(formatOf("checks.json"), "json");
  assert.equal(formatOf("checks.yml"), "yaml");
  assert.equal(formatOf("json"), "yaml");
});

Deno.test("readTree() reads no environment variable per token of the file", () => {
  // The Node build of the YAML parser checks process.env.LOG_TOKENS for every lexical token,
  // and under Deno every such read is a permission-checked call into the runtime.
  const lines = ["version: 1", "checks:"];
  for (let i = 0; i < 200; i++) lines.push(`  - { name: c${i}, tcp: { host: h, port: 1 } }`);
  let reads = 0;
  const env = process.env;
  process.env = new Proxy({}, {
    get: () => {
      reads++;
      return undefined;
    },
  });
  try {
    const { problems } = readTree(lines.join("\n") + "\n", "yaml");
    assert.deepEqual(problems, []);
  } finally {
    process.env = env;
  }
  assert.ok(reads < 10, `${reads} reads of process.env`);
});

/** Texts read in batches and whole: valid, invalid, and laid out every way the split must see. */
function batchSamples(): string[] {
  const item = (n: number) => `{ name: c${n}, tcp: { host: h, port: ${n} } }`;
  const nested = (depth: number) => `  - ${"[".repeat(depth)}${"]".repeat(depth)}\n`;
  const everyKind = Deno.readTextFileSync(
    new URL("../../tests/fixtures/check/every_kind.yaml", import.meta.url),
  );
  const samples = [
    everyKind,
    `version: 1\nchecks:\n- name: a\n  tcp: ${item(1)}\n- name: b\n  tcp: ${item(2)}\n`,
    `version: 1\r\nchecks:\r\n  - ${item(1)}\r\n  - ${item(2)}\r\n  - ${item(3)}\r\n`,
    `version: 1\nchecks:\n  # first\n  - ${item(1)}\n\n# between\n  -\n    name: b\n` +
    `    tcp: ${item(2)}\n  - "quoted"\n  -\n  - |\n    block\n    text\n  - ${item(3)} # end\n`,
    `version: 1\nchecks:\n  - &one ${item(1)}\n  - *one\n  - *one\n`,
    `version: 1\nchecks:\n  - ${item(1)}\n  - &two ${item(2)}\n  - *two\n`,
    `version: 1\nchecks:\n  - { name: a, name: b }\n  - ${item(2)}\n`,
    `version: 1\nchecks:\n  - ${item(1)}\n  - ${item(2)}\ndefaults: { timeout: 1s }\n`,
    `version: 1\nchecks:\n  - { name: "a }\n  - { name: b" }\n  - ${item(3)}\n`,
    `version: 1\nchecks:\n  - { name: a,\n  - x }\n  - ${item(3)}\n`,
    `version: 1\nchecks:\n  - ${item(1)}\n - ${item(2)}\n   - ${item(3)}\n`,
    `version: 1\nchecks:\n  - ${item(1)}\n\t- ${item(2)}\n  - ${item(3)}\n`,
    `%YAML 1.1\n---\nversion: 1\nchecks:\n  - yes\n  - no\n`,
    `version: 1\nchecks:\n  - a\n  - b\n---\nx: 1\n`,
    `version: 1\nchecks:\n  - a\n  - b\n...\n`,
    `version: 1\nchecks: # the list\n  - a\n  - 0x1f\n  - 1e3\n  - ~\n  - .inf\n  - '2'\n`,
    `version: 1\nchecks:\n  - a\n${nested(97)}${nested(98)}`,
    `version: 1\nchecks:\n  - a\n${nested(98)}${nested(99)}`,
    `checks:\n  - a\n  - b\nchecks:\n  - c\n`,
    `version: 1\nchecks:\n\n  - a\n  - b\n  -c\n`,
  ];
  for (let cut = 1; cut < everyKind.length; cut += 7) samples.push(everyKind.slice(0, cut));
  return samples;
}

Deno.test("readTree() gives the same tree and problems reading the checks in batches as reading the whole file", () => {
  for (const text of batchSamples()) {
    const whole = readTree(text, "yaml", { batch: 0 });
    for (const batch of [1, 2, 100]) {
      assert.deepEqual(readTree(text, "yaml", { batch }), whole, `batch ${batch} of ${text}`);
    }
  }
});
