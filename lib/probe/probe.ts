/**
 * One attempt at a target: is it ready right now? Each attempt has its own deadline and
 * reports either "ready" or why not; failures that no retry can fix (a certificate that does not
 * verify) are marked fatal so that a waiter stops at once.
 *
 * This module picks the kind's probe: `stream.ts` (tcp, unix, echo), `http.ts` (with the
 * certificate expectation), `dns.ts`, `file.ts`; the outcome and its helpers are in `result.ts`.
 *
 * @module
 */
import { probeDns } from "./dns.ts";
import type { DnsProbeOptions } from "./dns.ts";
import { probeFile } from "./file.ts";
import { probeHttp } from "./http.ts";
import type { HttpProbeOptions } from "./http.ts";
import { notReady } from "./result.ts";
import type { AttemptOptions, ProbeResult } from "./result.ts";
import { probeConnect, probeEcho } from "./stream.ts";
import type { EchoProbeOptions, StreamProbeOptions } from "./stream.ts";
import type { Target } from "./target.ts";

/** Options for {@linkcode probe}: the attempt's own, and how each kind of target is asked. */
export interface ProbeOptions extends AttemptOptions {
  /** `file:` targets: ready only when the file is not empty. @default {false} */
  nonempty?: boolean | undefined;
  /** How `http:` and `https:` targets are asked, and what they must answer. */
  http?: HttpProbeOptions | undefined;
  /** How `dns:` targets are asked, and what they must answer. */
  dns?: DnsProbeOptions | undefined;
  /** `tcp:` and `unix:` targets: bytes to send once connected, and bytes to wait for. */
  stream?: StreamProbeOptions | undefined;
  /** `echo:` targets: what to send. */
  echo?: EchoProbeOptions | undefined;
}

/**
 * Makes one attempt at `target` and says whether it is ready.
 *
 * @throws {InterruptedError} Only when `signal` aborts; every other failure is a result.
 *
 * @example A listening port is ready; a closed one is not
 * ```ts
 * import { probe } from "./probe.ts";
 * import { parseTarget } from "./target.ts";
 * import assert from "node:assert/strict";
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const accepted = listener.accept().then((conn) => conn.close());
 * const target = parseTarget(`127.0.0.1:${listener.addr.port}`);
 * assert.equal((await probe(target, { timeoutMs: 1000 })).ready, true);
 * await accepted;
 * ```
 */
export async function probe(target: Target, options: ProbeOptions): Promise<ProbeResult> {
  try {
    switch (target.kind) {
      case "tcp":
      case "unix":
        return await probeConnect(target, options, options.stream);
      case "echo":
        return await probeEcho(target, options, options.echo);
      case "file":
        return await probeFile(target.path, options.nonempty);
      case "http":
        return await probeHttp(target.url, options, options.http);
      case "dns":
        return await probeDns(target.name, options, options.dns);
    }
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason ?? error;
    return notReady(error);
  }
}
