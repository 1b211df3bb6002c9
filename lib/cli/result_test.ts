import assert from "node:assert/strict";
import { ConnectError, TimeoutError } from "../net/errors.ts";
import { UsageError } from "./args.ts";
import { Output } from "./output.ts";
import type { Io } from "./output.ts";
import { describeError, outcomeTail, writeJsonResult } from "./result.ts";

function capture(): { io: Io; lines: () => string[] } {
  let text = "";
  const sink = {
    write(buf: Uint8Array) {
      text += new TextDecoder().decode(buf);
      return Promise.resolve(buf.length);
    },
  };
  const io: Io = {
    stdout: sink,
    stderr: sink,
    stdin: { read: () => Promise.resolve(null) },
    stderrIsTerminal: false,
    env: () => undefined,
  };
  return { io, lines: () => text.split("\n").filter(Boolean) };
}

Deno.test("outcomeTail() gives null and 0 for success, the message and its code for a failure", () => {
  assert.deepEqual(outcomeTail(undefined), { error: null, exit_code: 0 });
  assert.deepEqual(outcomeTail(new UsageError("Bad flag")), { error: "Bad flag", exit_code: 2 });
  const timeout = new TimeoutError("Timed out after 1s");
  assert.deepEqual(outcomeTail(timeout), { error: "Timed out after 1s", exit_code: 5 });
});

Deno.test("describeError() adds the command's hint for an error's kind", () => {
  const error = new ConnectError("Too many redirects", { kind: "max-redirects" });
  assert.equal(
    describeError(error, { "max-redirects": "raise it with --max-redirs" }),
    "Too many redirects (raise it with --max-redirs)",
  );
  assert.equal(describeError(new RangeError("odd")), "Unexpected RangeError: odd");
});

Deno.test("writeJsonResult() ends the fields with error and exit_code, and records the result", async () => {
  const { io, lines } = capture();
  const to = { out: new Output(io, false), jsonPrinted: false };
  await writeJsonResult(to, { event: "done", ready: true }, outcomeTail(undefined));
  assert.equal(to.jsonPrinted, true);
  assert.deepEqual(lines(), ['{"event":"done","ready":true,"error":null,"exit_code":0}']);
});

Deno.test("writeJsonResult() with no exit code yet leaves a later failure free to print its own", async () => {
  const { io, lines } = capture();
  const to = { out: new Output(io, false), jsonPrinted: false };
  await writeJsonResult(to, { event: "done" }, { error: null, exit_code: null });
  assert.equal(to.jsonPrinted, false);
  await writeJsonResult(to, { event: "exit" }, { exit_code: 3 });
  assert.equal(to.jsonPrinted, true);
  assert.deepEqual(lines(), [
    '{"event":"done","error":null,"exit_code":null}',
    '{"event":"exit","exit_code":3}',
  ]);
});
