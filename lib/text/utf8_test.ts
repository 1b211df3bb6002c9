import assert from "node:assert/strict";
import { utf8 } from "./utf8.ts";

Deno.test("utf8() is TextEncoder's bytes of the parts joined, ASCII or not, wherever it is", () => {
  const cases: string[][] = [
    [],
    [""],
    ["plain ascii\n", "more"],
    ["caf\u00e9"],
    ["ascii first, ", "then \u{1f995}", " and ascii again"],
    ["x\ud800y"],
    ["\u00e9", ""],
    ["a".repeat(70_000), "\u00fc"],
  ];
  for (const parts of cases) {
    assert.deepEqual(
      utf8(parts),
      new TextEncoder().encode(parts.join("")),
      JSON.stringify(parts).slice(0, 60),
    );
  }
});
