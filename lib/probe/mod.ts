/**
 * Readiness probes: targets written the way people write them (`host:port`, `http(s)://...`,
 * `unix:/path`, `dns:name`, `echo://host:port`, `file:/path`), one attempt at one of them, and a
 * wait for all of them at once on the shared schedule. `cert.ts` (a certificate's expiry through
 * `node:tls`) is left out here: loaded on first use, it costs nothing to those that never ask.
 *
 * @example Wait until a port accepts
 * ```ts
 * import { parseTarget, probe, waitFor } from "./mod.ts";
 * import assert from "node:assert/strict";
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const accepting = listener.accept().then((conn) => conn.close());
 * const target = parseTarget(`127.0.0.1:${listener.addr.port}`);
 * const result = await waitFor([target], { timeoutMs: 2000, probe });
 * assert.equal(result.ready, true);
 * await accepting;
 * ```
 *
 * @module
 */
export { probe } from "./probe.ts";
export type { ProbeOptions } from "./probe.ts";
export type { AttemptOptions, ProbeFacts, ProbeFailure, ProbeResult } from "./result.ts";
export { MAX_STREAM_EXPECT_BYTES } from "./stream.ts";
export type { EchoProbeOptions, StreamProbeOptions } from "./stream.ts";
export type { HttpProbeOptions } from "./http.ts";
export { DNS_ANSWER_WAIT_MS } from "./dns.ts";
export type { DnsProbeOptions } from "./dns.ts";
export { formatTargetName, parseTarget, TARGET_KINDS } from "./target.ts";
export type { Target, TargetKind } from "./target.ts";
export { FIRST_PAUSE_MS, PAUSE_FACTOR, waitFor } from "./wait.ts";
export type { TargetStatus, WaitEvent, WaitOptions, WaitResult } from "./wait.ts";
