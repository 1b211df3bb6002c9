/**
 * Mutation of seed inputs for fuzzing: bit flips, byte changes, truncation, duplication,
 * splicing, huge numbers and long runs, each drawn by fast-check so that a failure shrinks to the
 * smallest list of mutations that still shows it.
 *
 * @module
 */
import fc from "fast-check";
import { concatBytes } from "../../lib/net/bytes.ts";

/** One mutation, positions taken modulo the input's length. */
export type Mutation =
  | { op: "flip"; at: number; bit: number }
  | { op: "set"; at: number; byte: number }
  | { op: "delete"; at: number; length: number }
  | { op: "duplicate"; at: number; length: number }
  | { op: "truncate"; at: number }
  | { op: "insert"; at: number; bytes: Uint8Array }
  | { op: "splice"; at: number; other: number; from: number };

const HUGE = ["18446744073709551616", "99999999999999999999999", "-1", "0x7fffffff", "1e308"];

/** Draws one mutation. */
export function mutationArb(): fc.Arbitrary<Mutation> {
  const at = fc.nat({ max: 1 << 20 });
  return fc.oneof(
    fc.record({ op: fc.constant("flip" as const), at, bit: fc.nat({ max: 7 }) }),
    fc.record({ op: fc.constant("set" as const), at, byte: fc.nat({ max: 255 }) }),
    fc.record({ op: fc.constant("delete" as const), at, length: fc.integer({ min: 1, max: 64 }) }),
    fc.record({
      op: fc.constant("duplicate" as const),
      at,
      length: fc.integer({ min: 1, max: 64 }),
    }),
    fc.record({ op: fc.constant("truncate" as const), at }),
    fc.record({
      op: fc.constant("insert" as const),
      at,
      bytes: fc.oneof(
        fc.uint8Array({ minLength: 1, maxLength: 16 }),
        fc.constantFrom(...HUGE).map((s) => new TextEncoder().encode(s)),
        fc.tuple(fc.nat({ max: 255 }), fc.integer({ min: 64, max: 5000 })).map(([b, n]) =>
          new Uint8Array(n).fill(b)
        ),
        fc.constantFrom("\r\n", "\n", "\r", ":", " ", "\t", ";", "\0", "\\").map((s) =>
          new TextEncoder().encode(s)
        ),
      ),
    }),
    fc.record({ op: fc.constant("splice" as const), at, other: fc.nat(), from: fc.nat() }),
  );
}

/** Applies `mutations` to a copy of `seed`; `others` are what a splice takes from. */
export function mutate(seed: Uint8Array, mutations: Mutation[], others: Uint8Array[]): Uint8Array {
  let bytes: Uint8Array = seed.slice();
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : m.at % (bytes.length + 1);
    switch (m.op) {
      case "flip":
        if (at < bytes.length) bytes[at]! ^= 1 << m.bit;
        break;
      case "set":
        if (at < bytes.length) bytes[at] = m.byte;
        break;
      case "delete":
        bytes = concatBytes([bytes.subarray(0, at), bytes.subarray(at + m.length)]);
        break;
      case "duplicate":
        bytes = concatBytes([bytes.subarray(0, at + m.length), bytes.subarray(at)]);
        break;
      case "truncate":
        bytes = bytes.slice(0, at);
        break;
      case "insert":
        bytes = concatBytes([bytes.subarray(0, at), m.bytes, bytes.subarray(at)]);
        break;
      case "splice": {
        const other = others[m.other % Math.max(1, others.length)] ?? new Uint8Array();
        const from = other.length === 0 ? 0 : m.from % other.length;
        bytes = concatBytes([bytes.subarray(0, at), other.subarray(from)]);
        break;
      }
    }
  }
  return bytes;
}

/** Seeds, mutated 0 to 8 times: mostly near-valid inputs, which reach deep into a parser. */
export function mutatedArb(seeds: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.tuple(fc.nat({ max: seeds.length - 1 }), fc.array(mutationArb(), { maxLength: 8 }))
    .map(([i, mutations]) => mutate(seeds[i]!, mutations, seeds));
}

/** Text from bytes, one character per byte (as HTTP heads and command lines may carry). */
export function latin1Text(bytes: Uint8Array): string {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return text;
}
