/**
 * `sockit get`'s attempts at one URL: the fetch with its callbacks (verbose heads, -i, the
 * progress bar, the body kept for checks), and the retry loop with its waits and warnings.
 *
 * @module
 */
import { fetchUrl } from "../../http/fetch.ts";
import type { FetchResult } from "../../http/fetch.ts";
import { MAX_CHECKED_BODY, needsBody } from "../../http/expect.ts";
import type { HttpClient } from "../../http/pool.ts";
import { latin1 } from "../../http/response.ts";
import { isRetryableError, isRetryableStatus, retryWait } from "../../http/retry.ts";
import type { RetryWait } from "../../http/retry.ts";
import type { HttpUrl } from "../../http/url.ts";
import { formatDuration, withDeadline } from "../../net/deadline.ts";
import { sleep } from "../../net/timer.ts";
import { describeError } from "../result.ts";
import type { Context } from "../command.ts";
import type { OutputTarget } from "../paths.ts";
import { maskHeadText } from "../secrets.ts";
import { fieldsFor, HINTS } from "./plan.ts";
import type { GetPlan } from "./plan.ts";
import { formatHead, Progress, showHead } from "./show.ts";
import { openSink } from "./sinks.ts";

/** The outcome of one URL, for output and checks. */
export interface Outcome {
  result: FetchResult | undefined;
  attempts: number;
  error: unknown;
  body: Uint8Array[];
  bodyBytes: number;
}

/**
 * Fetches one URL into its output, attempt after attempt as --retry allows: each attempt starts
 * the output over, and only a whole response is kept (`-o`'s file renamed into place). An error
 * is not thrown but kept in the outcome, for the report.
 */
export async function fetchWithRetries(
  ctx: Context,
  client: HttpClient,
  plan: GetPlan,
  url: HttpUrl,
  output: OutputTarget | undefined,
  keepAlive: (origin: string) => boolean,
): Promise<Outcome> {
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
  return outcome;
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
