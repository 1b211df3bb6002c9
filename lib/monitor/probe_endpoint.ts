/**
 * `GET /probe?module=NAME&target=TARGET`: blackbox_exporter's multi-target pattern on a spec's
 * checks. The module is a check (its kind, options and expectations); the target replaces what
 * it probes; the check runs once, now, bounded by the scraper's timeout, and the answer is
 * blackbox_exporter's own metric names ({@linkcode blackboxMetrics}). No I/O but the probe:
 * serving the answer is the caller's part.
 *
 * Decisions where blackbox_exporter and a spec differ:
 * - `module` names a check; a name that two files use is ambiguous (400) and is then written
 *   `FILE#NAME`, FILE as the spec file was given. No module is 400 (blackbox_exporter would
 *   use `http_2xx`: a spec has no such default).
 * - No target runs the check as written (blackbox_exporter answers 400 "Target parameter is
 *   missing").
 * - One attempt, whatever the check's `retry:` says, as blackbox_exporter makes one.
 * - A timeout header that is not a positive number is 400 (blackbox_exporter: 500); one of half
 *   a second or less is used whole rather than less the offset.
 *
 * @module
 */
import { runChecks } from "../check/runner.ts";
import type { CheckResult } from "../check/runner.ts";
import type { Redactor } from "../check/redact.ts";
import type { CheckDef, CheckSpec } from "../check/spec.ts";
import { METRICS_CONTENT_TYPES, renderText } from "../metrics/render.ts";
import { formatHostPort } from "../net/addr.ts";
import type { TraceEvent, TraceFn } from "../net/trace.ts";
import { parseTarget } from "../probe/target.ts";
import type { Target } from "../probe/target.ts";
import { blackboxMetrics, measuringCheck } from "./blackbox.ts";

/** What a `/probe` request asks, from its query and head. */
export interface ProbeRequest {
  /** `module=`: a check's name, or `FILE#NAME`. */
  module: string | null;
  /** `target=`: what to probe instead of the check's own target. */
  target: string | null;
  /** `debug=true`: answer with the probe's log, then the metrics, as text. */
  debug: boolean;
  /** The `X-Prometheus-Scrape-Timeout-Seconds` header. */
  scrapeTimeoutHeader: string | null;
}

/** Options for {@linkcode handleProbe}. */
export interface ProbeEndpointOptions {
  /** Accept any target when a spec has no `targets_allowed:` (`--probe-any-target`). */
  anyTarget: boolean;
  /** Masks the specs' secrets in everything answered. */
  redactor?: Redactor | undefined;
  /** Ends the probe early (the monitor stopping). */
  signal?: AbortSignal | undefined;
  /** Receives the probe's socket steps too. */
  trace?: TraceFn | undefined;
  /** Labels on every series answered: the monitor's `vantage`. */
  constLabels?: Readonly<Record<string, string>> | undefined;
}

/** The answer to a `/probe` request. */
export interface ProbeAnswer {
  /** The HTTP status: 200 (whatever the probe found), 400 or 403. */
  status: number;
  /** Its `Content-Type`. */
  contentType: string;
  /** Its body. */
  body: string;
}

/** The scrape timeout assumed without the header, in seconds (blackbox_exporter's). */
export const DEFAULT_SCRAPE_TIMEOUT_SECONDS = 120;

/** What is kept from the scrape timeout for the answer to travel, in seconds (blackbox_exporter's). */
export const SCRAPE_TIMEOUT_OFFSET_SECONDS = 0.5;

/** The most trace lines a debug answer holds. */
const MAX_DEBUG_LINES = 1000;

const PLAIN = "text/plain; charset=utf-8";

/**
 * Answers a `/probe` request over the checks of `specs`.
 *
 * The target, when given, must match one of the module's spec's `targets_allowed:`; without
 * that key it must be one written in a spec (any check's target) unless `options.anyTarget`.
 * An http target without a scheme gets `http://`; tcp and echo take `HOST:PORT` (`[::1]:80`);
 * dns takes the name to ask. The timeout is the header's less half a second (120 s without
 * it), or the check's own when that is smaller.
 *
 * @example A check of a refused port, probed by its name
 * ```ts
 * import { handleProbe } from "./probe_endpoint.ts";
 * import { loadSpec } from "../check/spec.ts";
 * import assert from "node:assert/strict";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const port = listener.addr.port;
 * listener.close();
 * const spec = await loadSpec(`version: 1\nchecks:\n  - { name: db, tcp: { host: 127.0.0.1, port: ${port} } }\n`,
 *   { file: "s.yaml", baseDir: ".", env: () => undefined });
 * const answer = await handleProbe([spec], {
 *   module: "db", target: null, debug: false, scrapeTimeoutHeader: "3",
 * }, { anyTarget: false });
 * assert.equal(answer.status, 200);
 * assert.match(answer.body, /^probe_success 0$/m);
 * assert.match(answer.body, /^probe_timeout_seconds 2.5$/m);
 * ```
 */
export async function handleProbe(
  specs: readonly CheckSpec[],
  request: ProbeRequest,
  options: ProbeEndpointOptions,
): Promise<ProbeAnswer> {
  const mask = (text: string) => options.redactor ? options.redactor.text(text) : text;
  const refuse = (status: number, message: string): ProbeAnswer => ({
    status,
    contentType: PLAIN,
    body: `${mask(message)}\n`,
  });
  if (request.module === null || request.module === "") {
    return refuse(400, "Module parameter is missing");
  }
  const found = findModule(specs, request.module);
  if (typeof found === "string") return refuse(400, found);
  const { spec, check } = found;
  const timeoutSeconds = probeTimeoutSeconds(request.scrapeTimeoutHeader, check);
  if (typeof timeoutSeconds === "string") return refuse(400, timeoutSeconds);
  let probed = check;
  if (request.target !== null && request.target !== "") {
    const replaced = withTarget(check, request.target);
    if (typeof replaced === "string") return refuse(400, replaced);
    const refused = targetRefusal(specs, spec, request.target, replaced.target, options.anyTarget);
    if (refused !== undefined) return refuse(403, refused);
    probed = replaced;
  }
  probed = measuringCheck({
    ...probed,
    timeoutMs: timeoutSeconds * 1000,
    retry: { ...probed.retry, attempts: 1 },
  });
  const log: string[] = [];
  let dropped = 0;
  const debugTrace: TraceFn = (event) => {
    options.trace?.(event);
    if (log.length < MAX_DEBUG_LINES) log.push(logLine("debug", traceText(event)));
    else dropped++;
  };
  const trace = request.debug ? debugTrace : options.trace;
  const started = logLine(
    "info",
    `msg="Beginning probe" module=${quoted(request.module)} target=${
      quoted(probed.targetText)
    } probe=${probed.kind} timeout_seconds=${timeoutSeconds}`,
  );
  const [result] = await runChecks([{ check: probed }], {
    jobs: 1,
    signal: options.signal,
    redactor: options.redactor,
    trace,
  });
  const metrics = renderText(
    blackboxMetrics(result!, { timeoutSeconds, constLabels: options.constLabels }),
  );
  if (!request.debug) {
    return { status: 200, contentType: METRICS_CONTENT_TYPES.text, body: metrics };
  }
  if (dropped > 0) log.push(logLine("debug", `msg="${dropped} more trace lines left out"`));
  const body = [
    "Logs for the probe:",
    started,
    ...log,
    ...attemptLines(result!),
    "",
    "",
    "",
    "Metrics that would have been returned:",
    metrics,
  ].join("\n");
  return { status: 200, contentType: PLAIN, body: mask(body) };
}

/** The check `module` names, or why there is none (a 400's message). */
function findModule(
  specs: readonly CheckSpec[],
  module: string,
): { spec: CheckSpec; check: CheckDef } | string {
  const matches = specs.flatMap((spec) =>
    spec.checks
      .filter((check) => check.name === module || `${spec.file}#${check.name}` === module)
      .map((check) => ({ spec, check }))
  );
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) return `Unknown module ${quoted(module)}`;
  const names = matches.map(({ spec, check }) => quoted(`${spec.file}#${check.name}`));
  return `Module ${quoted(module)} is ambiguous: checks of that name are in ${
    matches.map((m) => quoted(m.spec.file)).join(" and ")
  }; name one of ${names.join(", ")}`;
}

/** The probe's time in seconds from the scrape's header and the check, or why not. */
function probeTimeoutSeconds(header: string | null, check: CheckDef): number | string {
  let scrape = DEFAULT_SCRAPE_TIMEOUT_SECONDS;
  if (header !== null) {
    const text = header.trim();
    scrape = /^\d+(?:\.\d+)?$/.test(text) ? Number(text) : NaN;
    if (!(scrape > 0)) {
      return `Cannot parse the X-Prometheus-Scrape-Timeout-Seconds header ${
        quoted(header)
      }: expected a positive number of seconds`;
    }
  }
  const offered = scrape > SCRAPE_TIMEOUT_OFFSET_SECONDS
    ? scrape - SCRAPE_TIMEOUT_OFFSET_SECONDS
    : scrape;
  return Math.min(offered, check.timeoutMs / 1000);
}

/** `check` probing `text` instead, or why `text` is not a target of its kind. */
function withTarget(check: CheckDef, text: string): CheckDef | string {
  const invalid = (why: string) =>
    `Invalid target ${quoted(text)} for ${check.kind} module: ${why}`;
  let target: Target;
  try {
    switch (check.kind) {
      case "http":
        target = parseTarget(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`);
        if (target.kind !== "http") return invalid("expected an http or https URL");
        return { ...check, target, targetText: target.text };
      case "tcp":
      case "echo": {
        const parsed = parseTarget(text);
        if (parsed.kind !== "tcp" && parsed.kind !== check.kind) {
          return invalid("expected HOST:PORT or [IPV6]:PORT");
        }
        const targetText = formatHostPort(parsed.host, parsed.port);
        target = { kind: check.kind, text, host: parsed.host, port: parsed.port };
        return { ...check, target, targetText };
      }
      case "dns": {
        target = parseTarget(text.startsWith("dns:") ? text : `dns:${text}`);
        if (target.kind !== "dns" || check.target.kind !== "dns") return invalid("expected a name");
        // The check's text goes on with the type and server it asks: `name A @server`.
        const rest = check.targetText.slice(check.target.name.ascii.length);
        return { ...check, target, targetText: `${target.name.ascii}${rest}` };
      }
      case "unix":
        return invalid("a unix check probes its own socket and takes no target");
    }
  } catch (error) {
    return invalid((error as Error).message);
  }
}

/**
 * Why `given` may not be probed, as a 403's message, or undefined when it may: it must match
 * one of `spec`'s `targets_allowed:`, or without them be written in a spec (unless `anyTarget`).
 */
function targetRefusal(
  specs: readonly CheckSpec[],
  spec: CheckSpec,
  given: string,
  target: Target,
  anyTarget: boolean,
): string | undefined {
  if (spec.targetsAllowed !== undefined) {
    if (spec.targetsAllowed.some((pattern) => pattern.test(given))) return undefined;
    return `Target ${quoted(given)} is not allowed: it matches none of the targets_allowed of ${
      quoted(spec.file)
    }`;
  }
  if (anyTarget) return undefined;
  const wanted = targetKey(target);
  const written = specs.some((each) =>
    each.checks.some((check) => targetKey(check.target) === wanted || check.targetText === given)
  );
  if (written) return undefined;
  return `Target ${quoted(given)} is not allowed: without targets_allowed in ${
    quoted(spec.file)
  }, only the targets written in the spec are (or any, with --probe-any-target)`;
}

/** What two targets share when they probe the same thing, whatever the kind. */
function targetKey(target: Target): string {
  switch (target.kind) {
    case "http":
      return target.url.href;
    case "tcp":
    case "echo":
      return formatHostPort(target.host, target.port).toLowerCase();
    case "dns":
      return target.name.ascii.toLowerCase();
    case "unix":
    case "file":
      return target.path;
  }
}

/** The attempts and the outcome, as log lines. */
function attemptLines(result: CheckResult): string[] {
  const lines = result.attempts.map((a) =>
    logLine(
      a.ok ? "info" : "error",
      `msg="Attempt ${a.attempt} ${a.ok ? "passed" : "did not pass"}" duration_seconds=${
        a.durationMs / 1000
      } reason=${quoted(a.reason)}`,
    )
  );
  const outcome = result.status === "passed" ? "Probe succeeded" : "Probe failed";
  lines.push(
    logLine(
      result.status === "passed" ? "info" : "error",
      `msg=${quoted(outcome)} status=${result.status} duration_seconds=${
        result.durationMs / 1000
      } message=${quoted(result.message)}`,
    ),
  );
  return lines;
}

/** One trace step in a log line's words. */
function traceText(event: TraceEvent): string {
  const parts = [`msg=${quoted(event.step)}`];
  if (event.conn) parts.push(`conn=${quoted(event.conn)}`);
  if (event.detail) parts.push(`detail=${quoted(event.detail)}`);
  if (event.bytes !== undefined) parts.push(`bytes=${event.bytes}`);
  return parts.join(" ");
}

/** A logfmt line, as blackbox_exporter's debug answer shows them. */
function logLine(level: string, rest: string): string {
  return `ts=${new Date().toISOString()} level=${level} ${rest}`;
}

/** A value for a message or a logfmt field: JSON-quoted, so that nothing in it breaks the line. */
function quoted(text: string): string {
  return JSON.stringify(text);
}
