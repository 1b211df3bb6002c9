/**
 * Timers that never overflow. `setTimeout` holds at most 2^31-1 ms (about 24.8 days); a longer
 * delay fires at once, with only a warning. Every wait in sockit goes through these helpers,
 * which wait out a long delay in steps and treat `Infinity` as "never".
 *
 * @module
 */

/** The longest delay one `setTimeout` can hold, in milliseconds. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A pending timer from {@linkcode startTimer}. */
export interface Timer extends Disposable {
  /** Stops it; safe to call more than once, and after it fired. */
  clear(): void;
}

/**
 * Calls `fn` once after `ms` milliseconds, however long that is: delays over
 * {@linkcode MAX_TIMER_MS} are waited out in steps, `Infinity` never fires, and anything not a
 * positive number fires on the next turn of the event loop.
 *
 * @example
 * ```ts
 * import { startTimer } from "./timer.ts";
 * import assert from "node:assert/strict";
 * const never = startTimer(() => assert.fail("fired"), 2 ** 40);
 * never.clear();
 * const { promise, resolve } = Promise.withResolvers<void>();
 * startTimer(resolve, 1);
 * await promise;
 * ```
 */
export function startTimer(fn: () => void, ms: number): Timer {
  if (ms === Infinity) return NEVER;
  const entry: Entry = {
    due: performance.now() + (Number.isNaN(ms) ? 0 : Math.max(0, ms)),
    order: order++,
    fn,
  };
  const clear = () => {
    if (entry.fn === undefined) return;
    entry.fn = undefined;
    if (--live === 0) disarm();
  };
  schedule(entry);
  return { clear, [Symbol.dispose]: clear };
}

/** The timer of an `Infinity` delay, which never fires. */
const NEVER: Timer = { clear() {}, [Symbol.dispose]() {} };

// All timers share one schedule: a min-heap of entries by due time, and one armed
// `AbortSignal.timeout()` for the earliest. Each wait is an `AbortSignal.timeout()` rather than a
// `setTimeout()`: in Deno 2.9 the global setTimeout is Node's, and the first call loads Node's
// timers, errors and inspect modules (7 to 10 ms of every command that waits for anything). One
// signal per timer cost 2.5 us each and kept every cleared timer's signal alive until its time,
// which a run of 10,000 checks with a 5 s timeout each paid for in memory. The armed signal keeps
// the process alive only while it has a listener, which it has while any timer is live; a
// cleared entry stays in the heap, as nothing, until its time comes or no timer is left.

/** One timer in the shared schedule; `fn` is `undefined` once it fired or was cleared. */
interface Entry {
  due: number;
  /** Start order: timers due at the same moment fire in the order they were started. */
  order: number;
  fn: (() => void) | undefined;
}

const heap: Entry[] = [];
let order = 0;
/** Timers started and neither fired nor cleared. */
let live = 0;
let armed: AbortSignal | undefined;
let armedDue = Infinity;

function earlier(a: Entry, b: Entry): boolean {
  return a.due < b.due || (a.due === b.due && a.order < b.order);
}

function schedule(entry: Entry): void {
  live++;
  // Cleared entries outnumber live ones by far: drop them before the heap grows past bounds.
  if (heap.length >= 1024 && heap.length > 4 * live) compact();
  let at = heap.push(entry) - 1;
  while (at > 0) {
    const up = (at - 1) >> 1;
    if (!earlier(entry, heap[up]!)) break;
    heap[at] = heap[up]!;
    at = up;
  }
  heap[at] = entry;
  if (entry.due < armedDue) arm(entry.due);
}

function pop(): Entry {
  const top = heap[0]!;
  const last = heap.pop()!;
  if (heap.length > 0) siftDown(last, 0);
  return top;
}

function siftDown(entry: Entry, from: number): void {
  let at = from;
  for (;;) {
    let child = 2 * at + 1;
    if (child >= heap.length) break;
    if (child + 1 < heap.length && earlier(heap[child + 1]!, heap[child]!)) child++;
    if (!earlier(heap[child]!, entry)) break;
    heap[at] = heap[child]!;
    at = child;
  }
  heap[at] = entry;
}

function compact(): void {
  const kept = heap.filter((entry) => entry.fn !== undefined);
  heap.length = 0;
  heap.push(...kept);
  for (let at = (heap.length >> 1) - 1; at >= 0; at--) siftDown(heap[at]!, at);
}

function arm(due: number): void {
  armed?.removeEventListener("abort", tick);
  armedDue = due;
  // Whole milliseconds, rounded up: a fraction would be rounded down and wake too soon.
  armed = AbortSignal.timeout(
    Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(due - performance.now()))),
  );
  armed.addEventListener("abort", tick, { once: true });
}

/** No timer is live: let the process end, and forget the cleared entries. */
function disarm(): void {
  armed?.removeEventListener("abort", tick);
  armed = undefined;
  armedDue = Infinity;
  heap.length = 0;
}

/**
 * The armed signal fired: take every timer now due, arm for the next, then run them in order.
 * None runs before its time: should the signal wake before the earliest is due, it is only armed
 * again for what is left. One that throws is reported as uncaught, and the rest still run.
 */
function tick(): void {
  armed = undefined;
  armedDue = Infinity;
  const due: Array<() => void> = [];
  const now = performance.now();
  while (heap.length > 0) {
    const head = heap[0]!;
    if (head.fn !== undefined && head.due > now) break;
    pop();
    if (head.fn === undefined) continue;
    due.push(head.fn);
    head.fn = undefined;
    live--;
  }
  if (live === 0) disarm();
  else arm(heap[0]!.due);
  for (const fn of due) {
    try {
      fn();
    } catch (error) {
      reportError(error);
    }
  }
}

/**
 * Resolves after `ms` milliseconds (any length, as {@linkcode startTimer}), or as soon as
 * `signal` aborts, whichever comes first. It never rejects: callers check `signal.aborted`.
 *
 * @example
 * ```ts
 * import { sleep } from "./timer.ts";
 * const controller = new AbortController();
 * const long = sleep(2 ** 40, controller.signal);
 * controller.abort();
 * await long; // at once
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      timer.clear();
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = startTimer(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Waits for `promise` at most `ms` milliseconds (a shutdown's grace period): resolves when it
 * settles, either way, or when the time is up, whichever comes first, and leaves no timer
 * behind.
 *
 * @returns Whether `promise` settled in time.
 *
 * @example
 * ```ts
 * import { settleWithin } from "./timer.ts";
 * import assert from "node:assert/strict";
 * assert.equal(await settleWithin(Promise.resolve(), 2 ** 40), true);
 * assert.equal(await settleWithin(new Promise(() => {}), 1), false);
 * ```
 */
export async function settleWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const over = new AbortController();
  let settled = false;
  const done = () => {
    settled = true;
    over.abort();
  };
  await Promise.race([promise.then(done, done), sleep(ms, over.signal)]);
  return settled;
}
