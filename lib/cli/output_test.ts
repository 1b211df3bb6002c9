import assert from "node:assert/strict";
import { colorWanted, escapeBytes, Output } from "./output.ts";
import type { Io } from "./output.ts";

function fakeIo(terminal: boolean, env: Record<string, string> = {}): Io & { written: string[] } {
  const written: string[] = [];
  const sink = {
    write(buf: Uint8Array) {
      written.push(new TextDecoder().decode(buf));
      return Promise.resolve(buf.length);
    },
  };
  return {
    stdout: sink,
    stderr: sink,
    stdin: { read: () => Promise.resolve(null) },
    stderrIsTerminal: terminal,
    env: (name) => env[name],
    written,
  };
}

Deno.test("colorWanted() needs a terminal and neither NO_COLOR nor --no-color", () => {
  assert.equal(colorWanted(fakeIo(true), false), true);
  assert.equal(colorWanted(fakeIo(false), false), false);
  assert.equal(colorWanted(fakeIo(true, { NO_COLOR: "1" }), false), false);
  assert.equal(colorWanted(fakeIo(true), true), false);
  assert.equal(colorWanted(fakeIo(true, { NO_COLOR: "" }), false), true, "empty NO_COLOR is unset");
});

Deno.test("Output.error() colours the label only when asked", async () => {
  const plain = fakeIo(false);
  await new Output(plain, false).error("Cannot connect: refused");
  assert.deepEqual(plain.written, ["error: Cannot connect: refused\n"]);
  const colored = fakeIo(true);
  await new Output(colored, true).error("x");
  assert.deepEqual(colored.written, ["\x1b[1;31merror\x1b[0m: x\n"]);
});

Deno.test("Output keeps unawaited stdout writes in call order", async () => {
  const io = fakeIo(false);
  const out = new Output(io, false);
  for (let i = 0; i < 50; i++) void out.json({ i });
  await out.flush();
  assert.deepEqual(io.written.map((l) => JSON.parse(l).i), Array.from({ length: 50 }, (_, i) => i));
});

Deno.test("escapeBytes() escapes controls, quotes and high bytes and counts what it leaves out", () => {
  assert.equal(escapeBytes(new TextEncoder().encode('a"b\\c\r\n\t')), '"a\\"b\\\\c\\r\\n\\t"');
  assert.equal(escapeBytes(new Uint8Array([0x7f, 0x80, 0xff])), '"\\x7f\\x80\\xff"');
  assert.equal(escapeBytes(new Uint8Array(300)).endsWith('" (+44 bytes)'), true);
});
