/**
 * Domain names: the rules a name must follow (RFC 1035: labels of 1 to 63 bytes, at most 255
 * bytes in all on the wire), the presentation form with its `\.` and `\DDD` escapes, comparison
 * as DNS compares names, and IDNA for names typed with non-ASCII characters.
 *
 * {@linkcode parseDnsName} is the one place that holds the rules: the encoder builds every name
 * it writes with it, and the CLI checks every name it is given with it, so a name the encoder
 * would refuse is refused as a usage error before anything is sent.
 *
 * @module
 */
import { invalidInput } from "../net/errors.ts";

/** The longest label, in bytes (RFC 1035 2.3.4). */
export const MAX_LABEL_BYTES = 63;

/** The longest name on the wire, in bytes, length bytes and the root's zero byte included. */
export const MAX_NAME_BYTES = 255;

const encoder = new TextEncoder();

/**
 * The labels of a name in presentation form, as bytes: `a.example.test` and `a.example.test.`
 * both give three labels, `.` gives none (the root). `\.` is a dot inside a label, `\DDD` the
 * byte with that decimal value, `\X` the character X; any other character stands for its UTF-8
 * bytes.
 *
 * @throws {RangeError} Naming the rule the name breaks: `Invalid name "a..test": empty label`.
 * The rules: a name is not empty (the root is `.`); no label is empty; a label is at most 63
 * bytes; the name is at most 255 bytes on the wire; an escape is `\X` or `\DDD` up to 255.
 *
 * @example
 * ```ts
 * import { parseDnsName } from "./name.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseDnsName("a\\.b.test.").map((l) => new TextDecoder().decode(l)), ["a.b", "test"]);
 * assert.deepEqual(parseDnsName("."), []);
 * assert.throws(() => parseDnsName("a..test"), /Invalid name "a\.\.test": empty label/);
 * ```
 */
export function parseDnsName(name: string): Uint8Array[] {
  const end = plainNameEnd(name);
  return end >= 0 ? plainLabels(name, end) : parseEscapedName(name);
}

/**
 * Where a plain name ends (its length without the final dot), or -1 when it is not plain. A plain
 * name, nearly every name, is printable ASCII with no backslash and breaks no rule, so its
 * presentation form is itself and its wire bytes are its characters: such a name is checked,
 * encoded and shown with no per-character work beyond this pass. Any other name, a root, a space
 * or an escape, goes through the full parser, which also names the rule a name breaks.
 */
function plainNameEnd(name: string): number {
  const end = name.endsWith(".") ? name.length - 1 : name.length;
  // Wire length: the name's characters, a length byte for the first label and the root's zero.
  if (end === 0 || end + 2 > MAX_NAME_BYTES) return -1;
  let start = 0;
  for (let i = 0; i <= end; i++) {
    const code = i === end ? 0x2e : name.charCodeAt(i);
    if (code === 0x2e) {
      const length = i - start;
      if (length === 0 || length > MAX_LABEL_BYTES) return -1;
      start = i + 1;
    } else if (code <= 0x20 || code >= 0x7f || code === 0x5c) return -1;
  }
  return end;
}

/** The labels of a plain name ({@linkcode plainNameEnd}), as views of its wire bytes. */
function plainLabels(name: string, end: number): Uint8Array[] {
  const wire = plainWire(name, end);
  const labels: Uint8Array[] = [];
  for (let at = 0; wire[at] !== 0; at += wire[at]! + 1) {
    labels.push(wire.subarray(at + 1, at + 1 + wire[at]!));
  }
  return labels;
}

/** The wire bytes of a plain name: its characters one place on, each dot a label's length. */
function plainWire(name: string, end: number): Uint8Array {
  const out = new Uint8Array(end + 2);
  let lengthAt = 0;
  for (let i = 0; i < end; i++) {
    const code = name.charCodeAt(i);
    if (code === 0x2e) {
      out[lengthAt] = i - lengthAt;
      lengthAt = i + 1;
    } else out[i + 1] = code;
  }
  out[lengthAt] = end - lengthAt;
  return out;
}

/**
 * A name in presentation form as it goes on the wire: each label after its length byte, then the
 * root's zero byte (RFC 1035 3.1), uncompressed.
 *
 * @throws {RangeError} When the name breaks a rule of {@linkcode parseDnsName}.
 *
 * @example
 * ```ts
 * import { encodeDnsName } from "./name.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual([...encodeDnsName("a.bc.")], [1, 97, 2, 98, 99, 0]);
 * assert.deepEqual([...encodeDnsName(".")], [0]);
 * ```
 */
export function encodeDnsName(name: string): Uint8Array {
  const end = plainNameEnd(name);
  if (end >= 0) return plainWire(name, end);
  const labels = parseEscapedName(name);
  const out = new Uint8Array(labels.reduce((sum, label) => sum + 1 + label.length, 1));
  let at = 0;
  for (const label of labels) {
    out[at++] = label.length;
    out.set(label, at);
    at += label.length;
  }
  return out;
}

/** {@linkcode parseDnsName} for any name: escapes, UTF-8, and every rule with its message. */
function parseEscapedName(name: string): Uint8Array[] {
  const fail = (why: string): never => {
    throw invalidInput(RangeError, "name", name, why, quoteName(name));
  };
  if (name === "") fail("empty name (the root is .)");
  if (name === ".") return [];
  const labels: Uint8Array[] = [];
  let current: number[] = [];
  const endLabel = () => {
    if (current.length === 0) fail("empty label");
    if (current.length > MAX_LABEL_BYTES) {
      fail(`label ${labels.length + 1} is ${current.length} bytes, more than ${MAX_LABEL_BYTES}`);
    }
    labels.push(new Uint8Array(current));
    current = [];
  };
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    if (c === ".") {
      endLabel();
    } else if (c === "\\") {
      if (i + 1 >= name.length) fail("it ends in a lone backslash");
      if (/\d/.test(name[i + 1]!)) {
        const digits = /^\d{1,3}/.exec(name.slice(i + 1))![0];
        if (digits.length < 3) fail(`escape \\${digits} needs three digits (\\DDD)`);
        if (Number(digits) > 255) fail(`escape \\${digits} is over 255`);
        current.push(Number(digits));
        i += 3;
      } else {
        const next = String.fromCodePoint(name.codePointAt(i + 1)!);
        current.push(...encoder.encode(next));
        i += next.length;
      }
    } else {
      const code = name.charCodeAt(i);
      if (code < 0x80) {
        // ASCII, nearly every name: its one byte, without a TextEncoder call per character.
        current.push(code);
        continue;
      }
      const char = String.fromCodePoint(name.codePointAt(i)!);
      current.push(...encoder.encode(char));
      i += char.length - 1;
    }
  }
  if (!name.endsWith(".") || current.length > 0) endLabel();
  const wire = labels.reduce((sum, label) => sum + 1 + label.length, 1);
  if (wire > MAX_NAME_BYTES) fail(`${wire} bytes on the wire, more than ${MAX_NAME_BYTES}`);
  return labels;
}

/** A name quoted for a message; a long one cut in the middle, with its length. */
function quoteName(name: string): string {
  if (name.length <= 100) return `"${name}"`;
  return `"${name.slice(0, 60)}...${name.slice(-20)}" (${name.length} characters)`;
}

/**
 * Shows one label in presentation form, as dig does: `.` and `\` escaped with a backslash,
 * printable ASCII as is, any other byte (a space, UTF-8) as `\DDD`.
 */
export function formatLabel(bytes: Uint8Array): string {
  // Nearly every label needs no escape: its bytes are its characters.
  let plain = true;
  for (let i = 0; i < bytes.length && plain; i++) {
    const b = bytes[i]!;
    plain = b > 0x20 && b < 0x7f && b !== 0x2e && b !== 0x5c;
  }
  if (plain) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  let out = "";
  for (const b of bytes) {
    if (b === 0x2e || b === 0x5c) out += "\\" + String.fromCharCode(b);
    else if (b > 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += "\\" + String(b).padStart(3, "0");
  }
  return out;
}

/**
 * Shows labels as a name in presentation form without the final dot; the root is `.`.
 *
 * @example
 * ```ts
 * import { formatDnsName, parseDnsName } from "./name.ts";
 * import assert from "node:assert/strict";
 * assert.equal(formatDnsName(parseDnsName("with space.test.")), "with\\032space.test");
 * assert.equal(formatDnsName([]), ".");
 * ```
 */
export function formatDnsName(labels: readonly Uint8Array[]): string {
  return labels.length === 0 ? "." : labels.map(formatLabel).join(".");
}

/**
 * Adds the final dot of a fully qualified name, once: `example.test.` for `example.test` and
 * for `example.test.`; `.` for the root (`.`, or the empty string). An escaped final dot
 * (`a\.`) belongs to the label and gets a dot after it.
 *
 * @example
 * ```ts
 * import { fqdn } from "./name.ts";
 * import assert from "node:assert/strict";
 * assert.equal(fqdn("a.test"), "a.test.");
 * assert.equal(fqdn("a.test."), "a.test.");
 * assert.equal(fqdn("."), ".");
 * ```
 */
export function fqdn(name: string): string {
  if (name === "" || name === ".") return ".";
  const backslashes = /\\*(?=\.$)/.exec(name)?.[0].length;
  return backslashes !== undefined && backslashes % 2 === 0 ? name : `${name}.`;
}

function foldAscii(byte: number): number {
  return byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte;
}

/**
 * Where two uncompressed names on the wire, both starting at `at` of their messages, end (the
 * offset after the root's zero byte) when they are the same name, byte for byte with ASCII
 * letters in any case; -1 when they differ, run past an end, or either holds a pointer.
 */
export function sameWireNameEnd(a: Uint8Array, b: Uint8Array, at: number): number {
  while (at < a.length && at < b.length) {
    const length = a[at]!;
    if (length !== b[at] || length > MAX_LABEL_BYTES) return -1;
    at++;
    if (length === 0) return at;
    if (at + length > a.length || at + length > b.length) return -1;
    for (const end = at + length; at < end; at++) {
      if (foldAscii(a[at]!) !== foldAscii(b[at]!)) return -1;
    }
  }
  return -1;
}

/** Whether two lists of labels name the same node: byte for byte, ASCII letters in any case. */
export function sameLabels(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((label, i) => {
    const other = b[i]!;
    return label.length === other.length &&
      label.every((byte, j) => foldAscii(byte) === foldAscii(other[j]!));
  });
}

/**
 * Whether two names in presentation form are the same name, as DNS compares them (RFC 4343):
 * on their wire bytes, escapes understood, ASCII letters in any case, the final dot optional.
 *
 * @throws {RangeError} When either is not a valid name ({@linkcode parseDnsName}).
 *
 * @example
 * ```ts
 * import { sameDnsName } from "./name.ts";
 * import assert from "node:assert/strict";
 * assert.ok(sameDnsName("With Space.TEST", "with\\032space.test."));
 * assert.ok(!sameDnsName("a.test", "b.test"));
 * ```
 */
export function sameDnsName(a: string, b: string): boolean {
  return sameLabels(parseDnsName(a), parseDnsName(b));
}

/** A name from the command line, checked once and put in every form sockit shows or sends. */
export interface DnsNameForms {
  /**
   * The name as typed, converted to ASCII with IDNA when it had other characters: what the
   * system resolver is given (`xn--bcher-kva.test`).
   */
  ascii: string;
  /**
   * The name on the wire in presentation form, without the final dot (`.` for the root):
   * escapes as dig shows them (`with\032space.test`). Queries are built from it.
   */
  name: string;
  /** {@linkcode DnsNameForms.name} with its final dot: `xn--bcher-kva.test.`. */
  fqdn: string;
  /** The Unicode form (`b\u00fccher.test`) when the name was typed with non-ASCII characters. */
  unicode: string | undefined;
}

/**
 * Checks a name given by a person and returns its forms. A name with non-ASCII characters is
 * converted with IDNA first (UTS #46, non-transitional, as browsers do: `B\u00fccher.test` becomes
 * `xn--bcher-kva.test`); an all-ASCII name is left as typed, so that names DNS allows and host
 * names do not (`_sip._tcp.x`, `with space.test`) still work.
 *
 * @throws {RangeError} When the name breaks a rule of {@linkcode parseDnsName} or cannot be
 * converted with IDNA.
 *
 * @example
 * ```ts
 * import { normalizeDnsName } from "./name.ts";
 * import assert from "node:assert/strict";
 * const n = normalizeDnsName("B\u00fccher.test");
 * assert.deepEqual(n, {
 *   ascii: "xn--bcher-kva.test",
 *   name: "xn--bcher-kva.test",
 *   fqdn: "xn--bcher-kva.test.",
 *   unicode: "b\u00fccher.test",
 * });
 * assert.equal(normalizeDnsName("a.test.").fqdn, "a.test.");
 * ```
 */
export function normalizeDnsName(input: string): DnsNameForms {
  let ascii = input;
  let unicode: string | undefined;
  // deno-lint-ignore no-control-regex
  if (/[^\x00-\x7f]/.test(input)) {
    ascii = idnaToAscii(input);
    if (ascii === "") {
      const why = "not a valid internationalized name (IDNA, UTS #46)";
      throw invalidInput(RangeError, "name", input, why, quoteName(input));
    }
    unicode = input.normalize("NFC").toLowerCase().replace(/\.$/, "");
  }
  // A plain name is its own presentation form, as typed (case kept), without the final dot.
  const end = plainNameEnd(ascii);
  const name = end >= 0 ? ascii.slice(0, end) : formatDnsName(parseEscapedName(ascii));
  return { ascii, name, fqdn: end >= 0 ? name + "." : fqdn(name), unicode };
}

/**
 * IDNA (UTS #46, non-transitional) to ASCII, as browsers do, through the URL parser, which
 * implements it; "" when the name cannot be converted. (`node:url`'s domainToASCII gives the
 * same, at the price of loading Node's compatibility layer.)
 */
function idnaToAscii(name: string): string {
  // Label by label, so that an ASCII label keeps what DNS allows and host names do not
  // (`_sip`, a space): only labels with other characters go through the URL parser.
  // UTS #46 separates labels with the ideographic and fullwidth full stops too.
  const labels = name.replace(/[\u3002\uff0e\uff61]/g, ".").split(".");
  const out: string[] = [];
  for (const [i, label] of labels.entries()) {
    // deno-lint-ignore no-control-regex
    if (!/[^\x00-\x7f]/.test(label) || (label === "" && i === labels.length - 1)) {
      out.push(label);
      continue;
    }
    try {
      const host = new URL(`http://${label}/`).hostname;
      if (host.includes(".")) return ""; // the label held a full stop of another script
      out.push(host);
    } catch {
      return "";
    }
  }
  return out.join(".");
}
