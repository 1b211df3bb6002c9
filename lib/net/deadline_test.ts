import assert from "node:assert/strict";
import { parseDuration } from "./duration.ts";
import { formatDuration, withDeadline } from "./deadline.ts";
import { InterruptedError, TimeoutError } from "./errors.ts";

Deno.test("withDeadline() returns the work's result when it finishes in time", async () => {
  assert.equal(await withDeadline(1000, "Adding", () => Promise.resolve(42)), 42);
});

Deno.test("withDeadline() rejects with TimeoutError naming the work, and aborts its signal", async () => {
  let aborted = false;
  await assert.rejects(
    withDeadline(20, "Waiting for the peer", (signal) =>
      new Promise((resolve) => {
        signal.addEventListener("abort", () => {
          aborted = true;
          resolve(undefined);
        });
      })),
    new TimeoutError("Waiting for the peer: timed out after 20ms"),
  );
  assert.ok(aborted);
});

Deno.test("withDeadline() returns at the deadline even when the work ignores its signal", async () => {
  const { promise: never, resolve } = Promise.withResolvers<void>();
  await assert.rejects(withDeadline(10, "Stuck", () => never), TimeoutError);
  resolve();
});

Deno.test("withDeadline() turns the caller's abort into InterruptedError", async () => {
  const controller = new AbortController();
  const pending = withDeadline(
    undefined,
    "Sending",
    (signal) =>
      new Promise((_, reject) =>
        signal.addEventListener("abort", () => reject(new Error("closed")))
      ),
    {
      signal: controller.signal,
    },
  );
  controller.abort();
  await assert.rejects(pending, InterruptedError);
});

Deno.test("withDeadline() passes the work's own errors through", async () => {
  await assert.rejects(
    withDeadline(1000, "Failing", () => Promise.reject(new RangeError("bad"))),
    RangeError,
  );
});

Deno.test("formatDuration() prints what parseDuration() reads", () => {
  assert.deepEqual([250, 1000, 1500, 60_000, 90_000].map(formatDuration), [
    "250ms",
    "1s",
    "1.5s",
    "1m",
    "90s",
  ]);
});

Deno.test("formatDuration() shows a duration under a millisecond as asked, in a form parseDuration() reads back", () => {
  for (const text of ["0.0004", "0.0000000001", "1.0004", "0.0015"]) {
    const ms = parseDuration(text);
    assert.ok(ms > 0, text);
    assert.equal(parseDuration(formatDuration(ms)), ms, text);
  }
  assert.equal(formatDuration(parseDuration("0.0004")), "0.4ms");
  assert.equal(formatDuration(parseDuration("0.0000000001")), "0.0000001ms");
});
