/**
 * `sockit get`'s verdict on one URL: the checks (--fail, --expect-*), the error or the failures
 * on stderr, --timing and the --json line, and the exit code.
 *
 * @module
 */
import { checkResponse, MAX_CHECKED_BODY, needsBody } from "../../http/expect.ts";
import type { ExpectationFailure } from "../../http/expect.ts";
import type { HttpUrl } from "../../http/url.ts";
import { concatBytes } from "../../net/bytes.ts";
import { InterruptedError } from "../../net/errors.ts";
import { UsageError } from "../args.ts";
import { describeError, writeJsonResult } from "../result.ts";
import type { Context } from "../command.ts";
import { ExitCode, exitCodeFor } from "../exit_codes.ts";
import { log } from "../log.ts";
import { formatMs, StdoutClosedError } from "../output.ts";
import { HINTS } from "./plan.ts";
import type { GetPlan } from "./plan.ts";
import type { Outcome } from "./retry.ts";
import { drawTiming, headersObject, timingJson } from "./show.ts";

/**
 * Reports one URL's outcome: the error or the failed checks on stderr, the --timing waterfall,
 * the --json line; returns its exit code. An error that ends the whole command is thrown.
 * Only the `last` URL's line ends the command's result: a stop before it (Ctrl-C, a usage
 * error) still gets its own error object.
 */
export async function reportOutcome(
  ctx: Context,
  plan: GetPlan,
  url: HttpUrl,
  outcome: Outcome,
  last: boolean,
): Promise<number> {
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
    await writeJsonResult(last ? ctx : { out: ctx.out, jsonPrinted: false }, {
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
    }, { error: message ?? null, exit_code: code });
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
