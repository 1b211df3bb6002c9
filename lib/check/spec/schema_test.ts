/** The spec's vocabulary holds together: every kind has its keys, and the defaults are sane. */
import assert from "node:assert/strict";
import {
  CHECK_DEFAULTS,
  CHECK_KEYS,
  CHECK_KINDS,
  EXPECT_KEYS,
  KIND_KEYS,
  MAX_ATTEMPTS,
} from "./schema.ts";

Deno.test("every kind has its own keys and expectations, and is a key of a check", () => {
  for (const kind of CHECK_KINDS) {
    assert.ok(KIND_KEYS[kind].length > 0, kind);
    assert.ok(EXPECT_KEYS[kind].includes("time_under"), kind);
    assert.ok(CHECK_KEYS.includes(kind), kind);
  }
  assert.deepEqual(Object.keys(KIND_KEYS).sort(), [...CHECK_KINDS].sort());
  assert.deepEqual(Object.keys(EXPECT_KEYS).sort(), [...CHECK_KINDS].sort());
});

Deno.test("the defaults are one attempt of 5s, then 1s, 2s, 4s... up to 30s apart, and up to 100 attempts", () => {
  assert.equal(CHECK_DEFAULTS.timeoutMs, 5000);
  assert.deepEqual(CHECK_DEFAULTS.retry, {
    attempts: 1,
    firstPauseMs: 1000,
    factor: 2,
    maxPauseMs: 30_000,
  });
  assert.equal(MAX_ATTEMPTS, 100);
});
