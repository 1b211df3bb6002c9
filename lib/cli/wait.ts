/**
 * `sockit wait`: flags, output and the command after `--`. Target parsing, probes and the wait
 * itself are in `lib/probe/`.
 *
 * @module
 */
import { formatDuration } from "../net/deadline.ts";
import { InterruptedError, TimeoutError } from "../net/errors.ts";
import { probe } from "../probe/probe.ts";
import type { ProbeOptions, ProbeResult } from "../probe/probe.ts";
import { formatTargetName, parseTarget } from "../probe/target.ts";
import type { Target } from "../probe/target.ts";
import { waitFor } from "../probe/wait.ts";
import type { WaitEvent, WaitResult } from "../probe/wait.ts";
import { parseDnsServer } from "../dns/outcome.ts";
import { parseRecordType, typeName } from "../dns/wire.ts";
import { formatHostPort, isIpLiteral } from "../net/addr.ts";
import { UsageError, withCommon } from "./args.ts";
import {
  expectOptions,
  parsedOption,
  parseExpectations,
  parseRequestOptions,
  requestOption,
} from "./http_options.ts";
import { insecureWarning } from "./http_options.ts";
import type { CommandSpec, ParsedArgs } from "./args.ts";
import { runCommand } from "./command.ts";
import type { Context } from "./command.ts";
import { ExitCode } from "./exit_codes.ts";
import { log } from "./log.ts";
import { writeAll } from "../net/io.ts";
import { formatMs, roundMs, StdoutClosedError } from "./output.ts";
import type { Io } from "./output.ts";
import { describePathError } from "./paths.ts";
import { describeError, outcomeTail, writeJsonResult } from "./result.ts";

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

interface WaitPlan {
  targets: Target[];
  timeoutMs: number;
  attemptTimeoutMs: number;
  intervalMs: number;
  any: boolean;
  stable: number;
  reverse: boolean;
  runAnyway: boolean;
  probeOptions: Partial<ProbeOptions>;
}

async function planFrom(ctx: Context, command: string[]): Promise<WaitPlan> {
  const { args } = ctx;
  let server = args.string("server") === undefined
    ? undefined
    : parsedOption(args.string("server")!, "--server", parseDnsServer);
  const targets: Target[] = [];
  for (const text of args.positionals) {
    if (text.startsWith("@")) {
      server = parsedOption(text.slice(1), "@SERVER", parseDnsServer);
      continue;
    }
    try {
      targets.push(parseTarget(text));
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  if (targets.length === 0) {
    throw new UsageError('Missing argument for "sockit wait": expected TARGET');
  }
  for (const target of targets) {
    // Deno opens sockets under /dev and /proc only with --allow-all: no attempt could succeed.
    if (target.kind === "unix" && /^\/(dev|proc)\//.test(target.path)) {
      throw new UsageError(
        `Invalid target "${target.text}": ${
          describePathError(target.path, new Deno.errors.NotCapable())
        }`,
      );
    }
  }
  const urls = targets.flatMap((t) => t.kind === "http" ? [t.url] : []);
  const request = await parseRequestOptions(args, ctx.io, urls);
  const typeText = args.string("type");
  let type: number | undefined;
  try {
    type = typeText === undefined ? undefined : parseRecordType(typeText);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const expectAddresses = args.strings("expect-address").map((text) => {
    if (!isIpLiteral(text)) {
      throw new UsageError(`Invalid address "${text}" for --expect-address: not an IP address`);
    }
    return text;
  });
  const timeout = args.duration("timeout", 30_000);
  if (command.length === 0 && args.flag("run-anyway")) {
    throw new UsageError("Option --run-anyway needs a COMMAND after --");
  }
  return {
    targets,
    timeoutMs: timeout === 0 ? Infinity : timeout,
    attemptTimeoutMs: positiveDuration(args, "attempt-timeout"),
    intervalMs: args.duration("interval")!,
    any: args.flag("any"),
    stable: args.integer("stable", { min: 1, max: 1000 }),
    reverse: args.flag("reverse"),
    runAnyway: args.flag("run-anyway"),
    probeOptions: {
      nonempty: args.flag("nonempty"),
      trace: ctx.trace,
      http: {
        fields: request.fields,
        follow: !args.flag("no-location"),
        maxRedirects: args.integer("max-redirs"),
        compressed: request.compressed,
        caCerts: request.caCerts,
        insecure: request.insecure,
        resolve: request.resolve,
        unixSocket: request.unixSocket,
        expect: parseExpectations(args),
      },
      dns: { server, type, expectAddresses },
    },
  };
}

/** A duration option that must be more than 0; absent, its declared default. */
function positiveDuration(args: ParsedArgs, name: string): number {
  const ms = args.duration(name)!;
  if (ms === 0) {
    throw new UsageError(
      `Invalid duration "${args.string(name)}" for --${name}: it must be more than 0`,
    );
  }
  return ms;
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
        else report(ctx, event);
      },
    });
  } finally {
    board?.[Symbol.dispose]();
    await board?.flush();
  }
  const runs = command.length > 0 && (result.ready || (plan.runAnyway && result.timedOut));
  const failure = failureOf(plan, result);
  if (ctx.json) {
    // With COMMAND to run, sockit's exit code is COMMAND's: the `exit` line says it.
    const tail = outcomeTail(failure);
    await writeJsonResult(ctx, {
      event: "done",
      ready: result.ready,
      elapsed_ms: roundMs(result.elapsedMs),
      targets: result.targets.map((s) => ({
        target: s.target.text,
        ready: s.ready,
        attempts: s.attempts,
        last_error: s.ready ? null : s.last,
      })),
      insecure,
    }, runs ? { ...tail, exit_code: null } : tail);
  }
  if (!runs) {
    if (failure) throw failure;
    return ExitCode.Ok;
  }
  if (failure) await ctx.out.error(`${describeError(failure)}; running the command anyway`);
  await ctx.out.flush();
  const started = performance.now();
  const outcome = await runChild(command);
  if (ctx.json) {
    await writeJsonResult(ctx, {
      event: "exit",
      // The program only: its arguments may hold what should not be in a log (a password).
      command: command[0],
      signal: outcome.signal,
      elapsed_ms: roundMs(performance.now() - started),
    }, { exit_code: outcome.code }).catch((error) => {
      // COMMAND's own code stands even when nobody reads stdout any more.
      if (!(error instanceof StdoutClosedError)) throw error;
    });
  }
  return outcome.code;
}

/**
 * `--emit-check`: a check per target. A wait tries until its --timeout; the check tries
 * timeout / interval times, --interval apart (each attempt bounded by --attempt-timeout). Past
 * a check's {@linkcode MAX_ATTEMPTS}, the attempts are spread out to cover the same time, and a
 * note says so.
 */
async function emitWaitChecks(ctx: Context, plan: WaitPlan, command: string[]): Promise<number> {
  const { emitChecks, httpCheckFrom, notCarriedOver, uniqueNames } = await import(
    "./emit_check.ts"
  );
  const { EmittedSecrets } = await import("../check/emit.ts");
  const { MAX_ATTEMPTS } = await import("../check/spec.ts");
  const { args } = ctx;
  const notes = notCarriedOver(args, ["any", "stable", "reverse", "run-anyway", "nonempty"]);
  if (command.length > 0) notes.push("the COMMAND after -- is not part of a check: left out");
  const timeoutMs = plan.timeoutMs === Infinity ? 30_000 : plan.timeoutMs;
  if (plan.timeoutMs === Infinity) {
    notes.push("--timeout 0 (no limit) is written as 30s of retries");
  }
  // --interval 0 (no pause) is written as the shortest timer, 1ms.
  const intervalMs = plan.intervalMs || 1;
  const wanted = Math.max(1, Math.ceil(timeoutMs / intervalMs));
  const attempts = Math.min(MAX_ATTEMPTS, wanted);
  const pauseMs = wanted > MAX_ATTEMPTS ? Math.ceil(timeoutMs / MAX_ATTEMPTS) : intervalMs;
  if (wanted > MAX_ATTEMPTS) {
    notes.push(
      `--timeout ${formatDuration(timeoutMs)} / --interval ${
        formatDuration(intervalMs)
      } is ${wanted} attempts, over a check's ${MAX_ATTEMPTS}: written as ${MAX_ATTEMPTS} attempts ${
        formatDuration(pauseMs)
      } apart, which cover the same ${formatDuration(timeoutMs)}`,
    );
  }
  const common = {
    timeout: formatDuration(plan.attemptTimeoutMs),
    retry: { attempts, interval: formatDuration(pauseMs), backoff: 1 },
  };
  // One set of secrets for every target: the same password is one variable.
  const secrets = new EmittedSecrets();
  const dns = plan.probeOptions.dns ?? {};
  const checks = plan.targets.flatMap((target) => {
    const name = `wait ${formatTargetName(target)}`;
    switch (target.kind) {
      case "tcp":
        return [{ name, tcp: { host: target.host, port: target.port }, ...common }];
      case "echo":
        return [{ name, echo: { host: target.host, port: target.port }, ...common }];
      case "unix":
        return [{ name, unix: { path: target.path }, ...common }];
      case "http": {
        const { check, notes: more } = httpCheckFrom(args, target.url, {
          status: args.string("expect-status") ?? args.defaultOf("expect-status"),
          follow: plan.probeOptions.http?.follow,
          maxRedirects: !args.given("max-redirs")
            ? undefined
            : plan.probeOptions.http?.maxRedirects,
          secrets,
        });
        notes.push(...more);
        return [{ name, ...check, ...common }];
      }
      case "dns":
        return [{
          name,
          dns: {
            name: target.name.ascii,
            ...(dns.type !== undefined ? { type: typeName(dns.type) } : {}),
            ...(dns.server ? { server: formatHostPort(dns.server.address, dns.server.port) } : {}),
          },
          ...((dns.expectAddresses ?? []).length > 0
            ? { expect: { addresses: dns.expectAddresses } }
            : {}),
          ...common,
        }];
      case "file":
        notes.push(`${target.text}: sockit check has no file checks: left out`);
        return [];
    }
  });
  return await emitChecks(ctx, uniqueNames(checks), [...secrets.notes, ...new Set(notes)]);
}

/** The error a finished wait ends with, or `undefined` when it succeeded. */
function failureOf(plan: WaitPlan, result: WaitResult): Error | undefined {
  if (result.fatal) return result.fatal;
  if (result.ready) return undefined;
  const waiting = result.targets.filter((s) => !s.ready);
  const what = plan.reverse ? "still ready" : "not ready";
  const list = waiting.map((s) =>
    `${formatTargetName(s.target)} (${s.last}, ${s.attempts} attempt${s.attempts === 1 ? "" : "s"})`
  );
  const count = plan.any
    ? `none of ${result.targets.length} targets is ready`
    : `${waiting.length} of ${result.targets.length} target${
      result.targets.length === 1 ? "" : "s"
    } ${what}`;
  return new TimeoutError(`Timed out after ${formatDuration(plan.timeoutMs)}`, {
    why: `${count}: ${list.join("; ")}`,
    kind: "deadline",
  });
}

function report(ctx: Context, event: WaitEvent): void {
  const logger = log("wait");
  if (event.event === "ready") {
    logger.info`ready: ${event.target} after ${event.attempts} attempt${
      event.attempts === 1 ? "" : "s"
    }, ${formatMs(event.elapsed_ms)}`;
    if (ctx.json) void ctx.out.event(event);
  } else {
    logger.debug`attempt ${event.attempt} at ${event.target}: ${
      event.ok ? "ok" : "not yet"
    }: ${event.reason}`;
    if (ctx.json && ctx.args.flag("verbose")) void ctx.out.event(event);
  }
}

/** Turns SIGINT and SIGTERM into an abort of `controller`, until disposed. */
function abortOnSignals(controller: AbortController): Disposable {
  return onSignals(["SIGINT", "SIGTERM"], (signal) => {
    if (!controller.signal.aborted) {
      controller.abort(new InterruptedError(`Interrupted by ${signal}`, { signal }));
    }
  });
}

/**
 * The signals a shell, a terminal or a container runtime sends to stop or poke a process, which
 * sockit passes on to COMMAND as an init process (tini, dumb-init) does.
 */
const FORWARDED_SIGNALS = ["SIGHUP", "SIGINT", "SIGTERM", "SIGQUIT", "SIGUSR1", "SIGUSR2"] as const;

function onSignals<S extends Deno.Signal>(
  wanted: readonly S[],
  handler: (signal: S) => void,
): Disposable {
  // Windows has SIGINT (Ctrl-C) and SIGBREAK only.
  const signals = Deno.build.os === "windows" ? wanted.filter((s) => s === "SIGINT") : wanted;
  const installed = signals.map((signal) => {
    const listener = () => handler(signal);
    Deno.addSignalListener(signal, listener);
    return [signal, listener] as const;
  });
  return {
    [Symbol.dispose]() {
      for (const [signal, listener] of installed) Deno.removeSignalListener(signal, listener);
    },
  };
}

/** How COMMAND ended. */
interface ChildOutcome {
  /** Its exit code, or 128 + N when signal N ended it: sockit's own exit code. */
  code: number;
  /** The signal that ended it, or `null` when it exited. */
  signal: Deno.Signal | null;
}

/**
 * Runs COMMAND with sockit's streams, passes on every signal of
 * {@linkcode FORWARDED_SIGNALS} while it runs (so sockit neither dies of them nor leaves it
 * orphaned), and returns how it ended.
 */
async function runChild(command: string[]): Promise<ChildOutcome> {
  const [program, ...args] = command as [string, ...string[]];
  let child: Deno.ChildProcess | undefined;
  // Listening before the spawn: a signal that comes as COMMAND starts is passed on, never met
  // with its default action (which would end sockit and orphan COMMAND).
  using _forward = onSignals(FORWARDED_SIGNALS, (signal) => {
    try {
      child?.kill(signal);
    } catch {
      // It has exited already.
    }
  });
  try {
    child = new Deno.Command(program, {
      args,
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "command not found"
      : error instanceof Deno.errors.PermissionDenied
      ? "permission denied (is it executable?)"
      : (error as Error).message;
    throw new UsageError(`Cannot run "${program}": ${why}`);
  }
  const status = await child.status;
  return { code: status.code, signal: status.signal };
}

/** One live line per target on a terminal, redrawn in place and cleared when done. */
class StatusBoard implements Disposable {
  readonly #io: Io;
  readonly #lines: Map<string, string>;
  readonly #width: number;
  #drawn = 0;
  #last = 0;
  #writing: Promise<void> = Promise.resolve();

  constructor(io: Io, targets: Target[]) {
    this.#io = io;
    this.#lines = new Map(targets.map((t) => [t.text, `${formatTargetName(t)}: waiting`]));
    let columns = 80;
    try {
      columns = Deno.consoleSize().columns;
    } catch {
      // not a terminal after all: 80 columns
    }
    this.#width = Math.max(20, columns - 1);
    this.#draw();
  }

  update(event: WaitEvent): void {
    const name = formatTargetName(parseTarget(event.target));
    this.#lines.set(
      event.target,
      event.event === "ready"
        ? `${name}: ready after ${plural(event.attempts, "attempt")}`
        : `${name}: ${event.ok ? "ok" : "not yet"} (${event.reason}), ${
          plural(event.attempt, "attempt")
        }`,
    );
    if (event.event === "ready" || performance.now() - this.#last >= 100) this.#draw();
  }

  #write(text: string): void {
    const bytes = new TextEncoder().encode(text);
    this.#writing = this.#writing.then(() => writeAll(this.#io.stderr, bytes)).catch(() => {});
  }

  #draw(): void {
    this.#last = performance.now();
    let text = this.#drawn > 0 ? `\x1b[${this.#drawn}F` : "";
    for (const line of this.#lines.values()) text += `\x1b[2K${line.slice(0, this.#width)}\n`;
    this.#drawn = this.#lines.size;
    this.#write(text);
  }

  /** Settles once everything drawn so far is on the terminal. */
  flush(): Promise<void> {
    return this.#writing;
  }

  [Symbol.dispose](): void {
    if (this.#drawn === 0) return;
    // Back to the board's first line, and clear from there to the end of the screen.
    this.#write(`\x1b[${this.#drawn}F\x1b[0J`);
    this.#drawn = 0;
  }
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
