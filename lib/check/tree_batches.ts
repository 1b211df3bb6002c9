/**
 * A spec file whose list of checks ends it, read a batch of checks at a time (see `readTree` in
 * `tree.ts`), so that the YAML library holds one batch's syntax at a time rather than the whole
 * file's.
 *
 * @module
 */
import { isSeq, LineCounter } from "yaml";
import type { SourcePos, SpecNode, SpecProblem } from "./tree.ts";
import { compose, MAX_NODES, toNode } from "./tree_yaml.ts";
import type { TreeReader } from "./tree_yaml.ts";
import { readSimpleItem } from "./tree_simple.ts";

/** How many checks `readTree` (tree.ts) reads at a time by default. */
export const BATCH = 25;

/**
 * The tree of a file whose list of checks ends it, read `batch` checks at a time (see
 * `readTree` (tree.ts)); `undefined` when the file is not laid out so, or when any part of it
 * has a problem or an alias.
 */
export function readInBatches(text: string, batch: number): SpecNode | undefined {
  const batched = readTreeInBatches(text, batch);
  if (batched === undefined) return undefined;
  const items: SpecNode[] = [];
  for (const item of batched.items) {
    if (item === undefined) return undefined;
    items.push(item);
  }
  batched.list.items = items;
  return batched.root;
}

/** A spec file read a batch of checks at a time by {@linkcode readTreeInBatches}. */
export interface BatchedTree {
  /** The file's root mapping, whose last key is `checks`, holding {@linkcode BatchedTree.list}. */
  root: SpecNode;
  /** The list of checks, with no items: they come from {@linkcode BatchedTree.items}. */
  list: SpecNode & { type: "seq" };
  /**
   * The list's items, each batch read as the one before it has been taken, so that a reader
   * that is done with each check as it takes it holds one batch's syntax at a time. An
   * `undefined` says that a batch cannot be read on its own (a problem, an alias, too deep) and
   * ends the items: read the whole file with `readTree` (tree.ts) then.
   */
  items: Iterable<SpecNode | undefined>;
}

/**
 * Reads the part of a YAML spec file before its list of checks, and gives the list's items a
 * batch at a time (see `readTree` (tree.ts)); `undefined` when the list of checks does not end
 * the file, as `checks:` at the start of a line and then its items, or when the part before it
 * has a problem or an alias.
 *
 * @example
 * ```ts
 * import { readTreeInBatches } from "./tree.ts";
 * import assert from "node:assert/strict";
 * const batched = readTreeInBatches("version: 1\nchecks:\n  - a\n  - b\n  - c\n", 2)!;
 * assert.deepEqual([...batched.items].map((item) => item?.pos), [
 *   { line: 3, col: 5 },
 *   { line: 4, col: 5 },
 *   { line: 5, col: 5 },
 * ]);
 * ```
 */
export function readTreeInBatches(text: string, batch = BATCH): BatchedTree | undefined {
  // A lone CR ends a line for YAML but not for the split below; a directive (%YAML 1.1) would
  // change how the batches after it are read.
  if (/\r(?!\n)/.test(text) || /^%/m.test(text)) return undefined;
  const split = itemStarts(text);
  if (split === undefined || split.starts.length < 2) return undefined;
  const { starts } = split;
  const lines = new LineCounter();
  lines.addNewLine(0);
  for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", at + 1)) {
    lines.addNewLine(at + 1);
  }
  // The head's empty value of `checks` counts as the list does in the whole file.
  const budget = { nodes: MAX_NODES };
  const head = readPart(text.slice(0, starts[0]), 0, lines, budget);
  const last = head?.root.type === "map" ? head.root.entries.at(-1) : undefined;
  if (
    last?.key !== "checks" || last.value.type !== "scalar" || last.value.value !== null ||
    last.value.source !== ""
  ) return undefined;
  const { line, col } = lines.linePos(split.firstDash);
  const list: SpecNode & { type: "seq" } = { type: "seq", pos: { line, col }, items: [] };
  last.value = list;
  // The root mapping stands around each batch, as it does around the list in the whole file.
  const around = [head!.root];
  function* items(): Generator<SpecNode | undefined> {
    for (let i = 0; i < starts.length; i += batch) {
      const simple = readSimpleItems(text, starts, i, Math.min(i + batch, starts.length), lines);
      if (simple !== undefined && simple.nodes <= budget.nodes) {
        budget.nodes -= simple.nodes;
        yield* simple.items;
        continue;
      }
      const base = starts[i]!;
      const source = text.slice(base, starts[i + batch] ?? text.length);
      const part = readPart(source, base, lines, budget, { around, listPos: list.pos });
      if (part === undefined || part.root.type !== "seq") return yield undefined;
      yield* part.root.items;
    }
  }
  return { root: head!.root, list, items: items() };
}

/**
 * The offsets where the items of the file's last key, `checks:` at the start of a line, start:
 * each a line that starts with `-` at the list's indentation (and where the first `-` is);
 * `undefined` when the file does not end with that list (a line less indented than its items that is neither blank nor a comment).
 */
function itemStarts(text: string): { starts: number[]; firstDash: number } | undefined {
  const key = /^checks:[ \t]*(?:#.*)?\r?$/m.exec(text);
  if (!key) return undefined;
  const starts: number[] = [];
  let indent = -1;
  for (let start = text.indexOf("\n", key.index) + 1; start > 0 && start < text.length;) {
    const end = text.indexOf("\n", start);
    const line = text.slice(start, end === -1 ? text.length : end);
    const spaces = /^ */.exec(line)![0].length;
    const rest = line.slice(spaces);
    if (/^[ \t]*\r?$/.test(rest) || rest.startsWith("#")) {
      // Blank, or a comment: part of whatever it stands in.
    } else if (/^-(?:[ \t]|\r?$)/.test(rest) && (indent === -1 || spaces === indent)) {
      indent = spaces;
      starts.push(start);
    } else if (indent === -1 || spaces <= indent) return undefined;
    start = end + 1;
  }
  return starts.length > 0 ? { starts, firstDash: starts[0]! + indent } : undefined;
}

/**
 * The items from `starts[first]` to before `starts[end]`, when each is written in a simple form
 * that {@linkcode readSimpleItem} reads without the YAML library, and how many values they hold;
 * `undefined` when any is not.
 */
function readSimpleItems(
  text: string,
  starts: readonly number[],
  first: number,
  end: number,
  lines: LineCounter,
): { items: SpecNode[]; nodes: number } | undefined {
  const items: SpecNode[] = [];
  let nodes = 0;
  let line = lines.linePos(starts[first]!).line;
  for (let i = first; i < end; i++) {
    const from = starts[i]!;
    const to = starts[i + 1] ?? text.length;
    const item = readSimpleItem(text, from, to, line);
    if (item === undefined) return undefined;
    items.push(item.node);
    nodes += item.nodes;
    line += countNewlines(text, from, to);
  }
  return { items, nodes };
}

/** How many `\n` stand in `text` from `from` to before `to`. */
function countNewlines(text: string, from: number, to: number): number {
  let count = 0;
  for (let at = text.indexOf("\n", from); at !== -1 && at < to; at = text.indexOf("\n", at + 1)) {
    count++;
  }
  return count;
}

/** A part of a file read on its own by {@linkcode readInBatches}. */
interface Part {
  /** Its tree. */
  root: SpecNode;
}

/**
 * Reads `source`, which stands at `base` in the file, into a tree; `undefined` when it has any
 * problem, an alias, or nests too deep. With `list`, it is a batch of the list of checks: its
 * root is that list, which stands in `around` and is written at `listPos`.
 */
function readPart(
  source: string,
  base: number,
  lines: LineCounter,
  budget: { nodes: number },
  list?: { around: unknown[]; listPos: SourcePos },
): Part | undefined {
  const pos = (offset: number | undefined): SourcePos => {
    const { line, col } = lines.linePos(base + (offset ?? 0));
    return { line, col };
  };
  const { doc, second } = compose(source, undefined, list ? 1 : 0);
  if (
    doc === undefined || second !== undefined || doc.errors.length > 0 ||
    doc.warnings.length > 0 || doc.contents === null
  ) return undefined;
  const problems: SpecProblem[] = [];
  const reader: TreeReader = {
    doc,
    text: source,
    pos,
    problems,
    nodes: budget.nodes,
    open: list ? [...list.around] : [],
    aliases: 0,
  };
  let root: SpecNode;
  if (list && isSeq(doc.contents)) {
    // The list itself, whose empty items stand where the whole list does.
    const at = list.listPos;
    reader.open.push(doc.contents);
    const items = doc.contents.items.map((item): SpecNode =>
      item === null ? { type: "scalar", pos: at, value: null, source: "" } : toNode(reader, item)
    );
    root = { type: "seq", pos: at, items };
  } else root = toNode(reader, doc.contents);
  budget.nodes = reader.nodes;
  if (problems.length > 0 || reader.aliases !== 0 || reader.nodes < 0) return undefined;
  return { root };
}
