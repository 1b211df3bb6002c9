/**
 * `sockit check --push URL`: the run's metrics sent to a Prometheus Pushgateway, grouped by job
 * and vantage point, and what became of it said on stderr; a monitor's (`--every`) pushed once
 * per interval and once more as it stops.
 *
 * @module
 */
import { pushMetrics, pushUrl } from "../../monitor/push.ts";
import type { PushResult } from "../../monitor/push.ts";
import type { RetrySchedule } from "../../net/retry.ts";
import { sleep } from "../../net/timer.ts";
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
}

/**
 * Pushes `body` (an exposition) to the plan's gateway under `job` and `vantage`; a failure is an
 * error line on stderr (the caller decides the exit code), a retry a warning. Interrupted, it
 * gives a failed result and leaves the interruption to the caller.
 */
export async function pushRun(
  ctx: Context,
  plan: PushPlan,
  vantage: string,
  body: string,
  options: PushRunOptions = {},
): Promise<PushResult> {
  const groupingKey = { vantage };
  const signal = options.signal ?? ctx.signal;
  try {
    const result = await pushMetrics(plan.gateway, {
      job: plan.job,
      groupingKey,
      body,
      caCerts: plan.caCerts,
      signal,
      retry: options.retry,
      timeoutMs: options.timeoutMs,
      userAgent: PRODUCT,
      onRetry: (attempt, why, pauseMs) => {
        log("check").warn`push attempt ${attempt} failed: ${why}; trying again in ${
          formatDuration(pauseMs)
        }`;
      },
    });
    if (result.ok) {
      log("check").debug`pushed the metrics to ${result.url}: ${result.status}`;
    } else if (options.warnOnly) {
      log("check").warn`Cannot push the metrics to ${result.url}: ${result.error}`;
    } else {
      await ctx.out.error(`Cannot push the metrics to ${result.url}: ${result.error}`);
    }
    return result;
  } catch (error) {
    if (!signal.aborted) throw error;
    return {
      ok: false,
      url: pushUrl(plan.gateway, plan.job, groupingKey).href,
      status: undefined,
      attempts: 0,
      error: "interrupted",
    };
  }
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
          retry: { attempts: 3, firstPauseMs: 1000, maxElapsedMs: this.#everyMs / 2 },
          timeoutMs: Math.min(10_000, this.#everyMs),
          warnOnly: true,
        });
        if (signal.aborted) return;
        await this.#onPush(result);
      }
    })();
  }

  /**
   * Stops the pushes every interval (one in flight is abandoned) and pushes the final state:
   * one attempt of at most `graceMs`. Its result decides the monitor's exit code.
   */
  async stop(graceMs: number): Promise<PushResult> {
    this.#stop.abort();
    await this.#loop;
    const final = new AbortController();
    const result = await pushRun(this.#ctx, this.#plan, this.#vantage, this.#render(), {
      signal: final.signal,
      retry: { attempts: 1, firstPauseMs: 0 },
      timeoutMs: Math.max(1000, graceMs),
    });
    await this.#onPush(result);
    return result;
  }
}
