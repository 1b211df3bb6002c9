/**
 * Command-line parsing for every sockit command: one table of options per command drives both
 * the parser and the help text, so the two cannot drift apart. The parser is a small one of ours
 * (getopt's rules) rather than `node:util` `parseArgs`, whose loading cost every command about
 * 20 ms of start-up; this is the one module that knows which parser is used.
 *
 * @module
 */
import { isInvalidInput } from "../net/errors.ts";
import { parseDuration as parseDurationText } from "../net/duration.ts";
import { suggest } from "../text/suggest.ts";

export { MAX_DURATION_MS } from "../net/duration.ts";
export { suggest };

/** A usage error: unknown command or option, missing or malformed value. Exit code 2. */
export class UsageError extends Error {
  /** @param message What is wrong with the command line, sentence case. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Runs a lib/ parser on a value from the command line: what it throws (its message already names
 * the value and says why) becomes a {@linkcode UsageError} with the same message.
 *
 * @example
 * ```ts
 * import { asUsage, UsageError } from "./args.ts";
 * import assert from "node:assert/strict";
 * assert.equal(asUsage(() => Number.parseInt("42")), 42);
 * assert.throws(() => asUsage(() => new URL("::")), UsageError);
 * ```
 */
export function asUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** One option of a command. */
export interface OptionSpec {
  /** Long name, without the dashes. */
  name: string;
  /** One-letter alias, without the dash. */
  short?: string;
  /** A flag, or an option that takes a value. */
  type: "boolean" | "string";
  /** May be given more than once (values collect in order). */
  multiple?: boolean;
  /** Placeholder for the value in help: `N`, `DURATION`, `HOST`. */
  value?: string;
  /**
   * The value when the option is absent, written as a user would (`20`, `5s`, `64K`, `none`):
   * help shows it as `(default: 20)`, and {@linkcode ParsedArgs.duration},
   * {@linkcode ParsedArgs.integer} and {@linkcode ParsedArgs.defaultOf} return it.
   */
  default?: string;
  /** How messages name the option: `-x`. @default {"--NAME"} */
  label?: string;
  /**
   * Options this one cannot be used with. {@linkcode parseCommand} refuses both with
   * `Options --this and --that cannot be used together`, and `: reason` when one is given.
   */
  conflicts?: readonly OptionRelation[];
  /**
   * Options this one needs. {@linkcode parseCommand} refuses it without them, naming the first
   * one missing: `Option --this needs --that`, and `: reason` when one is given.
   */
  requires?: readonly OptionRelation[];
  /** One line for help. */
  description: string;
}

/** Another option, by its long name, and optionally why the two go together or not. */
export type OptionRelation = string | { readonly name: string; readonly reason: string };

/** What a command accepts, and how its help reads. */
export interface CommandSpec {
  /** The words that invoke it: `echo serve`. */
  name: string;
  /** One line: what it does. */
  summary: string;
  /** Synopsis lines, after `sockit `. */
  usage: string[];
  /** A paragraph or two after the synopsis. */
  description?: string;
  /** The command's own options (the common ones are added by {@linkcode withCommon}). */
  options: OptionSpec[];
  /** Fewest and most positional arguments. */
  positionals: { min: number; max: number; name?: string };
  /** Pairs of comment and command line. */
  examples: Array<readonly [string, string]>;
}

/** Options that every network command accepts. */
export const COMMON_OPTIONS: readonly OptionSpec[] = [
  { name: "json", type: "boolean", description: "Print machine-readable JSON on stdout" },
  { name: "quiet", short: "q", type: "boolean", description: "Print nothing but errors" },
  { name: "verbose", short: "v", type: "boolean", description: "Show debug logs on stderr" },
  {
    name: "trace",
    type: "boolean",
    description: "Show each socket step, byte counts, times and the bytes on the wire (stderr)",
  },
  {
    name: "timeout",
    type: "string",
    value: "DURATION",
    description: "Bound the whole operation (500ms, 5s, 2m)",
  },
  { name: "no-color", type: "boolean", description: "Disable colors (so does NO_COLOR=1)" },
  { name: "help", short: "h", type: "boolean", description: "Show this help" },
];

/** Adds {@linkcode COMMON_OPTIONS} to a command's own options. */
export function withCommon(options: OptionSpec[]): OptionSpec[] {
  return [...options, ...COMMON_OPTIONS];
}

/**
 * Parsed arguments with typed, validating accessors. {@linkcode ParsedArgs.string},
 * {@linkcode ParsedArgs.strings} and {@linkcode ParsedArgs.flag} say what was given; the typed
 * getters fall back on the option's declared `default`.
 */
export class ParsedArgs {
  readonly #values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  readonly #options: ReadonlyMap<string, OptionSpec>;
  /** Positional arguments, in order. */
  readonly positionals: string[];

  /** Use {@linkcode parseCommand}. */
  constructor(
    values: Record<string, string | boolean | (string | boolean)[] | undefined>,
    positionals: string[],
    options: readonly OptionSpec[] = [],
  ) {
    this.#values = values;
    this.positionals = positionals;
    this.#options = new Map(options.map((o) => [o.name, o]));
  }

  /** Whether an option was given at all (a flag, or a value, even an empty one). */
  given(name: string): boolean {
    return this.#values[name] !== undefined;
  }

  /** The option's declared `default` text, or `undefined` when it declares none. */
  defaultOf(name: string): string | undefined {
    return this.#options.get(name)?.default;
  }

  /** Whether a flag was given. */
  flag(name: string): boolean {
    return this.#values[name] === true;
  }

  /** The value of a string option, or `undefined`. */
  string(name: string): string | undefined {
    const value = this.#values[name];
    if (Array.isArray(value)) return value.at(-1) as string | undefined;
    return typeof value === "string" ? value : undefined;
  }

  /** All values of a repeatable option. */
  strings(name: string): string[] {
    const value = this.#values[name];
    if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
    return typeof value === "string" ? [value] : [];
  }

  /** A duration option in milliseconds, or `fallback` when absent. */
  duration(name: string, fallback: number): number;
  /**
   * A duration option in milliseconds; when absent, its declared `default`, or `undefined` when
   * it declares none.
   */
  duration(name: string): number | undefined;
  duration(name: string, fallback?: number): number | undefined {
    const text = this.string(name);
    if (text !== undefined) return parseDuration(text, `--${name}`);
    if (fallback !== undefined) return fallback;
    const declared = this.defaultOf(name);
    return declared === undefined ? undefined : parseDuration(declared, `--${name}`);
  }

  /** A whole-number option within `[min, max]`, or `fallback` when absent. */
  integer(name: string, fallback: number, range?: { min?: number; max?: number }): number;
  /**
   * A whole-number option within `[min, max]`, or its declared `default` when absent.
   *
   * @throws {TypeError} When it is absent and declares no default.
   */
  integer(name: string, range?: { min?: number; max?: number }): number;
  integer(
    name: string,
    fallbackOrRange?: number | { min?: number; max?: number },
    range: { min?: number; max?: number } = {},
  ): number {
    const [fallback, within] = typeof fallbackOrRange === "number"
      ? [fallbackOrRange, range]
      : [undefined, fallbackOrRange ?? {}];
    const text = this.string(name) ?? (fallback === undefined ? this.defaultOf(name) : undefined);
    if (text !== undefined) return parseInteger(text, `--${name}`, within);
    if (fallback !== undefined) return fallback;
    throw new TypeError(`Option --${name} has no value and declares no default`);
  }
}

/**
 * Parses `argv` against a command's options.
 *
 * @throws {UsageError} On an unknown option (with a "did you mean" hint when one is close), a
 * missing value, the wrong number of positional arguments, or an option given with one of its
 * `conflicts` or without one of its `requires`.
 *
 * @example
 * ```ts
 * import { parseCommand } from "./args.ts";
 * import assert from "node:assert/strict";
 * const spec = {
 *   name: "x", summary: "", usage: [], examples: [], positionals: { min: 0, max: 1 },
 *   options: [{ name: "port", type: "string" as const, description: "" }],
 * };
 * const args = parseCommand(spec, ["--port", "7", "hi"]);
 * assert.equal(args.integer("port", 0), 7);
 * assert.deepEqual(args.positionals, ["hi"]);
 * assert.throws(() => parseCommand(spec, ["--prot", "7"]), /did you mean --port/);
 * ```
 */
export function parseCommand(spec: CommandSpec, argv: string[]): ParsedArgs {
  const { values, positionals } = tokenize(spec, argv);
  if (values.help === true) return new ParsedArgs(values, positionals, spec.options);
  const { min, max, name } = spec.positionals;
  const count = positionals.length;
  if (count < min) {
    throw new UsageError(
      `Missing argument for "sockit ${spec.name}": expected ${name ?? "an argument"}`,
    );
  }
  if (count > max) {
    const extra = positionals[max]!;
    throw new UsageError(
      max === 0
        ? `Unexpected argument "${extra}" for "sockit ${spec.name}": it takes none`
        : `Unexpected argument "${extra}" for "sockit ${spec.name}": it takes at most ${max}`,
    );
  }
  checkRelations(spec.options, values);
  return new ParsedArgs(values, positionals, spec.options);
}

/**
 * Enforces each given option's `conflicts` and `requires`, in the order the table declares
 * them: the first broken one is the error.
 */
function checkRelations(
  options: readonly OptionSpec[],
  values: Record<string, unknown>,
): void {
  const byName = new Map(options.map((o) => [o.name, o]));
  const label = (name: string) => byName.get(name)?.label ?? `--${name}`;
  const because = (relation: OptionRelation) =>
    typeof relation === "string" ? "" : `: ${relation.reason}`;
  const nameOf = (relation: OptionRelation) =>
    typeof relation === "string" ? relation : relation.name;
  for (const option of options) {
    for (const relation of [...option.conflicts ?? [], ...option.requires ?? []]) {
      if (!byName.has(nameOf(relation))) {
        throw new TypeError(
          `Option --${option.name} names an unknown option --${nameOf(relation)}`,
        );
      }
    }
    if (values[option.name] === undefined) continue;
    for (const other of option.conflicts ?? []) {
      if (values[nameOf(other)] === undefined) continue;
      throw new UsageError(
        `Options ${label(option.name)} and ${label(nameOf(other))} cannot be used together${
          because(other)
        }`,
      );
    }
    for (const needed of option.requires ?? []) {
      if (values[nameOf(needed)] !== undefined) continue;
      throw new UsageError(
        `Option ${label(option.name)} needs ${label(nameOf(needed))}${because(needed)}`,
      );
    }
  }
}

/**
 * Splits `argv` into options and positionals, as getopt and node's `parseArgs` do: `--name`,
 * `--name=value`, `--name value`, `-x value`, `-xvalue`, grouped flags `-vq`, and `--` to end
 * the options. A value after an option that takes one may start with a dash only when it is a
 * negative number (`--port -5`, so that the option's own check says it is out of range) or `-`.
 * Written here rather than taken from `node:util`, whose loading costs every command about
 * 20 ms of start-up.
 */
function tokenize(
  spec: CommandSpec,
  argv: string[],
): { values: Record<string, string | boolean | (string | boolean)[]>; positionals: string[] } {
  const where = `"sockit ${spec.name}"`;
  const byName = new Map(spec.options.map((o) => [o.name, o]));
  const byShort = new Map(spec.options.flatMap((o) => o.short ? [[o.short, o] as const] : []));
  const values: Record<string, string | boolean | (string | boolean)[]> = {};
  const positionals: string[] = [];
  const set = (option: OptionSpec, value: string | boolean) => {
    if (!option.multiple) values[option.name] = value;
    else {
      const list = values[option.name];
      values[option.name] = Array.isArray(list) ? [...list, value] : [value];
    }
  };
  const unknown = (text: string) => {
    const bare = text.replace(/^-+/, "").split("=")[0]!;
    const hint = suggest(bare, spec.options.map((o) => o.name));
    return new UsageError(
      `Unknown option "${text}" for ${where}${hint ? `: did you mean --${hint}?` : ""}`,
    );
  };
  const takesNext = (next: string | undefined) =>
    next !== undefined && (!next.startsWith("-") || next === "-" || /^-\d/.test(next));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const option = byName.get(name);
      if (!option) throw unknown(eq < 0 ? arg : arg.slice(0, eq));
      if (option.type === "boolean") {
        if (eq >= 0) throw new UsageError(`Option "--${name}" of ${where} takes no value`);
        set(option, true);
      } else if (eq >= 0) {
        set(option, arg.slice(eq + 1));
      } else if (takesNext(argv[i + 1])) {
        set(option, argv[++i]!);
      } else {
        throw new UsageError(`Missing value for option "--${name}" of ${where}`);
      }
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      // One or more one-letter options; one that takes a value takes the rest of the word, or
      // the next argument.
      for (let at = 1; at < arg.length; at++) {
        const option = byShort.get(arg[at]!);
        if (!option) throw unknown(`-${arg[at]}`);
        if (option.type === "boolean") {
          set(option, true);
          continue;
        }
        const rest = arg.slice(at + 1);
        if (rest !== "") set(option, rest);
        else if (takesNext(argv[i + 1])) set(option, argv[++i]!);
        else throw new UsageError(`Missing value for option "--${option.name}" of ${where}`);
        break;
      }
      continue;
    }
    positionals.push(arg);
  }
  return { values, positionals };
}

/**
 * Parses a duration for an option: `500ms`, `5s`, `2m`, `1h`, `1d`, or a bare number of seconds
 * (`0.5`), as curl reads `--max-time`; at most {@linkcode MAX_DURATION_MS}. Returns milliseconds.
 *
 * @throws {UsageError} When the text is not a duration, is negative, or is longer than 24 days.
 *
 * @example
 * ```ts
 * import { parseDuration } from "./args.ts";
 * import assert from "node:assert/strict";
 * assert.equal(parseDuration("500ms", "--timeout"), 500);
 * assert.equal(parseDuration("2m", "--timeout"), 120000);
 * assert.equal(parseDuration("1.5", "--timeout"), 1500);
 * assert.throws(() => parseDuration("25d", "--timeout"), /the longest accepted is 24d/);
 * ```
 */
export function parseDuration(text: string, option: string): number {
  try {
    return parseDurationText(text);
  } catch (error) {
    const why = isInvalidInput(error) ? error.why : (error as Error).message;
    throw new UsageError(`Invalid duration "${text}" for ${option}: ${why}`);
  }
}

/**
 * Parses a whole number within a range.
 *
 * @throws {UsageError} When the text is not a whole number in range.
 */
export function parseInteger(
  text: string,
  option: string,
  { min = 0, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {},
): number {
  const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `${min} to ${max}`;
  const trimmed = text.trim();
  if (!/^-?\d+$/.test(trimmed)) {
    throw new UsageError(
      `Invalid value "${text}" for ${option}: expected a whole number, ${range}`,
    );
  }
  const value = Number(trimmed);
  if (value > Number.MAX_SAFE_INTEGER) {
    throw new UsageError(`Invalid value "${text}" for ${option}: too large, expected ${range}`);
  }
  if (value < min || value > max) {
    throw new UsageError(`Invalid value "${text}" for ${option}: out of range, expected ${range}`);
  }
  return value;
}

/** Renders a command's help: summary, synopsis, description, options with defaults, examples. */
export function renderHelp(spec: CommandSpec): string {
  const own = spec.options.filter((o) => !COMMON_OPTIONS.includes(o));
  const common = spec.options.filter((o) => COMMON_OPTIONS.includes(o));
  const lines = [`sockit ${spec.name}: ${spec.summary}`, "", "Usage:"];
  for (const usage of spec.usage) lines.push(`  sockit ${usage}`);
  if (spec.description) lines.push("", ...spec.description.split("\n"));
  const section = (title: string, options: OptionSpec[]) => {
    if (options.length === 0) return;
    lines.push("", `${title}:`);
    const labels = options.map((o) =>
      `${o.short ? `-${o.short}, ` : "    "}--${o.name}${
        o.type === "string" ? ` ${o.value ?? "VALUE"}` : ""
      }`
    );
    const width = Math.max(...labels.map((l) => l.length)) + 2;
    options.forEach((o, i) => {
      const extra = [o.multiple ? "repeatable" : "", o.default ? `default: ${o.default}` : ""]
        .filter(Boolean).join(", ");
      lines.push(`  ${labels[i]!.padEnd(width)}${o.description}${extra ? ` (${extra})` : ""}`);
    });
  };
  section("Options", own);
  section("Common options", common);
  if (spec.examples.length > 0) {
    lines.push("", "Examples:");
    for (const [comment, command] of spec.examples) {
      lines.push(`  # ${comment}`, `  ${command}`, "");
    }
    lines.pop();
  }
  return lines.join("\n") + "\n";
}
