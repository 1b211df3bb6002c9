/**
 * Sizes as curl reads them: a number of bytes with an optional K, M, G or T suffix (powers of
 * 1024).
 *
 * @module
 */

const UNITS: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/**
 * Parses a size such as `64K`, `10M`, `1G`, `1.5M` or `4096` into bytes.
 *
 * @throws {RangeError} When the text is not a size.
 *
 * @example
 * ```ts
 * import { parseSize } from "./size.ts";
 * import assert from "node:assert/strict";
 * assert.equal(parseSize("64K"), 65536);
 * assert.equal(parseSize("10m"), 10485760);
 * assert.equal(parseSize("100"), 100);
 * ```
 */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(text.trim());
  if (!match) {
    throw new RangeError(
      `Invalid size "${text}": use a number of bytes, or with K, M, G (64K, 10M)`,
    );
  }
  return Math.floor(Number(match[1]) * UNITS[match[2]!.toLowerCase()]!);
}

/**
 * Formats bytes for people: `512 B`, `64.0 KiB`, `10.5 MiB`.
 *
 * @example
 * ```ts
 * import { formatSize } from "./size.ts";
 * import assert from "node:assert/strict";
 * assert.equal(formatSize(65536), "64.0 KiB");
 * ```
 */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
