/**
 * Closing resources exactly once. A socket can be closed from two sides at the same moment (a
 * deadline's abort and the code that was using it): these helpers make the second close a no-op
 * instead of a `BadResource` thrown into a promise nobody awaits.
 *
 * @module
 */

/** Anything with a `close()` that throws when called twice (`Deno.Conn`, `Deno.Listener`). */
export interface Closable {
  /** Releases the resource. */
  close(): void;
}

/**
 * Closes `resource`, ignoring that it is closed already (or was never opened). Deno never hands a
 * closed resource's ID to another resource, so a second close cannot hit anything else.
 *
 * @example
 * ```ts
 * import { closeQuietly } from "./close.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * closeQuietly(listener);
 * closeQuietly(listener); // no BadResource
 * closeQuietly(undefined);
 * ```
 */
export function closeQuietly(resource: Closable | undefined): void {
  if (resource === undefined) return;
  try {
    resource.close();
  } catch {
    // Closed already: by the runtime, by a deadline, or by the other side of a race.
  }
}

/**
 * Closes `resource` when `signal` aborts (at once if it already has), until the returned handle
 * is disposed. Closing a socket is what ends its pending reads and writes, so this is how a
 * deadline reaches work that is blocked on the network.
 *
 * @example
 * ```ts
 * import { closeOnAbort } from "./close.ts";
 * import assert from "node:assert/strict";
 * const controller = new AbortController();
 * let closed = 0;
 * {
 *   using _ = closeOnAbort(controller.signal, { close: () => closed++ });
 *   controller.abort();
 * }
 * controller.abort();
 * assert.equal(closed, 1);
 * ```
 */
export function closeOnAbort(signal: AbortSignal, resource: Closable): Disposable {
  const onAbort = () => closeQuietly(resource);
  if (signal.aborted) onAbort();
  else signal.addEventListener("abort", onAbort, { once: true });
  return { [Symbol.dispose]: () => signal.removeEventListener("abort", onAbort) };
}
