/**
 * `sockit get`: flags, help, output, checks, retries and the atomic `-o`. The protocol work is
 * in `lib/http/`.
 *
 * @module
 */
import { DEFAULT_READ_TIMEOUT_MS, fetchUrl, HttpClient } from "../http/client.ts";
import type { FetchResult, Timing } from "../http/client.ts";
import { isRetryableError, isRetryableStatus, retryWait } from "../http/retry.ts";
import type { RetryWait } from "../http/retry.ts";
import { latin1 } from "../http/response.ts";
import type { ResponseHead } from "../http/response.ts";
import { checkResponse, MAX_CHECKED_BODY, needsBody } from "../http/expect.ts";
import type { ExpectationFailure, HttpExpectations } from "../http/expect.ts";
import { formatSize, parseSize } from "../http/size.ts";
import { parseHttpUrl, withBasicAuthorization } from "../http/url.ts";
import type { HttpUrl } from "../http/url.ts";
import { formatDuration, withDeadline } from "../net/deadline.ts";
import { closeQuietly } from "../net/close.ts";
import { describeNetError } from "../net/dial.ts";
import { InterruptedError } from "../net/errors.ts";
import { concatBytes } from "../net/bytes.ts";
import { writeAll } from "../net/io.ts";
import { sleep } from "../net/timer.ts";
import { UsageError, withCommon } from "./args.ts";
import {
  expectOptions,
  insecureWarning,
  parseExpectations,
  parseRequestOptions,
  requestOption,
} from "./http_options.ts";
import type { CommandSpec, ParsedArgs } from "./args.ts";
import { describeError, runCommand } from "./command.ts";
import { AtomicFile, checkOutput, describePathError, refuseSameFile } from "./paths.ts";
import type { OutputTarget } from "./paths.ts";
import { maskHeadText, maskingTrace, shownValue } from "./secrets.ts";
import type { Context } from "./command.ts";
import { ExitCode, exitCodeFor } from "./exit_codes.ts";
import { log } from "./log.ts";
import { formatMs, OutputError, roundMs, StdoutClosedError } from "./output.ts";
import type { Io } from "./output.ts";

/** `sockit get`. */
export const GET: CommandSpec = {
  name: "get",
  summary: "fetch URLs with a hand-written HTTP/1.1 client",
  usage: ["get [options] URL..."],
  description: [
    "Speaks HTTP/1.1 itself over TCP, TLS or a Unix socket and writes each body to stdout (or",
    "-o FILE). Several URLs are fetched in order; those to the same origin share one kept-alive",
    "connection, and the last request on a connection says Connection: close.",
    "",
    "Limits: a response head of at most --max-header-size bytes and --max-header-fields fields;",
    "a body of at most --max-filesize bytes, raw and decoded (exit 8 past either). A body cut",
    "short is exit 7. --timeout is the same as --max-time: a deadline for each attempt, redirects",
    "included, that holds even against a server that trickles bytes (exit 5). A read that waits",
    "--read-timeout (60s) for any byte ends the attempt too (exit 5). Waits before retries are",
    "at most 60s, whatever Retry-After says.",
    "",
    "https verifies certificates against the system's roots and --cacert; a server's own",
    "self-signed certificate given with --cacert is trusted, as curl does. -k accepts any",
    'certificate, says so on stderr (even with -q) and in --json ("insecure": true).',
    "",
    "-o FILE is written to a temporary file beside FILE and renamed only once the response was",
    "read whole, so a failure, a retry or Ctrl-C never leaves a partial or mixed file. -o - (or",
    "/dev/stdout, /dev/fd/1) writes to stdout, /dev/stderr to stderr, /dev/null discards; other",
    "devices are refused. Checks (--fail, --expect-*) run after the body is written; each failed",
    "one is named, and the exit is 1.",
  ].join("\n"),
  options: withCommon([
    { name: "head", short: "I", type: "boolean", description: "Send HEAD and print the head" },
    {
      name: "include",
      short: "i",
      type: "boolean",
      description: "Print the response head before the body",
    },
    requestOption("header"),
    {
      name: "output",
      short: "o",
      type: "string",
      multiple: true,
      value: "FILE",
      description: "Write the body to FILE (one -o per URL, in order; - is stdout)",
    },
    {
      name: "silent",
      short: "s",
      type: "boolean",
      description: "No progress bar, as curl -s (the body is still written; -q writes none)",
    },
    requestOption("location"),
    {
      name: "max-redirs",
      type: "string",
      value: "N",
      default: "20",
      description: "Most redirects to follow with -L (exit 8 past it)",
    },
    {
      name: "fail",
      short: "f",
      type: "boolean",
      description: "Exit 1 on a status of 400 or more (the body is still written)",
    },
    ...expectOptions("Exit 1 unless"),
    {
      name: "max-time",
      short: "m",
      type: "string",
      value: "DURATION",
      default: "none",
      description: "Deadline for each attempt, redirects included (exit 5)",
    },
    {
      name: "connect-timeout",
      type: "string",
      value: "DURATION",
      default: "30s",
      description: "Deadline for resolving, connecting and the TLS handshake",
    },
    {
      name: "read-timeout",
      type: "string",
      value: "DURATION",
      default: "60s",
      description: "Give up when a read waits this long for any byte (exit 5)",
    },
    {
      name: "max-header-size",
      type: "string",
      value: "SIZE",
      default: "64K",
      description: "Largest response head (and trailer section)",
    },
    {
      name: "max-header-fields",
      type: "string",
      value: "N",
      default: "100",
      description: "Most fields in a response head",
    },
    {
      name: "max-filesize",
      type: "string",
      value: "SIZE",
      default: "none",
      description: "Largest body, raw and decoded (10M, 1G)",
    },
    requestOption("compressed"),
    requestOption("cacert"),
    requestOption("insecure"),
    requestOption("resolve"),
    requestOption("unix-socket"),
    {
      name: "retry",
      type: "string",
      value: "N",
      default: "0",
      description: "Retry refused/reset connections, timeouts, 429 and 5xx up to N times",
    },
    {
      name: "retry-delay",
      type: "string",
      value: "DURATION",
      default: "1s",
      description: "First wait between retries; doubles each time; any wait is at most 60s",
    },
    {
      name: "retry-max-time",
      type: "string",
      value: "DURATION",
      default: "none",
      description: "Start no retry later than this after the first attempt",
    },
    {
      name: "timing",
      type: "boolean",
      description: "Draw the phases (resolve, connect, TLS, first byte, transfer) on stderr",
    },
    {
      name: "show-secrets",
      type: "boolean",
      description: "Show Authorization, Cookie and Set-Cookie values in -v, --trace and --json",
    },
    {
      name: "emit-check",
      type: "boolean",
      description: "Print the sockit check entry that does the same, instead of fetching",
    },
  ]),
  positionals: { min: 1, max: Infinity, name: "URL" },
  examples: [
    ["Print a page", "sockit get http://127.0.0.1:8080/"],
    ["Show both heads, follow redirects", "sockit get -v -L http://localhost:8080/old"],
    [
      "Check a health endpoint in CI",
      "sockit get --fail --retry 5 --expect-body-regex '\"ok\": *true' http://[::1]:8080/health",
    ],
    ["Download atomically, with a progress bar", "sockit get -o big.iso https://host/big.iso"],
    [
      "Three URLs over one connection, as JSON lines",
      "sockit get --json http://h:8080/a http://h:8080/b http://h:8080/c",
    ],
    ["Ask the Docker daemon", "sockit get --unix-socket /var/run/docker.sock http://d/version"],
  ],
};

/** What to add to a library error of each kind: the option that sets the limit. */
const HINTS: Readonly<Record<string, string>> = {
  "read-timeout": "read timeout; raise it with --read-timeout",
  "max-redirects": "raise it with --max-redirs",
  "max-body": "raise it with --max-filesize",
  "max-head": "raise it with --max-header-size",
  "max-fields": "raise it with --max-header-fields",
  "unknown-issuer": "is its CA trusted? trust a private CA with --cacert",
  "self-signed": "trust it with --cacert FILE, FILE holding the server's own certificate",
  "ca-as-leaf": "trust it with --cacert FILE, FILE holding the server's own certificate",
};

/** Runs `sockit get ...`. */
export async function runGet(argv: string[], io: Io): Promise<number> {
  return await runCommand(GET, argv, io, getCommand, { hints: HINTS });
}

/** Everything the command line asks for, checked. */
interface GetPlan {
  urls: HttpUrl[];
  outputs: OutputTarget[];
  method: "GET" | "HEAD";
  fields: Array<[string, string]>;
  include: boolean;
  follow: boolean;
  maxRedirects: number;
  maxTimeMs: number;
  connectTimeoutMs: number;
  readTimeoutMs: number;
  maxHeadBytes: number;
  maxFields: number;
  maxBodyBytes: number;
  compressed: boolean;
  caCerts: string[];
  insecure: boolean;
  resolve: Map<string, string[]>;
  unixSocket: string | undefined;
  retries: number;
  retryDelayMs: number;
  retryMaxTimeMs: number;
  fail: boolean;
  expect: HttpExpectations;
  timing: boolean;
  verbose: boolean;
  showSecrets: boolean;
}

/** A size option (`64K`, `10M`), or `none` for no limit (`Infinity`). */
function sizeOption(args: ParsedArgs, name: string, fallback: number): number {
  const text = args.string(name);
  if (text === undefined) return fallback;
  if (text.trim() === "none") return Infinity;
  try {
    return parseSize(text);
  } catch {
    const why = /^\s*-/.test(text)
      ? "a size cannot be negative"
      : "use a number of bytes, or with K, M, G or T (64K, 10M), or none";
    throw new UsageError(`Invalid size "${text}" for --${name}: ${why}`);
  }
}

/** A duration option that also takes `none` (no limit, `Infinity`). */
function limitOption(args: ParsedArgs, name: string, fallback: number): number {
  const text = args.string(name);
  if (text === undefined) return fallback;
  if (text.trim() === "none") return Infinity;
  return args.duration(name, fallback);
}

async function planFrom(ctx: Context): Promise<GetPlan> {
  const { args } = ctx;
  const urls = args.positionals.map((text) => {
    try {
      return parseHttpUrl(text);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  });
  const outputPaths = args.strings("output");
  if (outputPaths.length > urls.length) {
    throw new UsageError(`More -o options (${outputPaths.length}) than URLs (${urls.length})`);
  }
  const outputs: OutputTarget[] = [];
  for (const path of outputPaths) outputs.push(await checkOutput(path, { label: `-o "${path}"` }));
  refuseSameFile(outputs.map((target) => ({ label: `-o "${target.path}"`, target })));
  const request = await parseRequestOptions(args, ctx.io, urls);
  const maxTimeMs = args.string("max-time") !== undefined
    ? limitOption(args, "max-time", Infinity)
    : limitOption(args, "timeout", Infinity);
  const readTimeoutMs = limitOption(args, "read-timeout", DEFAULT_READ_TIMEOUT_MS);
  if (readTimeoutMs === 0) {
    throw new UsageError(
      `Invalid duration "${
        args.string("read-timeout")
      }" for --read-timeout: it must be more than 0 (or none)`,
    );
  }
  return {
    urls,
    outputs,
    method: args.flag("head") ? "HEAD" : "GET",
    fields: request.fields,
    include: args.flag("include") || args.flag("head"),
    follow: request.follow,
    maxRedirects: args.integer("max-redirs", 20),
    maxTimeMs,
    connectTimeoutMs: limitOption(args, "connect-timeout", 30_000),
    readTimeoutMs,
    maxHeadBytes: sizeOption(args, "max-header-size", 64 * 1024),
    maxFields: args.integer("max-header-fields", 100, { min: 1 }),
    maxBodyBytes: sizeOption(args, "max-filesize", Infinity),
    compressed: request.compressed,
    caCerts: request.caCerts,
    insecure: request.insecure,
    resolve: request.resolve,
    unixSocket: request.unixSocket,
    retries: args.integer("retry", 0),
    retryDelayMs: args.duration("retry-delay", 1000),
    retryMaxTimeMs: limitOption(args, "retry-max-time", Infinity),
    fail: args.flag("fail"),
    expect: parseExpectations(args),
    timing: args.flag("timing"),
    verbose: args.flag("verbose") || args.flag("trace"),
    showSecrets: args.flag("show-secrets"),
  };
}

async function getCommand(ctx: Context): Promise<number> {
  const plan = await planFrom(ctx);
  if (ctx.args.flag("emit-check")) return await emitGetChecks(ctx, plan);
  if (plan.insecure) {
    await ctx.out.note(insecureWarning("-k/--insecure"));
  }
  const client = new HttpClient({
    caCerts: plan.caCerts,
    insecure: plan.insecure,
    resolve: plan.resolve,
    unixSocket: plan.unixSocket,
    connectTimeoutMs: plan.connectTimeoutMs,
    readTimeoutMs: plan.readTimeoutMs,
    maxHeadBytes: plan.maxHeadBytes,
    maxFields: plan.maxFields,
    trace: plan.showSecrets ? ctx.trace : maskingTrace(ctx.trace),
    onNotReused: (origin, why) => log("http").debug`connection to ${origin} not reused: ${why}`,
  });
  let exitCode: number = ExitCode.Ok;
  try {
    // The last request to each origin says Connection: close.
    const lastIndex = new Map<string, number>();
    plan.urls.forEach((url, index) => lastIndex.set(url.origin, index));
    for (const [index, url] of plan.urls.entries()) {
      const keepAlive = (origin: string) => (lastIndex.get(origin) ?? -1) > index;
      const code = await getOne(ctx, client, plan, url, plan.outputs[index], keepAlive);
      if (exitCode === ExitCode.Ok) exitCode = code;
    }
  } finally {
    client.close();
  }
  if (ctx.json) ctx.jsonPrinted = true;
  return exitCode;
}

/** `--emit-check`: a check per URL, doing what this command line would. */
async function emitGetChecks(ctx: Context, plan: GetPlan): Promise<number> {
  const { emitChecks, httpCheckFrom, notCarriedOver, uniqueNames } = await import(
    "./emit_check.ts"
  );
  const { EmittedSecrets, specLiteral } = await import("../check/emit.ts");
  const { args } = ctx;
  const notes = notCarriedOver(args, [
    "output",
    "include",
    "timing",
    "connect-timeout",
    "read-timeout",
    "max-header-size",
    "max-header-fields",
    "max-filesize",
    "retry-max-time",
  ]);
  if (!args.flag("fail") && args.string("expect-status") === undefined) {
    notes.push("get accepts any status unless asked; a check expects 2xx (set expect.status)");
  }
  const secrets = new EmittedSecrets();
  const checks = plan.urls.map((url) => {
    const { check, notes: more } = httpCheckFrom(args, url, {
      method: plan.method,
      maxRedirects: args.string("max-redirs") === undefined ? undefined : plan.maxRedirects,
      status: args.string("expect-status") ?? (args.flag("fail") ? "1xx,2xx,3xx" : undefined),
      secrets,
    });
    notes.push(...more);
    return {
      name: specLiteral(`${plan.method} ${url.href}`),
      ...check,
      ...(plan.maxTimeMs !== Infinity ? { timeout: formatDuration(plan.maxTimeMs) } : {}),
      ...(plan.retries > 0
        ? { retry: { attempts: plan.retries + 1, interval: formatDuration(plan.retryDelayMs) } }
        : {}),
    };
  });
  return await emitChecks(ctx, uniqueNames(checks), [...secrets.notes, ...new Set(notes)]);
}

/** Where a body goes: stdout, or a temporary file renamed into place at the end. */
interface BodySink {
  /** Bytes written in this attempt. */
  written: number;
  /** Whether an attempt's bytes can be taken back (a file can; stdout cannot). */
  rewindable: boolean;
  write(chunk: Uint8Array): Promise<void>;
  /** Starts an attempt over. */
  reset(): Promise<void>;
  /** Keeps what was written (renames the file into place). */
  commit(): Promise<void>;
  /** Drops what was written. */
  abort(): Promise<void>;
}

function stdoutSink(ctx: Context, enabled: boolean): BodySink {
  return {
    written: 0,
    rewindable: false,
    async write(chunk) {
      this.written += chunk.length;
      if (enabled) await ctx.out.data(chunk);
    },
    reset() {
      this.written = 0;
      return Promise.resolve();
    },
    commit: () => Promise.resolve(),
    abort: () => Promise.resolve(),
  };
}

/** The sink for an output target (stdout when there is none). */
async function openSink(ctx: Context, target: OutputTarget | undefined): Promise<BodySink> {
  // -q: nothing on stdout unless asked for by name (-o -); -s only hides the progress bar.
  if (target === undefined) return stdoutSink(ctx, !ctx.json && !ctx.quiet);
  if (target.kind === "file") return await fileSink(target);
  if (target.kind === "special") return await deviceSink(target.path);
  if (target.stream === "stdout") return stdoutSink(ctx, true);
  if (target.stream === "stderr") return stderrSink(ctx);
  return discardSink();
}

/** `-o /dev/stderr`: the body on sockit's own stderr. */
function stderrSink(ctx: Context): BodySink {
  return {
    written: 0,
    rewindable: false,
    async write(chunk) {
      this.written += chunk.length;
      await writeAll(ctx.io.stderr, chunk).catch((error) => {
        throw new OutputError(`Cannot write to stderr: ${describeNetError(error)}`, {
          cause: error,
        });
      });
    },
    reset() {
      this.written = 0;
      return Promise.resolve();
    },
    commit: () => Promise.resolve(),
    abort: () => Promise.resolve(),
  };
}

/** `-o /dev/null`: counts the bytes and keeps none, so an attempt can always start over. */
function discardSink(): BodySink {
  return {
    written: 0,
    rewindable: true,
    write(chunk) {
      this.written += chunk.length;
      return Promise.resolve();
    },
    reset() {
      this.written = 0;
      return Promise.resolve();
    },
    commit: () => Promise.resolve(),
    abort: () => Promise.resolve(),
  };
}

/**
 * A file written as curl writes it, but atomically ({@linkcode AtomicFile}): renamed over the
 * file once the body is whole, removed on every other way out.
 */
async function fileSink(target: OutputTarget & { kind: "file" }): Promise<BodySink> {
  const file = await AtomicFile.create(target, `-o "${target.path}"`);
  const sink: BodySink = {
    written: 0,
    rewindable: true,
    async write(chunk) {
      this.written += chunk.length;
      await file.write(chunk);
    },
    async reset() {
      this.written = 0;
      await file.truncate();
    },
    commit: () => file.commit(),
    abort: () => file.abort(),
  };
  return sink;
}

/** A sink for an existing special file such as a named pipe: written directly, nothing to rename. */
async function deviceSink(path: string): Promise<BodySink> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { write: true });
  } catch (error) {
    throw new OutputError(`Cannot write -o "${path}": ${describePathError(path, error)}`, {
      cause: error,
    });
  }
  let open = true;
  const finish = () => {
    if (open) closeQuietly(file);
    open = false;
  };
  const sink: BodySink = {
    written: 0,
    rewindable: false,
    async write(chunk) {
      this.written += chunk.length;
      await writeAll(file, chunk).catch((error) => {
        throw new OutputError(`Cannot write -o "${path}": ${describePathError(path, error)}`, {
          cause: error,
        });
      });
    },
    reset() {
      this.written = 0;
      return Promise.resolve();
    },
    commit() {
      finish();
      return Promise.resolve();
    },
    abort() {
      finish();
      return Promise.resolve();
    },
  };
  return sink;
}

/** The outcome of one URL, for output and checks. */
interface Outcome {
  result: FetchResult | undefined;
  attempts: number;
  error: unknown;
  body: Uint8Array[];
  bodyBytes: number;
}

async function getOne(
  ctx: Context,
  client: HttpClient,
  plan: GetPlan,
  url: HttpUrl,
  output: OutputTarget | undefined,
  keepAlive: (origin: string) => boolean,
): Promise<number> {
  const sink = await openSink(ctx, output);
  // A progress bar on stderr, for a body that goes to a file while a person watches.
  const showProgress = output !== undefined && output.kind !== "stream" &&
    ctx.io.stderrIsTerminal && !ctx.quiet && !ctx.args.flag("silent") && !ctx.json;
  const checkBody = needsBody(plan.expect);
  const outcome: Outcome = {
    result: undefined,
    attempts: 0,
    error: undefined,
    body: [],
    bodyBytes: 0,
  };
  const firstStarted = performance.now();
  let committed = false;
  // Verbose heads go to stderr in order; the client calls back synchronously.
  let notes = Promise.resolve();
  const note = (text: string) => {
    notes = notes.then(() => ctx.out.note(text)).catch(() => {});
  };
  // A retry is news, not an error: -q leaves it out.
  const warn = (text: string) => ctx.quiet ? Promise.resolve() : ctx.out.note(`warning: ${text}`);
  try {
    for (let attempt = 1;; attempt++) {
      outcome.attempts = attempt;
      outcome.body = [];
      outcome.bodyBytes = 0;
      await sink.reset();
      // A retryable answer: retried after `retry.ms`, or not, because of --retry-max-time.
      let retry: RetryWait | undefined;
      let notRetried: RetryWait | undefined;
      const progress = showProgress ? new Progress(ctx.io) : undefined;
      const retriesLeft = attempt <= plan.retries;
      const inRetryTime = (wait: RetryWait) =>
        performance.now() - firstStarted + wait.ms <= plan.retryMaxTimeMs;
      try {
        // Without --max-time there is no deadline to add: the fetch takes Ctrl-C's signal itself.
        const fetch = (signal: AbortSignal) =>
          fetchUrl(client, url, {
            method: plan.method,
            fields: fieldsFor(plan, url),
            followRedirects: plan.follow,
            maxRedirects: plan.maxRedirects,
            keepAlive,
            maxBodyBytes: plan.maxBodyBytes,
            decode: plan.compressed,
            signal,
            onRequest: plan.verbose
              ? (_head, bytes) => {
                const head = latin1(bytes);
                const lines = (plan.showSecrets ? head : maskHeadText(head)).split("\r\n")
                  .slice(0, -2);
                note([...lines.map((line) => `> ${line}`), ">"].join("\n"));
              }
              : undefined,
            onInterim: plan.verbose ? (head) => note(showHead(head, plan.showSecrets)) : undefined,
            onResponse: async (head) => {
              if (plan.verbose) note(showHead(head, plan.showSecrets));
              await notes;
              retry = notRetried = undefined;
              if (isRetryableStatus(head.status) && retriesLeft) {
                const wait = retryWait(attempt, {
                  baseMs: plan.retryDelayMs,
                  retryAfter: head.headers.get("retry-after"),
                });
                if (inRetryTime(wait)) retry = wait;
                else notRetried = wait;
              }
              // -i and -I: the head goes where the body goes (stdout, or the -o file).
              if (retry === undefined && plan.include) {
                await sink.write(new TextEncoder().encode(formatHead(head)));
              }
              const length = Number(head.headers.get("content-length") ?? NaN);
              progress?.start(Number.isFinite(length) ? length : undefined);
            },
            onBody: async (chunk) => {
              if (retry !== undefined) return;
              await sink.write(chunk);
              progress?.update(outcome.bodyBytes + chunk.length);
              if (checkBody && outcome.bodyBytes + chunk.length <= MAX_CHECKED_BODY) {
                outcome.body.push(chunk.slice());
              }
              outcome.bodyBytes += chunk.length;
            },
          });
        outcome.result = plan.maxTimeMs === Infinity
          ? await fetch(ctx.signal)
          : await withDeadline(plan.maxTimeMs, `Cannot get "${url.href}"`, fetch, {
            signal: ctx.signal,
          });
      } catch (error) {
        progress?.end();
        if (
          !isRetryableError(error) || !retriesLeft || !(sink.rewindable || sink.written === 0)
        ) {
          throw error;
        }
        const wait = retryWait(attempt, { baseMs: plan.retryDelayMs });
        const why = describeError(error, HINTS);
        if (!inRetryTime(wait)) {
          await warn(`${why}; ${notRetrying(wait, plan)}`);
          throw error;
        }
        await warn(`${why}; retry ${attempt} of ${plan.retries} in ${describeWait(wait)}`);
        await waitToRetry(ctx, wait);
        continue;
      }
      progress?.end();
      const answered = `${url.href} answered ${outcome.result.head.status}`;
      if (notRetried !== undefined) {
        await warn(`${answered}; ${notRetrying(notRetried, plan)}`);
      }
      if (retry !== undefined) {
        await warn(`${answered}; retry ${attempt} of ${plan.retries} in ${describeWait(retry)}`);
        await waitToRetry(ctx, retry);
        continue;
      }
      break;
    }
    await sink.commit();
    committed = true;
  } catch (error) {
    outcome.error = error;
  } finally {
    if (!committed) await sink.abort();
    await notes;
  }
  const result = outcome.result;
  // A debug line is only shown with -v or --trace: its parts are not even built otherwise.
  if (result && !outcome.error && plan.verbose) {
    log("http")
      .debug`${url.href}: ${result.head.status} ${result.head.reason}, ${result.bytes} bytes from ${result.remote}${
      result.reused ? " (connection reused)" : ""
    } in ${formatMs(result.timing.totalMs)}`;
  }
  const failures = outcome.error ? [] : checkOutcome(plan, outcome);
  let code: number = ExitCode.Ok;
  let message: string | undefined;
  if (outcome.error) {
    // These end the whole command, not this URL: the next URL is not fetched.
    if (stopsTheCommand(outcome.error)) throw outcome.error;
    code = exitCodeFor(outcome.error);
    message = describeError(outcome.error, HINTS);
    await ctx.out.error(message);
  } else if (failures.length > 0) {
    code = ExitCode.CheckFailed;
    message = failures.join("; ");
    for (const failure of failures) await ctx.out.error(failure);
  }
  if (plan.timing && result && !outcome.error) await drawTiming(ctx, url, result.timing);
  if (ctx.json) {
    const ok = result && !outcome.error;
    await ctx.out.json({
      url: url.href,
      status: ok ? result.head.status : null,
      http_version: ok ? result.head.version : null,
      headers: ok ? headersObject(result.head, plan.showSecrets) : null,
      bytes: ok ? result.bytes : 0,
      timing: ok ? timingJson(result.timing) : null,
      redirects: ok ? result.redirects : [],
      attempts: outcome.attempts,
      connection_reused: ok ? result.reused : false,
      insecure: plan.insecure,
      error: message ?? null,
      exit_code: code,
    });
  }
  return code;
}

/**
 * Tells whether an error ends the command rather than one URL: a usage error, Ctrl-C or SIGTERM,
 * or a stdout whose reader went away (`| head`), after which there is nobody to write to.
 */
function stopsTheCommand(error: unknown): boolean {
  return error instanceof UsageError || error instanceof InterruptedError ||
    error instanceof StdoutClosedError;
}

/** The option that states each kind of expectation, for messages. */
const EXPECT_OPTION: Record<ExpectationFailure["expectation"], string> = {
  status: "--expect-status",
  body: "--expect-body",
  "body-regex": "--expect-body-regex",
  header: "--expect-header",
};

function checkOutcome(plan: GetPlan, outcome: Outcome): string[] {
  const result = outcome.result!;
  const status = result.head.status;
  const failures: string[] = [];
  if (plan.fail && status >= 400) {
    failures.push(`Check failed: --fail: ${result.url} answered ${status} ${result.head.reason}`);
  }
  const body = !needsBody(plan.expect)
    ? undefined
    : outcome.bodyBytes > MAX_CHECKED_BODY
    ? outcome.bodyBytes
    : new TextDecoder().decode(concatBytes(outcome.body));
  for (const failure of checkResponse(result.head, body, plan.expect)) {
    const option = EXPECT_OPTION[failure.expectation];
    failures.push(
      failure.expectation === "status"
        ? `Check failed: ${option} ${failure.text}: got ${status}`
        : failure.expectation === "header"
        ? `Check failed: ${option} "${failure.text}": ${failure.reason}`
        : `Check failed: ${option}: ${failure.reason}`,
    );
  }
  return failures;
}

/** A retry's wait for people: `2s`, or `60s (Retry-After asked for 1h, capped at 60s)`. */
function describeWait(wait: RetryWait): string {
  const text = formatDuration(wait.ms);
  if (!wait.capped || wait.askedMs === undefined) return text;
  return `${text} (Retry-After asked for ${formatDuration(wait.askedMs)}, capped at ${text})`;
}

function notRetrying(wait: RetryWait, plan: GetPlan): string {
  return `not retrying: the wait of ${describeWait(wait)} would end past --retry-max-time ${
    formatDuration(plan.retryMaxTimeMs)
  }`;
}

/** Waits before a retry; Ctrl-C or SIGTERM ends the wait and the command. */
async function waitToRetry(ctx: Context, wait: RetryWait): Promise<void> {
  await sleep(wait.ms, ctx.signal);
  ctx.signal.throwIfAborted();
}

/** A response head as it is printed by -i: status line, fields, empty line, CRLF endings. */
export function formatHead(head: ResponseHead): string {
  let text = `${head.version} ${head.status}${head.reason ? ` ${head.reason}` : ""}\r\n`;
  for (const [name, value] of head.headers.entries) text += `${name}: ${value}\r\n`;
  return text + "\r\n";
}

/**
 * The request fields for `url`: the plan's, plus Basic authorization from a `user:pass@` URL
 * (as curl does) unless -H gave an Authorization of its own.
 */
function fieldsFor(plan: GetPlan, url: HttpUrl): Array<[string, string]> {
  return withBasicAuthorization(plan.fields, url);
}

function showHead(head: ResponseHead, showSecrets: boolean): string {
  const text = formatHead(head);
  const lines = (showSecrets ? text : maskHeadText(text)).split("\r\n").slice(0, -2);
  return [...lines.map((line) => `< ${line}`), "<"].join("\n");
}

function headersObject(head: ResponseHead, showSecrets: boolean): Record<string, string> {
  const object: Record<string, string> = {};
  for (const [name, raw] of head.headers.entries) {
    const key = name.toLowerCase();
    const value = showSecrets ? raw : shownValue(name, raw);
    object[key] = key in object ? `${object[key]}, ${value}` : value;
  }
  return object;
}

function timingJson(timing: Timing): Record<string, number> {
  return {
    resolve_ms: roundMs(timing.resolveMs),
    connect_ms: roundMs(timing.connectMs),
    tls_ms: roundMs(timing.tlsMs),
    first_byte_ms: roundMs(timing.firstByteMs),
    transfer_ms: roundMs(timing.transferMs),
    total_ms: roundMs(timing.totalMs),
  };
}

/** Draws the phases as a waterfall on stderr, as httpstat does, under the URL they are for. */
async function drawTiming(ctx: Context, url: HttpUrl, timing: Timing): Promise<void> {
  await ctx.out.note(url.href);
  const phases: Array<[string, number]> = [
    ["resolve", timing.resolveMs],
    ["connect", timing.connectMs],
    ["tls", timing.tlsMs],
    ["first byte", timing.firstByteMs],
    ["transfer", timing.transferMs],
  ];
  const width = 40;
  const total = Math.max(timing.totalMs, phases.reduce((n, [, ms]) => n + ms, 0), 0.001);
  let at = 0;
  for (const [name, ms] of phases) {
    const start = Math.round((at / total) * width);
    const length = ms > 0 ? Math.max(1, Math.round((ms / total) * width)) : 0;
    const bar = " ".repeat(start) + "#".repeat(Math.min(length, width - start));
    await ctx.out.note(`${name.padEnd(11)}${formatMs(ms).padStart(10)}  |${bar.padEnd(width)}|`);
    at += ms;
  }
  await ctx.out.note(`${"total".padEnd(11)}${formatMs(timing.totalMs).padStart(10)}`);
}

/** A progress bar on stderr for -o, redrawn at most five times a second. */
class Progress {
  readonly #io: Io;
  #total: number | undefined;
  #started = 0;
  #last = 0;
  #bytes = 0;
  #shown = false;

  constructor(io: Io) {
    this.#io = io;
  }

  start(total: number | undefined): void {
    this.#total = total;
    this.#bytes = 0;
    this.#started = performance.now();
  }

  update(bytes: number): void {
    this.#bytes = bytes;
    const now = performance.now();
    if (now - this.#last < 200) return;
    if (this.#total !== undefined && this.#total < 1024 * 1024) return;
    this.#last = now;
    this.#shown = true;
    this.#draw(this.#frame(now), "");
  }

  /** Draws the last frame, with the real final count, and ends the line. */
  end(): void {
    if (this.#shown) this.#draw(this.#frame(performance.now()), "\n");
    this.#shown = false;
  }

  #frame(now: number): string {
    const bytes = this.#bytes;
    const rate = bytes / Math.max((now - this.#started) / 1000, 0.001);
    const size = this.#total === undefined
      ? formatSize(bytes)
      : `${Math.floor(bytes / this.#total * 100).toString().padStart(3)}% ${formatSize(bytes)} of ${
        formatSize(this.#total)
      }`;
    return `${size}  ${formatSize(rate)}/s   `;
  }

  #draw(frame: string, end: string): void {
    void writeAll(this.#io.stderr, new TextEncoder().encode(`\r${frame}${end}`)).catch(() => {});
  }
}
