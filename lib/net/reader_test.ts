import assert from "node:assert/strict";
import { LimitError, ProtocolError } from "./errors.ts";
import type { ByteReader } from "./io.ts";
import { BufReader } from "./reader.ts";
import { bytesReader } from "./io.ts";

/** A source that hands out the given pieces one read at a time (split when the buffer is short). */
function pieces(...parts: string[]): ByteReader {
  const queue = parts.map((p) => new TextEncoder().encode(p));
  return {
    read(buf) {
      const next = queue.shift();
      if (!next) return Promise.resolve(null);
      const n = Math.min(next.length, buf.length);
      buf.set(next.subarray(0, n));
      if (n < next.length) queue.unshift(next.subarray(n));
      return Promise.resolve(n);
    },
  };
}

const text = (bytes: Uint8Array | null) => bytes === null ? null : new TextDecoder().decode(bytes);

Deno.test("BufReader.readLine() joins a line split across reads and strips CRLF or LF", async () => {
  const reader = new BufReader(pieces("HTTP/1.1 2", "00 OK\r", "\nA: 1\nrest"));
  assert.equal(text(await reader.readLine(100)), "HTTP/1.1 200 OK");
  assert.equal(text(await reader.readLine(100)), "A: 1");
  assert.equal(text(await reader.readSome()), "rest");
});

Deno.test("BufReader.readLine() throws LimitError past its limit, ending included", async () => {
  await assert.rejects(new BufReader(pieces("12345\r\n")).readLine(6), LimitError);
  assert.equal(text(await new BufReader(pieces("12345\r\n")).readLine(7)), "12345");
  await assert.rejects(new BufReader(pieces("123", "456", "789")).readLine(5), LimitError);
});

Deno.test("BufReader.readLine() returns null at a clean end and throws mid-line", async () => {
  assert.equal(await new BufReader(pieces()).readLine(10), null);
  await assert.rejects(new BufReader(pieces("abc")).readLine(10), ProtocolError);
});

Deno.test("BufReader grows its buffer for a line longer than it, up to the limit", async () => {
  const long = "x".repeat(3000);
  const reader = new BufReader(
    pieces(long.slice(0, 1000), long.slice(1000, 2000), long.slice(2000) + "\n"),
    {
      bufferSize: 1024,
    },
  );
  assert.equal(text(await reader.readLine(4096)), long);
});

Deno.test("BufReader.readExact() reads across pieces and throws when the stream ends early", async () => {
  const reader = new BufReader(pieces("ab", "cd", "ef"));
  assert.equal(text(await reader.readExact(5)), "abcde");
  await assert.rejects(reader.readExact(2), /closed after 1 of 2 bytes/);
});

Deno.test("BufReader.readToEof() hands every byte over and enforces its limit", async () => {
  let seen = "";
  const total = await new BufReader(pieces("ab", "cd")).readToEof((c) => {
    seen += text(c);
  });
  assert.deepEqual([total, seen], [4, "abcd"]);
  await assert.rejects(new BufReader(pieces("ab", "cd")).readToEof(() => {}, 3), LimitError);
});

Deno.test("BufReader.readSome() respects max and serves buffered bytes first", async () => {
  const reader = new BufReader(pieces("abcdef"));
  assert.equal(text(await reader.readSome(2)), "ab");
  assert.equal(reader.buffered, 4);
  assert.equal(text(await reader.readSome()), "cdef");
  assert.equal(await reader.readSome(), null);
  assert.ok(reader.eof);
});

Deno.test("BufReader.takeLine() takes whole buffered lines and leaves a partial one to readLine()", async () => {
  const reader = new BufReader(pieces("A: 1\r\nB: 2\nC: 3", "\r\n"));
  assert.equal(reader.takeLine(100), undefined);
  assert.ok(await reader.fill());
  assert.equal(text(reader.takeLine(100)!), "A: 1");
  assert.equal(text(reader.takeLine(100)!), "B: 2");
  assert.equal(reader.takeLine(100), undefined);
  assert.equal(text(await reader.readLine(100)), "C: 3");
  assert.equal(reader.buffered, 0);
});

Deno.test("BufReader.takeLine() throws LimitError for a buffered line past its limit", async () => {
  const reader = new BufReader(pieces("12345\n"));
  await reader.fill();
  assert.throws(() => reader.takeLine(5), LimitError);
  assert.equal(text(reader.takeLine(6)!), "12345");
});

Deno.test("the buffer starts small and doubles while reads fill it, up to bufferSize", async () => {
  const asked: number[] = [];
  let left = 1 << 20;
  const reader = new BufReader({
    read(buf: Uint8Array) {
      asked.push(buf.length);
      if (left === 0) return Promise.resolve(null);
      const n = Math.min(left, buf.length);
      left -= n;
      return Promise.resolve(n);
    },
  }, { bufferSize: 128 * 1024 });
  let total = 0;
  for (let chunk = await reader.readSome(); chunk !== null; chunk = await reader.readSome()) {
    total += chunk.length;
  }
  assert.equal(total, 1 << 20);
  assert.deepEqual(asked.slice(0, 5), [16384, 32768, 65536, 131072, 131072]);
  // A short exchange never grows it.
  const short = new BufReader(bytesReader(new TextEncoder().encode("HTTP/1.1 204\r\n\r\n")), {
    bufferSize: 1 << 20,
  });
  assert.equal(new TextDecoder().decode((await short.readLine(100))!), "HTTP/1.1 204");
  // readExact past the current size grows it, up to bufferSize and no further.
  const exact = new BufReader(bytesReader(new Uint8Array(100_000)), { bufferSize: 100_000 });
  assert.equal((await exact.readExact(100_000)).length, 100_000);
  await assert.rejects(
    new BufReader(bytesReader(new Uint8Array(10)), { bufferSize: 8 }).readExact(10),
    RangeError,
  );
});
