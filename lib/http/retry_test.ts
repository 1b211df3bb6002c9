import assert from "node:assert/strict";
import { ConnectError, ProtocolError, TimeoutError } from "../net/errors.ts";
import {
  backoffMs,
  isRetryableError,
  isRetryableStatus,
  MAX_RETRY_WAIT_MS,
  retryAfterMs,
  retryWait,
} from "./retry.ts";

Deno.test("retryWait() caps a huge Retry-After, in seconds or as a date, and never turns it into no wait", () => {
  const now = Date.UTC(2030, 0, 1);
  for (const value of ["99999999", "3600", "9".repeat(400), "Tue, 01 Jan 2030 01:00:00 GMT"]) {
    const wait = retryWait(1, { baseMs: 1000, retryAfter: value, now });
    assert.equal(wait.ms, MAX_RETRY_WAIT_MS, value);
    assert.equal(wait.capped, true, value);
    assert.ok(wait.askedMs! > MAX_RETRY_WAIT_MS, value);
  }
});

Deno.test("retryWait() takes a Retry-After under the cap as it is, and 0 as 0", () => {
  assert.deepEqual(retryWait(5, { baseMs: 1000, retryAfter: "2" }), {
    ms: 2000,
    askedMs: 2000,
    capped: false,
  });
  assert.deepEqual(retryWait(1, { baseMs: 1000, retryAfter: "0" }), {
    ms: 0,
    askedMs: 0,
    capped: false,
  });
  assert.equal(retryWait(1, { baseMs: 1000, retryAfter: "2", capMs: 500 }).ms, 500);
});

Deno.test("retryWait() backs off without Retry-After, or with an unreadable one", () => {
  assert.equal(retryWait(3, { baseMs: 1000 }).ms, 4000);
  assert.equal(retryWait(3, { baseMs: 1000, retryAfter: "soon" }).ms, 4000);
  assert.equal(retryWait(3, { baseMs: 1000, retryAfter: "-5" }).ms, 4000);
  assert.equal(retryWait(2000, { baseMs: 1000 }).ms, MAX_RETRY_WAIT_MS);
});

Deno.test("retryAfterMs() reads a date in the past as 0 and rounds a date up to a second", () => {
  const now = Date.UTC(2030, 0, 1, 0, 0, 0, 250);
  assert.equal(retryAfterMs("Tue, 01 Jan 2030 00:00:00 GMT", now), 0);
  assert.equal(retryAfterMs("Tue, 01 Jan 2030 00:00:02 GMT", now), 2000);
  assert.equal(retryAfterMs(undefined), undefined);
  assert.equal(retryAfterMs("12345"), 12_345_000);
});

Deno.test("backoffMs() doubles up to the cap, and a zero base stays zero", () => {
  assert.deepEqual([1, 2, 3].map((n) => backoffMs(n, 10, 25)), [10, 20, 25]);
  assert.equal(backoffMs(5000, 0, 60_000), 0);
  assert.equal(backoffMs(5000, 1, 60_000), 60_000);
});

Deno.test("isRetryableError() and isRetryableStatus() pick connection failures, timeouts, 429 and 5xx", () => {
  assert.ok(isRetryableError(new ConnectError("refused")));
  assert.ok(isRetryableError(new TimeoutError("slow")));
  assert.ok(!isRetryableError(new ProtocolError("bad")));
  assert.ok(!isRetryableError(new Error("other")));
  assert.deepEqual([429, 500, 503, 599].map(isRetryableStatus), [true, true, true, true]);
  assert.deepEqual([200, 404, 408, 600].map(isRetryableStatus), [false, false, false, false]);
});
