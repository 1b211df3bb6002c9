/**
 * The monitor's clock: a spec's checks run on their intervals, at most `jobs` at once, and what
 * each run showed kept as the monitor's state ({@linkcode CheckState}).
 *
 * The schedule is a fixed grid. A monitor started at `t0` with `n` checks runs the check at index
 * `i`, whose interval is `every`, at `t0 + i * every / n + k * every` for k = 0, 1, 2...: the
 * checks are spread over their interval (its phase), and every due time is computed from the
 * grid, never from the end of the last run, so the schedule does not drift however long the runs
 * take. A turn that comes while the check's last run is still going (or still waits for a job
 * slot) is not started: it is counted in {@linkcode CheckState.overruns}, and the check's next
 * turn is the next grid point. A turn the monitor itself is too late for by a whole interval
 * (the event loop or the machine stalled) is passed over: the check runs once, at the next grid
 * point, never twice to catch up.
 *
 * @module
 */
import { InterruptedError } from "../net/errors.ts";
import { startTimer } from "../net/timer.ts";
import type { Timer } from "../net/timer.ts";
import type { TraceFn } from "../net/trace.ts";
import { runChecks } from "../check/runner.ts";
import type { CheckResult, RunChecksOptions } from "../check/runner.ts";
import type { Redactor } from "../check/redact.ts";
import type { CheckDef } from "../check/spec.ts";
import { checkKey, HISTORY_LENGTH, runResultLabel } from "./snapshot.ts";
import type { CheckState, MonitorSnapshot, RunRecord } from "./snapshot.ts";

/** Options for a {@linkcode Monitor}. */
export interface MonitorOptions {
  /** The selected checks, in file order (each file and name once). */
  checks: readonly CheckDef[];
  /** The default interval, in milliseconds (`--every`); a check's own `everyMs` wins. */
  everyMs: number;
  /** The spec files, as given. @default {the files of `checks`, in order} */
  files?: readonly string[];
  /** Most runs in flight at once. @default {64} */
  jobs?: number;
  /** Masks the secrets in every result (passed to the runner): results arrive masked. */
  redactor?: Redactor | undefined;
  /** Receives every attempt's socket steps, marked with the check's name. */
  trace?: TraceFn | undefined;
  /** One attempt (tests pass their own). @default {probe from lib/probe} */
  probe?: RunChecksOptions["probe"];
  /**
   * Called after each finished run, once the check's state holds it; `previous` is the status of
   * the run before (undefined on the first), so that a caller can tell a change of state.
   */
  onResult?:
    | ((state: CheckState, result: CheckResult, previous: RunRecord["status"] | undefined) => void)
    | undefined;
  /** Called when a turn came while the last run still ran or waited: it was not started. */
  onOverrun?: ((state: CheckState) => void) | undefined;
}

/** The most runs a monitor has in flight at once, unless told. */
export const DEFAULT_MONITOR_JOBS = 64;

/** A timer may fire up to this much early ({@linkcode startTimer}): such a turn is due. */
const SLACK_MS = 1;

/** One monitored check: its state and its place in the schedule. */
interface Entry {
  state: CheckState;
  /** Where its grid starts (`performance.now()` time): due times are `anchor + k * everyMs`. */
  anchor: number;
  /** Its next turn's number on the grid. */
  turn: number;
  /** Its next turn (`performance.now()` time): `anchor + turn * everyMs`. */
  due: number;
  /** Waiting for a job slot. */
  queued: boolean;
  /** Taken out by a reload (or never scheduled): its turns and its run's result are dropped. */
  removed: boolean;
  /** The run in flight, to end it. */
  run: AbortController | undefined;
}

/**
 * Runs checks on a schedule until stopped, and knows the latest of each (see the module's
 * documentation for the schedule).
 *
 * @example One check every 100 ms against a local port: its first result, then a stop
 * ```ts
 * import { Monitor } from "./scheduler.ts";
 * import { loadSpec } from "../check/spec.ts";
 * import assert from "node:assert/strict";
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const serving = (async () => {
 *   for await (const conn of listener) conn.close();
 * })().catch(() => {});
 * const spec = await loadSpec(
 *   `version: 1\nchecks:\n  - { name: db, tcp: { host: 127.0.0.1, port: ${listener.addr.port} } }\n`,
 *   { file: "s.yaml", baseDir: ".", env: () => undefined },
 * );
 * const first = Promise.withResolvers<string>();
 * const monitor = new Monitor({
 *   checks: spec.checks,
 *   everyMs: 100,
 *   onResult: (state, result) => first.resolve(`${state.check.name}: ${result.status}`),
 * });
 * monitor.start();
 * assert.equal(await first.promise, "db: passed");
 * await monitor.stop(1000);
 * assert.equal(monitor.snapshot().checks[0]!.runs.success >= 1, true);
 * listener.close();
 * await serving;
 * ```
 */
export class Monitor {
  #options: MonitorOptions;
  readonly #jobs: number;
  readonly #files: string[];
  #entries: Entry[] = [];
  /** Scheduled entries, earliest `due` first (a binary heap; removed entries are dropped). */
  readonly #heap: Entry[] = [];
  /** Entries waiting for a job slot, in the order their turns came. */
  #queue: Entry[] = [];
  #active = 0;
  readonly #inFlight = new Set<Promise<void>>();
  #timer: Timer | undefined;
  #timerDue = Infinity;
  #origin = performance.now();
  #startedAt = new Date();
  #started = false;
  #stopping: Promise<void> | undefined;
  #lastReload: MonitorSnapshot["lastReload"];

  /** @param options The checks, the interval and what to call on each result. */
  constructor(options: MonitorOptions) {
    positiveInterval(options.everyMs, "the monitor's interval");
    this.#options = options;
    this.#jobs = Math.max(1, Math.floor(options.jobs ?? DEFAULT_MONITOR_JOBS));
    this.#files = options.files
      ? [...options.files]
      : [...new Set(options.checks.map((c) => c.file))];
    this.#entries = this.#entriesFor(options.checks, new Map());
    for (const entry of this.#entries) entry.removed = false;
  }

  /** Starts the schedule: the first check's first turn is now. Once only. */
  start(): void {
    if (this.#started || this.#stopping) {
      throw new TypeError("The monitor has already been started or stopped");
    }
    this.#started = true;
    this.#origin = performance.now();
    this.#startedAt = new Date(performance.timeOrigin + this.#origin);
    const count = this.#entries.length;
    for (const [index, entry] of this.#entries.entries()) {
      entry.anchor = this.#origin + phase(index, count, entry.state.everyMs);
      this.#schedule(entry, 0);
    }
    this.#arm();
  }

  /**
   * What the monitor knows now: a copy of every check's state, in file order (the caller may keep
   * or change it; the monitor's own state moves on).
   */
  snapshot(): MonitorSnapshot {
    const snapshot: MonitorSnapshot = {
      startedAt: this.#startedAt,
      files: [...this.#files],
      everyMs: this.#options.everyMs,
      checks: this.#entries.map(({ state }) => ({
        ...state,
        history: state.history.slice(),
        runs: { ...state.runs },
      })),
    };
    if (this.#lastReload) snapshot.lastReload = { ...this.#lastReload };
    return snapshot;
  }

  /**
   * Takes a reloaded spec's checks. A check kept (same file and name) keeps its state, counters,
   * history and next turn, and runs with its new definition from its next run (its interval too:
   * a new interval starts its grid at that next turn). A new check is spread in at its index's
   * phase. A check no longer there stops: a run of it in flight is ended, unreported. A new
   * `redactor` (the reloaded spec's secrets) masks every run from now on.
   */
  replace(checks: readonly CheckDef[], options: { redactor?: Redactor | undefined } = {}): void {
    if ("redactor" in options) this.#options = { ...this.#options, redactor: options.redactor };
    const kept = new Map(this.#entries.map((entry) => [entry.state.key, entry]));
    const entries = this.#entriesFor(checks, kept);
    const now = performance.now();
    const running = this.#started && !this.#stopping;
    for (const [index, entry] of entries.entries()) {
      if (entry.removed) {
        // New: the first point of its phase's grid still to come.
        entry.removed = false;
        entry.anchor = this.#origin + phase(index, entries.length, entry.state.everyMs);
        if (running) this.#schedule(entry, nextTurn(entry, now, 0));
      }
    }
    const taken = new Set(entries);
    for (const entry of this.#entries) {
      if (taken.has(entry)) continue;
      entry.removed = true;
      entry.run?.abort(new InterruptedError(`The check "${entry.state.check.name}" was removed`));
    }
    this.#queue = this.#queue.filter((entry) => !entry.removed);
    this.#entries = entries;
    this.#lastReload = { at: new Date(), ok: true };
    if (running) this.#arm();
  }

  /** Records a reload that was refused (`message`: the spec's problems); the old spec runs on. */
  reloadFailed(message: string): void {
    this.#lastReload = { at: new Date(), ok: false, message };
  }

  /**
   * Stops the schedule: no new run starts, the runs in flight get `graceMs` to end (their results
   * are recorded and reported), and are then ended through their signal (unreported). Resolves
   * once every run has ended, with no timer left behind. Calling it again gives the same promise.
   */
  stop(graceMs: number): Promise<void> {
    this.#stopping ??= this.#drain(graceMs);
    return this.#stopping;
  }

  async #drain(graceMs: number): Promise<void> {
    this.#timer?.clear();
    this.#timer = undefined;
    this.#heap.length = 0;
    for (const entry of this.#queue) entry.queued = false;
    this.#queue = [];
    for (const entry of this.#entries) entry.state.nextRunAt = undefined;
    if (this.#inFlight.size === 0) return;
    const grace = startTimer(() => {
      const reason = new InterruptedError("The monitor stopped");
      for (const entry of this.#entries) entry.run?.abort(reason);
    }, graceMs);
    try {
      while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
    } finally {
      grace.clear();
    }
  }

  /** Entries for `checks`, in their order: kept ones from `kept`, new ones marked `removed`. */
  #entriesFor(checks: readonly CheckDef[], kept: ReadonlyMap<string, Entry>): Entry[] {
    const seen = new Set<string>();
    return checks.map((check) => {
      const key = checkKey(check);
      if (seen.has(key)) {
        throw new TypeError(`The check "${check.name}" of ${check.file} is given twice`);
      }
      seen.add(key);
      const everyMs = check.everyMs ?? this.#options.everyMs;
      positiveInterval(everyMs, `the interval of "${check.name}"`);
      const entry = kept.get(key);
      if (entry) {
        if (everyMs !== entry.state.everyMs) {
          // Its next turn stays; the new grid starts there.
          entry.anchor = entry.due;
          entry.turn = 0;
          entry.state.everyMs = everyMs;
        }
        entry.state.check = check;
        return entry;
      }
      return {
        state: {
          key,
          check,
          everyMs,
          latest: undefined,
          history: [],
          runs: { success: 0, failure: 0, error: 0 },
          retries: 0,
          overruns: 0,
          running: false,
          nextRunAt: undefined,
        },
        anchor: 0,
        turn: 0,
        due: Infinity,
        queued: false,
        removed: true,
        run: undefined,
      };
    });
  }

  /** Sets the entry's next turn and puts it in the heap. */
  #schedule(entry: Entry, turn: number): void {
    entry.turn = turn;
    entry.due = entry.anchor + turn * entry.state.everyMs;
    entry.state.nextRunAt = new Date(performance.timeOrigin + entry.due);
    heapPush(this.#heap, entry);
  }

  /** Arms the one timer for the earliest turn, unless it is already armed for it. */
  #arm(): void {
    while (this.#heap.length > 0 && this.#heap[0]!.removed) heapPop(this.#heap);
    const due = this.#heap[0]?.due ?? Infinity;
    if (due === this.#timerDue && this.#timer) return;
    this.#timer?.clear();
    this.#timer = undefined;
    this.#timerDue = due;
    if (due === Infinity) return;
    this.#timer = startTimer(() => {
      this.#timer = undefined;
      this.#tick();
    }, due - performance.now());
  }

  /** Takes every turn that is due: starts the run, queues it, or counts an overrun. */
  #tick(): void {
    if (this.#stopping) return;
    const now = performance.now() + SLACK_MS;
    const overrun: CheckState[] = [];
    while (this.#heap.length > 0 && this.#heap[0]!.due <= now) {
      const entry = heapPop(this.#heap)!;
      if (entry.removed) continue;
      if (entry.run || entry.queued) {
        entry.state.overruns++;
        overrun.push(entry.state);
      } else if (this.#active < this.#jobs) this.#run(entry);
      else {
        entry.queued = true;
        this.#queue.push(entry);
      }
      this.#schedule(entry, nextTurn(entry, now, entry.turn + 1));
    }
    this.#arm();
    for (const state of overrun) this.#options.onOverrun?.(state);
  }

  /** Starts one run of the entry's check, in a job slot. */
  #run(entry: Entry): void {
    const controller = new AbortController();
    entry.run = controller;
    entry.state.running = true;
    this.#active++;
    const { redactor, trace, probe } = this.#options;
    const check = entry.state.check;
    const done = runChecks([{ check }], {
      jobs: 1,
      signal: controller.signal,
      ...(redactor ? { redactor } : {}),
      ...(trace ? { trace } : {}),
      ...(probe ? { probe } : {}),
    }).then(
      ([result]) => result,
      (error) => failedRun(check, error),
    ).then((result) => {
      entry.run = undefined;
      entry.state.running = false;
      this.#active--;
      this.#inFlight.delete(done);
      this.#startQueued();
      // A run ended by a stop or a reload says nothing about its target.
      if (controller.signal.aborted || entry.removed || !result) return;
      this.#record(entry.state, result);
    });
    this.#inFlight.add(done);
  }

  /** Starts runs that waited for a slot, while slots are free. */
  #startQueued(): void {
    while (!this.#stopping && this.#active < this.#jobs && this.#queue.length > 0) {
      const entry = this.#queue.shift()!;
      entry.queued = false;
      if (!entry.removed) this.#run(entry);
    }
  }

  #record(state: CheckState, result: CheckResult): void {
    if (result.status === "skipped") return;
    const previous = state.history.at(-1)?.status;
    state.latest = result;
    state.history.push({
      at: result.startedAt,
      status: result.status,
      durationMs: result.durationMs,
      message: result.message,
    });
    if (state.history.length > HISTORY_LENGTH) {
      state.history.splice(0, state.history.length - HISTORY_LENGTH);
    }
    state.runs[runResultLabel(result.status)]++;
    state.retries += Math.max(0, result.attempts.length - 1);
    this.#options.onResult?.(state, result, previous);
  }
}

/** The offset of the check at `index` of `count` in its interval. */
function phase(index: number, count: number, everyMs: number): number {
  return count > 0 ? (index * everyMs) / count : 0;
}

/** The number of the entry's first turn after `now`, and not before turn `least`. */
function nextTurn(entry: Entry, now: number, least: number): number {
  const passed = Math.floor((now - entry.anchor) / entry.state.everyMs) + 1;
  return Math.max(least, passed);
}

function positiveInterval(ms: number, what: string): void {
  if (!(ms > 0) || !Number.isFinite(ms)) {
    throw new RangeError(`Cannot monitor with ${what} of ${ms} ms: use a positive number`);
  }
}

/** A run the runner could not make at all (it reports everything else as a result). */
function failedRun(check: CheckDef, error: unknown): CheckResult {
  return {
    check,
    status: "error",
    attempts: [],
    startedAt: new Date(),
    durationMs: 0,
    message: error instanceof Error ? error.message : String(error),
    failures: [],
    errorType: error instanceof Error ? error.name : "Error",
    errorKind: undefined,
    errorCode: undefined,
    facts: {},
  };
}

function heapPush(heap: Entry[], entry: Entry): void {
  heap.push(entry);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent]!.due <= entry.due) break;
    heap[i] = heap[parent]!;
    i = parent;
  }
  heap[i] = entry;
}

function heapPop(heap: Entry[]): Entry | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length === 0 || last === undefined) return top;
  let i = 0;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= heap.length) break;
    const right = left + 1;
    const child = right < heap.length && heap[right]!.due < heap[left]!.due ? right : left;
    if (heap[child]!.due >= last.due) break;
    heap[i] = heap[child]!;
    i = child;
  }
  heap[i] = last;
  return top;
}
