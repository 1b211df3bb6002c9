/**
 * `sockit check --push URL`: the run's metrics sent to a Prometheus Pushgateway, grouped by job
 * and vantage point, and what became of it said on stderr.
 *
 * @module
 */
import { pushMetrics, pushUrl } from "../../monitor/push.ts";
import type { PushResult } from "../../monitor/push.ts";
import { formatDuration } from "../../net/deadline.ts";
import type { Context } from "../command.ts";
import { log } from "../log.ts";
import { PRODUCT } from "../version.ts";
import type { PushPlan } from "./plan.ts";

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
): Promise<PushResult> {
  const groupingKey = { vantage };
  try {
    const result = await pushMetrics(plan.gateway, {
      job: plan.job,
      groupingKey,
      body,
      caCerts: plan.caCerts,
      signal: ctx.signal,
      userAgent: PRODUCT,
      onRetry: (attempt, why, pauseMs) => {
        log("check").warn`push attempt ${attempt} failed: ${why}; trying again in ${
          formatDuration(pauseMs)
        }`;
      },
    });
    if (result.ok) {
      log("check").debug`pushed the metrics to ${result.url}: ${result.status}`;
    } else {
      await ctx.out.error(`Cannot push the metrics to ${result.url}: ${result.error}`);
    }
    return result;
  } catch (error) {
    if (!ctx.signal.aborted) throw error;
    return {
      ok: false,
      url: pushUrl(plan.gateway, plan.job, groupingKey).href,
      status: undefined,
      attempts: 0,
      error: "interrupted",
    };
  }
}
