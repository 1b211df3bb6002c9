/**
 * Masking secrets: every output of `sockit check` (the terminal, logs, `--trace`, reports,
 * annotations) passes through one {@linkcode Redactor}, which replaces each secret's value with
 * `***`, as written and in the forms that output takes: escaped for JSON, for XML, and
 * percent-encoded for URLs.
 *
 * @module
 */

/** What a secret is shown as. */
export const MASK = "***";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

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
   * const redact = new Redactor(['p@ss"word']);
   * assert.equal(redact.text('token=p@ss"word'), "token=***");
   * assert.equal(redact.text(JSON.stringify({ t: 'p@ss"word' })), '{"t":"***"}');
   * assert.equal(redact.text("?t=p%40ss%22word"), "?t=***");
   * ```
   */
  constructor(secrets: readonly string[]) {
    const forms = new Set<string>();
    for (const secret of secrets) {
      if (secret === "") continue;
      forms.add(secret);
      forms.add(JSON.stringify(secret).slice(1, -1));
      forms.add(encodeURIComponent(secret));
      forms.add(encodeURI(secret));
      forms.add(escapeXml(secret));
    }
    // Longest first, so that a form is masked whole before a shorter one inside it.
    this.#forms = [...forms].filter((f) => f !== "").sort((a, b) => b.length - a.length);
    this.#bytes = secrets.filter((s) => s !== "").map((s) => encoder.encode(s));
  }

  /** Whether there is anything to mask. */
  get active(): boolean {
    return this.#forms.length > 0;
  }

  /** `text` with every secret masked. */
  text(text: string): string {
    let out = text;
    for (const form of this.#forms) out = out.replaceAll(form, MASK);
    return out;
  }

  /**
   * A copy of `value` with every string in it masked, through plain objects and arrays (other
   * objects are kept as they are). Masking values before a report is rendered catches the
   * secret in whatever escaping the report's format then applies.
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

  /** `bytes` with every secret masked (as UTF-8 text when it decodes as such). */
  bytes(bytes: Uint8Array): Uint8Array {
    if (!this.active) return bytes;
    let out = bytes;
    for (const secret of this.#bytes) out = replaceBytes(out, secret, encoder.encode(MASK));
    const text = decoder.decode(out);
    const masked = this.text(text);
    return masked === text ? out : encoder.encode(masked);
  }
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
  let found = false;
  outer: for (let i = 0; i + needle.length <= data.length; i++) {
    for (let j = 0; j < needle.length; j++) if (data[i + j] !== needle[j]) continue outer;
    parts.push(data.subarray(from, i), by);
    found = true;
    from = i + needle.length;
    i = from - 1;
  }
  if (!found) return data;
  parts.push(data.subarray(from));
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
