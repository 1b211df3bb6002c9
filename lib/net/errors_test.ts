import assert from "node:assert/strict";
import { ipv4Bytes } from "./addr.ts";
import { withDeadline } from "./deadline.ts";
import { dial } from "./dial.ts";
import { parseDuration } from "./duration.ts";
import {
  ConnectError,
  InterruptedError,
  invalidInput,
  isInvalidInput,
  LimitError,
  SockitError,
  TimeoutError,
} from "./errors.ts";
import { BufReader } from "./reader.ts";
import { bytesReader } from "./io.ts";

Deno.test("a SockitError with a why says what failed, a colon, and why", () => {
  const error = new ConnectError("Cannot connect to 127.0.0.1:1", {
    why: "connection refused",
    kind: "connect",
  });
  assert.equal(error.message, "Cannot connect to 127.0.0.1:1: connection refused");
  assert.equal(error.what, "Cannot connect to 127.0.0.1:1");
  assert.equal(error.why, "connection refused");
  assert.equal(error.kind, "connect");
  assert.equal(error.name, "ConnectError");
  assert.ok(error instanceof SockitError);
});

Deno.test("a SockitError without a why is its message whole, with no why and no kind", () => {
  const error = new LimitError("Too many redirects: more than 5");
  assert.equal(error.message, "Too many redirects: more than 5");
  assert.equal(error.what, error.message);
  assert.equal(error.why, undefined);
  assert.equal(error.kind, undefined);
});

Deno.test("InterruptedError keeps its signal beside what, why and kind", () => {
  const error = new InterruptedError("Waiting", { why: "interrupted", signal: "SIGTERM" });
  assert.equal(error.message, "Waiting: interrupted");
  assert.equal(error.signal, "SIGTERM");
});

Deno.test("a refused connect is a ConnectError of kind connect, its reason the why", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const error = await dial({ hostname: "127.0.0.1", port }).then(
    () => assert.fail("connected"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ConnectError);
  assert.equal(error.kind, "connect");
  assert.equal(error.why, "connection refused");
  assert.equal(error.message, `Cannot connect to 127.0.0.1:${port}: connection refused`);
});

Deno.test("a deadline that passes is a TimeoutError of kind deadline", async () => {
  const error = await withDeadline(0, "Waiting for x", () => new Promise(() => {})).then(
    () => assert.fail("finished"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof TimeoutError);
  assert.deepEqual([error.kind, error.what, error.why], [
    "deadline",
    "Waiting for x",
    "timed out after 0ms",
  ]);
});

Deno.test("a line over the reader's limit is a LimitError of kind max-line", async () => {
  const reader = new BufReader(bytesReader(new TextEncoder().encode("abcdefgh\n")));
  const error = await reader.readLine(4).then(() => assert.fail("read"), (e: unknown) => e);
  assert.ok(error instanceof LimitError);
  assert.equal(error.kind, "max-line");
});

Deno.test("invalidInput() is the parser's own RangeError or TypeError, with input and why", () => {
  const range = invalidInput(RangeError, "duration", "5w", "use ms, s, m, h or d");
  assert.ok(range instanceof RangeError);
  assert.equal(String(range), 'RangeError: Invalid duration "5w": use ms, s, m, h or d');
  assert.deepEqual([range.input, range.why], ["5w", "use ms, s, m, h or d"]);
  const type = invalidInput(TypeError, "name", "a..b", "empty label", '"a..b" (4 characters)');
  assert.ok(type instanceof TypeError);
  assert.equal(type.message, 'Invalid name "a..b" (4 characters): empty label');
  // The fields are not enumerable: the error prints as the plain one it is.
  assert.deepEqual(Object.keys(type), []);
});

Deno.test("isInvalidInput() tells a parser's error from any other", () => {
  assert.ok(isInvalidInput(invalidInput(TypeError, "URL", "x", "empty")));
  assert.ok(!isInvalidInput(new TypeError('Invalid URL "x": empty')));
  assert.ok(!isInvalidInput(Object.assign(new Error("x"), { input: "x", why: "y" })));
  assert.ok(!isInvalidInput("Invalid URL"));
});

Deno.test("durations and addresses that do not parse carry their input and why", () => {
  const cases: Array<[() => unknown, string, string]> = [
    [() => parseDuration("5w"), "5w", "use a number with ms, s, m, h or d (500ms, 5s, 2m)"],
    [() => parseDuration("25d"), "25d", "the longest accepted is 24d"],
    [() => ipv4Bytes("1.2.3.256"), "1.2.3.256", "256 is over 255"],
  ];
  for (const [parse, input, why] of cases) {
    try {
      parse();
      assert.fail(`${input} parsed`);
    } catch (error) {
      assert.ok(isInvalidInput(error), String(error));
      assert.deepEqual([error.input, error.why], [input, why]);
      assert.ok(error.message.endsWith(`: ${why}`), error.message);
    }
  }
});
