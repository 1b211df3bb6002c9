/**
 * `sockit check --push URL`: the run's metrics sent to a Prometheus Pushgateway, grouped by job
 * and vantage point, and what became of it said on stderr; a monitor's (`--every`) pushed once
 * per interval and once more as it stops.
 *
 * @module
 */
import { PUSH_RETRY, PUSH_TIMEOUT_MS, pushMetrics, pushUrl } from "../../monitor/push.ts";
import type { PushResult } from "../../monitor/push.ts";
import type { RetrySchedule } from "../../net/retry.ts";
import { TimeoutError } from "../../net/errors.ts";
import { sleep, startTimer } from "../../net/timer.ts";
import { formatDuration } from "../../net/deadline.ts";
import type { Context } from "../command.ts";
import { log } from "../log.ts";
import { PRODUCT } from "../version.ts";
import type { PushPlan } from "./plan.ts";

/** How {@linkcode pushRun} pushes, when not as a one-shot run does. */
interface PushRunOptions {
  /** Ends the push. @default {ctx.signal} */
  signal?: AbortSignal | undefined;
  /** The retry schedule. @default {PUSH_RETRY} */
  retry?: RetrySchedule | undefined;
  /** Each attempt's limit, in milliseconds. @default {PUSH_TIMEOUT_MS} */
  timeoutMs?: number | undefined;
  /** A failure is a warning (a monitor goes on), not an error line. */
  warnOnly?: boolean | undefined;
  /**
   * The whole push's limit (every attempt and pause), in milliseconds, and why the push failed
   * when it passes (`not finished within the run's --timeout of 2s`): the attempt in flight
   * ends, and the push fails with that. None when left out.
   */
  deadline?: { ms: number; why: string } | undefined;
}

/**
 * Pushes `body` (an exposition) to the plan's gateway under `job` and `vantage`; a failure
 * (running out of its `deadline` included) is an error line on stderr (the caller decides the
 * exit code), a retry a warning. Interrupted, it gives a failed result, the attempt in flight
 * counted, and leaves the interruption to the caller.
 */
export async function pushRun(
  ctx: Context,
  plan: PushPlan,
  vantage: string,
  body: string,
  options: PushRunOptions = {},
): Promise<PushResult> {
  const groupingKey = { vantage };
  const interrupt = options.signal ?? ctx.signal;
  const { deadline } = options;
  const limit = new AbortController();
  using _limit = deadline &&
    startTimer(() => limit.abort(new TimeoutError(deadline.why)), deadline.ms);
  if (deadline && deadline.ms <= 0) limit.abort(new TimeoutError(deadline.why));
  const signal = AbortSignal.any([interrupt, limit.signal]);
  let attempts = 0;
  let result: PushResult;
  try {
    result = await pushMetrics(plan.gateway, {
      job: plan.job,
      groupingKey,
      body,
      caCerts: plan.caCerts,
      signal,
      retry: options.retry,
      timeoutMs: options.timeoutMs,
      userAgent: PRODUCT,
      onAttempt: (attempt) => attempts = attempt,
      onRetry: (attempt, why, pauseMs) => {
        log("check").warn`push attempt ${attempt} failed: ${why}; trying again in ${
          formatDuration(pauseMs)
        }`;
      },
    });
  } catch (error) {
    if (!signal.aborted) throw error;
    const url = pushUrl(plan.gateway, plan.job, groupingKey).href;
    // Interrupted: the caller ends the run, and says why.
    if (interrupt.aborted) {
      return { ok: false, url, status: undefined, attempts, error: "interrupted" };
    }
    result = { ok: false, url, status: undefined, attempts, error: deadline!.why };
  }
  if (result.ok) {
    log("check").debug`pushed the metrics to ${result.url}: ${result.status}`;
  } else if (options.warnOnly) {
    log("check").warn`Cannot push the metrics to ${result.url}: ${result.error}`;
  } else {
    await ctx.out.error(`Cannot push the metrics to ${result.url}: ${result.error}`);
  }
  return result;
}

/**
 * A monitor's pushes: the latest metrics once per interval (so at most once per interval,
 * whatever the checks' own `every:`), retried within the interval; then, as the monitor stops,
 * once more with its final state, in one attempt bounded by the grace period.
 */
export class MonitorPusher {
  readonly #ctx: Context;
  readonly #plan: PushPlan;
  readonly #vantage: string;
  readonly #everyMs: number;
  readonly #render: () => string;
  readonly #onPush: (result: PushResult) => Promise<void>;
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;

  /**
   * @param render The exposition of the moment.
   * @param onPush Told of each push's result (a JSON line under `--json`).
   */
  constructor(
    ctx: Context,
    plan: PushPlan,
    options: {
      vantage: string;
      everyMs: number;
      render: () => string;
      onPush: (result: PushResult) => Promise<void>;
    },
  ) {
    this.#ctx = ctx;
    this.#plan = plan;
    this.#vantage = options.vantage;
    this.#everyMs = options.everyMs;
    this.#render = options.render;
    this.#onPush = options.onPush;
  }

  /** Starts pushing once per interval, the first after one interval. */
  start(): void {
    this.#loop ??= (async () => {
      const signal = this.#stop.signal;
      while (true) {
        await sleep(this.#everyMs, signal);
        if (signal.aborted) return;
        const result = await pushRun(this.#ctx, this.#plan, this.#vantage, this.#render(), {
          signal,
          // Retries that would run into the next push are not worth it: that one is newer.
          retry: { ...PUSH_RETRY, maxElapsedMs: this.#everyMs / 2 },
          timeoutMs: Math.min(PUSH_TIMEOUT_MS, this.#everyMs),
          warnOnly: true,
        });
        if (signal.aborted) return;
        await this.#onPush(result);
      }
    })();
  }

  /**
   * Stops the pushes every interval (one in flight is abandoned) and pushes the final state:
   * one attempt of at most `graceMs` (and of at most the push's own limit). Its result decides
   * the monitor's exit code.
   */
  async stop(graceMs: number): Promise<PushResult> {
    this.#stop.abort();
    await this.#loop;
    // The monitor is stopping already: a second signal does not end the last push, --grace does.
    const final = new AbortController();
    const result = await pushRun(this.#ctx, this.#plan, this.#vantage, this.#render(), {
      signal: final.signal,
      retry: { ...PUSH_RETRY, attempts: 1 },
      deadline: { ms: graceMs, why: `not finished within --grace of ${formatDuration(graceMs)}` },
    });
    await this.#onPush(result);
    return result;
  }
}
