/**
 * Reading an HTTP/1.1 response as RFC 9112 frames it: the status line, the header fields, and
 * where the body ends (none, Content-Length, chunked, or the server's close).
 *
 * Decisions where the RFC leaves a choice to the recipient:
 * - A line may end in LF alone as well as CRLF (RFC 9112 section 2.2 allows it); a CR anywhere
 *   else in a line, or a NUL, is a protocol error.
 * - obs-fold (a field line starting with a space or tab) is unfolded: it is joined to the previous
 *   field's value with one space, as section 5.2 asks of user agents. One before any field is an
 *   error.
 * - An HTTP/1.0 response with Transfer-Encoding has faulty framing (section 6.1): protocol error.
 *
 * @module
 */
import { LimitError, ProtocolError } from "../net/errors.ts";
import type { BufReader } from "../net/reader.ts";

/** Limits on a response head. */
export interface HeadLimits {
  /** Most bytes in a head (status line, fields, line ends). @default {65536} */
  maxHeadBytes?: number;
  /** Most header fields in a head (and in a trailer section). @default {100} */
  maxFields?: number;
}

/** Default head limits. */
export const DEFAULT_MAX_HEAD_BYTES = 64 * 1024;
/** Default number of fields. */
export const DEFAULT_MAX_FIELDS = 100;

/** Header fields in the order received, with case-insensitive lookup. */
export class HttpHeaders {
  /** Every field as `[name, value]`, names as received. */
  readonly entries: Array<[string, string]> = [];
  /** The names lower-cased, one per entry, made when first looked up. */
  #lower: string[] = [];

  /** @param entries Fields to start with. */
  constructor(entries: Iterable<[string, string]> = []) {
    for (const entry of entries) this.entries.push(entry);
  }

  /** Adds a field. */
  append(name: string, value: string): void {
    this.entries.push([name, value]);
  }

  /** The lower-cased names, brought up to date with {@linkcode HttpHeaders.entries}. */
  #names(): string[] {
    const lower = this.#lower;
    for (let i = lower.length; i < this.entries.length; i++) {
      lower.push(this.entries[i]![0].toLowerCase());
    }
    return lower;
  }

  /** Every value of a field, in order. */
  getAll(name: string): string[] {
    const lower = name.toLowerCase();
    const names = this.#names();
    const values: string[] = [];
    for (let i = 0; i < names.length; i++) if (names[i] === lower) values.push(this.entries[i]![1]);
    return values;
  }

  /** The values of a field joined with ", ", or `undefined` when absent. */
  get(name: string): string | undefined {
    const values = this.getAll(name);
    return values.length === 0 ? undefined : values.length === 1 ? values[0] : values.join(", ");
  }

  /** Whether the field is present. */
  has(name: string): boolean {
    return this.#names().includes(name.toLowerCase());
  }

  /** The comma-separated list elements of a field, trimmed, lower-cased, empty ones dropped. */
  tokens(name: string): string[] {
    const tokens: string[] = [];
    for (const value of this.getAll(name)) {
      for (const part of value.split(",")) {
        const token = part.trim().toLowerCase();
        if (token !== "") tokens.push(token);
      }
    }
    return tokens;
  }
}

/** A parsed status line. */
export interface StatusLine {
  /** `HTTP/1.1`, `HTTP/1.0`. */
  version: string;
  /** The three-digit status code. */
  status: number;
  /** The reason phrase, possibly empty. */
  reason: string;
}

/** A response head: status line and fields. */
export interface ResponseHead extends StatusLine {
  /** The header fields. */
  headers: HttpHeaders;
  /** Bytes the head took on the wire. */
  headBytes: number;
}

/** Decodes bytes one to one into a string (ISO-8859-1), as HTTP heads are read. */
export function latin1(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192) as unknown as number[]);
  }
  return text;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Tells whether text is an RFC 9110 token (a valid field name or method). */
export function isToken(text: string): boolean {
  return TOKEN.test(text);
}

function checkLine(line: string, what: string): void {
  if (line.includes("\0")) throw new ProtocolError(`NUL byte in ${what}`);
  if (line.includes("\r")) throw new ProtocolError(`Bare CR in ${what}`);
}

/**
 * Parses a status line: `HTTP/1.1 200 OK`. The reason phrase and the space before it may be
 * missing.
 *
 * @throws {ProtocolError} When it is not an HTTP/1.x status line with a code from 100 to 999.
 *
 * @example
 * ```ts
 * import { parseStatusLine } from "./response.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseStatusLine("HTTP/1.1 404 Not Found"),
 *   { version: "HTTP/1.1", status: 404, reason: "Not Found" });
 * assert.throws(() => parseStatusLine("HTTP/1.1 20 OK"));
 * ```
 */
export function parseStatusLine(line: string): StatusLine {
  checkLine(line, "the status line");
  const match = /^(HTTP\/(\d)\.(\d)) ([1-9]\d\d)(?: (.*))?$/.exec(line);
  if (!match) {
    throw new ProtocolError(`Invalid status line ${JSON.stringify(line.slice(0, 80))}`);
  }
  if (match[2] !== "1") {
    throw new ProtocolError(`Unsupported HTTP version "${match[1]}": expected HTTP/1.x`);
  }
  return { version: match[1]!, status: Number(match[4]), reason: match[5] ?? "" };
}

/**
 * Parses a field line: `Name: value`. The name must be a token with no space before the colon;
 * the value is trimmed of spaces and tabs.
 *
 * @throws {ProtocolError} On a malformed line or a CR, LF or NUL in the value.
 *
 * @example
 * ```ts
 * import { parseFieldLine } from "./response.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseFieldLine("Content-Type:  text/plain "), ["Content-Type", "text/plain"]);
 * assert.throws(() => parseFieldLine("Content-Type : text/plain"), /whitespace/);
 * ```
 */
export function parseFieldLine(line: string): [string, string] {
  const colon = line.indexOf(":");
  if (colon < 0) {
    throw new ProtocolError(`Invalid header line ${JSON.stringify(line.slice(0, 80))}: no colon`);
  }
  const name = line.slice(0, colon);
  if (/[ \t]$/.test(name)) {
    throw new ProtocolError(`Invalid header "${name.trimEnd()}": whitespace before the colon`);
  }
  if (!isToken(name)) {
    throw new ProtocolError(`Invalid header name ${JSON.stringify(name.slice(0, 80))}`);
  }
  const value = trimOws(line.slice(colon + 1));
  if (/[\r\n\0]/.test(value)) {
    throw new ProtocolError(`Invalid value for header "${name}": CR, LF or NUL`);
  }
  return [name, value];
}

/**
 * Removes spaces and tabs at both ends (RFC 9110 "OWS"), in time linear in the length: the regular
 * expression `/[ \t]+$/` takes quadratic time on a long run of tabs that does not end the text,
 * which a hostile server could send to stall the client for seconds on one field.
 *
 * @example
 * ```ts
 * import { trimOws } from "./response.ts";
 * import assert from "node:assert/strict";
 * assert.equal(trimOws(" \t a b \t"), "a b");
 * ```
 */
export function trimOws(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && (text[start] === " " || text[start] === "\t")) start++;
  while (end > start && (text[end - 1] === " " || text[end - 1] === "\t")) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/**
 * Reads field lines up to the empty line that ends them, unfolding obs-fold.
 *
 * @param budget Bytes the lines may take, line ends included.
 * @returns The fields and the bytes they took.
 */
export async function readFields(
  reader: BufReader,
  budget: number,
  maxFields: number,
  what = "response head",
): Promise<{ fields: Array<[string, string]>; bytes: number }> {
  const fields: Array<[string, string]> = [];
  let bytes = 0;
  while (true) {
    const before = reader.bytesRead - reader.buffered;
    // A line already buffered is taken without a promise: a head usually comes in one read.
    let raw = nextHeadLine(reader, budget - bytes, what);
    if (raw instanceof Promise) raw = await raw;
    bytes += reader.bytesRead - reader.buffered - before;
    if (raw.length === 0) return { fields, bytes };
    const line = latin1(raw);
    if (line.includes("\0")) throw new ProtocolError(`NUL byte in ${what}`);
    if (line.includes("\r")) throw new ProtocolError(`Bare CR in ${what}`);
    if (line[0] === " " || line[0] === "\t") {
      const last = fields.at(-1);
      if (!last) throw new ProtocolError(`Invalid ${what}: folded line before any field`);
      const more = trimOws(line);
      last[1] = last[1] === "" ? more : more === "" ? last[1] : `${last[1]} ${more}`;
      continue;
    }
    if (fields.length >= maxFields) {
      throw new LimitError(`Too many header fields in ${what}: more than ${maxFields}`, {
        kind: "max-fields",
      });
    }
    fields.push(parseFieldLine(line));
  }
}

/**
 * The next line of a head (a request's or a response's): at once when it is buffered, else a
 * promise of it.
 *
 * @param budget Bytes the line may take, its ending included.
 * @param what The head, for messages: `response head`, `request head`.
 * @throws {LimitError} (`max-head`) When the line does not end within `budget` bytes.
 * @throws {ProtocolError} When the connection closes in the middle of the line (or before it).
 */
export function nextHeadLine(
  reader: BufReader,
  budget: number,
  what: string,
): Uint8Array | Promise<Uint8Array> {
  if (budget <= 0) throw new LimitError(`The ${what} is too large`, { kind: "max-head" });
  let line: Uint8Array | undefined;
  try {
    line = reader.takeLine(budget);
  } catch (error) {
    throw headError(error, what);
  }
  return line ?? readHeadLine(reader, budget, what);
}

/** A line reader's error, in terms of the head it was reading. */
function headError(error: unknown, what: string): unknown {
  if (error instanceof LimitError) {
    return new LimitError(`The ${what} is too large: over the size limit`, {
      cause: error,
      kind: "max-head",
    });
  }
  if (error instanceof ProtocolError) {
    return new ProtocolError(`Connection closed in the middle of the ${what}`, { cause: error });
  }
  return error;
}

async function readHeadLine(reader: BufReader, budget: number, what: string): Promise<Uint8Array> {
  let line: Uint8Array | null;
  try {
    line = await reader.readLine(budget);
  } catch (error) {
    throw headError(error, what);
  }
  if (line === null) throw new ProtocolError(`Connection closed in the middle of the ${what}`);
  return line;
}

/**
 * Reads one response head (status line and fields).
 *
 * @returns The head, or `null` when the connection closed before its first byte.
 * @throws {ProtocolError} On malformed or truncated heads.
 * @throws {LimitError} When the head is larger than `maxHeadBytes` or has too many fields.
 */
export async function readResponseHead(
  reader: BufReader,
  limits: HeadLimits = {},
): Promise<ResponseHead | null> {
  const maxHeadBytes = limits.maxHeadBytes ?? DEFAULT_MAX_HEAD_BYTES;
  const maxFields = limits.maxFields ?? DEFAULT_MAX_FIELDS;
  const before = reader.bytesRead - reader.buffered;
  let first: Uint8Array | null | undefined;
  try {
    first = reader.takeLine(maxHeadBytes) ?? await reader.readLine(maxHeadBytes);
  } catch (error) {
    if (error instanceof LimitError) {
      throw new LimitError("The response head is too large: over the size limit", {
        cause: error,
        kind: "max-head",
      });
    }
    if (error instanceof ProtocolError) {
      throw new ProtocolError("Connection closed in the middle of the status line", {
        cause: error,
      });
    }
    throw error;
  }
  if (first === null) return null;
  const statusLine = parseStatusLine(latin1(first));
  const used = reader.bytesRead - reader.buffered - before;
  const { fields, bytes } = await readFields(reader, maxHeadBytes - used, maxFields);
  return { ...statusLine, headers: new HttpHeaders(fields), headBytes: used + bytes };
}

/** Where a response body ends. */
export type BodyFraming =
  | { kind: "none" }
  | { kind: "length"; length: number }
  | { kind: "chunked" }
  | { kind: "close" };

/** How to read a response's body and whether its connection can carry another request. */
export interface Framing {
  /** Where the body ends. */
  body: BodyFraming;
  /** Whether the connection may be reused after this body. */
  reusable: boolean;
  /** Transfer codings other than the final chunked, in the order applied (`gzip`). */
  transferCodings: string[];
}

/**
 * Decides how a response body is framed, in the order of RFC 9112 section 6.3.
 *
 * @throws {ProtocolError} On conflicting Content-Length values, an invalid Content-Length, or
 * Transfer-Encoding in an HTTP/1.0 response.
 *
 * @example
 * ```ts
 * import { bodyFraming, HttpHeaders } from "./response.ts";
 * import assert from "node:assert/strict";
 * const head = { version: "HTTP/1.1", status: 200, reason: "OK", headBytes: 0,
 *   headers: new HttpHeaders([["Content-Length", "5"], ["Content-Length", "5"]]) };
 * assert.deepEqual(bodyFraming(head, "GET").body, { kind: "length", length: 5 });
 * assert.deepEqual(bodyFraming(head, "HEAD").body, { kind: "none" });
 * ```
 */
export function bodyFraming(head: ResponseHead, method: string): Framing {
  const { headers, status } = head;
  const connection = headers.tokens("connection");
  let reusable = head.version === "HTTP/1.0"
    ? connection.includes("keep-alive") && !connection.includes("close")
    : !connection.includes("close");
  if (method === "HEAD" || (status >= 100 && status < 200) || status === 204 || status === 304) {
    return { body: { kind: "none" }, reusable, transferCodings: [] };
  }
  if (headers.has("transfer-encoding")) {
    if (head.version === "HTTP/1.0") {
      throw new ProtocolError("Invalid framing: Transfer-Encoding in an HTTP/1.0 response");
    }
    const codings = headers.tokens("transfer-encoding").map((c) => c.split(";")[0]!.trim());
    const chunkedAt = codings.indexOf("chunked");
    if (chunkedAt >= 0 && chunkedAt !== codings.length - 1) {
      throw new ProtocolError(
        `Invalid Transfer-Encoding "${codings.join(", ")}": chunked is not the last coding`,
      );
    }
    if (headers.has("content-length")) reusable = false;
    const chunked = chunkedAt >= 0;
    const transferCodings = codings.filter((c) => c !== "chunked" && c !== "identity");
    if (chunked) return { body: { kind: "chunked" }, reusable, transferCodings };
    return { body: { kind: "close" }, reusable: false, transferCodings };
  }
  const lengths = headers.getAll("content-length");
  if (lengths.length === 1 && /^\d{1,15}$/.test(lengths[0]!)) {
    // The usual case, one plain value: the checks below cannot fail on it.
    return { body: { kind: "length", length: Number(lengths[0]) }, reusable, transferCodings: [] };
  }
  if (lengths.length > 0) {
    const values = new Set(lengths.flatMap((v) => v.split(",")).map((v) => v.trim()));
    for (const value of values) {
      if (!/^\d+$/.test(value)) throw new ProtocolError(`Invalid Content-Length "${value}"`);
    }
    const numbers = new Set([...values].map((v) => v.replace(/^0+(?=\d)/, "")));
    if (numbers.size > 1) {
      throw new ProtocolError(
        `Conflicting Content-Length values (${[...values].map((v) => `"${v}"`).join(", ")})`,
      );
    }
    const length = Number([...numbers][0]);
    if (!Number.isSafeInteger(length)) {
      throw new LimitError(`Content-Length ${[...numbers][0]} is too large`);
    }
    return { body: { kind: "length", length }, reusable, transferCodings: [] };
  }
  return { body: { kind: "close" }, reusable: false, transferCodings: [] };
}

/** Options for {@linkcode BodyReader}. */
export interface BodyReaderOptions extends HeadLimits {
  /** Most body bytes (as framed, before any decoding). @default {Infinity} */
  maxBytes?: number;
  /** Longest chunk-size line, extensions included. @default {4096} */
  maxChunkLine?: number;
}

/**
 * Reads a response body as its framing says, handing out views of the reader's buffer. A body
 * cut short is a {@linkcode ProtocolError}, never a silently short success.
 *
 * @example A chunked body
 * ```ts
 * import { BodyReader } from "./response.ts";
 * import { BufReader } from "../net/reader.ts";
 * import { bytesReader } from "../net/io.ts";
 * import assert from "node:assert/strict";
 * const wire = new TextEncoder().encode("3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nT: 1\r\n\r\n");
 * const body = new BodyReader(new BufReader(bytesReader(wire)), { kind: "chunked" });
 * let text = "";
 * for (let c = await body.read(); c; c = await body.read()) text += new TextDecoder().decode(c);
 * assert.equal(text, "abcde");
 * assert.deepEqual(body.trailers.entries, [["T", "1"]]);
 * ```
 */
export class BodyReader {
  readonly #reader: BufReader;
  readonly #framing: BodyFraming;
  readonly #maxBytes: number;
  readonly #maxChunkLine: number;
  readonly #limits: HeadLimits;
  /** Bytes of the current chunk (or the length-framed body) still to read. */
  #remaining: number;
  #state: "data" | "crlf" | "size" | "done";
  /** Body bytes handed out so far. */
  received = 0;
  /** Trailer fields of a chunked body, once it is read. */
  readonly trailers: HttpHeaders = new HttpHeaders();

  /** @param reader The connection's reader. @param framing From {@linkcode bodyFraming}. */
  constructor(reader: BufReader, framing: BodyFraming, options: BodyReaderOptions = {}) {
    this.#reader = reader;
    this.#framing = framing;
    this.#maxBytes = options.maxBytes ?? Infinity;
    this.#maxChunkLine = options.maxChunkLine ?? 4096;
    this.#limits = options;
    this.#remaining = framing.kind === "length" ? framing.length : 0;
    this.#state = framing.kind === "none" || (framing.kind === "length" && framing.length === 0)
      ? "done"
      : framing.kind === "chunked"
      ? "size"
      : "data";
    if (framing.kind === "length" && framing.length > this.#maxBytes) {
      throw new LimitError(
        `Response body of ${framing.length} bytes is over the limit of ${this.#maxBytes} bytes`,
        { kind: "max-body" },
      );
    }
  }

  /** Whether the whole body has been read. */
  get done(): boolean {
    return this.#state === "done";
  }

  #count(n: number): void {
    this.received += n;
    if (this.received > this.#maxBytes) {
      throw new LimitError(`Response body is over the limit of ${this.#maxBytes} bytes`, {
        kind: "max-body",
      });
    }
  }

  /** The next piece of the body (a view, valid until the next call), or `null` at its end. */
  async read(): Promise<Uint8Array | null> {
    switch (this.#framing.kind) {
      case "none":
        return null;
      case "close": {
        if (this.#state === "done") return null;
        const chunk = await this.#reader.readSome();
        if (chunk === null) {
          this.#state = "done";
          return null;
        }
        this.#count(chunk.length);
        return chunk;
      }
      case "length": {
        if (this.#state === "done") return null;
        const chunk = await this.#reader.readSome(this.#remaining);
        if (chunk === null) {
          throw new ProtocolError(
            `Response body cut short: the connection closed after ${this.received} of ${this.#framing.length} bytes`,
          );
        }
        this.#remaining -= chunk.length;
        this.#count(chunk.length);
        if (this.#remaining === 0) this.#state = "done";
        return chunk;
      }
      case "chunked":
        return await this.#readChunked();
    }
  }

  async #readChunked(): Promise<Uint8Array | null> {
    while (true) {
      if (this.#state === "done") return null;
      if (this.#state === "crlf") {
        // The CRLF after a chunk's data is read on the next call, not before returning the
        // data: reading it may refill the buffer, which would overwrite the view handed out.
        const end = await this.#line("the end of a chunk");
        if (end.length !== 0) {
          throw new ProtocolError("Invalid chunked body: chunk data longer than its size");
        }
        this.#state = "size";
      }
      if (this.#state === "size") {
        const size = await this.#readChunkSize();
        if (size === 0) {
          await this.#readTrailers();
          this.#state = "done";
          return null;
        }
        if (this.received + size > this.#maxBytes) {
          throw new LimitError(`Response body is over the limit of ${this.#maxBytes} bytes`, {
            kind: "max-body",
          });
        }
        this.#remaining = size;
        this.#state = "data";
      }
      const chunk = await this.#reader.readSome(this.#remaining);
      if (chunk === null) {
        throw new ProtocolError(
          `Response body cut short: the connection closed inside a chunk, after ${this.received} bytes`,
        );
      }
      this.#remaining -= chunk.length;
      this.#count(chunk.length);
      if (this.#remaining === 0) this.#state = "crlf";
      return chunk;
    }
  }

  async #line(where: string): Promise<Uint8Array> {
    let line: Uint8Array | null;
    try {
      line = await this.#reader.readLine(this.#maxChunkLine);
    } catch (error) {
      if (error instanceof LimitError) {
        throw new ProtocolError(
          `Invalid chunked body: line at ${where} longer than ${this.#maxChunkLine} bytes`,
          { cause: error },
        );
      }
      if (error instanceof ProtocolError) line = null;
      else throw error;
    }
    if (line === null) {
      throw new ProtocolError(
        `Response body cut short: the connection closed at ${where}, after ${this.received} bytes`,
      );
    }
    return line;
  }

  async #readChunkSize(): Promise<number> {
    const line = latin1(await this.#line("a chunk size"));
    const match = /^([0-9A-Fa-f]+)[ \t]*(;.*)?$/.exec(line);
    if (!match || /[\r\0]/.test(line)) {
      throw new ProtocolError(
        `Invalid chunk size line ${JSON.stringify(line.slice(0, 40))}`,
      );
    }
    const hex = match[1]!;
    if (hex.length > 16) {
      throw new ProtocolError(`Invalid chunk size "${hex.slice(0, 40)}": more than 16 hex digits`);
    }
    const size = parseInt(hex, 16);
    if (!Number.isSafeInteger(size)) {
      throw new LimitError(`Chunk size 0x${hex} is too large`);
    }
    return size;
  }

  async #readTrailers(): Promise<void> {
    const { fields } = await readFields(
      this.#reader,
      this.#limits.maxHeadBytes ?? DEFAULT_MAX_HEAD_BYTES,
      this.#limits.maxFields ?? DEFAULT_MAX_FIELDS,
      "trailer section",
    );
    for (const [name, value] of fields) this.trailers.append(name, value);
  }
}
