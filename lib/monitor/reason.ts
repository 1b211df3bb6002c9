/**
 * Why a check's latest run did not pass, as one word of a small fixed set: the `reason` label
 * of `sockit_check_failure_info`. It is read from data only, never from message text: a run
 * that could not be made by the `ErrorKind` of the error that ended it (and the system's error
 * code beneath it, the error's class when it has no kind), a run whose expectations did not
 * hold by the spec key of its first failed expectation.
 *
 * | reason | when |
 * | --- | --- |
 * | `dns_nxdomain` | the name does not exist (`name-not-found`; a DNS reply NXDOMAIN that no `rcode:` asked for) |
 * | `dns_nodata` | the name exists without addresses or records of the type (`no-addresses`; NOERROR without answers) |
 * | `dns_servfail` | the resolver could not answer now (`temporary-failure`, getaddrinfo's EAI_AGAIN; a reply SERVFAIL) |
 * | `dns_timeout` | no DNS answer in time (`no-answer`; a `dns` check's deadline) |
 * | `connect_refused` | `connect` with ECONNREFUSED, or ENOENT (no Unix socket there) |
 * | `connect_unreachable` | `connect` with ENETUNREACH, EHOSTUNREACH or EHOSTDOWN |
 * | `connect_timeout` | `connect` with ETIMEDOUT; a `tcp` or `unix` check's deadline (all it waits for is the connect) |
 * | `connection_lost` | an open connection failed (`connection-lost`, `send`) |
 * | `tls_untrusted` | the certificate is not trusted: `unknown-issuer`, `self-signed`, `ca-as-leaf`, `wrong-purpose`, `revoked`, `bad-certificate`, `no-certificate`, `certificate` |
 * | `tls_expired` | the certificate is outside its dates (`expired`, `not-yet-valid`) |
 * | `tls_hostname` | the certificate is not for the name (`wrong-name`) |
 * | `tls_handshake` | the handshake failed (`closed`, `not-tls`, a TLS error of no kind) |
 * | `timeout` | an `http` or `echo` check's deadline, or a read that waited too long (`read-timeout`) |
 * | `limit_exceeded` | a size, count or redirect limit (`max-redirects`, `max-body`, `max-head`, `max-fields`, `max-line`, `max-stream`) |
 * | `protocol_error` | the peer's bytes break the protocol (a `ProtocolError`) |
 * | `status_mismatch` | `status` |
 * | `body_mismatch` | `body_contains`, `body_regex` |
 * | `header_mismatch` | `headers` |
 * | `json_mismatch` | `json` |
 * | `cert_expiring` | `cert_valid_for` |
 * | `rcode_mismatch` | `rcode` (the reply's RCODE is not one the spec asked for) |
 * | `answer_mismatch` | `addresses` |
 * | `expect_mismatch` | `expect` (a tcp or unix check's expected bytes did not come) |
 * | `payload_mismatch` | `payload` (an echo that came back different) |
 * | `time_over` | `time_under` |
 * | `other` | anything else (an interrupted run, an error of no kind) |
 *
 * An `http` deadline is `timeout` even when it passed while connecting: the attempt's deadline
 * covers the connect, and nothing in the result says which step it was in.
 *
 * @module
 */
import type { CheckResult } from "../check/runner.ts";
import type { ErrorKind } from "../net/errors.ts";

/** Every reason {@linkcode failureReason} gives, in the order of the module's table. */
export const FAILURE_REASONS = [
  "dns_nxdomain",
  "dns_nodata",
  "dns_servfail",
  "dns_timeout",
  "connect_refused",
  "connect_unreachable",
  "connect_timeout",
  "connection_lost",
  "tls_untrusted",
  "tls_expired",
  "tls_hostname",
  "tls_handshake",
  "timeout",
  "limit_exceeded",
  "protocol_error",
  "status_mismatch",
  "body_mismatch",
  "header_mismatch",
  "json_mismatch",
  "cert_expiring",
  "rcode_mismatch",
  "answer_mismatch",
  "expect_mismatch",
  "payload_mismatch",
  "time_over",
  "other",
] as const;

/** One of {@linkcode FAILURE_REASONS}. */
export type FailureReason = typeof FAILURE_REASONS[number];

/** The reason of each error kind, but those that depend on the check or the system's code. */
const BY_KIND: Readonly<Partial<Record<ErrorKind, FailureReason>>> = {
  "name-not-found": "dns_nxdomain",
  "no-addresses": "dns_nodata",
  "temporary-failure": "dns_servfail",
  "no-answer": "dns_timeout",
  "read-timeout": "timeout",
  "connection-lost": "connection_lost",
  send: "connection_lost",
  "unknown-issuer": "tls_untrusted",
  "self-signed": "tls_untrusted",
  "ca-as-leaf": "tls_untrusted",
  "wrong-purpose": "tls_untrusted",
  revoked: "tls_untrusted",
  "bad-certificate": "tls_untrusted",
  "no-certificate": "tls_untrusted",
  certificate: "tls_untrusted",
  expired: "tls_expired",
  "not-yet-valid": "tls_expired",
  "wrong-name": "tls_hostname",
  closed: "tls_handshake",
  "not-tls": "tls_handshake",
  "max-redirects": "limit_exceeded",
  "max-body": "limit_exceeded",
  "max-head": "limit_exceeded",
  "max-fields": "limit_exceeded",
  "max-line": "limit_exceeded",
  "max-stream": "limit_exceeded",
};

/** The reason of a `connect` error, by the system's code beneath it. */
const BY_CONNECT_CODE: Readonly<Record<string, FailureReason>> = {
  ECONNREFUSED: "connect_refused",
  ENOENT: "connect_refused",
  ENETUNREACH: "connect_unreachable",
  EHOSTUNREACH: "connect_unreachable",
  EHOSTDOWN: "connect_unreachable",
  ETIMEDOUT: "connect_timeout",
};

/** The reason of an error of no kind, by its class. */
const BY_TYPE: Readonly<Record<string, FailureReason>> = {
  ProtocolError: "protocol_error",
  TlsError: "tls_handshake",
  TimeoutError: "timeout",
};

/** The reason of each failed expectation, by its spec key. */
const BY_EXPECTATION: Readonly<Record<string, FailureReason>> = {
  status: "status_mismatch",
  body_contains: "body_mismatch",
  body_regex: "body_mismatch",
  headers: "header_mismatch",
  json: "json_mismatch",
  cert_valid_for: "cert_expiring",
  rcode: "rcode_mismatch",
  addresses: "answer_mismatch",
  expect: "expect_mismatch",
  payload: "payload_mismatch",
  time_under: "time_over",
};

/** A DNS reply's RCODE that fails a check whose spec asked for none, as a reason. */
const BY_UNASKED_RCODE: Readonly<Record<string, FailureReason>> = {
  NXDOMAIN: "dns_nxdomain",
  SERVFAIL: "dns_servfail",
  NOERROR: "dns_nodata",
};

/**
 * Why `result` did not pass, as one of {@linkcode FAILURE_REASONS}; undefined when it passed
 * (or was skipped).
 *
 * @example
 * ```ts
 * import { failureReason } from "./reason.ts";
 * import { runChecks } from "../check/runner.ts";
 * import { loadSpec } from "../check/spec.ts";
 * import assert from "node:assert/strict";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const port = listener.addr.port;
 * listener.close();
 * const spec = await loadSpec(
 *   `version: 1\nchecks:\n  - { name: db, tcp: { host: 127.0.0.1, port: ${port} } }\n`,
 *   { file: "s.yaml", baseDir: ".", env: () => undefined },
 * );
 * const [result] = await runChecks([{ check: spec.checks[0]! }]);
 * assert.equal(failureReason(result!), "connect_refused");
 * ```
 */
export function failureReason(result: CheckResult): FailureReason | undefined {
  switch (result.status) {
    case "passed":
    case "skipped":
      return undefined;
    case "failed":
      return expectationReason(result);
    case "error":
      return errorReason(result);
  }
}

function errorReason(result: CheckResult): FailureReason {
  const kind = result.errorKind;
  if (kind === undefined) return BY_TYPE[result.errorType ?? ""] ?? "other";
  if (kind === "connect") return BY_CONNECT_CODE[result.errorCode ?? ""] ?? "other";
  if (kind === "deadline") {
    const { kind: checkKind } = result.check;
    if (checkKind === "dns") return "dns_timeout";
    return checkKind === "tcp" || checkKind === "unix" ? "connect_timeout" : "timeout";
  }
  return BY_KIND[kind] ?? "other";
}

function expectationReason(result: CheckResult): FailureReason {
  const first = result.failures[0];
  if (first === undefined) return "other";
  if (first.expectation === "rcode" && result.check.probe.dns?.expectRcodes === undefined) {
    // No `rcode:` in the spec: the check wanted answers, and the reply's RCODE says why none came.
    const rcode = result.facts.rcode;
    return (typeof rcode === "string" ? BY_UNASKED_RCODE[rcode] : undefined) ?? "rcode_mismatch";
  }
  return BY_EXPECTATION[first.expectation] ?? "other";
}
