/**
 * The shared reader: problems collected at their positions, the typed value readers, and the
 * masking of a problem quoting a value a secret went into.
 */
import assert from "node:assert/strict";
import { readTree } from "../tree.ts";
import type { SpecNode } from "../tree.ts";
import { options } from "../_test_helpers.ts";
import { article, describe, SpecReader } from "./reader.ts";

/** A reader and the value nodes of a one-level YAML mapping, by key. */
function setUp(yaml: string): { reader: SpecReader; at: (key: string) => SpecNode } {
  const { root, problems } = readTree(yaml, "yaml");
  assert.deepEqual(problems, []);
  assert.ok(root?.type === "map");
  const at = (key: string) => root.entries.find((e) => e.key === key)!.value;
  return { reader: new SpecReader(options(), problems), at };
}

const shown = (reader: SpecReader) =>
  reader.problems.map((p) => `${p.line}:${p.col}: ${p.message}`);

Deno.test("the typed readers give each value its type and resolve a relative path", () => {
  const { reader, at } = setUp(
    "n: 12\ns: text\nd: 1500ms\nb: true\nl: [a, b]\none: a\np: run/x.sock\nh: '[::1]'\n",
  );
  assert.equal(reader.integer(at("n"), "n", 1, 20), 12);
  assert.equal(reader.string(at("s"), "s"), "text");
  assert.equal(reader.string(at("n"), "n", { numbers: true }), "12");
  assert.equal(reader.duration(at("d"), "d", true), 1500);
  assert.equal(reader.duration(at("n"), "n", true), 12_000);
  assert.equal(reader.bool(at("b"), "b"), true);
  assert.deepEqual(reader.strings(at("l"), "l"), ["a", "b"]);
  assert.deepEqual(reader.strings(at("one"), "one"), ["a"]);
  assert.equal(reader.path(at("p"), "p"), "/srv/checks/run/x.sock");
  assert.equal(reader.host(at("h")), "::1");
  assert.equal(reader.port(at("n")), 12);
  assert.deepEqual(reader.problems, []);
});

Deno.test("each typed reader refuses a wrong value with a problem at the value, and reading goes on", () => {
  const { reader, at } = setUp(
    "n: 12\ns: [x]\nd: 5x\nz: 0\nb: yes\nh: a b\np: ''\nm: { a: 1, tiemout: 2 }\n",
  );
  assert.equal(reader.integer(at("n"), "n", 1, 10), undefined);
  assert.equal(reader.string(at("s"), "s"), undefined);
  assert.equal(reader.duration(at("d"), "d", true), undefined);
  assert.equal(reader.duration(at("z"), "z", true), undefined);
  assert.equal(reader.duration(at("z"), "z", false), 0);
  assert.equal(reader.bool(at("b"), "b"), undefined);
  assert.equal(reader.host(at("h")), undefined);
  assert.equal(reader.path(at("p"), "p"), undefined);
  assert.deepEqual([...reader.map(at("m"), "m", ["a", "timeout"])!.keys()], ["a"]);
  assert.deepEqual(shown(reader), [
    "1:4: n must be a whole number from 1 to 10, not the number 12",
    "2:4: s must be a string, not a list",
    '3:4: invalid duration "5x" for d: use a number with ms, s, m, h or d (500ms, 5s, 2m)',
    "4:4: z must be more than 0",
    '5:4: b must be true or false, not the string "yes"',
    '6:4: invalid host "a b": expected a name or an IP address',
    "7:4: p must not be empty",
    '8:12: unknown key "tiemout" in m (did you mean "timeout"?)',
  ]);
});

Deno.test("a variable is put into a string, and a name without a value says why at its ${", () => {
  const { reader, at } = setUp("a: x-${A}\nb: 'x-${B}'\nc: '${C}'\n");
  reader.define("A", "1");
  reader.declareUnset("B", 'variable "B" has no value (declared at 9:1)');
  assert.equal(reader.string(at("a"), "a"), "x-1");
  assert.equal(reader.string(at("b"), "b"), undefined);
  assert.equal(reader.string(at("c"), "c"), undefined);
  assert.deepEqual(shown(reader), [
    '2:7: variable "B" has no value (declared at 9:1)',
    '3:5: undefined variable "C" (declare it under "vars" or "secrets")',
  ]);
});

Deno.test("a problem is masked only while a check that had a secret put in is read", async () => {
  const { reader, at } = setUp("t: 'Bearer ${T}'\nname: '${T}'\n");
  reader.declareSecret("T");
  reader.defineSecret("T", "hunter2");
  reader.problem({ line: 1, col: 1 }, "hunter2 as written");
  await reader.readingCheck(() => {
    assert.equal(reader.string(at("t"), "t"), "Bearer hunter2");
    assert.equal(reader.string(at("name"), '"name"', { noSecrets: true }), undefined);
    reader.problem({ line: 3, col: 1 }, `saw ${reader.quote("Bearer hunter2")}`);
    return Promise.resolve();
  });
  reader.problem({ line: 4, col: 1 }, "hunter2 again");
  assert.equal(reader.secretUses, 2);
  assert.deepEqual(reader.secretNames(), ["T"]);
  assert.deepEqual(shown(reader), [
    "1:1: hunter2 as written",
    '2:7: "name" cannot hold the secret "T": it is shown as written in every report',
    '3:1: saw "Bearer ***"',
    "4:1: hunter2 again",
  ]);
});

Deno.test("reword() gives the first problem at a place another message", () => {
  const { reader } = setUp("a: 1\n");
  reader.problem({ line: 1, col: 1 }, "first");
  reader.problem({ line: 1, col: 1 }, "second");
  reader.reword({ line: 1, col: 1 }, "reworded");
  reader.reword({ line: 9, col: 9 }, "nowhere");
  assert.deepEqual(shown(reader), ["1:1: reworded", "1:1: second"]);
});

Deno.test("describe() names a value's type and article() the article of a kind", () => {
  const { at } = setUp("m: {}\nl: []\nn: null\ns: x\nd: 2\nb: false\n");
  assert.deepEqual(["m", "l", "n", "s", "d", "b"].map((k) => describe(at(k))), [
    "a mapping",
    "a list",
    "nothing (null)",
    'the string "x"',
    "the number 2",
    "false",
  ]);
  assert.deepEqual(["http", "echo", "tcp", "dns"].map(article), ["an", "an", "a", "a"]);
});
