import assert from "node:assert/strict";
import { MAX_TIMER_MS, settleWithin, sleep, startTimer } from "./timer.ts";

Deno.test("startTimer() holds a delay past 2^31-1 ms instead of firing at once", async () => {
  // setTimeout(fn, 2 ** 31) fires on the next tick with a TimeoutOverflowWarning.
  let fired = 0;
  const timers = [MAX_TIMER_MS + 1, 2 ** 40, 99999999 * 1000].map((ms) =>
    startTimer(() => fired++, ms)
  );
  await sleep(30);
  for (const timer of timers) timer.clear();
  assert.equal(fired, 0);
});

Deno.test("startTimer() fires a short delay once, and clear() stops one that has not fired", async () => {
  let fired = 0;
  const { promise, resolve } = Promise.withResolvers<void>();
  startTimer(() => {
    fired++;
    resolve();
  }, 5);
  const cleared = startTimer(() => fired++, 5);
  cleared.clear();
  cleared.clear();
  await promise;
  await sleep(10);
  assert.equal(fired, 1);
});

Deno.test("startTimer() never fires for Infinity and fires at once for zero or less", async () => {
  let fired = "";
  using _never = startTimer(() => fired += "never", Infinity);
  const { promise, resolve } = Promise.withResolvers<void>();
  startTimer(() => {
    fired += "now";
    resolve();
  }, -5);
  await promise;
  assert.equal(fired, "now");
});

Deno.test("sleep() ends early when its signal aborts, and at once when it already has", async () => {
  const controller = new AbortController();
  const started = performance.now();
  const long = sleep(60_000, controller.signal);
  controller.abort();
  await long;
  await sleep(60_000, controller.signal);
  assert.ok(performance.now() - started < 1000);
});

Deno.test("startTimer() keeps the process alive until it fires, and a cleared one does not", async () => {
  const timer = new URL("./timer.ts", import.meta.url).href;
  const script = `import { startTimer } from "${timer}";
startTimer(() => console.log("fired"), 20);
startTimer(() => console.log("cleared, yet fired"), 30_000).clear();`;
  const started = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "-q", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(new TextDecoder().decode(out.stderr), "");
  assert.equal(new TextDecoder().decode(out.stdout), "fired\n");
  assert.ok(performance.now() - started < 20_000, "the cleared timer held the process");
});

Deno.test("settleWithin() counts a rejection as settled and gives up on a promise past its time", async () => {
  assert.equal(await settleWithin(Promise.reject(new Error("x")), 1000), true);
  const started = performance.now();
  assert.equal(await settleWithin(new Promise(() => {}), 20), false);
  assert.ok(performance.now() - started >= 15);
});
