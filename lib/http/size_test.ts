import assert from "node:assert/strict";
import { formatSize, parseSize } from "./size.ts";

Deno.test("parseSize() reads bytes and K, M, G, T suffixes in either case, with an optional B or iB", () => {
  assert.equal(parseSize("0"), 0);
  assert.equal(parseSize("4096"), 4096);
  assert.equal(parseSize("64K"), 64 * 1024);
  assert.equal(parseSize("64k"), 64 * 1024);
  assert.equal(parseSize("10M"), 10 * 1024 ** 2);
  assert.equal(parseSize("1G"), 1024 ** 3);
  assert.equal(parseSize("2t"), 2 * 1024 ** 4);
  assert.equal(parseSize("1.5M"), 1.5 * 1024 ** 2);
  assert.equal(parseSize("10MB"), 10 * 1024 ** 2);
  assert.equal(parseSize("10MiB"), 10 * 1024 ** 2);
  assert.equal(parseSize(" 8 K "), 8 * 1024);
  assert.equal(parseSize("0.5"), 0, "a fraction of a byte rounds down");
});

Deno.test("parseSize() refuses what is not a size: empty, negative, malformed, other units", () => {
  for (
    const text of ["", " ", "-1", "-5K", "K", "1.", ".5", "1e3", "1P", "10 MBs", "ten", "0x10"]
  ) {
    assert.throws(() => parseSize(text), RangeError, JSON.stringify(text));
  }
  assert.throws(() => parseSize("12X"), /^RangeError: Invalid size "12X": use a number of bytes/);
});

Deno.test("formatSize() shows bytes below 1 KiB and one decimal above, up to TiB", () => {
  assert.equal(formatSize(0), "0 B");
  assert.equal(formatSize(1023), "1023 B");
  assert.equal(formatSize(1024), "1.0 KiB");
  assert.equal(formatSize(1536), "1.5 KiB");
  assert.equal(formatSize(10 * 1024 ** 2), "10.0 MiB");
  assert.equal(formatSize(3 * 1024 ** 3), "3.0 GiB");
  assert.equal(formatSize(2 * 1024 ** 4), "2.0 TiB");
  assert.equal(formatSize(4096 * 1024 ** 4), "4096.0 TiB", "TiB is the largest unit");
});
