/**
 * The YAML library's reading of a spec file, made into the positioned tree of `tree.ts`: its
 * lexer, parser and composer, the checks on depth and on aliases that expand too far, and the
 * walk from its document to a {@linkcode SpecNode}.
 *
 * @module
 */
import { Composer, isAlias, isMap, isPair, isScalar, isSeq, Lexer, Parser } from "yaml";
import type { CST, Document, LineCounter, Node as YamlNode } from "yaml";
import { quote } from "../text/quote.ts";
import type { MapEntry, SourcePos, SpecNode, SpecProblem } from "./tree.ts";

/** What the YAML library made of a text: its document, a second one if any, or too deep. */
export interface Composed {
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
export function compose(text: string, lines: LineCounter | undefined, outer = 0): Composed {
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
 * The most values a spec may hold once its aliases are expanded: enough for thousands of
 * checks, and a stop for a "billion laughs" file of aliases to aliases.
 */
export const MAX_NODES = 1_000_000;

/** How deep mappings and lists may nest: far more than a spec needs, far less than the stack. */
export const MAX_DEPTH = 100;

/** The problem with a spec nested deeper than {@linkcode MAX_DEPTH}. */
export const DEEP = `mappings and lists nested more than ${MAX_DEPTH} deep`;

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
export interface TreeReader {
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

export function toNode(r: TreeReader, node: unknown): SpecNode {
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
