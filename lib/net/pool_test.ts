import assert from "node:assert/strict";
import { pooledBatches } from "./pool.ts";

/** A call per item that settles only when the test says so, and a log of which calls started. */
function controlled(count: number) {
  const calls = Array.from({ length: count }, () => Promise.withResolvers<string>());
  const started: number[] = [];
  let inFlight = 0;
  let most = 0;
  const run = async (i: number): Promise<string> => {
    started.push(i);
    most = Math.max(most, ++inFlight);
    try {
      return await calls[i]!.promise;
    } finally {
      inFlight--;
    }
  };
  return { calls, started, run, most: () => most };
}

const indexes = (n: number) => Array.from({ length: n }, (_, i) => i);

Deno.test("pooledBatches() yields results in input order when later calls finish first", async () => {
  const { calls, run } = controlled(3);
  const batches = pooledBatches(indexes(3), 3, run);
  calls[2]!.resolve("c");
  calls[1]!.resolve("b");
  const first = batches.next();
  calls[0]!.resolve("a");
  // Everything was ready by the time the first result was: one batch.
  assert.deepEqual(await first, { done: false, value: ["a", "b", "c"] });
  assert.deepEqual(await batches.next(), { done: true, value: undefined });
});

Deno.test("pooledBatches() batches what is ready and waits for the next in order", async () => {
  const { calls, run } = controlled(3);
  const batches = pooledBatches(indexes(3), 3, run);
  calls[0]!.resolve("a");
  assert.deepEqual((await batches.next()).value, ["a"]);
  const second = batches.next();
  calls[2]!.resolve("c");
  calls[1]!.resolve("b");
  assert.deepEqual((await second).value, ["b", "c"]);
  assert.equal((await batches.next()).done, true);
});

Deno.test("pooledBatches() keeps at most limit calls in flight and starts the next as one ends", async () => {
  const { calls, started, run, most } = controlled(5);
  const batches = pooledBatches(indexes(5), 2, run);
  const first = batches.next();
  await Promise.resolve();
  assert.deepEqual(started, [0, 1]);
  calls[0]!.resolve("a");
  assert.deepEqual((await first).value, ["a"]);
  assert.deepEqual(started, [0, 1, 2]);
  for (const i of [1, 2, 3, 4]) calls[i]!.resolve(String(i));
  const rest: string[] = [];
  for await (const batch of batches) rest.push(...batch);
  assert.deepEqual(rest, ["1", "2", "3", "4"]);
  assert.equal(most(), 2);
});

Deno.test("pooledBatches() yields the results before a failed call, then throws its error", async () => {
  const { calls, started, run } = controlled(4);
  const batches = pooledBatches(indexes(4), 2, run);
  const seen: string[] = [];
  calls[0]!.resolve("a");
  calls[1]!.reject(new Error("call 1 failed"));
  await assert.rejects(async () => {
    for await (const batch of batches) seen.push(...batch);
  }, { message: "call 1 failed" });
  assert.deepEqual(seen, ["a"]);
  // Item 2 started when item 0 finished, before item 1 failed; item 3 never did.
  assert.deepEqual(started, [0, 1, 2]);
  calls[2]!.resolve("c");
});

Deno.test("pooledBatches() starts no new call once the consumer stops", async () => {
  const { calls, started, run } = controlled(4);
  const batches = pooledBatches(indexes(4), 2, run);
  calls[0]!.resolve("a");
  for await (const batch of batches) {
    assert.deepEqual(batch, ["a"]);
    break;
  }
  calls[1]!.resolve("b");
  calls[2]!.resolve("c");
  await Promise.all([calls[1]!.promise, calls[2]!.promise]);
  // Give the workers the turns they need to go round their loop again.
  for (let turn = 0; turn < 10; turn++) await Promise.resolve();
  assert.deepEqual(started, [0, 1, 2]);
});

Deno.test("pooledBatches() yields nothing for no items and refuses a limit below 1", async () => {
  const none: string[][] = [];
  for await (const batch of pooledBatches([], 4, () => Promise.resolve("x"))) none.push(batch);
  assert.deepEqual(none, []);
  await assert.rejects(
    () => pooledBatches([1], 0, () => Promise.resolve(1)).next(),
    { name: "RangeError", message: "Invalid pool limit 0: expected a positive integer" },
  );
});
