/**
 * `sockit wait`'s plan: the targets, the schedule and the probe options, read from the parsed
 * arguments once, before anything is probed.
 *
 * @module
 */
import { parseDnsServer } from "../../dns/outcome.ts";
import { parseRecordType } from "../../dns/wire.ts";
import { isIpLiteral } from "../../net/addr.ts";
import type { ProbeOptions } from "../../probe/probe.ts";
import { parseTarget } from "../../probe/target.ts";
import type { Target } from "../../probe/target.ts";
import { asUsage, UsageError } from "../args.ts";
import type { ParsedArgs } from "../args.ts";
import type { Context } from "../command.ts";
import { parsedOption, parseExpectations, parseRequestOptions } from "../http_options.ts";
import { describePathError } from "../paths.ts";

/** What one `sockit wait` does: its targets, its schedule and how each target is probed. */
export interface WaitPlan {
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

/** Reads the plan from the command line; `command` is what came after `--`. */
export async function planFrom(ctx: Context, command: string[]): Promise<WaitPlan> {
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
    targets.push(asUsage(() => parseTarget(text)));
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
  const type = typeText === undefined ? undefined : asUsage(() => parseRecordType(typeText));
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
