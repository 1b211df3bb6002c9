/**
 * A spec file as a tree of maps, lists and scalars, each with the line and column where it is
 * written, so that every complaint about it can say `sockit.yaml:14:7`. YAML is read with the
 * npm `yaml` package, set to reject duplicate keys; JSON is checked by `JSON.parse` first (so a
 * `.json` file is strict JSON), then read the same way for the positions.
 *
 * @module
 */
import { LineCounter } from "yaml";
import { oneLine, quote } from "../text/quote.ts";
import { BATCH, readInBatches } from "./tree_batches.ts";
import { compose, DEEP, MAX_DEPTH, MAX_NODES, toNode } from "./tree_yaml.ts";
import type { TreeReader } from "./tree_yaml.ts";

export { readTreeInBatches } from "./tree_batches.ts";
export type { BatchedTree } from "./tree_batches.ts";

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
