/**
 * The spec file's vocabulary: the kinds of check, the keys each part may have, what a check does
 * when the spec says nothing, and the shapes a spec is read into.
 *
 * @module
 */
import type { RetrySchedule } from "../../net/retry.ts";
import type { ProbeOptions } from "../../probe/probe.ts";
import type { Target } from "../../probe/target.ts";
import type { MapEntry, SourcePos, SpecFormat, SpecNode } from "../tree.ts";

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

/** The keys of the file itself. */
export const TOP_KEYS = [
  "$schema",
  "version",
  "vars",
  "secrets",
  "defaults",
  "targets_allowed",
  "checks",
];
/** The keys of one check. */
export const CHECK_KEYS = [
  "name",
  ...CHECK_KINDS,
  "expect",
  "timeout",
  "retry",
  "tags",
  "every",
];
/** The shortest `every:` a check may ask of a monitor, in milliseconds. */
export const MIN_EVERY_MS = 100;
/** The keys of `defaults`. */
export const DEFAULT_KEYS = ["timeout", "retry"];
/** The keys of `retry`. */
export const RETRY_KEYS = ["attempts", "interval", "backoff", "max_interval"];
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
  /** How often a monitor (`check --every`) runs it, in milliseconds, when the check sets `every:`. */
  everyMs: number | undefined;
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
  /**
   * The targets a monitor's `/probe?target=` may be given (`targets_allowed:`), each a regular
   * expression that must match the whole target; undefined when the spec does not say.
   */
  targetsAllowed: RegExp[] | undefined;
}

/** Options for reading a spec file (`loadSpec`). */
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

/** What a kind's reader makes of its mapping: the part of a {@linkcode CheckDef} it decides. */
export interface KindReading {
  /** What the check probes. */
  target: Target;
  /** The target for reports ({@linkcode CheckDef.targetText}). */
  text: string;
  /** How to probe it and what the answer must show. */
  probe: CheckDef["probe"];
}

/** A kind's mapping, checked against its keys, with the check's `expect`. */
export interface KindInput {
  /** The kind's keys. */
  keys: Map<string, MapEntry>;
  /** The check's `expect` keys (of this kind). */
  expect: Map<string, MapEntry>;
  /** A key the kind cannot do without: its absence is a problem at the kind's mapping. */
  need(key: string): SpecNode | undefined;
}
