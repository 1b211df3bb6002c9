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

Deno.test("startTimer() never fires before its time, for any delay and any number of timers", async () => {
  // A shared schedule must not run a timer because it is nearly due: a retry's pause of 80 ms
  // that ends at 79.7 ms is a pause shorter than the spec asked for.
  const early: string[] = [];
  const waits = [];
  for (const ms of [0.3, 1, 1.5, 2, 3, 5, 8, 13, 20, 21, 40, 80]) {
    for (let copy = 0; copy < 3; copy++) {
      const { promise, resolve } = Promise.withResolvers<void>();
      const started = performance.now();
      startTimer(() => {
        const took = performance.now() - started;
        if (took < ms) early.push(`${ms} ms fired at ${took.toFixed(3)} ms`);
        resolve();
      }, ms);
      waits.push(promise);
    }
  }
  await Promise.all(waits);
  assert.deepEqual(early, []);
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

Deno.test("startTimer() fires timers in due order, ties in start order, skipping cleared ones", async () => {
  const fired: string[] = [];
  const { promise, resolve } = Promise.withResolvers<void>();
  const started = [
    startTimer(() => fired.push("c30"), 30),
    startTimer(() => fired.push("a10"), 10),
    startTimer(() => fired.push("x10"), 10),
    startTimer(() => fired.push("b10"), 10),
    startTimer(() => fired.push("d20"), 20),
    startTimer(() => fired.push("y5"), 5),
  ];
  started[2]!.clear();
  started[5]!.clear();
  startTimer(() => {
    fired.push("e40");
    resolve();
  }, 40);
  await promise;
  assert.deepEqual(fired, ["a10", "b10", "d20", "c30", "e40"]);
});

Deno.test("startTimer() runs the other timers due with one that throws, and reports the error", async () => {
  const fired: string[] = [];
  const { promise, resolve } = Promise.withResolvers<void>();
  const reported: unknown[] = [];
  const onError = (event: ErrorEvent) => {
    event.preventDefault();
    reported.push(event.error);
  };
  globalThis.addEventListener("error", onError);
  try {
    startTimer(() => {
      throw new Error("boom");
    }, 5);
    startTimer(() => {
      fired.push("after");
      resolve();
    }, 5);
    await promise;
  } finally {
    globalThis.removeEventListener("error", onError);
  }
  assert.deepEqual(fired, ["after"]);
  assert.equal((reported[0] as Error).message, "boom");
});

Deno.test("startTimer() keeps firing on time after thousands of timers were started and cleared", async () => {
  // Many cleared entries (as 10,000 checks leave) must neither fire nor delay a live timer.
  let wrongly = 0;
  for (let i = 0; i < 5000; i++) startTimer(() => wrongly++, 1000 + i).clear();
  const { promise, resolve } = Promise.withResolvers<void>();
  const started = performance.now();
  const keep = startTimer(() => wrongly++, 60_000);
  for (let i = 0; i < 5000; i++) startTimer(() => wrongly++, 2000 + i).clear();
  startTimer(resolve, 10);
  await promise;
  keep.clear();
  assert.equal(wrongly, 0);
  assert.ok(performance.now() - started < 1000);
});
