/**
 * "Did you mean": the known name closest to a mistyped one, for unknown commands, options and
 * spec keys alike.
 *
 * @module
 */

/**
 * Returns the candidate closest to `input` when it is close enough to be a likely typo.
 *
 * @example
 * ```ts
 * import { suggest } from "./suggest.ts";
 * import assert from "node:assert/strict";
 * assert.equal(suggest("serv", ["serve", "send"]), "serve");
 * assert.equal(suggest("zzzz", ["serve", "send"]), undefined);
 * ```
 */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = candidate.startsWith(input) && input.length >= 2
      ? 0.5
      : editDistance(input, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = input.length <= 3 ? 1 : input.length <= 8 ? 2 : 3;
  return bestDistance <= limit ? best : undefined;
}

/** Edit distance where swapping two neighbours counts as one edit (`prot` is 1 from `port`). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 0; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}
