/**
 * The spec file of `sockit check`: its shape, checked strictly (an unknown key, a key of another
 * kind of check, a wrong type, a duplicate key or name, a bad duration or an undefined variable
 * is a problem at its line and column), variables and secrets put in, and each check turned into
 * a target and probe options for `lib/probe/`. Nothing here touches the network.
 *
 * The reading is in `spec/`: `reader.ts` (problems, variables, secrets, typed values),
 * `variables.ts` and `checks.ts` (the top of the file and each check's own keys), and one reader
 * per kind: `http.ts` with `http_expect.ts`, `dns.ts`, `stream.ts` (tcp, unix, echo).
 *
 * @module
 */
import { formatOf, readTree, readTreeInBatches } from "./tree.ts";
import type { SpecNode, SpecProblem } from "./tree.ts";
import { readSpec } from "./spec/checks.ts";
import { SpecReader } from "./spec/reader.ts";
import type { CheckSpec, LoadSpecOptions } from "./spec/schema.ts";

export {
  CHECK_DEFAULTS,
  CHECK_KINDS,
  EXPECT_KEYS,
  KIND_KEYS,
  MAX_ATTEMPTS,
  MIN_EVERY_MS,
} from "./spec/schema.ts";
export type { CheckDef, CheckKind, CheckSpec, LoadSpecOptions } from "./spec/schema.ts";

/** A spec file with problems: each at its line and column. */
export class SpecError extends TypeError {
  /** The file, as given. */
  readonly file: string;
  /** Every problem found, in file order. */
  readonly problems: SpecProblem[];
  /** Secret values already read (a message may quote a value they went into). */
  readonly secrets: string[];

  /** @param file The file. @param problems What is wrong. @param secrets Values to mask. */
  constructor(file: string, problems: SpecProblem[], secrets: string[] = []) {
    super(problems.map((p) => `${file}:${p.line}:${p.col}: ${p.message}`).join("\n"));
    this.name = "SpecError";
    this.file = file;
    this.problems = problems;
    this.secrets = secrets;
  }
}

/**
 * Reads and checks a spec file's text.
 *
 * @throws {SpecError} With every problem found; no check is returned when there is one.
 *
 * @example
 * ```ts
 * import { loadSpec } from "./spec.ts";
 * import assert from "node:assert/strict";
 * const spec = await loadSpec(
 *   "version: 1\nvars: { PORT: 5432 }\nchecks:\n  - name: db\n    tcp: { host: 127.0.0.1, port: '${PORT}' }\n",
 *   { file: "sockit.yaml", baseDir: ".", env: () => undefined },
 * );
 * assert.equal(spec.checks[0]!.targetText, "127.0.0.1:5432");
 * ```
 */
export async function loadSpec(text: string, options: LoadSpecOptions): Promise<CheckSpec> {
  const format = options.format ?? formatOf(options.file);
  if (format === "yaml") {
    const spec = await loadInBatches(text, options);
    if (spec !== undefined) return spec;
  }
  const { root, problems } = readTree(text, format, { batch: 0 });
  if (root === undefined) throw new SpecError(options.file, problems);
  const reader = new SpecReader(options, problems);
  return checked(reader, await readSpec(reader, root));
}

/** The spec read, or a {@linkcode SpecError} with every problem the reader found, in file order. */
function checked(reader: SpecReader, spec: CheckSpec | undefined): CheckSpec {
  if (reader.problems.length > 0) {
    const sorted = [...reader.problems].sort((a, b) => a.line - b.line || a.col - b.col);
    throw new SpecError(reader.options.file, sorted, reader.secretValues);
  }
  return spec!;
}

/**
 * Reads a spec whose checks are read a batch at a time (see `readTree`), each check as its batch
 * comes, so that no more than one batch's syntax is held at once; `undefined` when the file
 * cannot be read so, or a batch cannot be read on its own: it is read whole then.
 */
async function loadInBatches(
  text: string,
  options: LoadSpecOptions,
): Promise<CheckSpec | undefined> {
  const batched = readTreeInBatches(text);
  if (batched === undefined) return undefined;
  let whole = true;
  function* items(): Generator<SpecNode> {
    for (const item of batched!.items) {
      if (item === undefined) return void (whole = false);
      yield item;
    }
  }
  const reader = new SpecReader(options, []);
  const spec = await readSpec(reader, batched.root, items());
  return whole ? checked(reader, spec) : undefined;
}
