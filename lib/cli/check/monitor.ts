/**
 * `sockit check --every`: the spec's checks on a schedule until SIGINT or SIGTERM, a line when a
 * check changes state (`--json`: a JSON line per result), SIGHUP to re-read the spec files, and
 * with `--listen` the endpoints of `lib/monitor/routes.ts` on `lib/http/server.ts`.
 *
 * @module
 */
import { Redactor } from "../../check/redact.ts";
import { jsonResult, showMs } from "../../check/report.ts";
import type { CheckResult } from "../../check/runner.ts";
import { emptySelection, selectChecks } from "../../check/select.ts";
import type { CheckDef, CheckSpec, SpecError } from "../../check/spec.ts";
import { serveHttp } from "../../http/server.ts";
import type { HttpServer } from "../../http/server.ts";
import { Monitor } from "../../monitor/scheduler.ts";
import { measuringCheck } from "../../monitor/blackbox.ts";
import { MonitorMetrics } from "../../monitor/metrics.ts";
import { monitorRoutes } from "../../monitor/routes.ts";
import { checkKey } from "../../monitor/snapshot.ts";
import type { CheckState, RunRecord } from "../../monitor/snapshot.ts";
import { formatDuration } from "../../net/deadline.ts";
import { formatHostPort } from "../../net/addr.ts";
import { quote } from "../../text/quote.ts";
import type { Context } from "../command.ts";
import { ExitCode } from "../exit_codes.ts";
import { log } from "../log.ts";
import { onSignals } from "../signals.ts";
import { buildInfo } from "../version.ts";
import { loadSpecs } from "./plan.ts";
import { MonitorPusher } from "./push.ts";
import type { CheckPlan } from "./plan.ts";

/** Runs the selected checks of `specs` as a monitor until SIGINT or SIGTERM; exit 0. */
export async function monitorSpecs(
  ctx: Context,
  plan: CheckPlan,
  specs: CheckSpec[],
  redactor: Redactor,
): Promise<number> {
  const monitorPlan = plan.monitor!;
  const info = buildInfo();
  const { vantage } = plan;
  const metrics = new MonitorMetrics({
    build: { version: info.version, commit: info.commit },
    constLabels: { vantage },
  });
  let current = { specs, redactor };
  // Every JSON line says where it comes from, as the reports do: lines of many monitors merge.
  const event: EventPrinter = (fields) => {
    const { event, ...rest } = fields;
    return ctx.out.event({ event, vantage, ...rest });
  };
  const printer = new ChangePrinter(ctx, event);
  const monitor = new Monitor({
    checks: selected(specs, plan),
    everyMs: monitorPlan.everyMs,
    jobs: plan.jobs,
    redactor,
    trace: ctx.trace,
    onResult: (state, result, previous) => {
      metrics.record(state, result);
      printer.result(state, result, previous);
    },
    onOverrun: (state) => {
      metrics.overrun(state);
      log("check")
        .warn`${state.check.name}: still running when its next turn came (every ${
        formatDuration(state.everyMs)
      }): turn not started`;
    },
  });
  let server: HttpServer | undefined;
  if (monitorPlan.listen) {
    server = serveHttp({
      hostname: monitorPlan.listen.hostname,
      port: monitorPlan.listen.port,
      handler: monitorRoutes({
        snapshot: () => ({ ...monitor.snapshot(), vantage }),
        metrics,
        specs: () => current.specs,
        redactor: () => current.redactor.active ? current.redactor : undefined,
        anyTarget: monitorPlan.anyTarget,
        trace: ctx.trace,
      }),
      onEvent: (event) => {
        if (event.event === "error") {
          log("check").warn`${event.method} ${event.target}: ${event.error}`;
        } else if (event.event === "request") {
          log("check")
            .debug`${event.peer} ${event.method} ${event.target} ${event.status} (${event.duration_ms} ms)`;
        }
      },
    });
  }
  // Signal handlers go in before "listening" is announced: a script may signal right after it.
  const stopped = new Promise<string>((resolve) => {
    const listening = onSignals(["SIGINT", "SIGTERM"], (signal) => {
      listening[Symbol.dispose]();
      resolve(`received ${signal}`);
    });
  });
  let reloading = Promise.resolve();
  using _reload = onSignals(["SIGHUP"], () => {
    reloading = reloading.then(async () => {
      const next = await reload(ctx, plan, event);
      if (typeof next === "string") {
        monitor.reloadFailed(next);
        return;
      }
      const before = new Set(current.specs.flatMap((s) => s.checks.map(checkKey)));
      const checks = selected(next.specs, plan);
      const kept = new Set(checks.map(checkKey));
      for (const spec of current.specs) {
        for (const check of spec.checks) if (!kept.has(checkKey(check))) metrics.remove(check);
      }
      current = next;
      monitor.replace(checks, { redactor: next.redactor });
      const added = checks.filter((c) => !before.has(checkKey(c))).length;
      log("check").info`reloaded ${plan.files.join(", ")}: ${checks.length} checks (${added} new)`;
      if (ctx.json) {
        await event({ event: "reload", ok: true, checks: checks.length, added });
      }
    }).catch((error) => {
      log("check").error`reload failed: ${error instanceof Error ? error.message : error}`;
    });
  });
  const pusher = plan.push &&
    new MonitorPusher(ctx, plan.push, {
      vantage,
      everyMs: monitorPlan.everyMs,
      render: () => metrics.render("text"),
      onPush: async (result) => {
        if (!ctx.json) return;
        const { ok, url, status, attempts, error } = result;
        await event({
          event: "push",
          ok,
          url,
          status: status ?? null,
          attempts,
          error: error ?? null,
        });
      },
    });
  await announce(ctx, plan, server, selected(specs, plan).length, event);
  monitor.start();
  pusher?.start();
  const reason = await stopped;
  log("check").info`${reason}: stopping; checks in flight have ${
    formatDuration(monitorPlan.graceMs)
  } to end`;
  await Promise.all([monitor.stop(monitorPlan.graceMs), server?.shutdown(monitorPlan.graceMs)]);
  await reloading;
  // The final state, pushed once the checks in flight have ended.
  const pushed = await pusher?.stop(monitorPlan.graceMs);
  if (ctx.json) {
    const snapshot = monitor.snapshot();
    const runs = snapshot.checks.reduce(
      (sum, c) => sum + c.runs.success + c.runs.failure + c.runs.error,
      0,
    );
    await event({ event: "stopped", reason, runs });
  }
  return pushed && !pushed.ok ? ExitCode.PushFailed : ExitCode.Ok;
}

/**
 * The checks the filters select, each measuring what the metrics show (the HTTP phases, the
 * certificate chain's expiry, the IP version).
 */
function selected(specs: CheckSpec[], plan: CheckPlan): CheckDef[] {
  return selectChecks(specs, plan).filter((p) => p.skip === undefined).map((p) =>
    measuringCheck(p.check)
  );
}

/**
 * Reads the spec files again for SIGHUP: the new specs and their secrets, or the problems'
 * text when they do not hold (the monitor keeps the specs it has).
 */
async function reload(
  ctx: Context,
  plan: CheckPlan,
  event: EventPrinter,
): Promise<{ specs: CheckSpec[]; redactor: Redactor } | string> {
  if (plan.files.some((f) => f === "-" || f === "/dev/stdin")) {
    return await refused(ctx, event, ["a spec read from stdin cannot be read again"]);
  }
  let loaded: Awaited<ReturnType<typeof loadSpecs>>;
  try {
    loaded = await loadSpecs(ctx, plan);
  } catch (error) {
    // A file that went away, or cannot be read: said as any other problem.
    return await refused(ctx, event, [error instanceof Error ? error.message : String(error)]);
  }
  const { specs, errors } = loaded;
  const lines = (list: SpecError[]) =>
    list.flatMap((e) => e.problems.map((p) => `${e.file}:${p.line}:${p.col}: ${p.message}`));
  if (errors.length > 0) return await refused(ctx, event, lines(errors));
  if (selected(specs, plan).length === 0) {
    return await refused(ctx, event, lines(emptySelection(specs, plan)));
  }
  const redactor = new Redactor(specs.flatMap((s) => s.secrets));
  return { specs, redactor };
}

/** Reports a reload that was not taken; returns its first problem. */
async function refused(ctx: Context, event: EventPrinter, problems: string[]): Promise<string> {
  for (const problem of problems.slice(0, 50)) await ctx.out.error(problem);
  const n = problems.length;
  await ctx.out.error(
    `Cannot reload the spec: ${n} problem${n === 1 ? "" : "s"}; the running checks go on`,
  );
  if (ctx.json) {
    await event({ event: "reload", ok: false, error: problems[0], problems });
  }
  return problems[0]!;
}

/** Prints a `--json` line of the monitor's: its `event`, the vantage point, then the fields. */
type EventPrinter = (fields: Record<string, unknown> & { event: string }) => Promise<void>;

/** Says where the endpoints are, or that there are none. */
async function announce(
  ctx: Context,
  checkPlan: CheckPlan,
  server: HttpServer | undefined,
  checks: number,
  event: EventPrinter,
): Promise<void> {
  const plan = checkPlan.monitor!;
  const every = formatDuration(plan.everyMs);
  const from = quote(checkPlan.vantage);
  if (!server) {
    log("check").info`monitoring ${checks} checks every ${every} from ${from}`;
    if (ctx.json) await event({ event: "monitoring", checks, every_ms: plan.everyMs });
    return;
  }
  const { hostname, port } = server.addr;
  const url = `http://${formatHostPort(hostname, port)}`;
  if (plan.listen?.everyInterface) {
    log("check").warn`listening on every interface (${
      formatHostPort(hostname, port)
    }): /probe and the status page are open to the network`;
  }
  log("check")
    .info`monitoring ${checks} checks every ${every} from ${from}; metrics at ${url}/metrics`;
  if (ctx.json) {
    await event({
      event: "listening",
      address: hostname,
      port,
      url,
      checks,
      every_ms: plan.everyMs,
    });
  } else if (!ctx.quiet) {
    await ctx.out.line(`listening on ${formatHostPort(hostname, port)}`).catch(() => {
      ctx.out.droppedEvents++;
    });
  }
}

/** The lines a person reads: one when a check changes state; `--json`: one per result. */
class ChangePrinter {
  readonly #ctx: Context;
  readonly #event: EventPrinter;

  constructor(ctx: Context, event: EventPrinter) {
    this.#ctx = ctx;
    this.#event = event;
  }

  result(state: CheckState, result: CheckResult, previous: RunRecord["status"] | undefined): void {
    const ctx = this.#ctx;
    const status = result.status;
    if (ctx.json) {
      this.#event({
        event: "result",
        at: result.startedAt.toISOString(),
        ...jsonResult(result),
        previous: previous ?? null,
        changed: previous !== status,
      });
      return;
    }
    if (previous === status || ctx.quiet && status === "passed") return;
    const word = status === "passed" ? "ok  " : "FAIL";
    const why = status === "error" ? `could not run: ${result.message}` : result.message;
    const was = previous === undefined ? "" : ` (was ${previous === "passed" ? "ok" : "failing"})`;
    const line = `${result.startedAt.toISOString()}  ${word}  ${state.check.name}  ${why} in ${
      showMs(result.durationMs)
    }${was}`;
    ctx.out.line(line).catch(() => {
      ctx.out.droppedEvents++;
    });
  }
}
