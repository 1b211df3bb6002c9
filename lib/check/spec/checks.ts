/**
 * The top of a spec file: its version, variables, defaults and list of checks, and each check's
 * own keys (name, kind, timeout, retry, tags, every, expect); and `targets_allowed`. A check's kind is read by that kind's
 * reader, and a key or expectation of another kind is named as such.
 *
 * @module
 */
import { formatDuration } from "../../net/deadline.ts";
import type { RetrySchedule } from "../../net/retry.ts";
import type { MapEntry, SourcePos, SpecNode } from "../tree.ts";
import { readDns } from "./dns.ts";
import { readHttp } from "./http.ts";
import { article, describe, lowerFirst } from "./reader.ts";
import type { SpecReader } from "./reader.ts";
import {
  CHECK_DEFAULTS,
  CHECK_KEYS,
  CHECK_KINDS,
  DEFAULT_KEYS,
  EXPECT_KEYS,
  KIND_KEYS,
  MAX_ATTEMPTS,
  MIN_EVERY_MS,
  RETRY_KEYS,
  TOP_KEYS,
} from "./schema.ts";
import type { CheckDef, CheckKind, CheckSpec, KindInput, KindReading } from "./schema.ts";
import { readEcho, readTcp, readUnix } from "./stream.ts";
import { readVariables } from "./variables.ts";

/** Reads one kind's mapping; undefined when it has a problem. */
export type KindReader = (
  reader: SpecReader,
  input: KindInput,
) => KindReading | undefined | Promise<KindReading | undefined>;

const KIND_READERS: Readonly<Record<CheckKind, KindReader>> = {
  http: readHttp,
  tcp: readTcp,
  dns: readDns,
  echo: readEcho,
  unix: readUnix,
};

/** The defaults a check starts from. */
interface Defaults {
  timeoutMs: number;
  retry: RetrySchedule;
}

/**
 * Reads a whole spec file's tree; undefined when it has no list of checks to read. `items`: the
 * list's items when they come apart from the tree (a batch at a time), its own otherwise.
 */
export async function readSpec(
  reader: SpecReader,
  root: SpecNode,
  items?: Iterable<SpecNode>,
): Promise<CheckSpec | undefined> {
  const top = reader.map(root, "the file", TOP_KEYS, "a spec file");
  if (!top) return undefined;
  const version = top.get("version");
  if (!version) reader.problem(root.pos, 'missing "version: 1"');
  else if (version.value.type !== "scalar" || version.value.value !== 1) {
    reader.problem(version.value.pos, `"version" must be 1, not ${describe(version.value)}`);
  }
  const schema = top.get("$schema");
  if (schema) reader.plainString(schema.value, "$schema");
  readVariables(reader, top.get("vars"), top.get("secrets"));
  const defaults = readDefaults(reader, top.get("defaults"));
  const targetsAllowed = readTargetsAllowed(reader, top.get("targets_allowed"));
  const checksEntry = top.get("checks");
  if (!checksEntry) {
    reader.problem(root.pos, 'missing "checks": a list of checks');
    return undefined;
  }
  const list = checksEntry.value;
  if (list.type !== "seq") {
    reader.problem(list.pos, `"checks" must be a list, not ${describe(list)}`);
    return undefined;
  }
  const checks: CheckDef[] = [];
  const names = new Map<string, SourcePos>();
  let count = 0;
  for (const item of items ?? list.items) {
    count++;
    const check = await reader.readingCheck(() => readCheck(reader, item, defaults, names));
    if (check) checks.push(check);
  }
  if (count === 0) reader.problem(list.pos, '"checks" is empty: give at least one');
  return {
    file: reader.options.file,
    checks,
    checksPos: checksEntry.keyPos,
    secrets: reader.secretValues,
    secretNames: reader.secretNames(),
    targetsAllowed,
  };
}

/**
 * `targets_allowed:`, the targets a monitor's `/probe` may be sent to: regular expressions, each
 * matching a whole target (anchored, as Prometheus' relabelling regexes are).
 */
function readTargetsAllowed(
  reader: SpecReader,
  entry: MapEntry | undefined,
): RegExp[] | undefined {
  if (!entry) return undefined;
  const list = entry.value;
  if (list.type !== "seq") {
    reader.problem(
      list.pos,
      `"targets_allowed" must be a list of regular expressions, not ${describe(list)}`,
    );
    return undefined;
  }
  const allowed: RegExp[] = [];
  for (const item of list.items) {
    const text = reader.string(item, '"targets_allowed"', { numbers: true, nonEmpty: true });
    if (text === undefined) continue;
    try {
      allowed.push(new RegExp(`^(?:${text})$`));
    } catch (error) {
      reader.problem(item.pos, `"targets_allowed": ${lowerFirst((error as Error).message)}`);
    }
  }
  return allowed;
}

function readDefaults(reader: SpecReader, entry: MapEntry | undefined): Defaults {
  const defaults: Defaults = { timeoutMs: CHECK_DEFAULTS.timeoutMs, retry: CHECK_DEFAULTS.retry };
  if (!entry) return defaults;
  const keys = reader.map(entry.value, '"defaults"', DEFAULT_KEYS);
  if (!keys) return defaults;
  const timeout = keys.get("timeout");
  if (timeout) {
    defaults.timeoutMs = reader.duration(timeout.value, "timeout", true) ?? defaults.timeoutMs;
  }
  const retry = keys.get("retry");
  if (retry) defaults.retry = readRetry(reader, retry.value, defaults.retry);
  return defaults;
}

/** A `retry` mapping: each key it gives replaces the one of `base`. */
function readRetry(reader: SpecReader, node: SpecNode, base: RetrySchedule): RetrySchedule {
  const keys = reader.map(node, '"retry"', RETRY_KEYS);
  if (!keys) return base;
  const schedule = { ...base };
  const attempts = keys.get("attempts");
  if (attempts) {
    schedule.attempts = reader.integer(attempts.value, "attempts", 1, MAX_ATTEMPTS) ??
      base.attempts;
  }
  const interval = keys.get("interval");
  if (interval) {
    schedule.firstPauseMs = reader.duration(interval.value, "interval", false) ??
      base.firstPauseMs;
  }
  const backoff = keys.get("backoff");
  if (backoff) {
    const node = backoff.value;
    if (
      node.type !== "scalar" || typeof node.value !== "number" || node.value < 1 ||
      node.value > 10
    ) {
      reader.problem(node.pos, `"backoff" must be a number from 1 to 10, not ${describe(node)}`);
    } else schedule.factor = node.value;
  }
  const max = keys.get("max_interval");
  if (max) {
    const ms = reader.duration(max.value, "max_interval", false);
    if (ms !== undefined) schedule.maxPauseMs = ms;
  }
  return schedule;
}

/** One check; `names` holds where each name so far was first given. */
async function readCheck(
  reader: SpecReader,
  node: SpecNode,
  defaults: Defaults,
  names: Map<string, SourcePos>,
): Promise<CheckDef | undefined> {
  const keys = reader.map(node, "a check", CHECK_KEYS);
  if (!keys) return undefined;
  const at = node.pos;
  const nameEntry = keys.get("name");
  const name = nameEntry
    ? readName(reader, nameEntry, names)
    : reader.problem(at, 'a check needs a "name"');
  const kinds = CHECK_KINDS.filter((kind) => keys.has(kind));
  if (kinds.length === 0) {
    reader.problem(at, `a check needs one of ${CHECK_KINDS.join(", ")}`);
    return undefined;
  }
  for (const extra of kinds.slice(1)) {
    reader.problem(keys.get(extra)!.keyPos, `a check has one kind: "${extra}" after "${kinds[0]}"`);
  }
  const kind = kinds[0]!;
  const timeoutEntry = keys.get("timeout");
  const timeoutMs = timeoutEntry
    ? reader.duration(timeoutEntry.value, "timeout", true) ?? defaults.timeoutMs
    : defaults.timeoutMs;
  const retryEntry = keys.get("retry");
  const retry = retryEntry ? readRetry(reader, retryEntry.value, defaults.retry) : defaults.retry;
  const everyEntry = keys.get("every");
  const everyMs = everyEntry ? reader.duration(everyEntry.value, "every", true) : undefined;
  if (everyMs !== undefined && everyMs < MIN_EVERY_MS) {
    reader.problem(
      everyEntry!.value.pos,
      `"every" must be at least ${formatDuration(MIN_EVERY_MS)}, not ${formatDuration(everyMs)}`,
    );
  }
  const tagsEntry = keys.get("tags");
  const tags = tagsEntry
    ? reader.strings(tagsEntry.value, '"tags"', { noSecrets: true }) ?? []
    : [];
  const expectEntry = keys.get("expect");
  const expect = expectEntry
    ? reader.map(
      expectEntry.value,
      `"expect" of ${article(kind)} ${kind} check`,
      EXPECT_KEYS[kind],
    )
    : new Map<string, MapEntry>();
  if (expectEntry) {
    misplaced(
      reader,
      expectEntry.value,
      kind,
      EXPECT_KEYS,
      (key, owner) =>
        `"expect.${key}" belongs to ${article(owner)} ${owner} check, not ${
          article(kind)
        } ${kind} check`,
    );
  }
  const timeUnder = expect?.get("time_under");
  const timeUnderMs = timeUnder ? reader.duration(timeUnder.value, "time_under", true) : undefined;
  const body = keys.get(kind)!.value;
  const secretUses = reader.secretUses;
  const built = await readKind(reader, kind, body, expect ?? new Map());
  if (!built || name === undefined) return undefined;
  return {
    name,
    file: reader.options.file,
    line: at.line,
    col: at.col,
    kind,
    target: built.target,
    targetText: built.text,
    holdsSecret: reader.secretUses > secretUses,
    timeoutMs,
    retry,
    tags,
    probe: built.probe,
    timeUnderMs,
    everyMs,
  };
}

/** A check's name: one line, without a secret, not given to another check of the file. */
function readName(
  reader: SpecReader,
  entry: MapEntry,
  names: Map<string, SourcePos>,
): string | undefined {
  const pos = entry.value.pos;
  const name = reader.string(entry.value, '"name"', {
    numbers: true,
    nonEmpty: true,
    noSecrets: true,
  });
  if (name === undefined) return undefined;
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f]/.test(name)) {
    return reader.problem(pos, '"name" must be one line without control characters');
  }
  const first = names.get(name);
  if (first) {
    return reader.problem(
      pos,
      `duplicate check name ${reader.quote(name)} (first at ${first.line}:${first.col})`,
    );
  }
  names.set(name, pos);
  return name;
}

/** Reads a check's kind with the reader of that kind. */
async function readKind(
  reader: SpecReader,
  kind: CheckKind,
  node: SpecNode,
  expect: Map<string, MapEntry>,
): Promise<KindReading | undefined> {
  const keys = reader.map(node, `"${kind}"`, KIND_KEYS[kind]);
  if (!keys) return undefined;
  misplaced(
    reader,
    node,
    kind,
    KIND_KEYS,
    (key, owner) =>
      `"${key}" belongs to ${article(owner)} ${owner} check, not in "${kind}" (it takes ${
        KIND_KEYS[kind].join(", ")
      })`,
  );
  const need = (key: string): SpecNode | undefined => {
    const entry = keys.get(key);
    if (!entry) {
      return reader.problem(node.pos, `${article(kind)} ${kind} check needs "${kind}.${key}"`);
    }
    return entry.value;
  };
  return await KIND_READERS[kind](reader, { keys, expect, need });
}

/**
 * Says which kind a key of another kind belongs to (`url` in a tcp check, `expect.rcode` in an
 * http one), in place of the generic "unknown key" problem; `table` is the keys of each kind.
 */
function misplaced(
  reader: SpecReader,
  node: SpecNode,
  kind: CheckKind,
  table: Readonly<Record<CheckKind, readonly string[]>>,
  says: (key: string, owner: CheckKind) => string,
): void {
  if (node.type !== "map") return;
  for (const entry of node.entries) {
    if (table[kind].includes(entry.key)) continue;
    const owner = CHECK_KINDS.find((k) => table[k].includes(entry.key));
    if (owner) reader.reword(entry.keyPos, says(entry.key, owner));
  }
}
