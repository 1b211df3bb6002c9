/**
 * From a command line to a check: `get`, `resolve`, `wait` (and `echo send`) with
 * `--emit-check` build the spec entry that does what they would have done, as a plain object in
 * the spec's shape, and this writes it as YAML to paste under `checks:`.
 *
 * @module
 */
import { stringify } from "yaml";

/** One check as it is written in a spec file: `name`, one kind key, and `expect`, `timeout`... */
export type CheckObject = { name: string } & Record<string, unknown>;

/**
 * Writes checks as a YAML list, each note first as a comment (what could not be carried over).
 *
 * @example
 * ```ts
 * import { formatChecksYaml } from "./emit.ts";
 * import assert from "node:assert/strict";
 * const text = formatChecksYaml([{ name: "db", tcp: { host: "127.0.0.1", port: 5432 } }]);
 * assert.equal(text, "- name: db\n  tcp:\n    host: 127.0.0.1\n    port: 5432\n");
 * ```
 */
export function formatChecksYaml(
  checks: readonly CheckObject[],
  notes: readonly string[] = [],
): string {
  const comments = notes.map((note) => `# ${note.replace(/\n/g, " ")}\n`).join("");
  return comments +
    stringify(checks, { lineWidth: 0, defaultStringType: "PLAIN", aliasDuplicateObjects: false });
}

/**
 * Text from a command line as a spec string that means the same once loaded: `${` is written
 * `$${`, so that it is not read as a variable.
 *
 * @example
 * ```ts
 * import { specLiteral } from "./emit.ts";
 * import assert from "node:assert/strict";
 * assert.equal(specLiteral("a ${HOME} b"), "a $${HOME} b");
 * ```
 */
export function specLiteral(text: string): string {
  // A function, not "$${": in a replacement string, `$$` is one `$`.
  return text.replaceAll("${", () => "$${");
}

/**
 * The credentials a command line carried, as the spec secrets that stand for them in emitted
 * checks: a check file is kept and shared, so a password or token goes in as `${NAME}`, never as
 * itself. One name per distinct value (`SOCKIT_PASSWORD`, then `SOCKIT_PASSWORD_2`...), each with
 * a note that says to declare it under `secrets:` and what to set it to.
 *
 * @example
 * ```ts
 * import { EmittedSecrets } from "./emit.ts";
 * import assert from "node:assert/strict";
 * const secrets = new EmittedSecrets();
 * assert.equal(secrets.ref("SOCKIT_PASSWORD", "hunter2", "the password of http://h/"), "${SOCKIT_PASSWORD}");
 * assert.equal(secrets.ref("SOCKIT_PASSWORD", "hunter2", "the password of http://h/x"), "${SOCKIT_PASSWORD}");
 * assert.equal(secrets.ref("SOCKIT_PASSWORD", "other", "the password of http://g/"), "${SOCKIT_PASSWORD_2}");
 * assert.deepEqual(secrets.names, ["SOCKIT_PASSWORD", "SOCKIT_PASSWORD_2"]);
 * ```
 */
export class EmittedSecrets {
  readonly #byValue = new Map<string, string>();
  readonly #notes: string[] = [];

  /**
   * The `${NAME}` that stands for `value`: the same name for the same value; a new one, from
   * `base`, for a new value, with a note naming `what` it holds (`the password of URL`) and `how`
   * to write it (default: as it was given).
   */
  ref(
    base: string,
    value: string,
    what: string,
    how = "as you gave it on the command line",
  ): string {
    let name = this.#byValue.get(value);
    if (name === undefined) {
      const taken = new Set(this.#byValue.values());
      name = base;
      for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
      this.#byValue.set(value, name);
      this.#notes.push(`${what} is the secret ${name}: set ${name} to it, ${how}`);
    }
    return "${" + name + "}";
  }

  /** The secrets' names, in the order they were first needed. */
  get names(): string[] {
    return [...this.#byValue.values()];
  }

  /** One note per secret, and one that says where to declare them all; none without secrets. */
  get notes(): string[] {
    if (this.#byValue.size === 0) return [];
    return [
      `these checks need secrets: add "secrets: [${
        this.names.join(", ")
      }]" to the spec's top level (sockit check reads them from the environment only)`,
      ...this.#notes,
    ];
  }
}
