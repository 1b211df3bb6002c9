/**
 * `sockit resolve NAME...` without a server: each name through the system resolver, one after
 * another, its addresses printed.
 *
 * @module
 */
import type { SystemAddress } from "../../dns/system.ts";
import type { Context } from "../command.ts";
import { describeError, outcomeTail, writeJsonResult } from "../result.ts";
import {
  checkExpect,
  expectJson,
  FirstFailure,
  idnJson,
  lookup,
  quoted,
  rethrowIfFatal,
} from "./common.ts";
import type { Plan } from "./plan.ts";

/** System mode: every name through getaddrinfo, printed in the order given. */
export async function runSystem(ctx: Context, p: Plan): Promise<number> {
  const failures = new FirstFailure();
  for (const { n } of p.asks) {
    let found: SystemAddress[] = [];
    let failure: unknown;
    try {
      found = await lookup(ctx, p, n);
    } catch (error) {
      rethrowIfFatal(ctx, error);
      failure = error;
    }
    const expectation = checkExpect(
      p.expect,
      quoted(n.ascii, n),
      found.map((a) => a.address),
    );
    failure ??= expectation?.error;
    if (ctx.json) {
      // Each name's object carries its outcome: a later stop (Ctrl-C) adds no object of its own.
      await writeJsonResult(ctx, {
        name: n.ascii,
        ...idnJson(n.unicode),
        addresses: found,
        ...expectJson(expectation),
      }, outcomeTail(failure));
    } else if (!ctx.quiet) {
      const label = n.unicode === undefined ? n.ascii : `${n.ascii} (${n.unicode})`;
      for (const a of found) {
        if (ctx.args.flag("short")) await ctx.out.line(a.address);
        else {
          await ctx.out.line(
            `${p.asks.length > 1 ? `${label}\t` : ""}${a.address}\tIPv${a.family}`,
          );
        }
      }
    }
    if (failure !== undefined) {
      await ctx.out.error(describeError(failure));
      failures.note(failure);
    }
  }
  return failures.code;
}
