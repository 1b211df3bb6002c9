/**
 * The result fingerprint: a short hash of what a check saw, the same for two vantage points that
 * saw the same thing. `check merge` compares places by it, and a monitor exposes it as
 * `sockit_check_result_fingerprint`.
 *
 * @module
 */
import { sha256Hex } from "../text/sha256.ts";

/** The version of what {@linkcode resultFingerprint} hashes; a change of its input bumps it. */
export const FINGERPRINT_VERSION = 3;

/**
 * A short, stable hash of what a check saw: the first 12 hex digits of the SHA-256 of a
 * canonical JSON (keys sorted) of `v` (1), the `kind`, the `status` (`passed`, `failed`,
 * `error`), the failed expectations as `[expectation, expected]` pairs sorted (not what came
 * instead: a `time_under` would differ at every run), for an `error` its `error_kind` and
 * `error_code` (an older report's, or an error of no kind: its message with the `target` taken
 * out, since a message names the host and port), and
 * by kind from `details`: http the final `status` (`null` without a response) and
 * `cert_expires` and the certificate's `cert_sha256` when the check asked `cert_valid_for`
 * (the one time the certificate is read); dns the `rcode` (`null` asking the
 * system) and the `answers` sorted; tcp and unix whether any bytes were `received`; echo
 * nothing more (the verdict). Never timings, the target or the vantage point, so that two
 * vantage points that saw the same thing have the same fingerprint; `undefined` for a skipped
 * check (it saw nothing). It takes a check's entry of the JSON report (`jsonResult`),
 * so that `check merge` and a monitor's `sockit_check_result_fingerprint` agree.
 *
 * @example
 * ```ts
 * import { resultFingerprint } from "./fingerprint.ts";
 * import assert from "node:assert/strict";
 * const seen = (answers: string[]) => ({
 *   kind: "dns", status: "passed", error: null, failures: [],
 *   details: { rcode: "NOERROR", answers, time_ms: Math.random() },
 * });
 * const a = resultFingerprint(seen(["192.0.2.1", "192.0.2.2"]));
 * assert.match(a!, /^[0-9a-f]{12}$/);
 * assert.equal(resultFingerprint(seen(["192.0.2.2", "192.0.2.1"])), a);
 * assert.notEqual(resultFingerprint(seen(["192.0.2.9"])), a);
 * ```
 */
export function resultFingerprint(entry: Readonly<Record<string, unknown>>): string | undefined {
  if (entry.status === "skipped") return undefined;
  const details = isObject(entry.details) ? entry.details : {};
  const failures = Array.isArray(entry.failures) ? entry.failures.filter(isObject) : [];
  const text = (key: string) => typeof details[key] === "string" ? details[key] as string : null;
  const seen: Record<string, unknown> = {};
  switch (entry.kind) {
    case "http":
      seen.status = typeof details.status === "number" ? details.status : null;
      if (text("cert_expires") !== null) seen.cert_expires = text("cert_expires");
      if (text("cert_sha256") !== null) seen.cert_sha256 = text("cert_sha256");
      break;
    case "dns":
      seen.rcode = text("rcode");
      seen.answers = Array.isArray(details.answers) ? details.answers.map(String).sort() : [];
      break;
    case "tcp":
    case "unix":
      seen.received = typeof details.received === "string" && details.received !== "";
      break;
  }
  const canonical = canonicalJson({
    v: FINGERPRINT_VERSION,
    kind: entry.kind,
    status: entry.status,
    failures: failures.map((f) => [f.expectation ?? null, f.expected ?? null]).sort(compareJson),
    error: entry.status === "error" ? errorSeen(entry) : null,
    seen,
  });
  return sha256Hex(canonical).slice(0, 12);
}

/** What an error says, the target left out: its kind and code, else its message without the target. */
function errorSeen(entry: Readonly<Record<string, unknown>>): unknown {
  const text = (key: string) => typeof entry[key] === "string" ? entry[key] as string : null;
  const [kind, code] = [text("error_kind"), text("error_code")];
  if (kind !== null || code !== null) return [kind, code];
  const message = text("error");
  const target = text("target");
  return message !== null && target ? message.replaceAll(target, "<target>") : message;
}

function compareJson(a: unknown, b: unknown): number {
  const [x, y] = [JSON.stringify(a), JSON.stringify(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** JSON with every object's keys sorted. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isObject(value)) {
    return `{${
      Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
        .join(",")
    }}`;
  }
  return JSON.stringify(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
