/**
 * The machinery every part of a spec is read with: problems collected at their line and column
 * (never stopping at the first), the variables and secrets a string may use and the masking of
 * a problem that quotes one, and the typed value readers (mapping, string, number, duration,
 * list of strings, path, host, port).
 *
 * @module
 */
import { isAbsolutePath, resolvePath } from "../../text/path.ts";
import { isInvalidInput } from "../../net/errors.ts";
import { parseDuration } from "../../net/duration.ts";
import { ipFamily } from "../../net/addr.ts";
import { oneLine, quote } from "../../text/quote.ts";
import { suggest } from "../../text/suggest.ts";
import type { MapEntry, SourcePos, SpecNode, SpecProblem } from "../tree.ts";
import { expandVars } from "../vars.ts";
import { Redactor } from "../redact.ts";
import type { LoadSpecOptions } from "./schema.ts";

/** The longest message a problem has: a value of any size is quoted as an excerpt. */
const MAX_MESSAGE = 240;

/** Walks the tree, collecting problems rather than stopping at the first. */
export class SpecReader {
  /** Every problem found so far (the tree's first), in the order found. */
  readonly problems: SpecProblem[];
  /** How the spec is read. */
  readonly options: LoadSpecOptions;
  /** The secrets' values (and values made from them), to be masked. */
  readonly secretValues: string[] = [];
  readonly #values = new Map<string, string>();
  readonly #secretNames = new Set<string>();
  /** Names declared without a value, and what a `${NAME}` of one says. */
  readonly #unset = new Map<string, string>();
  /** How many strings had a secret put in so far (a check compares it before and after). */
  #secretUses = 0;
  /** Whether the check being read had a secret put into one of its strings (see `problem`). */
  #carrying = false;

  /** @param options How to read. @param problems The tree's problems, found before. */
  constructor(options: LoadSpecOptions, problems: SpecProblem[]) {
    this.options = options;
    this.problems = [...problems];
  }

  /**
   * Adds a problem. Its message is one line of at most {@linkcode MAX_MESSAGE} characters,
   * escaped. While a check that had a secret put into one of its strings is read, the message
   * can quote a value that carries the secret, so the secrets' values are masked in it first
   * (before a cut or an escape could show part of one); any other message is the author's own
   * text and shown as written, whatever a secret's value happens to spell.
   */
  problem(at: SourcePos, message: string): undefined {
    this.problems.push({
      line: at.line,
      col: at.col,
      message: oneLine(this.#masked(message), MAX_MESSAGE),
    });
    return undefined;
  }

  /**
   * Gives the first problem found at `at` another message, as written (a generic "unknown key"
   * becomes one that says where the key belongs).
   */
  reword(at: SourcePos, message: string): void {
    const found = this.problems.find((p) => p.line === at.line && p.col === at.col);
    if (found) found.message = message;
  }

  /** A value for a message, quoted and cut short (see {@linkcode quote}), secrets masked as above. */
  quote(text: string): string {
    return quote(this.#masked(text));
  }

  #masked(text: string): string {
    if (!this.#carrying) return text;
    return new Redactor(this.secretValues).text(text);
  }

  /** Reads one check: its problems are masked when a secret went into one of its strings. */
  async readingCheck<T>(read: () => Promise<T>): Promise<T> {
    this.#carrying = false;
    try {
      return await read();
    } finally {
      this.#carrying = false;
    }
  }

  /** How many strings had a secret put in so far. */
  get secretUses(): number {
    return this.#secretUses;
  }

  /** Declares `name` a secret (its value may still be missing). */
  declareSecret(name: string): void {
    this.#secretNames.add(name);
  }

  /** Whether `name` is declared a secret. */
  isSecret(name: string): boolean {
    return this.#secretNames.has(name);
  }

  /** Gives a variable its value. */
  define(name: string, value: string): void {
    this.#values.set(name, value);
  }

  /** Gives a secret its value, which is masked from now on. */
  defineSecret(name: string, value: string): void {
    this.#values.set(name, value);
    this.secretValues.push(value);
  }

  /** A name declared without a value: a `${NAME}` of it says `message`. */
  declareUnset(name: string, message: string): void {
    this.#unset.set(name, message);
  }

  /** The secrets' names, in the order their values were given. */
  secretNames(): string[] {
    return [...this.#values.keys()].filter((name) => this.#secretNames.has(name));
  }

  /**
   * A mapping's entries by key; an unknown key is a problem that names the keys it may have
   * (or the one it is probably a typo of).
   */
  map(
    node: SpecNode,
    what: string,
    allowed: readonly string[],
    expected = "a mapping",
  ): Map<string, MapEntry> | undefined {
    if (node.type !== "map") {
      return this.problem(node.pos, `${what} must be ${expected}, not ${describe(node)}`);
    }
    const entries = new Map<string, MapEntry>();
    for (const entry of node.entries) {
      if (!allowed.includes(entry.key)) {
        const hint = suggest(entry.key, allowed);
        this.problem(
          entry.keyPos,
          `unknown key "${entry.key}" in ${what}${
            hint ? ` (did you mean "${hint}"?)` : ` (it takes ${allowed.join(", ")})`
          }`,
        );
        continue;
      }
      entries.set(entry.key, entry);
    }
    return entries;
  }

  /** A string as written, without `${}` (names, the schema's URL). */
  plainString(node: SpecNode, what: string): string | undefined {
    if (node.type !== "scalar" || typeof node.value !== "string") {
      return this.problem(node.pos, `${what} must be a string, not ${describe(node)}`);
    }
    return node.value;
  }

  /** A string (or a number, read as text) with its `${NAME}` replaced. */
  string(
    node: SpecNode,
    what: string,
    options: { numbers?: boolean; nonEmpty?: boolean; noSecrets?: boolean } = {},
  ): string | undefined {
    if (
      node.type !== "scalar" ||
      !(typeof node.value === "string" || (options.numbers && typeof node.value === "number"))
    ) {
      return this.problem(node.pos, `${what} must be a string, not ${describe(node)}`);
    }
    const text = this.expand(node, String(node.value), options.noSecrets ? what : undefined);
    if (text !== undefined && options.nonEmpty && text === "") {
      return this.problem(node.pos, `${what} must not be empty`);
    }
    return text;
  }

  /**
   * Puts the variables into `text`, which came from `node`; with `shown` (what the value is), a
   * secret is refused: the value is shown as written in every report, where no mask applies.
   */
  expand(node: SpecNode & { type: "scalar" }, text: string, shown?: string): string | undefined {
    const result = expandVars(text, (name) => this.#values.get(name));
    if (result.ok && result.used.some((n) => this.#secretNames.has(n))) {
      this.#secretUses++;
      this.#carrying = true;
    }
    const secret = result.ok && shown
      ? result.used.find((n) => this.#secretNames.has(n))
      : undefined;
    if (secret !== undefined) {
      return this.problem(
        node.pos,
        `${shown} cannot hold the secret "${secret}": it is shown as written in every report`,
      );
    }
    if (result.ok) return result.text;
    // Point at the `${` itself when the scalar is written as it reads (plain or simply quoted).
    const offsetInSource = node.source.indexOf(
      text.slice(result.offset, text.indexOf("}", result.offset) + 1 || undefined),
    );
    const sameLine = offsetInSource >= 0 && !node.source.slice(0, offsetInSource).includes("\n");
    const at = sameLine ? { line: node.pos.line, col: node.pos.col + offsetInSource } : node.pos;
    const name = result.undefinedName;
    if (name === undefined) return this.problem(at, result.message);
    // A name declared without a value was reported where it is declared; here it is named so.
    const unset = this.#unset.get(name);
    return this.problem(at, unset ?? `${result.message} (declare it under "vars" or "secrets")`);
  }

  /** A whole number from `min` to `max`, written as a number or as a string of `${NAME}`. */
  integer(node: SpecNode, what: string, min: number, max: number): number | undefined {
    let value: unknown = node.type === "scalar" ? node.value : undefined;
    if (node.type === "scalar" && typeof value === "string" && value.includes("${")) {
      const text = this.expand(node, value);
      if (text === undefined) return undefined;
      value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : text;
    }
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      return this.problem(
        node.pos,
        `${what} must be a whole number from ${min} to ${max}, not ${
          typeof value === "string" && node.type === "scalar" && value !== node.value
            ? this.quote(value)
            : describe(node)
        }`,
      );
    }
    return value;
  }

  /** `true` or `false`. */
  bool(node: SpecNode, what: string): boolean | undefined {
    if (node.type !== "scalar" || typeof node.value !== "boolean") {
      return this.problem(node.pos, `${what} must be true or false, not ${describe(node)}`);
    }
    return node.value;
  }

  /** A duration (`500ms`, `5s`; a bare number is seconds), more than 0 when `positive`. */
  duration(node: SpecNode, what: string, positive: boolean): number | undefined {
    const text = node.type === "scalar" && typeof node.value === "number"
      ? String(node.value)
      : this.string(node, what);
    if (text === undefined) return undefined;
    let ms: number;
    try {
      ms = parseDuration(text);
    } catch (error) {
      const why = isInvalidInput(error) ? error.why : (error as Error).message;
      return this.problem(node.pos, `invalid duration ${this.quote(text)} for ${what}: ${why}`);
    }
    if (positive && ms === 0) return this.problem(node.pos, `${what} must be more than 0`);
    return ms;
  }

  /** A list of strings (`tags`, `resolve`, `addresses`); a single string counts as a list of one. */
  strings(
    node: SpecNode,
    what: string,
    options: { noSecrets?: boolean } = {},
  ): string[] | undefined {
    const items = node.type === "seq"
      ? node.items
      : node.type === "scalar" && typeof node.value === "string"
      ? [node]
      : undefined;
    if (!items) {
      return this.problem(node.pos, `${what} must be a list of strings, not ${describe(node)}`);
    }
    const out: string[] = [];
    for (const item of items) {
      const text = this.string(item, `each of ${what}`, { ...options, nonEmpty: true });
      if (text !== undefined) out.push(text);
    }
    return out;
  }

  /** A path, relative to the spec file's folder. */
  path(node: SpecNode, what: string): string | undefined {
    const text = this.string(node, what, { nonEmpty: true });
    if (text === undefined) return undefined;
    return isAbsolutePath(text) ? text : resolvePath(text, this.options.baseDir);
  }

  /** A port, written as a number or as a string of `${NAME}`. */
  port(node: SpecNode): number | undefined {
    return this.integer(node, "port", 1, 65535);
  }

  /** A host name or IP address (an IPv6 one with or without brackets). */
  host(node: SpecNode): string | undefined {
    const text = this.string(node, "host", { nonEmpty: true });
    if (text === undefined) return undefined;
    const host = text.replace(/^\[(.*)\]$/, "$1");
    if (/[\s/]/.test(host) || (host.includes(":") && ipFamily(host) !== 6)) {
      return this.problem(
        node.pos,
        `invalid host ${this.quote(text)}: expected a name or an IP address`,
      );
    }
    return host;
  }
}

/** A value's type for messages: `a list`, `a mapping`, `the number 12`, `true`, `null`. */
export function describe(node: SpecNode): string {
  if (node.type === "map") return "a mapping";
  if (node.type === "seq") return "a list";
  if (node.value === null) return "nothing (null)";
  if (typeof node.value === "string") return `the string ${quote(node.value)}`;
  if (typeof node.value === "number") return `the number ${node.value}`;
  return String(node.value);
}

/** `a` or `an` before a kind's name (`an http check`, `a tcp check`). */
export function article(kind: string): string {
  return /^[aeiou]/.test(kind) || kind === "http" ? "an" : "a";
}

/** A library error's message as a problem's: its first letter in lower case. */
export function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
