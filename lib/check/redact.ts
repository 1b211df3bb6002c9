/**
 * Masking secrets: `sockit check` masks each secret's value in the data that carries it (header
 * values, URLs, bodies, what came back, the trace's bytes, error text) before any of it is
 * written or put in a report, through one {@linkcode Redactor}. A report is never masked as text:
 * what the spec's author wrote (names, files, tags) and the report's own structure are shown as
 * they are, so every report parses whatever a secret's value.
 *
 * The value is masked as written and in the forms data takes on the way: escaped as JSON (what
 * came back is quoted that way in messages), percent-encoded as a URL holds it, escaped for XML,
 * and, in bytes, as its UTF-8.
 *
 * @module
 */
import { concatBytes, indexOfBytes } from "../net/bytes.ts";

/** What a secret is shown as. */
export const MASK = "***";

/**
 * Secrets shorter than this many characters are too short to mask safely: the same characters
 * turn up in text that is no secret (`1` in `status 401`), which is then masked too.
 */
export const SHORT_SECRET = 4;

/** What follows an excerpt that was cut: ` (+N characters)` after its closing quote or `...`. */
const CUT_MARK = /(?:"|\.\.\.) \(\+\d+ characters\)/g;

const encoder = new TextEncoder();
const MASK_BYTES = encoder.encode(MASK);

/** Replaces secret values with {@linkcode MASK}. */
export class Redactor {
  readonly #forms: string[];
  readonly #bytes: Uint8Array[];

  /**
   * @param secrets The values to mask (empty ones are ignored).
   *
   * @example
   * ```ts
   * import { Redactor } from "./redact.ts";
   * import assert from "node:assert/strict";
   * const redact = new Redactor(['p@ss"w{rd']);
   * assert.equal(redact.text('token=p@ss"w{rd'), "token=***");
   * assert.equal(redact.text(JSON.stringify({ t: 'p@ss"w{rd' })), '{"t":"***"}');
   * assert.equal(redact.text("?t=p%40ss%22w%7Brd"), "?t=***");
   * assert.equal(redact.text(new URL('http://h/?t=p@ss"w{rd').href), "http://h/?t=***");
   * ```
   */
  constructor(secrets: readonly string[]) {
    const forms = new Set<string>();
    for (const secret of secrets) {
      if (secret === "") continue;
      forms.add(secret);
      forms.add(JSON.stringify(secret).slice(1, -1));
      forms.add(encodeURIComponent(secret.toWellFormed()));
      forms.add(encodeURI(secret.toWellFormed()));
      forms.add(escapeXml(secret));
      for (const form of urlForms(secret)) forms.add(form);
    }
    // Longest first, so that a form is masked whole before a shorter one inside it.
    this.#forms = [...forms].filter((f) => f !== "").sort((a, b) => b.length - a.length);
    this.#bytes = [...new Set(this.#forms.map((form) => encoder.encode(form).join(",")))]
      .map((key) => Uint8Array.from(key.split(","), Number))
      .sort((a, b) => b.length - a.length);
  }

  /** Whether there is anything to mask. */
  get active(): boolean {
    return this.#forms.length > 0;
  }

  /**
   * `text` with every secret masked; also the start of one that ends where an excerpt was cut
   * (before `" (+N characters)` or `... (+N characters)`), so that a cut cannot show a prefix.
   *
   * @example
   * ```ts
   * import { Redactor } from "./redact.ts";
   * import assert from "node:assert/strict";
   * const redact = new Redactor(["s3cr3t-value"]);
   * assert.equal(redact.text('got "AUTH s3cr3t-va" (+9 characters)'), 'got "AUTH ***" (+9 characters)');
   * ```
   */
  text(text: string): string {
    let out = text;
    for (const form of this.#forms) out = out.replaceAll(form, MASK);
    return this.active && out.includes(" characters)") ? this.#maskCuts(out) : out;
  }

  #maskCuts(text: string): string {
    let out = "";
    let from = 0;
    for (const match of text.matchAll(CUT_MARK)) {
      const before = text.slice(from, match.index);
      // An excerpt is at most 200 characters, each at most 6 once escaped as JSON.
      const most = Math.min(before.length, 1200);
      let longest = 0;
      for (const form of this.#forms) {
        for (let n = Math.min(form.length - 1, most); n > longest; n--) {
          if (before.charCodeAt(before.length - 1) !== form.charCodeAt(n - 1)) continue;
          if (before.endsWith(form.slice(0, n))) {
            longest = n;
            break;
          }
        }
      }
      out += (longest === 0 ? before : before.slice(0, -longest) + MASK) + match[0];
      from = match.index + match[0].length;
    }
    return out + text.slice(from);
  }

  /**
   * A copy of `value` with every string in it masked, through plain objects and arrays (keys and
   * other values are kept as they are).
   */
  deep<T>(value: T): T {
    if (!this.active) return value;
    if (typeof value === "string") return this.text(value) as T;
    if (Array.isArray(value)) return value.map((item) => this.deep(item)) as T;
    if (
      value !== null && typeof value === "object" &&
      Object.getPrototypeOf(value) === Object.prototype
    ) {
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [key, this.deep(item)]),
      ) as T;
    }
    return value;
  }

  /**
   * `bytes` with every secret's UTF-8 (in each of its forms) replaced by {@linkcode MASK}; every
   * other byte is kept as it is, so that a trace still shows the bytes that were sent.
   *
   * @example
   * ```ts
   * import { Redactor } from "./redact.ts";
   * import assert from "node:assert/strict";
   * const sent = new TextEncoder().encode("X: abcd\u00e9f\r\n");
   * const bytes = new Redactor(["abcd\u00e9f"]).bytes(Uint8Array.of(...sent, 0xff));
   * assert.deepEqual([...bytes], [...new TextEncoder().encode("X: ***\r\n"), 0xff]);
   * ```
   */
  bytes(bytes: Uint8Array): Uint8Array {
    let out = bytes;
    for (const secret of this.#bytes) out = replaceBytes(out, secret, MASK_BYTES);
    return out;
  }
}

/**
 * How a URL's query, path and user info hold `secret` once the URL parser has encoded it: also
 * as the parser cuts it, without tabs and line breaks, and without the C0 controls and spaces it
 * trims from either end of a URL (a secret at the end of a URL loses its trailing ones), and up
 * to a `#`, where the fragment (never sent, never shown) begins.
 */
function urlForms(secret: string): string[] {
  const url = new URL("http://h/");
  const forms: string[] = [];
  const untabbed = secret.replace(/[\t\n\r]/g, "");
  const cut = (
    text: string,
  ) => [text, text.replace(/^[\0-\x20]+/, ""), text.replace(/[\0-\x20]+$/, "")];
  const hash = untabbed.indexOf("#");
  const beforeHash = hash < 0 ? [] : cut(untabbed.slice(0, hash));
  for (const variant of new Set([...cut(secret), ...cut(untabbed), ...beforeHash])) {
    if (variant === "") continue;
    url.search = `?${variant}`;
    forms.push(url.search.slice(1));
    url.pathname = `/${variant}`;
    forms.push(url.pathname.slice(1));
    url.password = variant;
    forms.push(url.password);
  }
  return forms;
}

/** Escapes text for XML: `&`, `<`, `>`, `"` and `'`. */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) =>
      c === "&"
        ? "&amp;"
        : c === "<"
        ? "&lt;"
        : c === ">"
        ? "&gt;"
        : c === '"'
        ? "&quot;"
        : "&apos;",
  );
}

function replaceBytes(data: Uint8Array, needle: Uint8Array, by: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let from = 0;
  for (let i = indexOfBytes(data, needle); i >= 0; i = indexOfBytes(data, needle, from)) {
    parts.push(data.subarray(from, i), by);
    from = i + needle.length;
  }
  if (parts.length === 0) return data;
  parts.push(data.subarray(from));
  return concatBytes(parts);
}
