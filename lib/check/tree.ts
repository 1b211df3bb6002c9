/**
 * A spec file as a tree of maps, lists and scalars, each with the line and column where it is
 * written, so that every complaint about it can say `sockit.yaml:14:7`. YAML is read with the
 * npm `yaml` package, set to reject duplicate keys; JSON is checked by `JSON.parse` first (so a
 * `.json` file is strict JSON), then read the same way for the positions.
 *
 * @module
 */
import {
  Composer,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  Parser,
} from "yaml";
import type { CST, Document, Node as YamlNode } from "yaml";
import { oneLine, quote } from "../text/quote.ts";

/** A line and column, both counted from 1. */
export interface SourcePos {
  /** The line. */
  line: number;
  /** The column (in characters). */
  col: number;
}

/** A problem with a spec file, at a place in it. */
export interface SpecProblem extends SourcePos {
  /** What is wrong, in sentence case: `unknown key "timout" (did you mean "timeout"?)`. */
  message: string;
}

/** A scalar value as written: a string, a number, a boolean or null. */
export type ScalarValue = string | number | boolean | null;

/** One node of the tree. */
export type SpecNode =
  | { type: "map"; pos: SourcePos; entries: MapEntry[] }
  | { type: "seq"; pos: SourcePos; items: SpecNode[] }
  | {
    type: "scalar";
    pos: SourcePos;
    value: ScalarValue;
    /** The scalar as it stands in the file, for finding a `${NAME}` in it. */
    source: string;
  };

/** A key and its value. */
export interface MapEntry {
  /** The key. */
  key: string;
  /** Where the key is written. */
  keyPos: SourcePos;
  /** Its value (`null` scalar when it is left empty). */
  value: SpecNode;
}

/** The outcome of {@linkcode readTree}: the tree when it could be read, and any problems. */
export interface TreeResult {
  /** The document's root, or `undefined` when there is nothing usable. */
  root: SpecNode | undefined;
  /** Syntax errors, duplicate keys, values YAML allows but a spec does not. */
  problems: SpecProblem[];
}

/** The syntax a spec file is written in. */
export type SpecFormat = "yaml" | "json";

/**
 * The format of a spec file by its name: `.json` is JSON, anything else YAML (which reads
 * JSON too).
 */
export function formatOf(path: string): SpecFormat {
  return /\.json$/i.test(path) ? "json" : "yaml";
}

/** Options for {@linkcode readTree}. */
export interface ReadTreeOptions {
  /**
   * How many checks are read at a time, when the list of checks ends the file (see
   * {@linkcode readTree}); 0 reads the whole file at once. The tree is the same either way.
   * @default {25}
   */
  batch?: number;
}

/**
 * Reads a spec file's text into a positioned tree.
 *
 * The YAML library holds a whole document's syntax tree, then the whole document, before either
 * can be walked: some 6 KB for each one-line check, 60 MB of live heap for 10,000 of them (and
 * V8 reserves twice what is live). So a file whose list of checks comes last, written as
 * `checks:` at the start of a line and then its items, is read `batch` checks at a time: the
 * part before the list, then each batch as a document of its own, at its place in the file, whose
 * syntax tree and document are dropped once its checks are in the tree. When any part has a
 * problem, an alias (it may name an anchor in another part), or more nesting than allowed, the
 * whole file is read at once instead, and says what is wrong as it always has.
 *
 * @example A duplicate key is a problem, with where both are
 * ```ts
 * import { readTree } from "./tree.ts";
 * import assert from "node:assert/strict";
 * const { problems } = readTree("version: 1\nversion: 2\n", "yaml");
 * assert.deepEqual(problems, [{ line: 2, col: 1, message: 'duplicate key "version" (first at 1:1)' }]);
 * ```
 */
export function readTree(
  text: string,
  format: SpecFormat,
  options: ReadTreeOptions = {},
): TreeResult {
  const problems: SpecProblem[] = [];
  if (format === "json") {
    const error = jsonSyntaxError(text);
    if (error) return { root: undefined, problems: [error] };
  }
  const batch = options.batch ?? BATCH;
  if (format === "yaml" && batch > 0) {
    const root = readInBatches(text, batch);
    if (root !== undefined) return { root, problems };
  }
  const lines = new LineCounter();
  const pos = (offset: number | undefined): SourcePos => {
    const { line, col } = lines.linePos(offset ?? 0);
    return { line, col };
  };
  const { doc, second, deep } = compose(text, lines);
  if (doc === undefined) return { root: undefined, problems: [{ ...pos(deep), message: DEEP }] };
  for (const error of [...doc.errors, ...doc.warnings]) {
    // Duplicate keys are found again below, with where the first one is.
    if (error.code === "DUPLICATE_KEY") continue;
    problems.push({ ...pos(error.pos[0]), message: yamlMessage(error.message) });
  }
  if (second) {
    problems.push({
      ...pos(second.range[0]),
      message:
        "a second YAML document starts here: a spec file holds one (give each its own file: check takes several)",
    });
    return { root: undefined, problems };
  }
  if (doc.errors.some((e) => e.code !== "DUPLICATE_KEY")) return { root: undefined, problems };
  if (doc.contents === null) {
    problems.push({
      line: 1,
      col: 1,
      message: "the file is empty: expected a mapping with version and checks",
    });
    return { root: undefined, problems };
  }
  const reader: TreeReader = { doc, text, pos, problems, nodes: MAX_NODES, open: [] };
  const root = toNode(reader, doc.contents);
  if (reader.nodes < 0) {
    return {
      root: undefined,
      problems: [{
        line: 1,
        col: 1,
        message: `more than ${MAX_NODES} values (aliases that expand too far?)`,
      }],
    };
  }
  return { root, problems };
}

/** How many checks {@linkcode readTree} reads at a time by default. */
const BATCH = 25;

/** What the YAML library made of a text: its document, a second one if any, or too deep. */
interface Composed {
  /** The first document; `undefined` when the text nests too deep. */
  doc: Document.Parsed | undefined;
  /** The second document, if there is one. */
  second: Document.Parsed | undefined;
  /** Where the text first nests too deep. */
  deep: number | undefined;
}

/**
 * Parses and composes `text`. `lines`, when given, learns where each line starts; `outer` is how
 * many mappings and lists stand around the text's root. The parser keeps its own stack (which
 * holds every open level, so a file of 8 MB of "[" would take gigabytes), and the composer
 * recurses once per level: the depth is checked while the parser reads, and on its tokens
 * before the composer runs.
 */
function compose(text: string, lines: LineCounter | undefined, outer = 0): Composed {
  return withoutEnvReads(() => {
    const { tokens, deep } = parseTokens(text, lines, outer);
    if (deep !== undefined) return { doc: undefined, second: undefined, deep };
    const docs = new Composer({ uniqueKeys: true, strict: true }).compose(
      tokens,
      true,
      text.length,
    );
    const doc = docs.next().value as Document.Parsed;
    return { doc, second: docs.next().value as Document.Parsed | undefined, deep };
  });
}

/**
 * The tree of a file whose list of checks ends it, read `batch` checks at a time (see
 * {@linkcode readTree}); `undefined` when the file is not laid out so, or when any part of it
 * has a problem or an alias.
 */
function readInBatches(text: string, batch: number): SpecNode | undefined {
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
   * ends the items: read the whole file with {@linkcode readTree} then.
   */
  items: Iterable<SpecNode | undefined>;
}

/**
 * Reads the part of a YAML spec file before its list of checks, and gives the list's items a
 * batch at a time (see {@linkcode readTree}); `undefined` when the list of checks does not end
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

/**
 * A YAML error's first line, without the final colon, on one line of at most 200 characters: a
 * piece of the file in it (a token of any length, after the colon of `Not a YAML token: ...`) is
 * quoted as an excerpt.
 */
function yamlMessage(message: string): string {
  const first = message.split("\n")[0] ?? message;
  const text = first.replace(/:$/, "").replace(/"(?:[^"\\]|\\.)*"/g, (json) => {
    try {
      return quote(JSON.parse(json));
    } catch {
      return json;
    }
  }).replace(/^([^:"]*[^:"\s]): (?!")(.*)$/s, (_, what, source) => `${what}: ${quote(source)}`);
  return oneLine(text.charAt(0).toLowerCase() + text.slice(1), 200);
}

/**
 * The first place where `text` is not strict JSON (RFC 8259), or `undefined` when it is. A small
 * scanner rather than `JSON.parse`, whose messages do not always say where.
 */
export function jsonSyntaxError(text: string): SpecProblem | undefined {
  let at = 0;
  const fail = (what: string, message = `invalid JSON: ${what}`): never => {
    throw { at, message };
  };
  const space = () => {
    while (/[ \t\r\n]/.test(text[at] ?? "")) at++;
  };
  const literal = (word: string) => {
    if (text.startsWith(word, at)) at += word.length;
    else fail("an unexpected character");
  };
  const string = () => {
    at++; // the opening quote
    while (true) {
      const c = text[at];
      if (c === undefined) fail("an unterminated string");
      if (c === '"') break;
      if (c! < " ") fail("a control character in a string (escape it)");
      if (c === "\\") {
        const next = text[at + 1] ?? "";
        if (next === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(at + 2, at + 6))) fail("a bad \\u escape");
          at += 6;
          continue;
        }
        if (!'"\\/bfnrt'.includes(next) || next === "") fail("a bad escape");
        at += 2;
        continue;
      }
      at++;
    }
    at++;
  };
  /** `depth`: the objects and arrays open around the value. */
  const value = (depth: number): void => {
    space();
    const c = text[at];
    if ((c === "{" || c === "[") && depth >= MAX_DEPTH) fail("", DEEP);
    if (c === "{") {
      at++;
      space();
      if (text[at] === "}") return void at++;
      while (true) {
        space();
        if (text[at] !== '"') fail("a key that is not a double-quoted string");
        string();
        space();
        if (text[at] !== ":") fail('a missing ":" after a key');
        at++;
        value(depth + 1);
        space();
        if (text[at] === ",") {
          at++;
          space();
          if (text[at] === "}") fail("a trailing comma");
          continue;
        }
        if (text[at] === "}") return void at++;
        fail('a missing "," or "}"');
      }
    }
    if (c === "[") {
      at++;
      space();
      if (text[at] === "]") return void at++;
      while (true) {
        value(depth + 1);
        space();
        if (text[at] === ",") {
          at++;
          space();
          if (text[at] === "]") fail("a trailing comma");
          continue;
        }
        if (text[at] === "]") return void at++;
        fail('a missing "," or "]"');
      }
    }
    if (c === '"') return string();
    if (c === "t") return literal("true");
    if (c === "f") return literal("false");
    if (c === "n") return literal("null");
    const number = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(at));
    if (number) return void (at += number[0].length);
    fail(c === undefined ? "the end of the file where a value belongs" : "an unexpected character");
  };
  try {
    value(0);
    space();
    if (at < text.length) fail("more text after the value");
    return undefined;
  } catch (thrown) {
    const { at: offset, message } = thrown as { at: number; message: string };
    const before = text.slice(0, offset).split("\n");
    return { line: before.length, col: (before.at(-1)?.length ?? 0) + 1, message };
  }
}

/**
 * The most values a spec may hold once its aliases are expanded: enough for thousands of
 * checks, and a stop for a "billion laughs" file of aliases to aliases.
 */
const MAX_NODES = 1_000_000;

/** How deep mappings and lists may nest: far more than a spec needs, far less than the stack. */
const MAX_DEPTH = 100;

/** The problem with a spec nested deeper than {@linkcode MAX_DEPTH}. */
const DEEP = `mappings and lists nested more than ${MAX_DEPTH} deep`;

/**
 * Whether this build of the `yaml` package reads `process.env` for every lexical token (its Node
 * build checks `LOG_TOKENS` in `Parser.next`, and `LOG_STREAM` per document token; its browser
 * build, the one the bundle holds, does not). Under Deno each read is a permission-checked call
 * into the runtime: 380,000 of them for a spec of 10,000 one-line checks.
 */
const READS_ENV = Parser.prototype.next.toString().includes("LOG_TOKENS");

/**
 * Runs `read` (synchronous: nothing else runs meanwhile) with `process.env` set to an empty
 * object when {@linkcode READS_ENV}, so that the parser's reads cost nothing and its debugging
 * output (written with `console.log`) stays off whatever the environment says. Where the parser
 * does not read it, `process` is not touched at all: the first use of it loads Node's
 * compatibility layer, which costs a command that does not need it 15 to 20 ms.
 */
function withoutEnvReads<T>(read: () => T): T {
  if (!READS_ENV) return read();
  const process = (globalThis as { process?: { env: unknown } }).process;
  if (process === undefined) return read();
  const env = process.env;
  process.env = {};
  try {
    return read();
  } finally {
    process.env = env;
  }
}

const isCollection = (token: CST.Token | undefined) =>
  token?.type === "block-map" || token?.type === "block-seq" || token?.type === "flow-collection";

/**
 * The parser's tokens, and the offset of the first mapping or list nested deeper than
 * {@linkcode MAX_DEPTH}, if any: the parser is fed one lexical token at a time and stopped as soon
 * as its stack holds that many open ones.
 */
function parseTokens(
  text: string,
  lines: LineCounter | undefined,
  outer = 0,
): { tokens: CST.Token[]; deep: number | undefined } {
  const parser = new Parser(lines?.addNewLine);
  const tokens: CST.Token[] = [];
  // As Parser.parse() does: the first line starts at 0.
  lines?.addNewLine(0);
  const limit = MAX_DEPTH - outer;
  for (const lexeme of new Lexer().lex(text)) {
    for (const token of parser.next(lexeme)) tokens.push(token);
    // Only a stack taller than the limit can hold more open collections than it.
    if (parser.stack.length > limit) {
      const open = parser.stack.filter(isCollection);
      if (open.length > limit) return { tokens, deep: open[limit]!.offset };
    }
  }
  for (const token of parser.end()) tokens.push(token);
  return { tokens, deep: tooDeep(tokens, outer) };
}

/**
 * The offset of the first mapping or list (block or flow, key or value) nested deeper than
 * {@linkcode MAX_DEPTH} in the parser's tokens, or `undefined`. A walk with its own stack, so
 * that no depth of nesting can overflow the call stack. `outer`: how many collections stand
 * around the tokens' root.
 */
function tooDeep(tokens: readonly CST.Token[], outer = 0): number | undefined {
  type Open = [CST.Token | null | undefined, number];
  const stack = tokens.map((t): Open => [t, outer]).reverse();
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [token, depth] = next;
    if (token?.type === "document") stack.push([token.value, depth]);
    if (
      token?.type === "block-map" || token?.type === "block-seq" ||
      token?.type === "flow-collection"
    ) {
      if (depth >= MAX_DEPTH) return token.offset;
      // Pushed last to first, so that the first one in the file is found first.
      for (let i = token.items.length - 1; i >= 0; i--) {
        const item = token.items[i]!;
        stack.push([item.value, depth + 1], [item.key, depth + 1]);
      }
    }
  }
  return undefined;
}

/** A document being made into a tree: its source, where problems go, and what is left to spend. */
interface TreeReader {
  doc: Document;
  text: string;
  pos: (offset: number | undefined) => SourcePos;
  problems: SpecProblem[];
  /** Values left before the expansion of aliases is too much. */
  nodes: number;
  /** The mappings and lists from the root to where the reader is: a cycle comes back to one. */
  open: unknown[];
  /** How many aliases it has met. */
  aliases?: number;
}

function toNode(r: TreeReader, node: unknown): SpecNode {
  const { doc, text, pos, problems } = r;
  const yamlNode = node as YamlNode;
  if (--r.nodes < 0) {
    return { type: "scalar", pos: { line: 1, col: 1 }, value: null, source: "" };
  }
  const at = pos(yamlNode?.range?.[0]);
  if (isAlias(node)) {
    if (r.aliases !== undefined) r.aliases++;
    const target = node.resolve(doc);
    if (target === undefined) {
      problems.push({ ...at, message: `unknown alias *${node.source}` });
      return { type: "scalar", pos: at, value: null, source: "" };
    }
    if (r.open.includes(target)) {
      // `a: &v { b: *v }`: the value would contain itself, without end.
      problems.push({ ...at, message: `alias *${node.source} is inside what it names (a cycle)` });
      return { type: "scalar", pos: at, value: null, source: "" };
    }
    return toNode(r, target);
  }
  if ((isMap(node) || isSeq(node)) && r.open.length >= MAX_DEPTH) {
    problems.push({ ...at, message: DEEP });
    return { type: "scalar", pos: at, value: null, source: "" };
  }
  if (isMap(node) || isSeq(node)) {
    r.open.push(node);
    try {
      return collection(r, node, at);
    } finally {
      r.open.pop();
    }
  }
  if (isScalar(node)) {
    const value = node.value;
    const source = text.slice(node.range?.[0] ?? 0, node.range?.[1] ?? 0);
    if (
      value === null || typeof value === "string" || typeof value === "boolean" ||
      (typeof value === "number" && Number.isFinite(value))
    ) {
      return { type: "scalar", pos: at, value, source };
    }
    problems.push({
      ...at,
      message: `unsupported value ${quote(source)}: use a string, a number, true, false or null`,
    });
    return { type: "scalar", pos: at, value: null, source };
  }
  problems.push({ ...at, message: "unsupported YAML node" });
  return { type: "scalar", pos: at, value: null, source: "" };
}

/** A mapping or a list, whose items are read by {@linkcode toNode}. */
function collection(r: TreeReader, node: unknown, at: SourcePos): SpecNode {
  const { pos, problems } = r;
  const yamlNode = node as YamlNode;
  if (isMap(node)) {
    const entries: MapEntry[] = [];
    const seen = new Map<string, SourcePos>();
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as YamlNode | null;
      const keyPos = pos(keyNode?.range?.[0] ?? yamlNode.range?.[0]);
      if (!isScalar(keyNode) || !["string", "number"].includes(typeof keyNode.value)) {
        problems.push({ ...keyPos, message: "a key must be a plain string" });
        continue;
      }
      const key = String(keyNode.value);
      const first = seen.get(key);
      if (first) {
        problems.push({
          ...keyPos,
          message: `duplicate key "${key}" (first at ${first.line}:${first.col})`,
        });
        continue;
      }
      seen.set(key, keyPos);
      const value: SpecNode = pair.value === null || pair.value === undefined
        ? { type: "scalar", pos: keyPos, value: null, source: "" }
        : toNode(r, pair.value);
      entries.push({ key, keyPos, value });
    }
    return { type: "map", pos: at, entries };
  }
  const items = (node as { items: unknown[] }).items.map((item): SpecNode =>
    item === null ? { type: "scalar", pos: at, value: null, source: "" } : toNode(r, item)
  );
  return { type: "seq", pos: at, items };
}
