/**
 * Bounded concurrency with results in input order: many calls in flight, read as if they ran one
 * after another.
 *
 * @module
 */

/** What one call ended with. */
type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

/**
 * Runs `run` over `items` with at most `limit` calls in flight, and yields the results in the
 * order of `items` as soon as each is ready, in batches: a batch holds every result ready by then
 * from where the last one ended, so that output starts with the first result and many results go
 * out in one write.
 *
 * A call that rejects (or throws) ends the generator with its error once the results before it
 * are yielded; no new call starts after that. Once the consumer stops (breaks, returns or throws
 * out of its `for await`), no new call starts either; calls already in flight are left to settle,
 * their results dropped, so a caller that must wait for them (to close a socket they use) does so
 * itself.
 *
 * @throws {RangeError} When `limit` is not a positive integer.
 *
 * @example
 * ```ts
 * import { pooledBatches } from "./pool.ts";
 * import assert from "node:assert/strict";
 * const seen: number[] = [];
 * for await (const batch of pooledBatches([3, 1, 2], 2, (n) => Promise.resolve(n * 10))) {
 *   seen.push(...batch);
 * }
 * assert.deepEqual(seen, [30, 10, 20]);
 * ```
 */
export async function* pooledBatches<T, R>(
  items: readonly T[],
  limit: number,
  run: (item: T) => Promise<R>,
): AsyncGenerator<R[], void, undefined> {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`Invalid pool limit ${limit}: expected a positive integer`);
  }
  const slots = items.map(() => Promise.withResolvers<void>());
  const settled: Array<Settled<R> | undefined> = new Array(items.length);
  let next = 0;
  let stopped = false;
  async function worker(): Promise<void> {
    while (next < items.length && !stopped) {
      const i = next++;
      try {
        settled[i] = { ok: true, value: await run(items[i]!) };
      } catch (error) {
        settled[i] = { ok: false, error };
        stopped = true;
      }
      slots[i]!.resolve();
    }
  }
  const workers = Array.from({ length: Math.min(limit, items.length) }, worker);
  try {
    for (let i = 0; i < items.length;) {
      await slots[i]!.promise;
      const batch: R[] = [];
      for (let done = settled[i]; done !== undefined; done = settled[i]) {
        if (!done.ok) {
          if (batch.length > 0) yield batch;
          throw done.error;
        }
        batch.push(done.value);
        if (++i === items.length) break;
      }
      yield batch;
    }
  } finally {
    stopped = true;
    // The workers end once what is in flight settles; they never reject.
    Promise.all(workers).catch(() => {});
  }
}
