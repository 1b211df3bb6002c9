/**
 * The spec file of `sockit check`: its shape, checked strictly (an unknown key, a key of another
 * kind of check, a wrong type, a duplicate key or name, a bad duration or an undefined variable
 * is a problem at its line and column), variables and secrets put in, and each check turned into
 * a target and probe options for `lib/probe/`. Nothing here touches the network.
 *
 * @module
 */
import { isAbsolutePath, resolvePath } from "../text/path.ts";
import { parseDuration } from "../net/duration.ts";
import { oneLine, quote } from "../text/quote.ts";
import { suggest } from "../text/suggest.ts";
import { normalizeDnsName } from "../dns/name.ts";
import { parseDnsServer } from "../dns/outcome.ts";
import { parseRecordType, Rcode, RecordType, typeName } from "../dns/wire.ts";
import {
  parseHeaderExpectation,
  parseJsonPointer,
  parseRegex,
  parseStatusList,
} from "../http/expect.ts";
import type { HeaderExpectation, JsonExpectation, JsonMatcher } from "../http/expect.ts";
import { checkField, defaultFields, mergeFields } from "../http/request.ts";
import { basicAuthorization, parseHttpUrl } from "../http/url.ts";
import type { HttpUrl } from "../http/url.ts";
import { canonicalIp, formatHostPort, ipFamily } from "../net/addr.ts";
import type { RetrySchedule } from "../net/retry.ts";
import { parseAddressOverride } from "../net/override.ts";
import { checkCertificatePem } from "../net/tls.ts";
import type { ProbeOptions } from "../probe/probe.ts";
import type { Target } from "../probe/target.ts";
import { formatOf, readTree } from "./tree.ts";
import type { MapEntry, SourcePos, SpecFormat, SpecNode, SpecProblem } from "./tree.ts";
import { expandVars, VAR_NAME } from "./vars.ts";
import { Redactor } from "./redact.ts";

/** The kinds of check, one key each. */
export const CHECK_KINDS = ["http", "tcp", "dns", "echo", "unix"] as const;

/** One of {@linkcode CHECK_KINDS}. */
export type CheckKind = typeof CHECK_KINDS[number];

/** The keys of each kind's own mapping. */
export const KIND_KEYS: Readonly<Record<CheckKind, readonly string[]>> = {
  http: [
    "url",
    "method",
    "headers",
    "follow_redirects",
    "max_redirects",
    "cacert",
    "insecure",
    "resolve",
    "unix_socket",
    "compressed",
  ],
  tcp: ["host", "port", "send", "expect"],
  unix: ["path", "send", "expect"],
  dns: ["name", "type", "server"],
  echo: ["host", "port", "payload"],
};

/** The keys of `expect` for each kind. */
export const EXPECT_KEYS: Readonly<Record<CheckKind, readonly string[]>> = {
  http: [
    "status",
    "body_contains",
    "body_regex",
    "headers",
    "json",
    "time_under",
    "cert_valid_for",
  ],
  tcp: ["time_under"],
  unix: ["time_under"],
  dns: ["rcode", "addresses", "time_under"],
  echo: ["time_under"],
};

const TOP_KEYS = ["$schema", "version", "vars", "secrets", "defaults", "checks"];
const CHECK_KEYS = ["name", ...CHECK_KINDS, "expect", "timeout", "retry", "tags"];
const DEFAULT_KEYS = ["timeout", "retry"];
const RETRY_KEYS = ["attempts", "interval", "backoff", "max_interval"];
/** The most attempts a check's `retry.attempts` may ask for. */
export const MAX_ATTEMPTS = 100;

/** What a check does when the spec says nothing. */
export const CHECK_DEFAULTS = {
  /** Each attempt's limit. */
  timeoutMs: 5000,
  /** One attempt, then (when more are asked for) 1s, 2s, 4s... up to 30s apart. */
  retry: { attempts: 1, firstPauseMs: 1000, factor: 2, maxPauseMs: 30_000 } as RetrySchedule,
  /** What an echo check sends. */
  payload: "sockit check\n",
};

/** One check, ready to run. */
export interface CheckDef {
  /** Its name, unique in its file. */
  name: string;
  /** The spec file, as given. */
  file: string;
  /** Where the check starts in the file. */
  line: number;
  /** Where the check starts in the file. */
  col: number;
  /** Its kind. */
  kind: CheckKind;
  /** What it probes. */
  target: Target;
  /** The target for reports: a URL, `host:port`, `name A @server`, a path. */
  targetText: string;
  /**
   * Whether a secret was put into the strings of the check's kind (its target, headers, body):
   * only then can {@linkcode CheckDef.targetText} hold one, and only then is it masked.
   */
  holdsSecret: boolean;
  /** Each attempt's limit, in milliseconds. */
  timeoutMs: number;
  /** How often to try, and how far apart. */
  retry: RetrySchedule;
  /** Its tags. */
  tags: string[];
  /** How to probe it and what the answer must show. */
  probe: Pick<ProbeOptions, "http" | "dns" | "stream" | "echo">;
  /** The attempt must take less than this, in milliseconds. */
  timeUnderMs: number | undefined;
}

/** A spec file, checked. */
export interface CheckSpec {
  /** The file, as given. */
  file: string;
  /** Its checks, in file order. */
  checks: CheckDef[];
  /** Where the `checks` key is (a filter that selects nothing is reported there). */
  checksPos: SourcePos;
  /** The secrets' values, to be masked in every output. */
  secrets: string[];
  /**
   * The secrets' names, in the order of {@linkcode CheckSpec.secrets} (which holds, after them,
   * values made from them: a URL's Basic authorization).
   */
  secretNames: string[];
}

/** A spec file with problems: each at its line and column. */
export class SpecError extends TypeError {
  /** The file, as given. */
  readonly file: string;
  /** Every problem found, in file order. */
  readonly problems: SpecProblem[];
  /** Secret values already read (a message may quote a value they went into). */
  readonly secrets: string[];

  /** @param file The file. @param problems What is wrong. @param secrets Values to mask. */
  constructor(file: string, problems: SpecProblem[], secrets: string[] = []) {
    super(problems.map((p) => `${file}:${p.line}:${p.col}: ${p.message}`).join("\n"));
    this.name = "SpecError";
    this.file = file;
    this.problems = problems;
    this.secrets = secrets;
  }
}

/** Options for {@linkcode loadSpec}. */
export interface LoadSpecOptions {
  /** The file's name for messages (and its format, by its extension). */
  file: string;
  /** The syntax. @default {by the file's extension} */
  format?: SpecFormat;
  /** Relative paths in the spec (`cacert`, `unix.path`) are relative to this. */
  baseDir: string;
  /** The environment: it overrides `vars` and holds the secrets. */
  env: (name: string) => string | undefined;
  /** Values given on the command line: they override the environment and `vars`. */
  vars?: ReadonlyMap<string, string>;
  /** The `User-Agent` of HTTP checks. @default {"sockit"} */
  userAgent?: string;
  /** Reads a `cacert` file. @default {Deno.readTextFile} */
  readFile?: (path: string) => Promise<string>;
}

/**
 * Reads and checks a spec file's text.
 *
 * @throws {SpecError} With every problem found; no check is returned when there is one.
 *
 * @example
 * ```ts
 * import { loadSpec } from "./spec.ts";
 * import assert from "node:assert/strict";
 * const spec = await loadSpec(
 *   "version: 1\nvars: { PORT: 5432 }\nchecks:\n  - name: db\n    tcp: { host: 127.0.0.1, port: '${PORT}' }\n",
 *   { file: "sockit.yaml", baseDir: ".", env: () => undefined },
 * );
 * assert.equal(spec.checks[0]!.targetText, "127.0.0.1:5432");
 * ```
 */
export async function loadSpec(text: string, options: LoadSpecOptions): Promise<CheckSpec> {
  const { root, problems } = readTree(text, options.format ?? formatOf(options.file));
  if (root === undefined) throw new SpecError(options.file, problems);
  const reader = new SpecReader(options, problems);
  const spec = await reader.read(root);
  if (reader.problems.length > 0) {
    const sorted = [...reader.problems].sort((a, b) => a.line - b.line || a.col - b.col);
    throw new SpecError(options.file, sorted, reader.secretValues);
  }
  return spec!;
}

/** A value's type for messages: `a list`, `a mapping`, `the number 12`, `true`, `null`. */
function describe(node: SpecNode): string {
  if (node.type === "map") return "a mapping";
  if (node.type === "seq") return "a list";
  if (node.value === null) return "nothing (null)";
  if (typeof node.value === "string") return `the string ${quote(node.value)}`;
  if (typeof node.value === "number") return `the number ${node.value}`;
  return String(node.value);
}

/** The longest message a problem has: a value of any size is quoted as an excerpt. */
const MAX_MESSAGE = 240;

/** The defaults a check starts from. */
interface Defaults {
  timeoutMs: number;
  retry: RetrySchedule;
}

/** Walks the tree, collecting problems rather than stopping at the first. */
class SpecReader {
  readonly problems: SpecProblem[];
  readonly #options: LoadSpecOptions;
  readonly #values = new Map<string, string>();
  readonly #secretNames = new Set<string>();
  readonly #names = new Map<string, SourcePos>();
  /** Names declared without a value, and what a `${NAME}` of one says. */
  readonly #unset = new Map<string, string>();
  /** How many strings had a secret put in so far (a check compares it before and after). */
  #secretUses = 0;
  /** Whether the check being read had a secret put into one of its strings (see `problem`). */
  #carrying = false;
  /** The secrets' values. */
  readonly secretValues: string[] = [];

  constructor(options: LoadSpecOptions, problems: SpecProblem[]) {
    this.#options = options;
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

  /** A value for a message, quoted and cut short (see {@linkcode quote}), secrets masked as above. */
  quote(text: string): string {
    return quote(this.#masked(text));
  }

  #masked(text: string): string {
    if (!this.#carrying) return text;
    return new Redactor(this.secretValues).text(text);
  }

  async read(root: SpecNode): Promise<CheckSpec | undefined> {
    const top = this.map(root, "the file", TOP_KEYS, "a spec file");
    if (!top) return undefined;
    const version = top.get("version");
    if (!version) this.problem(root.pos, 'missing "version: 1"');
    else if (version.value.type !== "scalar" || version.value.value !== 1) {
      this.problem(version.value.pos, `"version" must be 1, not ${describe(version.value)}`);
    }
    const schema = top.get("$schema");
    if (schema) this.plainString(schema.value, "$schema");
    this.readVariables(top.get("vars"), top.get("secrets"));
    const defaults = this.readDefaults(top.get("defaults"));
    const checksEntry = top.get("checks");
    if (!checksEntry) {
      this.problem(root.pos, 'missing "checks": a list of checks');
      return undefined;
    }
    const list = checksEntry.value;
    if (list.type !== "seq") {
      this.problem(list.pos, `"checks" must be a list, not ${describe(list)}`);
      return undefined;
    }
    if (list.items.length === 0) this.problem(list.pos, '"checks" is empty: give at least one');
    const checks: CheckDef[] = [];
    for (const item of list.items) {
      const check = await this.readCheck(item, defaults);
      if (check) checks.push(check);
    }
    return {
      file: this.#options.file,
      checks,
      checksPos: checksEntry.keyPos,
      secrets: this.secretValues,
      secretNames: [...this.#values.keys()].filter((name) => this.#secretNames.has(name)),
    };
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

  readVariables(vars: MapEntry | undefined, secrets: MapEntry | undefined): void {
    const env = this.#options.env;
    const given = this.#options.vars ?? new Map<string, string>();
    if (secrets) {
      if (secrets.value.type !== "seq") {
        this.problem(
          secrets.value.pos,
          `"secrets" must be a list of names, not ${describe(secrets.value)}`,
        );
      } else {
        for (const item of secrets.value.items) {
          const name = this.plainString(item, "a secret's name");
          if (name === undefined) continue;
          if (!VAR_NAME.test(name)) {
            this.problem(item.pos, `invalid secret name "${name}": use letters, digits and _`);
            continue;
          }
          if (this.#secretNames.has(name)) {
            this.problem(item.pos, `secret "${name}" is listed twice`);
            continue;
          }
          this.#secretNames.add(name);
          if (given.has(name)) {
            this.problem(
              item.pos,
              `secret "${name}" cannot be given on the command line (where ps shows it): set it in the environment`,
            );
            const at = `${item.pos.line}:${item.pos.col}`;
            this.#unset.set(name, `secret "${name}" has no value from --var (declared at ${at})`);
            continue;
          }
          const value = env(name);
          if (value === undefined || value === "") {
            const why = `secret "${name}" is ${
              value === undefined ? "not set" : "empty"
            } in the environment`;
            this.problem(item.pos, why);
            this.#unset.set(name, `${why} (declared at ${item.pos.line}:${item.pos.col})`);
            continue;
          }
          this.#values.set(name, value);
          this.secretValues.push(value);
        }
      }
    }
    const declared = new Set<string>(this.#secretNames);
    if (vars) {
      const entries = vars.value.type === "map" ? vars.value.entries : undefined;
      if (!entries) {
        this.problem(
          vars.value.pos,
          `"vars" must be a mapping of names to values, not ${describe(vars.value)}`,
        );
      }
      for (const entry of entries ?? []) {
        if (!VAR_NAME.test(entry.key)) {
          this.problem(
            entry.keyPos,
            `invalid variable name "${entry.key}": use letters, digits and _`,
          );
          continue;
        }
        if (this.#secretNames.has(entry.key)) {
          this.problem(entry.keyPos, `"${entry.key}" is both a variable and a secret`);
          continue;
        }
        declared.add(entry.key);
        const node = entry.value;
        if (node.type !== "scalar") {
          this.problem(
            node.pos,
            `variable "${entry.key}" must be a string or a number, not ${describe(node)}`,
          );
          continue;
        }
        const value = given.get(entry.key) ?? env(entry.key) ??
          (node.value === null ? undefined : String(node.value));
        if (value === undefined) {
          this.problem(
            node.pos,
            `variable "${entry.key}" has no value: set it in the environment or with a value here`,
          );
          const at = entry.keyPos;
          this.#unset.set(
            entry.key,
            `variable "${entry.key}" has no value (declared at ${at.line}:${at.col})`,
          );
          continue;
        }
        this.#values.set(entry.key, value);
      }
    }
    // A value from the command line for a name the spec does not declare is still usable: it is
    // defined, explicitly, by whoever runs the check.
    for (const [name, value] of given) {
      if (!declared.has(name)) this.#values.set(name, value);
    }
  }

  readDefaults(entry: MapEntry | undefined): Defaults {
    const defaults: Defaults = { timeoutMs: CHECK_DEFAULTS.timeoutMs, retry: CHECK_DEFAULTS.retry };
    if (!entry) return defaults;
    const keys = this.map(entry.value, '"defaults"', DEFAULT_KEYS);
    if (!keys) return defaults;
    const timeout = keys.get("timeout");
    if (timeout) {
      defaults.timeoutMs = this.duration(timeout.value, "timeout", true) ?? defaults.timeoutMs;
    }
    const retry = keys.get("retry");
    if (retry) defaults.retry = this.retry(retry.value, defaults.retry);
    return defaults;
  }

  retry(node: SpecNode, base: RetrySchedule): RetrySchedule {
    const keys = this.map(node, '"retry"', RETRY_KEYS);
    if (!keys) return base;
    const schedule = { ...base };
    const attempts = keys.get("attempts");
    if (attempts) {
      schedule.attempts = this.integer(attempts.value, "attempts", 1, MAX_ATTEMPTS) ??
        base.attempts;
    }
    const interval = keys.get("interval");
    if (interval) {
      schedule.firstPauseMs = this.duration(interval.value, "interval", false) ?? base.firstPauseMs;
    }
    const backoff = keys.get("backoff");
    if (backoff) {
      const node = backoff.value;
      if (
        node.type !== "scalar" || typeof node.value !== "number" || node.value < 1 ||
        node.value > 10
      ) {
        this.problem(node.pos, `"backoff" must be a number from 1 to 10, not ${describe(node)}`);
      } else schedule.factor = node.value;
    }
    const max = keys.get("max_interval");
    if (max) {
      const ms = this.duration(max.value, "max_interval", false);
      if (ms !== undefined) schedule.maxPauseMs = ms;
    }
    return schedule;
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

  bool(node: SpecNode, what: string): boolean | undefined {
    if (node.type !== "scalar" || typeof node.value !== "boolean") {
      return this.problem(node.pos, `${what} must be true or false, not ${describe(node)}`);
    }
    return node.value;
  }

  duration(node: SpecNode, what: string, positive: boolean): number | undefined {
    const text = node.type === "scalar" && typeof node.value === "number"
      ? String(node.value)
      : this.string(node, what);
    if (text === undefined) return undefined;
    let ms: number;
    try {
      ms = parseDuration(text);
    } catch (error) {
      const why = (error as Error).message.replace(/^Invalid duration "(?:[^"\\]|\\.)*": /, "");
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
    return isAbsolutePath(text) ? text : resolvePath(text, this.#options.baseDir);
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

  async readCheck(node: SpecNode, defaults: Defaults): Promise<CheckDef | undefined> {
    this.#carrying = false;
    try {
      return await this.#readCheck(node, defaults);
    } finally {
      this.#carrying = false;
    }
  }

  async #readCheck(node: SpecNode, defaults: Defaults): Promise<CheckDef | undefined> {
    const keys = this.map(node, "a check", CHECK_KEYS);
    if (!keys) return undefined;
    const at = node.pos;
    const nameEntry = keys.get("name");
    let name: string | undefined;
    if (!nameEntry) this.problem(at, 'a check needs a "name"');
    else {
      name = this.string(nameEntry.value, '"name"', {
        numbers: true,
        nonEmpty: true,
        noSecrets: true,
      });
      // deno-lint-ignore no-control-regex
      if (name !== undefined && /[\x00-\x1f\x7f]/.test(name)) {
        name = this.problem(
          nameEntry.value.pos,
          '"name" must be one line without control characters',
        );
      }
      const first = name === undefined ? undefined : this.#names.get(name);
      if (first) {
        name = this.problem(
          nameEntry.value.pos,
          `duplicate check name ${this.quote(name!)} (first at ${first.line}:${first.col})`,
        );
      } else if (name !== undefined) this.#names.set(name, nameEntry.value.pos);
    }
    const kinds = CHECK_KINDS.filter((kind) => keys.has(kind));
    if (kinds.length === 0) {
      this.problem(at, `a check needs one of ${CHECK_KINDS.join(", ")}`);
      return undefined;
    }
    for (const extra of kinds.slice(1)) {
      this.problem(keys.get(extra)!.keyPos, `a check has one kind: "${extra}" after "${kinds[0]}"`);
    }
    const kind = kinds[0]!;
    const timeoutEntry = keys.get("timeout");
    const timeoutMs = timeoutEntry
      ? this.duration(timeoutEntry.value, "timeout", true) ?? defaults.timeoutMs
      : defaults.timeoutMs;
    const retryEntry = keys.get("retry");
    const retry = retryEntry ? this.retry(retryEntry.value, defaults.retry) : defaults.retry;
    const tagsEntry = keys.get("tags");
    const tags = tagsEntry
      ? this.strings(tagsEntry.value, '"tags"', { noSecrets: true }) ?? []
      : [];
    const expectEntry = keys.get("expect");
    const expect = expectEntry
      ? this.map(expectEntry.value, `"expect" of ${article(kind)} ${kind} check`, EXPECT_KEYS[kind])
      : new Map<string, MapEntry>();
    if (expectEntry) this.misplacedExpectations(expectEntry.value, kind);
    const timeUnder = expect?.get("time_under");
    const timeUnderMs = timeUnder ? this.duration(timeUnder.value, "time_under", true) : undefined;
    const body = keys.get(kind)!.value;
    const secretUses = this.#secretUses;
    const built = await this.readKind(kind, body, expect ?? new Map());
    if (!built || name === undefined) return undefined;
    return {
      name,
      file: this.#options.file,
      line: at.line,
      col: at.col,
      kind,
      target: built.target,
      targetText: built.text,
      holdsSecret: this.#secretUses > secretUses,
      timeoutMs,
      retry,
      tags,
      probe: built.probe,
      timeUnderMs,
    };
  }

  /**
   * A URL's `user:pass@` that holds a secret is sent as Basic authorization: its base64 is then
   * a secret too (masked in the trace's bytes).
   */
  secretCredentials(url: HttpUrl): void {
    const { username = "", password = "" } = url.credentials ?? {};
    if (!this.secretValues.some((value) => `${username}:${password}`.includes(value))) return;
    this.secretValues.push(basicAuthorization(url)!.slice("Basic ".length));
  }

  /** Says which kind an expectation of another kind belongs to. */
  misplacedExpectations(node: SpecNode, kind: CheckKind): void {
    if (node.type !== "map") return;
    for (const entry of node.entries) {
      if (EXPECT_KEYS[kind].includes(entry.key)) continue;
      const owner = CHECK_KINDS.find((k) => EXPECT_KEYS[k].includes(entry.key));
      if (owner) {
        // Replace the generic "unknown key" problem with one that says where it belongs.
        const index = this.problems.findIndex((p) =>
          p.line === entry.keyPos.line && p.col === entry.keyPos.col
        );
        if (index >= 0) {
          this.problems[index]!.message = `"expect.${entry.key}" belongs to ${
            article(owner)
          } ${owner} check, not ${article(kind)} ${kind} check`;
        }
      }
    }
  }

  async readKind(
    kind: CheckKind,
    node: SpecNode,
    expect: Map<string, MapEntry>,
  ): Promise<{ target: Target; text: string; probe: CheckDef["probe"] } | undefined> {
    const keys = this.map(node, `"${kind}"`, KIND_KEYS[kind]);
    if (keys) this.misplacedKeys(node, kind);
    if (!keys) return undefined;
    const need = (key: string): SpecNode | undefined => {
      const entry = keys.get(key);
      if (!entry) {
        return this.problem(node.pos, `${article(kind)} ${kind} check needs "${kind}.${key}"`);
      }
      return entry.value;
    };
    switch (kind) {
      case "http":
        return await this.readHttp(keys, need, expect);
      case "tcp":
      case "echo": {
        const hostNode = need("host"), portNode = need("port");
        const host = hostNode && this.host(hostNode);
        const port = portNode && this.port(portNode);
        if (host === undefined || port === undefined) return undefined;
        const text = formatHostPort(host, port);
        if (kind === "echo") {
          const payloadEntry = keys.get("payload");
          const payload = payloadEntry
            ? this.string(payloadEntry.value, '"payload"', { numbers: true, nonEmpty: true })
            : CHECK_DEFAULTS.payload;
          if (payload === undefined) return undefined;
          return {
            target: { kind: "echo", text, host, port },
            text,
            probe: { echo: { payload: new TextEncoder().encode(payload) } },
          };
        }
        const stream = this.readStream(keys);
        if (!stream) return undefined;
        return { target: { kind: "tcp", text, host, port }, text, probe: { stream } };
      }
      case "unix": {
        const pathNode = need("path");
        const path = pathNode && this.path(pathNode, '"path"');
        const stream = this.readStream(keys);
        if (path === undefined || !stream) return undefined;
        return { target: { kind: "unix", text: path, path }, text: path, probe: { stream } };
      }
      case "dns":
        return this.readDns(keys, need, expect);
    }
  }

  /** Says which kind a key of another kind belongs to (`url` in a tcp check). */
  misplacedKeys(node: SpecNode, kind: CheckKind): void {
    if (node.type !== "map") return;
    for (const entry of node.entries) {
      if (KIND_KEYS[kind].includes(entry.key)) continue;
      const owner = CHECK_KINDS.find((k) => KIND_KEYS[k].includes(entry.key));
      const index = this.problems.findIndex((p) =>
        p.line === entry.keyPos.line && p.col === entry.keyPos.col
      );
      if (owner && index >= 0) {
        this.problems[index]!.message = `"${entry.key}" belongs to ${
          article(owner)
        } ${owner} check, not in "${kind}" (it takes ${KIND_KEYS[kind].join(", ")})`;
      }
    }
  }

  readStream(keys: Map<string, MapEntry>): { send?: Uint8Array; expect?: Uint8Array } | undefined {
    const out: { send?: Uint8Array; expect?: Uint8Array } = {};
    for (const key of ["send", "expect"] as const) {
      const entry = keys.get(key);
      if (!entry) continue;
      const text = this.string(entry.value, `"${key}"`, { numbers: true, nonEmpty: true });
      if (text === undefined) return undefined;
      out[key] = new TextEncoder().encode(text);
    }
    return out;
  }

  async readHttp(
    keys: Map<string, MapEntry>,
    need: (key: string) => SpecNode | undefined,
    expect: Map<string, MapEntry>,
  ): Promise<{ target: Target; text: string; probe: CheckDef["probe"] } | undefined> {
    let ok = true;
    const urlNode = need("url");
    const urlText = urlNode && this.string(urlNode, '"url"', { nonEmpty: true });
    let url;
    if (urlText !== undefined) {
      try {
        url = parseHttpUrl(urlText);
        this.secretCredentials(url);
      } catch (error) {
        this.problem(urlNode!.pos, lowerFirst((error as Error).message));
      }
    }
    const methodEntry = keys.get("method");
    let method: "GET" | "HEAD" = "GET";
    if (methodEntry) {
      const text = this.string(methodEntry.value, '"method"');
      if (text !== undefined && text !== "GET" && text !== "HEAD") {
        ok = this.problem(
          methodEntry.value.pos,
          `"method" must be GET or HEAD, not ${this.quote(text)}`,
        ) ?? false;
      } else if (text) method = text;
    }
    const user: Array<[string, string]> = [];
    const headersEntry = keys.get("headers");
    if (headersEntry) {
      const node = headersEntry.value;
      if (node.type !== "map") {
        ok = this.problem(
          node.pos,
          `"headers" must be a mapping of names to values, not ${describe(node)}`,
        ) ?? false;
      } else {
        for (const entry of node.entries) {
          // null removes a default field (User-Agent, Accept), as get's -H 'Name:' does.
          const value = entry.value.type === "scalar" && entry.value.value === null
            ? ""
            : this.string(entry.value, `header "${entry.key}"`, { numbers: true });
          if (value === undefined) {
            ok = false;
            continue;
          }
          const problem = checkField(entry.key, value);
          if (problem) ok = this.problem(entry.keyPos, `invalid ${problem}`) ?? false;
          else user.push([entry.key, value]);
        }
      }
    }
    const followEntry = keys.get("follow_redirects");
    const follow = followEntry ? this.bool(followEntry.value, '"follow_redirects"') : false;
    const maxEntry = keys.get("max_redirects");
    const maxRedirects = maxEntry
      ? this.integer(maxEntry.value, '"max_redirects"', 0, 100)
      : undefined;
    if (maxEntry && !follow) {
      this.problem(maxEntry.keyPos, '"max_redirects" needs "follow_redirects: true"');
    }
    const compressedEntry = keys.get("compressed");
    const compressed = compressedEntry ? this.bool(compressedEntry.value, '"compressed"') : false;
    const insecureEntry = keys.get("insecure");
    const insecure = insecureEntry ? this.bool(insecureEntry.value, '"insecure"') : false;
    const caCerts: string[] = [];
    const cacertEntry = keys.get("cacert");
    if (cacertEntry) {
      const path = this.path(cacertEntry.value, '"cacert"');
      if (path !== undefined) {
        const read = this.#options.readFile ?? ((p: string) => Deno.readTextFile(p));
        try {
          const pem = await read(path);
          const why = checkCertificatePem(pem);
          if (why) this.problem(cacertEntry.value.pos, `cannot use cacert "${path}": ${why}`);
          else caCerts.push(pem);
        } catch (error) {
          const why = error instanceof Deno.errors.NotFound
            ? "no such file"
            : (error as Error).message.replace(/\s*\(os error \d+\).*$/, "");
          this.problem(cacertEntry.value.pos, `cannot read cacert "${path}": ${why}`);
        }
      }
    }
    const resolve = new Map<string, string[]>();
    const resolveEntry = keys.get("resolve");
    for (const text of resolveEntry ? this.strings(resolveEntry.value, '"resolve"') ?? [] : []) {
      const entry = parseAddressOverride(text);
      if (!entry) {
        this.problem(
          resolveEntry!.value.pos,
          `invalid resolve entry ${this.quote(text)}: expected HOST:PORT:ADDRESS`,
        );
        continue;
      }
      resolve.set(entry.key, entry.addresses);
    }
    const unixEntry = keys.get("unix_socket");
    const unixSocket = unixEntry ? this.path(unixEntry.value, '"unix_socket"') : undefined;
    if (unixSocket && url?.scheme === "https") {
      this.problem(unixEntry!.keyPos, '"unix_socket" works with http URLs only');
    }
    const httpExpect = this.readHttpExpect(expect, method, url?.scheme);
    if (!url || !ok || !httpExpect) return undefined;
    const defaults = defaultFields(this.#options.userAgent ?? "sockit");
    return {
      target: { kind: "http", text: url.href, url },
      text: `${method} ${url.href}`,
      probe: {
        http: {
          method,
          fields: mergeFields(defaults, user),
          follow: follow ?? false,
          maxRedirects,
          compressed: compressed ?? false,
          caCerts,
          insecure: insecure ?? false,
          resolve,
          unixSocket,
          expect: httpExpect.expect,
          json: httpExpect.json,
          certValidForMs: httpExpect.certValidForMs,
        },
      },
    };
  }

  readHttpExpect(
    expect: Map<string, MapEntry>,
    method: "GET" | "HEAD",
    scheme: string | undefined,
  ): {
    expect: NonNullable<NonNullable<ProbeOptions["http"]>["expect"]>;
    json: JsonExpectation[];
    certValidForMs: number | undefined;
  } | undefined {
    let ok = true;
    const fail = (at: SourcePos, message: string) => {
      ok = false;
      this.problem(at, message);
    };
    const statusEntry = expect.get("status");
    let status = parseStatusList("2xx");
    if (statusEntry) {
      const node = statusEntry.value;
      const items = node.type === "seq" ? node.items : [node];
      const parts: string[] = [];
      for (const item of items) {
        const text = item.type === "scalar" && typeof item.value === "number"
          ? String(item.value)
          : this.string(item, "a status", {});
        if (text === undefined) ok = false;
        else parts.push(text);
      }
      try {
        status = parseStatusList(parts.join(","));
      } catch {
        fail(
          node.pos,
          `invalid status list ${
            this.quote(parts.join(", "))
          }: use codes and classes such as [200, 204, 3xx]`,
        );
      }
    }
    const text = (key: string) => {
      const entry = expect.get(key);
      return entry
        ? this.string(entry.value, `"${key}"`, { numbers: true, nonEmpty: true })
        : undefined;
    };
    const bodyContains = text("body_contains");
    const regexText = text("body_regex");
    let bodyRegex: RegExp | undefined;
    if (regexText !== undefined) {
      try {
        bodyRegex = parseRegex(regexText);
      } catch (error) {
        fail(expect.get("body_regex")!.value.pos, lowerFirst((error as Error).message));
      }
    }
    const headers: HeaderExpectation[] = [];
    const headersEntry = expect.get("headers");
    if (headersEntry) {
      const node = headersEntry.value;
      if (node.type !== "map") {
        fail(
          node.pos,
          `"expect.headers" must be a mapping of names to patterns, not ${describe(node)}`,
        );
      }
      for (const entry of node.type === "map" ? node.entries : []) {
        const pattern = this.string(entry.value, `the pattern for "${entry.key}"`, {
          numbers: true,
        });
        if (pattern === undefined) continue;
        try {
          headers.push(parseHeaderExpectation(`${entry.key}: ${pattern}`));
        } catch (error) {
          fail(entry.value.pos, lowerFirst((error as Error).message));
        }
      }
    }
    const json: JsonExpectation[] = [];
    const jsonEntry = expect.get("json");
    if (jsonEntry) {
      const node = jsonEntry.value;
      if (node.type !== "map") {
        fail(
          node.pos,
          `"expect.json" must be a mapping of JSON Pointers to values, not ${describe(node)}`,
        );
      }
      for (const entry of node.type === "map" ? node.entries : []) {
        let tokens: string[];
        try {
          tokens = parseJsonPointer(entry.key);
        } catch (error) {
          fail(entry.keyPos, lowerFirst((error as Error).message));
          continue;
        }
        const matcher = this.jsonMatcher(entry.value);
        if (matcher === undefined) ok = false;
        else json.push({ pointer: entry.key, tokens, matcher });
      }
    }
    if (method === "HEAD") {
      for (const key of ["body_contains", "body_regex", "json"]) {
        const entry = expect.get(key);
        if (entry) {
          fail(
            entry.keyPos,
            `"expect.${key}" needs a body: HEAD responses have none (use method: GET)`,
          );
        }
      }
    }
    const certEntry = expect.get("cert_valid_for");
    const certValidForMs = certEntry
      ? this.duration(certEntry.value, "cert_valid_for", false)
      : undefined;
    if (certEntry && scheme === "http") {
      fail(certEntry.keyPos, '"expect.cert_valid_for" needs an https URL');
    }
    if (!ok) return undefined;
    return {
      expect: { status, bodyContains, bodyRegex, headers },
      json,
      certValidForMs,
    };
  }

  /** A JSON expectation's value: `{ regex: RE }`, `{ exists: BOOL }`, or a value to equal. */
  jsonMatcher(node: SpecNode): JsonMatcher | undefined {
    if (node.type === "map" && node.entries.length === 1) {
      const [entry] = node.entries;
      if (entry!.key === "regex") {
        const text = this.string(entry!.value, '"regex"', { numbers: true });
        if (text === undefined) return undefined;
        try {
          return { kind: "regex", pattern: parseRegex(text) };
        } catch (error) {
          return this.problem(entry!.value.pos, lowerFirst((error as Error).message));
        }
      }
      if (entry!.key === "exists") {
        const exists = this.bool(entry!.value, '"exists"');
        return exists === undefined ? undefined : { kind: "exists", exists };
      }
    }
    const value = this.plainValue(node);
    return value === undefined ? undefined : { kind: "equals", value: value.value };
  }

  /** A node as a plain JSON value, strings with their variables put in. */
  plainValue(node: SpecNode): { value: unknown } | undefined {
    if (node.type === "scalar") {
      if (typeof node.value !== "string") return { value: node.value };
      const text = this.expand(node, node.value);
      return text === undefined ? undefined : { value: text };
    }
    if (node.type === "seq") {
      const items: unknown[] = [];
      for (const item of node.items) {
        const value = this.plainValue(item);
        if (value === undefined) return undefined;
        items.push(value.value);
      }
      return { value: items };
    }
    const object: Record<string, unknown> = {};
    for (const entry of node.entries) {
      const value = this.plainValue(entry.value);
      if (value === undefined) return undefined;
      object[entry.key] = value.value;
    }
    return { value: object };
  }

  readDns(
    keys: Map<string, MapEntry>,
    need: (key: string) => SpecNode | undefined,
    expect: Map<string, MapEntry>,
  ): { target: Target; text: string; probe: CheckDef["probe"] } | undefined {
    let ok = true;
    const nameNode = need("name");
    const nameText = nameNode && this.string(nameNode, '"name"', { nonEmpty: true });
    let name;
    if (nameText !== undefined) {
      try {
        name = normalizeDnsName(nameText);
      } catch (error) {
        this.problem(nameNode!.pos, lowerFirst((error as Error).message));
      }
    }
    const typeEntry = keys.get("type");
    let type: number | undefined;
    if (typeEntry) {
      const text = this.string(typeEntry.value, '"type"');
      try {
        type = text === undefined ? undefined : parseRecordType(text, this.quote(text));
      } catch (error) {
        ok = this.problem(typeEntry.value.pos, lowerFirst((error as Error).message)) ?? false;
      }
    }
    const serverEntry = keys.get("server");
    let server;
    if (serverEntry) {
      const text = this.string(serverEntry.value, '"server"', { nonEmpty: true });
      if (text !== undefined) {
        try {
          server = parseDnsServer(text);
        } catch (error) {
          ok = this.problem(serverEntry.value.pos, lowerFirst((error as Error).message)) ?? false;
        }
      }
    }
    const rcodeEntry = expect.get("rcode");
    let expectRcodes: number[] | undefined;
    if (rcodeEntry) {
      expectRcodes = [];
      for (const text of this.strings(rcodeEntry.value, '"rcode"') ?? []) {
        const code = Rcode[text.toUpperCase() as keyof typeof Rcode];
        if (code === undefined) {
          ok = this.problem(
            rcodeEntry.value.pos,
            `unknown rcode ${this.quote(text)}: use ${Object.keys(Rcode).join(", ")}`,
          ) ?? false;
        } else expectRcodes.push(code);
      }
      if (server === undefined && type === undefined) {
        ok = this.problem(
          rcodeEntry.keyPos,
          '"expect.rcode" needs a direct query: give "dns.server" or "dns.type" (the system resolver has no RCODE)',
        ) ?? false;
      }
    }
    const addressesEntry = expect.get("addresses");
    const expectAddresses: string[] = [];
    for (
      const text of addressesEntry ? this.strings(addressesEntry.value, '"addresses"') ?? [] : []
    ) {
      if (!ipFamily(text)) {
        ok = this.problem(
          addressesEntry!.value.pos,
          `invalid address ${this.quote(text)}: expected an IPv4 or IPv6 address`,
        ) ?? false;
      } else expectAddresses.push(canonicalIp(text));
    }
    const asked = type ?? RecordType.A;
    if (
      expectAddresses.length > 0 && (type !== undefined || server !== undefined) &&
      asked !== RecordType.A && asked !== RecordType.AAAA
    ) {
      ok = this.problem(
        addressesEntry!.keyPos,
        `"expect.addresses" needs type A or AAAA, not ${typeName(asked)}`,
      ) ?? false;
    }
    if (expectAddresses.length > 0 && expectRcodes && !expectRcodes.includes(Rcode.NOERROR)) {
      ok = this.problem(
        addressesEntry!.keyPos,
        '"expect.addresses" cannot hold when the expected rcode is not NOERROR',
      ) ?? false;
    }
    if (!name || !ok) return undefined;
    const direct = server !== undefined || type !== undefined;
    const text = `${name.ascii}${direct ? ` ${typeName(asked)}` : ""}${
      server
        ? ` @${formatHostPort(server.address, server.port)}`
        : direct
        ? " @system nameserver"
        : ""
    }`;
    return {
      target: { kind: "dns", text: `dns:${name.ascii}`, name },
      text,
      probe: { dns: { server, type, expectAddresses, expectRcodes } },
    };
  }
}

function article(kind: string): string {
  return /^[aeiou]/.test(kind) || kind === "http" ? "an" : "a";
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
