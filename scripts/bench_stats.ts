/**
 * What every section of `deno task bench` shares: timing a process, summing up repeated runs
 * (median and slowest), and the performance figures (each measured beside its floor or peer in
 * the same run, with the ratio against its target).
 *
 * @module
 */

/** Repeated measurements of one thing, in one unit. */
export interface Samples {
  /** What was measured: `sockit`, `bare deno`, `curl`. */
  label: string;
  /** Every run's value, in the order measured. */
  values: number[];
}

/** The median of some values (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The slowest run: the largest value when lower is better, the smallest otherwise. */
export function slowest(values: readonly number[], lowerIsBetter: boolean): number {
  if (values.length === 0) return NaN;
  return lowerIsBetter ? Math.max(...values) : Math.min(...values);
}

/** One performance figure, as measured in this run. */
export interface Figure {
  /** What it is, in a few words. */
  name: string;
  /** The unit of the samples: `ms`, `MB/s`, `KB/conn`. */
  unit: string;
  /** Whether a lower value is better (times, memory) or a higher one (throughput). */
  lowerIsBetter: boolean;
  /** sockit's runs. */
  sockit: Samples;
  /** The floor (a bare Deno script doing the same work) or the peer the target names. */
  against: Samples;
  /** Others measured beside it, for the reader (curl beside the bare loop, say). */
  beside?: Samples[];
  /**
   * The bare Deno floor of a figure measured against a peer (curl, dig, Node): the same work
   * with no options, no logging and no checks. Its own ratio against the peer says whether the
   * target is within what Deno reaches on this machine at all.
   */
  floor?: Samples;
  /**
   * The ratio compared with the target, from the medians. `cost`: sockit / against (at most the
   * target); `speed`: against / sockit for times, sockit / against for rates (at least the
   * target); `absolute`: sockit's median itself is compared with the target.
   */
  ratio: "cost" | "speed" | "absolute";
  /** The target, as a ratio (or in `unit` for an absolute figure). */
  target: number;
  /** How the work was set up, for the reader: `1000 URLs`, `pinned: nginx core 0, client core 1`. */
  note?: string;
  /**
   * The target holds in every run, not only for the medians: each round's ratio (sockit's and
   * the other's runs of one round, which `interleaved` measures side by side) must meet it.
   */
  everyRun?: boolean;
  /**
   * The ratio measured before the current performance work (the same kind of ratio, from its
   * issue's table): the report says whether this run is better, within the noise, or worse.
   */
  before?: number | undefined;
}

/** How far a ratio may move from `before` and still be the noise of a shared machine: 10%. */
export const NOISE = 0.1;

/** The ratio of a figure, from the medians; of its floor instead of sockit with `of`. */
export function figureRatio(figure: Figure, of: Samples = figure.sockit): number {
  const s = median(of.values), a = median(figure.against.values);
  if (figure.ratio === "absolute") return s;
  if (figure.ratio === "cost") return s / a;
  return figure.lowerIsBetter ? a / s : s / a;
}

/** The ratio of each round (sockit's run `i` against the other's run `i`). */
export function roundRatios(figure: Figure, of: Samples = figure.sockit): number[] {
  return of.values.flatMap((v, i) => {
    const a = figure.against.values[i];
    if (a === undefined) return [];
    const one = {
      ...figure,
      sockit: { ...of, values: [v] },
      against: { ...figure.against, values: [a] },
    };
    return [figureRatio(one)];
  });
}

/** The worst of the rounds' ratios. */
function worstRound(figure: Figure, of: Samples = figure.sockit): number {
  const ratios = roundRatios(figure, of);
  return figure.ratio === "speed" ? Math.min(...ratios) : Math.max(...ratios);
}

/** Whether a figure meets its target; its floor's ratio instead of sockit's with `of`. */
export function figurePasses(figure: Figure, of: Samples = figure.sockit): boolean {
  const meets = (ratio: number) =>
    figure.ratio === "speed" ? ratio >= figure.target : ratio <= figure.target;
  if (!meets(figureRatio(figure, of))) return false;
  return !figure.everyRun || meets(worstRound(figure, of));
}

/**
 * This run against the ratio before the work (`Figure.before`): `better`, `same` (within
 * {@linkcode NOISE}) or `worse`; undefined without one.
 */
export function againstBefore(figure: Figure): "better" | "same" | "worse" | undefined {
  if (figure.before === undefined) return undefined;
  const ratio = figureRatio(figure);
  // How much better this run is, as a fraction of the ratio before (negative: worse).
  const gain = figure.ratio === "speed"
    ? (ratio - figure.before) / figure.before
    : (figure.before - ratio) / figure.before;
  return gain > NOISE ? "better" : gain < -NOISE ? "worse" : "same";
}

/** The verdict: PASS, MISSED, or MISSED when even the bare Deno floor misses the target. */
function verdict(figure: Figure): string {
  if (figurePasses(figure)) return "PASS";
  if (figure.floor && !figurePasses(figure, figure.floor)) return "MISSED (floor too)";
  return "MISSED";
}

function value(v: number, unit: string): string {
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return `${v.toFixed(digits)} ${unit}`;
}

/** `33.1 ms (slowest 38.0 ms)`. */
export function describeSamples(samples: Samples, unit: string, lowerIsBetter: boolean): string {
  const m = median(samples.values), s = slowest(samples.values, lowerIsBetter);
  return `${value(m, unit)} (slowest ${value(s, unit)}, ${samples.values.length} runs)`;
}

/** The lines that print a figure: what sockit and its floor or peer did, the ratio, the verdict. */
export function formatFigure(figure: Figure): string[] {
  const { unit, lowerIsBetter } = figure;
  const ratio = figureRatio(figure);
  const lines = [`${figure.name}${figure.note ? ` (${figure.note})` : ""}`];
  const row = (label: string, samples: Samples) =>
    `    ${label.padEnd(36)} ${describeSamples(samples, unit, lowerIsBetter)}`;
  lines.push(row(figure.sockit.label, figure.sockit));
  lines.push(row(figure.against.label, figure.against));
  if (figure.floor) lines.push(row(`${figure.floor.label} (floor)`, figure.floor));
  for (const other of figure.beside ?? []) lines.push(row(`${other.label} (beside)`, other));
  const shown = figure.ratio === "absolute"
    ? `${value(ratio, unit)}, target at most ${value(figure.target, unit)}`
    : `${ratio.toFixed(2)}x ${
      figure.ratio === "cost"
        ? `sockit / ${figure.against.label}`
        : `against ${figure.against.label}`
    }, target ${figure.ratio === "cost" ? "at most" : "at least"} ${figure.target}x`;
  lines.push(`    => ${shown}: ${verdict(figure)}`);
  if (figure.everyRun) {
    const worst = worstRound(figure);
    lines.push(
      `    => in every run: the worst round's ratio ${
        figure.ratio === "absolute" ? value(worst, unit) : `${worst.toFixed(2)}x`
      }`,
    );
  }
  const before = againstBefore(figure);
  if (before !== undefined) {
    lines.push(
      `    => before this work: ${figure.before!.toFixed(2)}x; this run is ${
        before === "same"
          ? `within the noise (${NOISE * 100}%)`
          : before === "better"
          ? "better"
          : `WORSE, beyond the noise (${NOISE * 100}%)`
      }`,
    );
  }
  if (figure.floor && figure.ratio === "speed") {
    // How far sockit is from the floor, and whether the floor itself reaches the target.
    const floorRatio = figureRatio(figure, figure.floor);
    lines.push(
      `    => ${figure.floor.label}: ${floorRatio.toFixed(2)}x against ${figure.against.label}${
        figurePasses(figure, figure.floor) ? "" : ", short of the target itself"
      }; sockit does ${(figureRatio(figure) / floorRatio).toFixed(2)}x of the floor`,
    );
  }
  return lines;
}

/** The summary table printed at the end of a run, one line per figure. */
export function formatSummary(figures: readonly Figure[]): string[] {
  const lines = [
    `${"figure".padEnd(50)}${"sockit".padStart(12)}${"floor/peer".padStart(12)}${
      "ratio".padStart(9)
    }${"target".padStart(10)}${"floor".padStart(8)}${"before".padStart(8)}  verdict`,
  ];
  for (const f of figures) {
    const ratio = figureRatio(f);
    const compact = (v: number) => value(v, f.unit).replace(" ", "");
    lines.push(
      `${f.name.slice(0, 49).padEnd(50)}${compact(median(f.sockit.values)).padStart(12)}${
        compact(median(f.against.values)).padStart(12)
      }${(f.ratio === "absolute" ? "-" : `${ratio.toFixed(2)}x`).padStart(9)}${
        (f.ratio === "absolute"
          ? `<=${f.target}`
          : `${f.ratio === "cost" ? "<=" : ">="}${f.target}x`).padStart(10)
      }${(f.floor ? `${figureRatio(f, f.floor).toFixed(2)}x` : "").padStart(8)}${
        (f.before !== undefined ? `${f.before.toFixed(2)}x` : "").padStart(8)
      }  ${verdict(f)}${againstBefore(f) === "worse" ? ", WORSE than before" : ""}`,
    );
  }
  return lines;
}

/** The outcome of running a process once. */
export interface Timed {
  /** Wall-clock milliseconds from spawn to exit. */
  ms: number;
  /** Its stdout, when asked for. */
  stdout: string;
}

/**
 * Runs a command to its end and times it (wall clock, as a user waits for it). Its stdout goes to
 * /dev/null unless `capture`; a failure throws with the start of its stderr.
 */
export async function timeCommand(cmd: readonly string[], capture = false): Promise<Timed> {
  const [program, ...args] = cmd;
  const started = performance.now();
  const out = await new Deno.Command(program!, {
    args,
    stdin: "null",
    stdout: capture ? "piped" : "null",
    stderr: "piped",
  }).output();
  const ms = performance.now() - started;
  if (!out.success) {
    throw new Error(
      `${cmd.slice(0, 4).join(" ")}... exited ${out.code}: ${
        new TextDecoder().decode(out.stderr).slice(0, 400)
      }`,
    );
  }
  return { ms, stdout: capture ? new TextDecoder().decode(out.stdout) : "" };
}

/**
 * Runs each command `runs` times, interleaved (a, b, c, a, b, c...) and starting with a different
 * one each round, so that the drift of a shared machine hits all alike; `check` sees each run's
 * outcome (to verify its output). Returns the milliseconds of each, by label.
 */
export async function interleaved(
  commands: ReadonlyArray<{ label: string; cmd: readonly string[] }>,
  runs: number,
  check?: (label: string, timed: Timed) => void,
): Promise<Samples[]> {
  const results = commands.map(({ label }) => ({ label, values: [] as number[] }));
  for (let round = 0; round < runs; round++) {
    for (let k = 0; k < commands.length; k++) {
      const i = (k + round) % commands.length;
      const timed = await timeCommand(commands[i]!.cmd, check !== undefined);
      check?.(commands[i]!.label, timed);
      results[i]!.values.push(timed.ms);
    }
  }
  return results;
}
