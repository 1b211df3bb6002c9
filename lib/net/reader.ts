/**
 * Buffered reading over a connection: lines with a length limit, exact counts, and whatever is
 * there, all from one reused buffer. Protocol parsers (HTTP heads, chunk sizes) read lines; body
 * readers take views of the buffer, so the hot path allocates nothing per chunk.
 *
 * @module
 */
import { describeNetError, isPeerGone } from "./dial.ts";
import { ConnectError, LimitError, ProtocolError } from "./errors.ts";
import type { ByteReader } from "./io.ts";
import type { TraceFn } from "./trace.ts";

/** The size a {@linkcode BufReader}'s buffer starts at, when its `bufferSize` is larger. */
const FIRST_BUFFER_SIZE = 16 * 1024;

/** Options for {@linkcode BufReader}. */
export interface BufReaderOptions {
  /**
   * The most the buffer holds for reads, in bytes; lines longer than it grow it up to their
   * limit. The buffer starts at 16 KiB (or this, when smaller) and doubles each time a read
   * fills it, up to this: a short exchange costs no large allocation, a long stream reaches
   * full-size reads after a few. @default {262144}
   */
  bufferSize?: number;
  /** Receives a `recv` step, with the bytes, for each read from the source. */
  trace?: TraceFn | undefined;
}

/**
 * A buffered reader over a {@linkcode ByteReader} (a `Deno.Conn`, say). Every view it returns
 * points into its buffer and is valid only until the next call.
 *
 * @example Read a line, then the rest
 * ```ts
 * import { BufReader } from "./reader.ts";
 * import { bytesReader } from "./io.ts";
 * import assert from "node:assert/strict";
 * const reader = new BufReader(bytesReader(new TextEncoder().encode("HTTP/1.1 200 OK\r\nhi")));
 * assert.equal(new TextDecoder().decode((await reader.readLine(100))!), "HTTP/1.1 200 OK");
 * assert.equal(new TextDecoder().decode((await reader.readSome())!), "hi");
 * assert.equal(await reader.readSome(), null);
 * ```
 */
export class BufReader {
  readonly #source: ByteReader;
  readonly #trace: TraceFn | undefined;
  #buf: Uint8Array;
  /** The size reads may grow the buffer to. */
  readonly #max: number;
  /** The last read filled the buffer's free space: the stream may be faster than the buffer. */
  #filled = false;
  #start = 0;
  #end = 0;
  #eof = false;
  /** Bytes read from the source so far. */
  bytesRead = 0;

  /** @param source What to read from. @param options Buffer size and trace. */
  constructor(source: ByteReader, options: BufReaderOptions = {}) {
    this.#source = source;
    this.#trace = options.trace;
    this.#max = options.bufferSize ?? 256 * 1024;
    this.#buf = new Uint8Array(Math.min(this.#max, FIRST_BUFFER_SIZE));
  }

  /** Moves the buffered bytes into a buffer of `size` bytes, at its start. */
  #resize(size: number): void {
    const grown = new Uint8Array(size);
    grown.set(this.#buf.subarray(this.#start, this.#end));
    this.#end -= this.#start;
    this.#start = 0;
    this.#buf = grown;
  }

  /** Bytes read from the source but not yet handed out. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /** Whether the source has reported its end. */
  get eof(): boolean {
    return this.#eof;
  }

  /** Reads once from the source into the free end of the buffer; false at end of stream. */
  async #fillOnce(): Promise<boolean> {
    if (this.#eof) return false;
    if (this.#start === this.#end) this.#start = this.#end = 0;
    if (this.#filled && this.#buf.length < this.#max) {
      this.#resize(Math.min(this.#max, this.#buf.length * 2));
    } else if (this.#end === this.#buf.length) {
      this.#buf.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    let n: number | null;
    try {
      n = await this.#source.read(this.#buf.subarray(this.#end));
    } catch (error) {
      if (isPeerGone(error)) {
        throw new ConnectError("Connection lost", {
          cause: error,
          why: describeNetError(error),
          kind: "connection-lost",
        });
      }
      throw error;
    }
    if (n === null) {
      this.#eof = true;
      this.#trace?.({ step: "recv", bytes: 0, detail: "EOF" });
      return false;
    }
    this.#trace?.({ step: "recv", bytes: n, data: this.#buf.subarray(this.#end, this.#end + n) });
    this.#filled = this.#end + n === this.#buf.length;
    this.#end += n;
    this.bytesRead += n;
    return true;
  }

  /** Waits until at least one byte is buffered; false when the stream ended first. */
  async fill(): Promise<boolean> {
    if (this.#end > this.#start) return true;
    return await this.#fillOnce();
  }

  /**
   * Takes one line ended by LF when a whole one is already buffered, as {@linkcode readLine}
   * returns it; `undefined` when the buffer holds no LF yet (then call `readLine`). A parser of
   * many short lines (an HTTP head) takes them without a promise each.
   *
   * @throws {LimitError} When the buffered line is longer than `max` bytes, ending included.
   *
   * @example
   * ```ts
   * import { BufReader } from "./reader.ts";
   * import { bytesReader } from "./io.ts";
   * import assert from "node:assert/strict";
   * const reader = new BufReader(bytesReader(new TextEncoder().encode("a\r\nb")));
   * assert.equal(reader.takeLine(100), undefined); // nothing read yet
   * await reader.fill();
   * assert.equal(new TextDecoder().decode(reader.takeLine(100)), "a");
   * assert.equal(reader.takeLine(100), undefined); // "b" has no LF yet
   * ```
   */
  takeLine(max: number): Uint8Array | undefined {
    return this.#lineFrom(0, max);
  }

  /** The buffered line, scanning for its LF from `scanned` bytes in; `undefined` without one. */
  #lineFrom(scanned: number, max: number): Uint8Array | undefined {
    const buf = this.#buf;
    const start = this.#start;
    const end = this.#end;
    // A plain loop: for the short lines of a head it is several times faster than indexOf on a
    // subarray, which allocates a view per call.
    let lf = start + scanned;
    while (lf < end && buf[lf] !== 0x0a) lf++;
    if (lf === end) return undefined;
    if (lf - start + 1 > max) {
      throw new LimitError(`Line longer than ${max} bytes`, { kind: "max-line" });
    }
    this.#start = lf + 1;
    return buf.subarray(start, lf > start && buf[lf - 1] === 0x0d ? lf - 1 : lf);
  }

  /**
   * Reads one line ended by LF (a CR before the LF is removed too) and returns it without the
   * ending. At most `max` bytes, ending included, are accepted.
   *
   * @returns The line, or `null` when the stream ended before its first byte.
   * @throws {LimitError} When no LF comes within `max` bytes.
   * @throws {ProtocolError} When the stream ends in the middle of the line.
   */
  async readLine(max: number): Promise<Uint8Array | null> {
    let scanned = 0;
    while (true) {
      const line = this.#lineFrom(scanned, max);
      if (line !== undefined) return line;
      scanned = this.#end - this.#start;
      if (scanned >= max) {
        throw new LimitError(`Line longer than ${max} bytes`, { kind: "max-line" });
      }
      if (this.#start > 0 && this.#end === this.#buf.length) {
        this.#buf.copyWithin(0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#start = 0;
      }
      if (this.#end === this.#buf.length) {
        const grown = new Uint8Array(Math.min(Math.max(max, 1024), this.#buf.length * 2));
        grown.set(this.#buf.subarray(0, this.#end));
        this.#buf = grown;
      }
      if (!await this.#fillOnce()) {
        if (scanned === 0) return null;
        throw new ProtocolError(`Connection closed in the middle of a line (${scanned} bytes)`);
      }
    }
  }

  /**
   * Returns up to `max` bytes: those already buffered, or else what one read from the source
   * brings.
   *
   * @returns A view into the buffer, or `null` at end of stream.
   */
  async readSome(max: number = Infinity): Promise<Uint8Array | null> {
    if (this.#start === this.#end && !await this.#fillOnce()) return null;
    const n = Math.min(max, this.#end - this.#start);
    const view = this.#buf.subarray(this.#start, this.#start + n);
    this.#start += n;
    return view;
  }

  /**
   * Reads exactly `n` bytes (at most the buffer's size, `bufferSize`).
   *
   * @throws {ProtocolError} When the stream ends first.
   */
  async readExact(n: number): Promise<Uint8Array> {
    if (n > Math.max(this.#max, this.#buf.length)) {
      throw new RangeError(`Cannot read ${n} bytes into a smaller buffer`);
    }
    if (n > this.#buf.length) this.#resize(n);
    while (this.#end - this.#start < n) {
      if (this.#start + n > this.#buf.length) {
        this.#buf.copyWithin(0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#start = 0;
      }
      if (!await this.#fillOnce()) {
        throw new ProtocolError(
          `Connection closed after ${this.#end - this.#start} of ${n} bytes`,
        );
      }
    }
    const view = this.#buf.subarray(this.#start, this.#start + n);
    this.#start += n;
    return view;
  }

  /**
   * Reads to the end of the stream, handing each chunk (a view) to `onChunk` and awaiting it.
   *
   * @returns The number of bytes read.
   * @throws {LimitError} When more than `limit` bytes come.
   */
  async readToEof(
    onChunk: (chunk: Uint8Array) => void | Promise<void>,
    limit: number = Infinity,
  ): Promise<number> {
    let total = 0;
    for (let chunk = await this.readSome(); chunk !== null; chunk = await this.readSome()) {
      total += chunk.length;
      if (total > limit) {
        throw new LimitError(`More than ${limit} bytes before end of stream`, {
          kind: "max-stream",
        });
      }
      await onChunk(chunk);
    }
    return total;
  }
}
