/**
 * `sockit get`: flags, help, and the run over every URL. The plan is read in `plan.ts`, each
 * URL fetched with retries in `retry.ts` into a sink of `sinks.ts`, and reported in
 * `report.ts`; the protocol work is in `lib/http/`.
 *
 * @module
 */
import { HttpClient } from "../../http/pool.ts";
import { withCommon } from "../args.ts";
import type { CommandSpec } from "../args.ts";
import { runCommand } from "../command.ts";
import type { Context } from "../command.ts";
import { ExitCode } from "../exit_codes.ts";
import { expectOptions, insecureWarning, requestOption } from "../http_options.ts";
import { log } from "../log.ts";
import type { Io } from "../output.ts";
import { maskingTrace } from "../secrets.ts";
import { emitGetChecks } from "./emit.ts";
import { HINTS, planFrom } from "./plan.ts";
import { reportOutcome } from "./report.ts";
import { fetchWithRetries } from "./retry.ts";

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
    requestOption("max-redirs"),
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

/** Runs `sockit get ...`. */
export async function runGet(argv: string[], io: Io): Promise<number> {
  return await runCommand(GET, argv, io, getCommand, { hints: HINTS });
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
      const outcome = await fetchWithRetries(
        ctx,
        client,
        plan,
        url,
        plan.outputs[index],
        keepAlive,
      );
      const last = index === plan.urls.length - 1;
      const code = await reportOutcome(ctx, plan, url, outcome, last);
      if (exitCode === ExitCode.Ok) exitCode = code;
    }
  } finally {
    client.close();
  }
  return exitCode;
}
