/**
 * `sockit wait --emit-check`: the `sockit check` entries that wait for the same targets.
 *
 * @module
 */
import { typeName } from "../../dns/wire.ts";
import { formatHostPort } from "../../net/addr.ts";
import { formatDuration } from "../../net/deadline.ts";
import { formatTargetName } from "../../probe/target.ts";
import type { Context } from "../command.ts";
import type { WaitPlan } from "./plan.ts";

/**
 * `--emit-check`: a check per target. A wait tries until its --timeout; the check tries
 * timeout / interval times, --interval apart (each attempt bounded by --attempt-timeout). Past
 * a check's {@linkcode MAX_ATTEMPTS}, the attempts are spread out to cover the same time, and a
 * note says so.
 */
export async function emitWaitChecks(
  ctx: Context,
  plan: WaitPlan,
  command: string[],
): Promise<number> {
  const { emitChecks, httpCheckFrom, notCarriedOver, uniqueNames } = await import(
    "../emit_check.ts"
  );
  const { EmittedSecrets } = await import("../../check/emit.ts");
  const { MAX_ATTEMPTS } = await import("../../check/spec.ts");
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
