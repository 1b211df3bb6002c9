import assert from "node:assert/strict";
import { concatBytes, indexOfBytes } from "./bytes.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("concatBytes() joins chunks in order, empty ones included, into a new array", () => {
  const first = bytes("ab");
  const joined = concatBytes([first, new Uint8Array(0), bytes("c")]);
  assert.deepEqual(joined, bytes("abc"));
  joined[0] = 0;
  assert.equal(first[0], 0x61);
  assert.deepEqual(concatBytes([]), new Uint8Array(0));
});

Deno.test("indexOfBytes() finds the first occurrence at or after from, or -1", () => {
  assert.equal(indexOfBytes(bytes("xxabab"), bytes("ab")), 2);
  assert.equal(indexOfBytes(bytes("xxabab"), bytes("ab"), 3), 4);
  assert.equal(indexOfBytes(bytes("xxaba"), bytes("abab")), -1);
  assert.equal(indexOfBytes(bytes("ab"), bytes("abc")), -1);
  assert.equal(indexOfBytes(bytes("ab"), new Uint8Array(0)), 0);
  assert.equal(indexOfBytes(new Uint8Array(0), new Uint8Array(0)), 0);
});
