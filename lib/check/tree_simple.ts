/**
 * One item of a spec's list of checks, read without the YAML library when it is written in one of
 * the simple forms that most specs use, into the same positioned tree the library's reading gives
 * (`tree_yaml.ts`): the same values, the same sources, the same lines and columns. Anything it
 * does not fully understand it declines, and the item is read by the library as before.
 *
 * The forms read, each with spaces only (no tab) and nothing else on its lines (no comment, no
 * blank line):
 *
 * - a flow mapping on one line: `- { name: db, tcp: { host: 127.0.0.1, port: 5432 } }`;
 * - a block mapping of one key a line, each value a scalar or a flow mapping or list on one line:
 *   `- name: db` then `  tcp: { host: 127.0.0.1, port: 5432 }` at the first key's column.
 *
 * Scalars are plain (`db`, `127.0.0.1`, `http://h:8080/a#b`, `api health`) or quoted without
 * escapes (`"${BASE}/health"`, `'a b'`). A plain scalar is read as the YAML 1.2 core schema reads
 * it: `null`, `~`, `true`, `False`, a decimal integer of up to 15 digits; any other number
 * (signs, floats, octal, hexadecimal, `.inf`) is declined. Declined as well: anchors, aliases,
 * tags, block scalars, multi-line scalars, explicit keys, empty values, a key that is not a
 * string, a duplicate key, control characters, and flow collections nested more than
 * {@linkcode MAX_SIMPLE_DEPTH} deep.
 *
 * @module
 */
import type { MapEntry, SourcePos, SpecNode } from "./tree.ts";

/** An item read by {@linkcode readSimpleItem}. */
export interface SimpleItem {
  /** The item's tree. */
  node: SpecNode;
  /** How many values it holds (mappings, lists and scalars, not keys), as the library counts them. */
  nodes: number;
}

/** How deep flow mappings and lists may nest in an item that {@linkcode readSimpleItem} reads. */
export const MAX_SIMPLE_DEPTH = 8;

/**
 * Reads the item of a list that `text` holds from `from` (the start of its first line, which is
 * line `line` of the file) to `to` (the start of the next item's line, or the end of the text);
 * `undefined` when it is not written in one of the simple forms (see the module's note).
 *
 * @example
 * ```ts
 * import { readSimpleItem } from "./tree_simple.ts";
 * import assert from "node:assert/strict";
 * const text = "  - { name: db, tcp: { host: h, port: 5432 } }\n";
 * const item = readSimpleItem(text, 0, text.length, 3)!;
 * assert.equal(item.nodes, 5);
 * assert.deepEqual(item.node.pos, { line: 3, col: 5 });
 * assert.equal(readSimpleItem("  - &a { name: db }\n", 0, 20, 3), undefined);
 * ```
 */
export function readSimpleItem(
  text: string,
  from: number,
  to: number,
  line: number,
): SimpleItem | undefined {
  const s: Scan = {
    text,
    to,
    at: from,
    end: from,
    next: from,
    line: line - 1,
    lineStart: from,
    nodes: 0,
  };
  startLine(s);
  spaces(s);
  if (code(s, s.at) !== DASH) return undefined;
  s.at++;
  if (spaces(s) === 0) return undefined;
  let node: SpecNode | undefined;
  if (code(s, s.at) === OPEN_BRACE) {
    node = flow(s, 0);
    if (node === undefined || !lineDone(s) || s.next < to) return undefined;
  } else node = block(s);
  return node && { node, nodes: s.nodes };
}

/** Where a reading stands. */
interface Scan {
  text: string;
  /** Where the item ends. */
  to: number;
  /** The next character to read. */
  at: number;
  /** The end of the current line, before its `\r\n` or `\n`. */
  end: number;
  /** The start of the next line. */
  next: number;
  /** The current line's number. */
  line: number;
  /** Where the current line starts. */
  lineStart: number;
  /** The values read so far. */
  nodes: number;
}

const TAB = 9;
const CR = 13;
const SPACE = 32;
const HASH = 35;
const COMMA = 44;
const DASH = 45;
const COLON = 58;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const DOUBLE_QUOTE = 34;
const SINGLE_QUOTE = 39;
const BACKSLASH = 92;

/** The characters a plain scalar may not start with (YAML's indicators). */
const INDICATORS = new Set([..."-?:,[]{}#&*!|>'\"%@`"].map((c) => c.charCodeAt(0)));

/** The characters that end a plain scalar in a flow collection. */
const FLOW_INDICATORS = new Set([..."[]{},"].map((c) => c.charCodeAt(0)));

/** The plain scalars the YAML 1.2 core schema reads as something other than a string. */
const NULL = /^(?:~|[Nn]ull|NULL)$/;
const BOOLEAN = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INTEGER = /^(?:0|[1-9][0-9]{0,14})$/;
const NUMBER =
  /^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|0o[0-7]+|0x[0-9a-fA-F]+)$/;

/** The longest key read here (the library refuses an implicit key of more than 1024). */
const MAX_KEY = 1000;

function code(s: Scan, at: number): number {
  return s.text.charCodeAt(at);
}

/** Moves to the line at `s.next`. */
function startLine(s: Scan): void {
  s.line++;
  s.lineStart = s.at = s.next;
  const newline = s.text.indexOf("\n", s.next);
  const stop = newline === -1 || newline >= s.to ? s.to : newline;
  s.next = stop === s.to ? s.to : stop + 1;
  // A CR ends the line only before its LF (a lone one is a line break the reading declines).
  s.end = stop === newline && stop > s.lineStart && code(s, stop - 1) === CR ? stop - 1 : stop;
}

/** Skips spaces, and says how many. */
function spaces(s: Scan): number {
  const start = s.at;
  while (s.at < s.end && code(s, s.at) === SPACE) s.at++;
  return s.at - start;
}

/** Whether the rest of the line is spaces. */
function lineDone(s: Scan): boolean {
  spaces(s);
  return s.at === s.end;
}

function pos(s: Scan, at: number): SourcePos {
  return { line: s.line, col: at - s.lineStart + 1 };
}

/** Whether `c` may stand in a plain scalar read here (a flow indicator may not, in any context). */
function plainSafe(c: number): boolean {
  if (c < 0x80) {
    return c >= SPACE && c !== 0x7f && c !== COMMA && c !== OPEN_BRACKET &&
      c !== CLOSE_BRACKET && c !== OPEN_BRACE && c !== CLOSE_BRACE;
  }
  return c >= 0xa0 && c !== 0x2028 && c !== 0x2029 && c !== 0xfeff && c < 0xfffe;
}

/** A block mapping, its first key at `s.at`, each next key on a line of its own at its column. */
function block(s: Scan): SpecNode | undefined {
  const indent = s.at - s.lineStart;
  const at = pos(s, s.at);
  s.nodes++;
  const entries: MapEntry[] = [];
  while (true) {
    if (!entry(s, entries, false) || !lineDone(s)) return undefined;
    if (s.next >= s.to) break;
    startLine(s);
    if (spaces(s) !== indent) return undefined;
  }
  return { type: "map", pos: at, entries };
}

/** A `key: value` pair at `s.at`, added to `entries`; `false` when declined. */
function entry(s: Scan, entries: MapEntry[], inFlow: boolean): boolean {
  const keyPos = pos(s, s.at);
  const key = scalar(s);
  if (key === undefined || typeof key.value !== "string" || key.source.length > MAX_KEY) {
    return false;
  }
  spaces(s);
  if (code(s, s.at) !== COLON) return false;
  s.at++;
  if (spaces(s) === 0) return false;
  const value = inFlow || code(s, s.at) === OPEN_BRACE || code(s, s.at) === OPEN_BRACKET
    ? flowValue(s, 0)
    : valueScalar(s);
  const name = key.value;
  if (value === undefined || name === "<<" || entries.some((e) => e.key === name)) return false;
  entries.push({ key: name, keyPos, value });
  return true;
}

function valueScalar(s: Scan): SpecNode | undefined {
  const value = scalar(s);
  if (value !== undefined) s.nodes++;
  return value;
}

function flowValue(s: Scan, depth: number): SpecNode | undefined {
  const c = code(s, s.at);
  return c === OPEN_BRACE || c === OPEN_BRACKET ? flow(s, depth) : valueScalar(s);
}

/** A flow mapping or list at `s.at`, ending on the same line, `depth` flow collections in. */
function flow(s: Scan, depth: number): SpecNode | undefined {
  if (depth >= MAX_SIMPLE_DEPTH) return undefined;
  const isMap = code(s, s.at) === OPEN_BRACE;
  const close = isMap ? CLOSE_BRACE : CLOSE_BRACKET;
  const at = pos(s, s.at);
  s.at++;
  s.nodes++;
  const entries: MapEntry[] = [];
  const items: SpecNode[] = [];
  spaces(s);
  while (s.at < s.end && code(s, s.at) !== close) {
    if (isMap) {
      if (!entry(s, entries, true)) return undefined;
    } else {
      const item = flowValue(s, depth + 1);
      if (item === undefined) return undefined;
      items.push(item);
    }
    spaces(s);
    const c = code(s, s.at);
    if (c === COMMA) {
      s.at++;
      spaces(s);
    } else if (c !== close) return undefined;
  }
  if (s.at >= s.end) return undefined;
  s.at++;
  return isMap ? { type: "map", pos: at, entries } : { type: "seq", pos: at, items };
}

/** A scalar at `s.at` (see the module's note), not counted as a value. */
function scalar(s: Scan): (SpecNode & { type: "scalar" }) | undefined {
  const start = s.at;
  const c = code(s, start);
  if (c === DOUBLE_QUOTE || c === SINGLE_QUOTE) {
    const close = s.text.indexOf(c === DOUBLE_QUOTE ? '"' : "'", start + 1);
    if (close === -1 || close >= s.end) return undefined;
    for (let i = start + 1; i < close; i++) {
      const d = code(s, i);
      if ((d !== SPACE && !plainSafe(d) && !FLOW_INDICATORS.has(d)) || d === BACKSLASH) {
        return undefined;
      }
    }
    if (c === SINGLE_QUOTE && code(s, close + 1) === SINGLE_QUOTE) return undefined;
    s.at = close + 1;
    return {
      type: "scalar",
      pos: pos(s, start),
      value: s.text.slice(start + 1, close),
      source: s.text.slice(start, s.at),
    };
  }
  if (!plainSafe(c) || c === SPACE || INDICATORS.has(c)) return undefined;
  let end = start + 1;
  for (let i = end; i < s.end; i++) {
    const d = code(s, i);
    if (d === SPACE) continue;
    if (d === TAB || !plainSafe(d)) break;
    if (d === COLON) {
      const after = code(s, i + 1);
      if (i + 1 >= s.end || after === SPACE || !plainSafe(after)) break;
    }
    if (d === HASH && code(s, i - 1) === SPACE) return undefined;
    end = i + 1;
  }
  s.at = end;
  const source = s.text.slice(start, end);
  const value = plainValue(source);
  if (value === undefined) return undefined;
  return { type: "scalar", pos: pos(s, start), value, source };
}

/** A plain scalar's value in the core schema, or `undefined` for the numbers declined. */
function plainValue(source: string): string | number | boolean | null | undefined {
  if (INTEGER.test(source)) return Number(source);
  if (NUMBER.test(source)) return undefined;
  if (NULL.test(source)) return null;
  if (BOOLEAN.test(source)) return source.charCodeAt(0) === 0x74 || source.charCodeAt(0) === 0x54;
  return source;
}
