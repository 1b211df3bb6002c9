import assert from "node:assert/strict";
import { abortOnSignals, onSignals } from "./signals.ts";

/**
 * Waits for `promise` with the event loop held open: a signal listener alone does not keep a
 * Deno process alive. Fails after 5 s instead of hanging.
 */
async function held<T>(promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("no signal within 5s")), 5000);
  });
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test({
  name: "onSignals() hears a signal sent to the process until it is disposed",
  ignore: Deno.build.os === "windows",
  async fn() {
    const heard = Promise.withResolvers<string>();
    {
      using _listening = onSignals(["SIGUSR1"], (signal) => heard.resolve(signal));
      Deno.kill(Deno.pid, "SIGUSR1");
      assert.equal(await held(heard.promise), "SIGUSR1");
    }
    // Disposed: no listener is left behind (the test's resource sanitizer would say so).
  },
});

Deno.test({
  name: "abortOnSignals() aborts with an InterruptedError that names the signal",
  ignore: Deno.build.os === "windows",
  async fn() {
    const controller = new AbortController();
    using _signals = abortOnSignals(controller);
    const aborted = new Promise((resolve) =>
      controller.signal.addEventListener("abort", resolve, { once: true })
    );
    Deno.kill(Deno.pid, "SIGTERM");
    await held(aborted);
    assert.equal((controller.signal.reason as Error).name, "InterruptedError");
    assert.equal((controller.signal.reason as Error).message, "Interrupted by SIGTERM");
  },
});
