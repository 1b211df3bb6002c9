/**
 * Listening to process signals for a command: the one place that adds and removes Deno's
 * signal listeners (Windows has SIGINT only, of the signals sockit listens to).
 *
 * @module
 */
import { InterruptedError } from "../net/errors.ts";

/**
 * Calls `handler` with the signal's name each time one of `wanted` arrives, until disposed.
 *
 * @example
 * ```ts
 * import { onSignals } from "./signals.ts";
 * using _listening = onSignals(["SIGUSR1"], (signal) => console.error(`got ${signal}`));
 * ```
 */
export function onSignals<S extends Deno.Signal>(
  wanted: readonly S[],
  handler: (signal: S) => void,
): Disposable {
  const signals = Deno.build.os === "windows" ? wanted.filter((s) => s === "SIGINT") : wanted;
  const installed = signals.map((signal) => {
    const listener = () => handler(signal);
    Deno.addSignalListener(signal, listener);
    return [signal, listener] as const;
  });
  return {
    [Symbol.dispose]() {
      for (const [signal, listener] of installed) Deno.removeSignalListener(signal, listener);
    },
  };
}

/**
 * Turns SIGINT and SIGTERM into an abort of `controller` with an `InterruptedError` naming the
 * signal, until disposed.
 *
 * @example
 * ```ts
 * import { abortOnSignals } from "./signals.ts";
 * const controller = new AbortController();
 * using _signals = abortOnSignals(controller);
 * ```
 */
export function abortOnSignals(controller: AbortController): Disposable {
  return onSignals(["SIGINT", "SIGTERM"], (signal) => {
    if (!controller.signal.aborted) {
      controller.abort(new InterruptedError(`Interrupted by ${signal}`, { signal }));
    }
  });
}
