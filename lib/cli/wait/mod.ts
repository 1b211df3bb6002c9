/**
 * `sockit wait`: flags, help, and the wait then COMMAND. The plan is read in `plan.ts`, the
 * output written by `report.ts`, COMMAND run by `child.ts`, and `--emit-check` is `emit.ts`;
 * target parsing, probes and the wait itself are in `lib/probe/`.
 *
 * @module
 */
import { probe } from "../../probe/probe.ts";
import type { ProbeResult } from "../../probe/result.ts";
import { waitFor } from "../../probe/wait.ts";
import type { WaitResult } from "../../probe/wait.ts";
import { UsageError, withCommon } from "../args.ts";
import type { CommandSpec } from "../args.ts";
import { runCommand } from "../command.ts";
import type { Context } from "../command.ts";
import { ExitCode } from "../exit_codes.ts";
import { expectOptions, insecureWarning, requestOption } from "../http_options.ts";
import type { Io } from "../output.ts";
import { describeError } from "../result.ts";
import { runChild } from "./child.ts";
import { abortOnSignals } from "../signals.ts";
import { emitWaitChecks } from "./emit.ts";
import { planFrom } from "./plan.ts";
import { failureOf, reportEvent, StatusBoard, writeDone, writeExit } from "./report.ts";

/** `sockit wait`. */
export const WAIT: CommandSpec = {
  name: "wait",
  summary: "wait until services are ready, then run a command",
  usage: ["wait [options] TARGET... [-- COMMAND [ARGS...]]"],
  description: [
    "Targets: HOST:PORT or tcp://HOST:PORT (a connection is accepted), http(s)://URL (a GET",
    "answers a status in --expect-status and every --expect-* holds), unix:/PATH (the socket",
    "accepts), dns:NAME (the name resolves), echo://HOST:PORT (a round trip comes back exact),",
    "file:/PATH (the file exists). All are probed at once until every one is ready (--any: one).",
    "An http target's redirects are followed, as wait-on does (at most --max-redirs; --no-location",
    "judges the 3xx itself).",
    "",
    "Each attempt has its own --attempt-timeout; attempts start 10ms apart and the pause grows",
    "by 5% each time (about a twentieth of the time waited) up to --interval. A certificate that",
    "does not verify ends the wait at once (exit 6). Past --timeout: exit 5, naming each target",
    "still not ready and why.",
    "",
    "COMMAND runs only when the wait succeeded (--run-anyway: also after a timeout), as a child",
    "process (Deno cannot exec): it gets sockit's stdin, stdout and stderr, SIGHUP, SIGINT,",
    "SIGTERM, SIGQUIT, SIGUSR1 and SIGUSR2 are passed on to it, and sockit exits with its exit",
    "code (128 + N when signal N ended it). With --json, an exit line says how it ended.",
  ].join("\n"),
  options: withCommon([
    {
      name: "attempt-timeout",
      type: "string",
      value: "DURATION",
      default: "5s",
      description: "Limit on each attempt (never past --timeout)",
    },
    {
      name: "interval",
      type: "string",
      value: "DURATION",
      default: "1s",
      description: "Longest pause between attempts at one target",
    },
    {
      name: "any",
      type: "boolean",
      conflicts: ["reverse"],
      description: "Done when any one target is ready",
    },
    {
      name: "stable",
      type: "string",
      value: "N",
      default: "1",
      description: "Ready only after N successes in a row",
    },
    {
      name: "reverse",
      type: "boolean",
      description: "Wait until each target is NOT ready (closed, failing, gone)",
    },
    {
      name: "run-anyway",
      type: "boolean",
      description: "Run COMMAND even after a timeout, then exit with its code",
    },
    { name: "nonempty", type: "boolean", description: "file: targets must not be empty" },
    ...expectOptions("http: ready only when", "2xx"),
    requestOption("header"),
    { ...requestOption("location"), description: "Follow redirects (the default, as wait-on)" },
    {
      name: "no-location",
      type: "boolean",
      conflicts: ["location", "max-redirs"],
      description: "Do not follow redirects: a 3xx is the answer judged",
    },
    {
      ...requestOption("max-redirs"),
      description: "Most redirects to follow (past it: not ready)",
    },
    requestOption("compressed"),
    requestOption("cacert"),
    requestOption("insecure"),
    requestOption("resolve"),
    requestOption("unix-socket"),
    {
      name: "server",
      type: "string",
      value: "ADDR[:PORT]",
      description: "dns: ask this server directly (or @ADDR[:PORT] among the targets)",
    },
    {
      name: "type",
      short: "t",
      type: "string",
      value: "TYPE",
      description: "dns: ask for this record type directly (A, AAAA, MX...)",
    },
    {
      name: "expect-address",
      type: "string",
      multiple: true,
      value: "ADDR",
      description: "dns: ready only when ADDR is among the answers",
    },
    {
      name: "emit-check",
      type: "boolean",
      description: "Print the sockit check entries that do the same, instead of waiting",
    },
  ]),
  positionals: { min: 1, max: Infinity, name: "TARGET" },
  examples: [
    [
      "A database and an API, then the tests",
      "sockit wait 127.0.0.1:5432 http://127.0.0.1:8080/health -- npm test",
    ],
    ["At most 10s, as JSON lines", "sockit wait --timeout 10s --json tcp://db:5432"],
    ["Until a port is closed again", "sockit wait --reverse 127.0.0.1:8080"],
  ],
};

/** Runs `sockit wait ...`. */
export async function runWait(argv: string[], io: Io): Promise<number> {
  const split = argv.indexOf("--");
  const own = split < 0 ? argv : argv.slice(0, split);
  const command = split < 0 ? [] : argv.slice(split + 1);
  return await runCommand(WAIT, own, io, (ctx) => {
    // An empty COMMAND (often an unset variable after --) would silently run nothing.
    if (split >= 0 && command.length === 0) {
      throw new UsageError(
        'Nothing after "--": give the COMMAND to run once ready, or leave out "--"',
      );
    }
    return waitCommand(ctx, command);
  }, {
    ownSignals: true,
  });
}

async function waitCommand(ctx: Context, command: string[]): Promise<number> {
  const plan = await planFrom(ctx, command);
  if (ctx.args.flag("emit-check")) return await emitWaitChecks(ctx, plan, command);
  const insecure = plan.probeOptions.http?.insecure === true;
  if (insecure) await ctx.out.note(insecureWarning("-k/--insecure"));
  const interrupt = new AbortController();
  let result: WaitResult;
  const board = ctx.io.stderrIsTerminal && !ctx.quiet && !ctx.json && !ctx.args.flag("verbose") &&
      !ctx.trace
    ? new StatusBoard(ctx.io, plan.targets)
    : undefined;
  // Held until the command returns: SIGINT and SIGTERM always have a listener, from the wait
  // through COMMAND's run (whose forwarding adds its own), never their default action.
  using _signals = abortOnSignals(interrupt);
  try {
    // ctx.signal aborts when stdout's reader has gone: the wait stops at once too.
    const onStop = () => interrupt.abort(ctx.signal.reason);
    ctx.signal.addEventListener("abort", onStop, { once: true });
    using _stop = { [Symbol.dispose]: () => ctx.signal.removeEventListener("abort", onStop) };
    result = await waitFor(plan.targets, {
      timeoutMs: plan.timeoutMs,
      attemptTimeoutMs: plan.attemptTimeoutMs,
      intervalMs: plan.intervalMs,
      any: plan.any,
      stable: plan.stable,
      reverse: plan.reverse,
      signal: interrupt.signal,
      probe: (target, options): Promise<ProbeResult> =>
        probe(target, { ...plan.probeOptions, ...options }),
      onEvent: (event) => {
        // On a terminal the board says it all; elsewhere, log lines.
        if (board) board.update(event);
        else reportEvent(ctx, event);
      },
    });
  } finally {
    board?.[Symbol.dispose]();
    await board?.flush();
  }
  const runs = command.length > 0 && (result.ready || (plan.runAnyway && result.timedOut));
  const failure = failureOf(plan, result);
  if (ctx.json) await writeDone(ctx, result, failure, { insecure, runs });
  if (!runs) {
    if (failure) throw failure;
    return ExitCode.Ok;
  }
  if (failure) await ctx.out.error(`${describeError(failure)}; running the command anyway`);
  await ctx.out.flush();
  const started = performance.now();
  const outcome = await runChild(command);
  if (ctx.json) await writeExit(ctx, command, outcome, performance.now() - started);
  return outcome.code;
}
