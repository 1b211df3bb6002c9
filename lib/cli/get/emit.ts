/**
 * `sockit get --emit-check`: the `sockit check` entries that do what the command line would.
 *
 * @module
 */
import { formatDuration } from "../../net/deadline.ts";
import type { Context } from "../command.ts";
import type { GetPlan } from "./plan.ts";

/** `--emit-check`: a check per URL, doing what this command line would. */
export async function emitGetChecks(ctx: Context, plan: GetPlan): Promise<number> {
  const { emitChecks, httpCheckFrom, notCarriedOver, uniqueNames } = await import(
    "../emit_check.ts"
  );
  const { EmittedSecrets, specLiteral } = await import("../../check/emit.ts");
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
  if (!args.flag("fail") && !args.given("expect-status")) {
    notes.push("get accepts any status unless asked; a check expects 2xx (set expect.status)");
  }
  const secrets = new EmittedSecrets();
  const checks = plan.urls.map((url) => {
    const { check, notes: more } = httpCheckFrom(args, url, {
      method: plan.method,
      maxRedirects: args.given("max-redirs") ? plan.maxRedirects : undefined,
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
