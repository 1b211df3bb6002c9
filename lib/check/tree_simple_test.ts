/**
 * The reading of simple list items without the YAML library: for every item it reads, the same
 * tree as the library's reading, and a refusal for every form it does not fully understand.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { readTree } from "./tree.ts";
import type { SpecNode } from "./tree.ts";
import { readSimpleItem } from "./tree_simple.ts";

const HEAD = "version: 1\nchecks:\n";

/** The item `item` (its lines, with their line ends) as the list's only item, read both ways. */
function bothWays(item: string): { simple: SpecNode | undefined; yaml: SpecNode | undefined } {
  const text = HEAD + item;
  const simple = readSimpleItem(text, HEAD.length, text.length, 3);
  const whole = readTree(text, "yaml", { batch: 0 });
  const root = whole.root;
  const list = root?.type === "map" ? root.entries[1]?.value : undefined;
  const one = whole.problems.length === 0 && list?.type === "seq" && list.items.length === 1;
  if (simple !== undefined) assert.equal(simple.nodes, countValues(simple.node));
  return { simple: simple?.node, yaml: one ? list.items[0] : undefined };
}

/** How many values (not keys) a tree holds. */
function countValues(node: SpecNode): number {
  if (node.type === "map") return 1 + node.entries.reduce((n, e) => n + countValues(e.value), 0);
  if (node.type === "seq") return 1 + node.items.reduce((n, i) => n + countValues(i), 0);
  return 1;
}

/** Asserts that the item is read without the library, into the library's tree. */
function assertRead(item: string): SpecNode {
  const { simple, yaml } = bothWays(item);
  assert.ok(simple !== undefined, `declined: ${JSON.stringify(item)}`);
  assert.deepEqual(simple, yaml, JSON.stringify(item));
  return simple;
}

/** Asserts that the item is left to the library. */
function assertDeclined(item: string): void {
  assert.equal(bothWays(item).simple, undefined, `read: ${JSON.stringify(item)}`);
}

/** The scalar values of a flow item, in order, as the library reads them. */
function valuesOf(node: SpecNode): unknown[] {
  if (node.type === "scalar") return [node.value];
  if (node.type === "seq") return node.items.flatMap(valuesOf);
  return node.entries.flatMap((e) => valuesOf(e.value));
}

Deno.test("readSimpleItem() reads a one-line flow mapping of a check as the YAML library does", () => {
  const node = assertRead("  - { name: check-1, tcp: { host: 127.0.0.1, port: 8080 } }\n");
  assert.deepEqual(valuesOf(node), ["check-1", "127.0.0.1", 8080]);
  assertRead("- {name: a,tcp: {host: h,port: 1}}\n");
  assertRead("  -   {   name:   a  ,   tags: [ x , y ]   }   \n");
  assertRead("  - { name: a, tags: [], expect: {} }\n");
});

Deno.test("readSimpleItem() reads a block mapping of one-line values as the YAML library does", () => {
  assertRead("  - name: api health\n    tcp: { host: h, port: 1 }\n    tags: [smoke, api]\n");
  assertRead('  - name: api\n    http: { url: "${BASE}/health" }\n    timeout: 5s\n');
  assertRead("- name: a\n  dns: { name: api.example.test, type: A }\n");
});

Deno.test("readSimpleItem() gives strings that look like other values the core schema's reading", () => {
  const node = assertRead(
    "  - { a: yes, b: no, c: on, d: 'true', e: True, f: FALSE, g: null, h: ~, i: Null, " +
      'j: "null", k: 0, l: 65535, m: 1_000, n: 127.0.0.1, o: 1.2.3, p: v1 }\n',
  );
  assert.deepEqual(valuesOf(node), [
    "yes",
    "no",
    "on",
    "true",
    true,
    false,
    null,
    null,
    null,
    "null",
    0,
    65535,
    "1_000",
    "127.0.0.1",
    "1.2.3",
    "v1",
  ]);
  // Numbers other than plain decimal integers are left to the library.
  for (const number of ["007", "-1", "+1", "1.5", "1e3", ".5", ".inf", "-.inf", ".NaN", "0x1f"]) {
    assertDeclined(`  - { port: ${number} }\n`);
  }
  assertDeclined("  - { port: 1234567890123456 }\n");
  // A key must be a string.
  for (const key of ["1", "true", "null", "~"]) assertDeclined(`  - { ${key}: a }\n`);
});

Deno.test("readSimpleItem() reads # inside a value and leaves a comment to the library", () => {
  const node = assertRead("  - { url: http://h:80/a#b, c: x#y }\n");
  assert.deepEqual(valuesOf(node), ["http://h:80/a#b", "x#y"]);
  assertRead('  - { a: "x # y" }\n');
  assertDeclined("  - { name: a } # a comment\n");
  assertDeclined("  - name: a # a comment\n");
  assertDeclined("  - { name: a #b }\n");
  assertDeclined("  - { name: a }\n  # between\n");
});

Deno.test("readSimpleItem() reads a trailing comma and leaves empty values to the library", () => {
  assertRead("  - { name: a, tags: [x, y,], }\n");
  assertDeclined("  - { name: a, , }\n");
  assertDeclined("  - { name: }\n");
  assertDeclined("  - { name: , b: 1 }\n");
  assertDeclined("  - { name }\n");
  assertDeclined("  - name:\n");
  assertDeclined("  - name: a\n    expect:\n      status: 200\n");
  assertDeclined("  -\n    name: a\n");
  assertDeclined("  - []\n");
  assertDeclined("  - a\n");
});

Deno.test("readSimpleItem() reads colons inside keys and values as the YAML library does", () => {
  const node = assertRead(
    '  - { dns: { server: "127.0.0.1:5353" }, url: http://h:8080/, a:b: c, "k: v": 1 }\n',
  );
  assert.deepEqual(valuesOf(node), ["127.0.0.1:5353", "http://h:8080/", "c", 1]);
  assertDeclined("  - { a:1 }\n");
  assertDeclined('  - { "a":1 }\n');
  assertDeclined("  - { a: b: c }\n");
  assertDeclined("  - name: a: b\n");
  assertDeclined("  - { a: x:, b: 1 }\n");
});

Deno.test("readSimpleItem() reads unicode, CRLF line ends and the last line without one", () => {
  const node = assertRead("  - { name: caf\u00e9 \u65e5\u672c, tag: \u{1f600}x }\r\n");
  assert.deepEqual(valuesOf(node), ["caf\u00e9 \u65e5\u672c", "\u{1f600}x"]);
  assertRead("  - name: a\r\n    tcp: { host: h, port: 1 }\r\n");
  assertRead("  - { name: a }");
  assertDeclined("  - { name: a\u2028b }\n");
  assertDeclined("  - { name: \ufeffa }\n");
  assertDeclined("  - { name: a\u0085b }\n");
});

Deno.test("readSimpleItem() leaves tabs, quotes with escapes, anchors, tags and block scalars to the library", () => {
  for (
    const item of [
      "  - { name:\ta }\n",
      "  - {\tname: a }\n",
      "  - { name: a }\t\n",
      "  -\t{ name: a }\n",
      "  - name: a\n  \t  tcp: {}\n",
      '  - { name: "a\\tb" }\n',
      "  - { name: 'it''s' }\n",
      "  - { name: 'a\\b' }\n",
      "  - &a { name: a }\n",
      "  - { name: *a }\n",
      "  - { name: !!str 1 }\n",
      "  - !check { name: a }\n",
      "  - name: |\n      text\n",
      "  - name: >\n      text\n",
      "  - name: a\n      b\n",
      "  - { name: a,\n      tcp: b }\n",
      "  - { name: a, name: b }\n",
      "  - name: a\n    name: b\n",
      "  - { ? name : a }\n",
      "  - { <<: { a: 1 } }\n",
      "  - { name: @a }\n",
      "  - { name: `a }\n",
      "  - { name: %a }\n",
      "  - { name: -a }\n",
      "  - { name: a }\n\n",
      "  - { name: a } x\n",
      "  - { name: [a, b: c] }\n",
      "  - { name: a ] }\n",
      `  - ${"[".repeat(9)}${"]".repeat(9)}\n`,
      `  - { ${"k".repeat(1001)}: a }\n`,
    ]
  ) assertDeclined(item);
});

/** A scalar as it may be written: plain words that look like other values, quotes, odd characters. */
const scalarText = fc.oneof(
  fc.constantFrom(
    "a",
    "check-1",
    "127.0.0.1",
    "http://h:80/a#b",
    "api health",
    "null",
    "Null",
    "~",
    "true",
    "False",
    "yes",
    "0",
    "007",
    "42",
    "-1",
    "+1",
    "1.5",
    "1e3",
    ".inf",
    ".NaN",
    "0x1f",
    "0o17",
    "1_000",
    '"${BASE}/x"',
    "'a b'",
    '""',
    "''",
    "caf\u00e9",
    "<<",
  ),
  fc.stringMatching(/^[a-z0-9.:/#~$_ '"\\-]{1,8}$/),
  fc.stringMatching(/^[a-z0-9.:/#~$_ '\\-]{0,6}$/).map((s) => `"${s}"`),
  fc.stringMatching(/^[a-z0-9.:/#~$_ "\\-]{0,6}$/).map((s) => `'${s}'`),
);

/** Spaces as they may stand between tokens. */
const gap = fc.constantFrom("", " ", " ", "  ");

/** A flow collection on one line, `depth` levels deep at most. */
const flowText = fc.letrec<{ flow: string; value: string }>((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalarText, tie("flow")),
  flow: fc.oneof(
    fc.tuple(
      fc.array(fc.tuple(scalarText, gap, gap, tie("value")), { maxLength: 4 }),
      gap,
      fc.boolean(),
    ).map(([entries, space, trailing]) =>
      `{${space}${entries.map(([k, a, b, v]) => `${k}${a}:${b || " "}${v}`).join(`,${space}`)}${
        trailing && entries.length > 0 ? "," : ""
      }${space}}`
    ),
    fc.tuple(fc.array(tie("value"), { maxLength: 4 }), gap).map(([items, space]) =>
      `[${space}${items.join(`,${space}`)}${space}]`
    ),
  ),
}));

/** A list item as a check may be written: a flow mapping, or a block mapping of one-line values. */
const itemText = fc.tuple(
  fc.constantFrom("", "  "),
  fc.constantFrom("\n", "\r\n"),
  fc.oneof(
    flowText.flow.filter((f) => f.startsWith("{")).map((f) => [f]),
    fc.array(fc.tuple(scalarText, fc.oneof(scalarText, flowText.flow)), {
      minLength: 1,
      maxLength: 4,
    }).map((pairs) => pairs.map(([k, v]) => `${k}: ${v}`)),
  ),
).map(([indent, eol, lines]) =>
  lines.map((line, i) => `${indent}${i === 0 ? "- " : "  "}${line}${eol}`).join("")
);

/** An item with one character changed, added or taken away. */
const mutatedItem = fc.tuple(
  itemText,
  fc.nat(),
  fc.constantFrom("#", ":", " ", "\t", ",", "{", "}", "[", "]", "&", "*", "!", "|", ">", "'", '"'),
  fc.constantFrom("\\", "-", "?", "\n", "\r\n", "\n  ", "\n    ", "", "\u00e9", "\u2028", "0"),
  fc.boolean(),
).map(([item, at, a, b, remove]) => {
  const i = at % (item.length + 1);
  const add = at % 2 === 0 ? a : b;
  return item.slice(0, i) + add + item.slice(remove ? i + 1 : i);
});

Deno.test("readSimpleItem() gives the YAML library's tree for every item it reads, or declines", () => {
  fc.assert(
    fc.property(fc.oneof(itemText, mutatedItem), (item) => {
      const { simple, yaml } = bothWays(item);
      if (simple !== undefined) assert.deepEqual(simple, yaml, JSON.stringify(item));
    }),
    { numRuns: 3000 },
  );
});

Deno.test("readTree() gives the same tree and problems with simple items read in batches as read whole", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof({ weight: 4, arbitrary: itemText }, { weight: 1, arbitrary: mutatedItem }),
        {
          minLength: 2,
          maxLength: 8,
        },
      ),
      fc.constantFrom(1, 2, 3),
      (items, batch) => {
        const text = HEAD + items.join("");
        assert.deepEqual(
          readTree(text, "yaml", { batch }),
          readTree(text, "yaml", { batch: 0 }),
          JSON.stringify(text),
        );
      },
    ),
    { numRuns: 1000 },
  );
});
