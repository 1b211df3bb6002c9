/**
 * A spec's `secrets` and `vars`: each name checked, each value found (the command line, then the
 * environment, then the file; a secret from the environment only), and a name declared without a
 * value remembered, so that a `${NAME}` of it says why it has none.
 *
 * @module
 */
import type { MapEntry } from "../tree.ts";
import { VAR_NAME } from "../vars.ts";
import { describe } from "./reader.ts";
import type { SpecReader } from "./reader.ts";

/** Reads the `vars` and `secrets` entries (either may be absent) into `reader`. */
export function readVariables(
  reader: SpecReader,
  vars: MapEntry | undefined,
  secrets: MapEntry | undefined,
): void {
  const given = reader.options.vars ?? new Map<string, string>();
  if (secrets) readSecrets(reader, secrets, given);
  const declared = new Set<string>();
  if (vars) {
    const entries = vars.value.type === "map" ? vars.value.entries : undefined;
    if (!entries) {
      reader.problem(
        vars.value.pos,
        `"vars" must be a mapping of names to values, not ${describe(vars.value)}`,
      );
    }
    for (const entry of entries ?? []) {
      if (readVariable(reader, entry, given)) declared.add(entry.key);
    }
  }
  // A value from the command line for a name the spec does not declare is still usable: it is
  // defined, explicitly, by whoever runs the check.
  for (const [name, value] of given) {
    if (!declared.has(name) && !reader.isSecret(name)) reader.define(name, value);
  }
}

function readSecrets(
  reader: SpecReader,
  secrets: MapEntry,
  given: ReadonlyMap<string, string>,
): void {
  if (secrets.value.type !== "seq") {
    reader.problem(
      secrets.value.pos,
      `"secrets" must be a list of names, not ${describe(secrets.value)}`,
    );
    return;
  }
  for (const item of secrets.value.items) {
    const name = reader.plainString(item, "a secret's name");
    if (name === undefined) continue;
    if (!VAR_NAME.test(name)) {
      reader.problem(item.pos, `invalid secret name "${name}": use letters, digits and _`);
      continue;
    }
    if (reader.isSecret(name)) {
      reader.problem(item.pos, `secret "${name}" is listed twice`);
      continue;
    }
    reader.declareSecret(name);
    const at = `${item.pos.line}:${item.pos.col}`;
    if (given.has(name)) {
      reader.problem(
        item.pos,
        `secret "${name}" cannot be given on the command line (where ps shows it): set it in the environment`,
      );
      reader.declareUnset(name, `secret "${name}" has no value from --var (declared at ${at})`);
      continue;
    }
    const value = reader.options.env(name);
    if (value === undefined || value === "") {
      const why = `secret "${name}" is ${
        value === undefined ? "not set" : "empty"
      } in the environment`;
      reader.problem(item.pos, why);
      reader.declareUnset(name, `${why} (declared at ${at})`);
      continue;
    }
    reader.defineSecret(name, value);
  }
}

/** Reads one entry of `vars`; whether it declares a variable (with or without a value). */
function readVariable(
  reader: SpecReader,
  entry: MapEntry,
  given: ReadonlyMap<string, string>,
): boolean {
  if (!VAR_NAME.test(entry.key)) {
    reader.problem(entry.keyPos, `invalid variable name "${entry.key}": use letters, digits and _`);
    return false;
  }
  if (reader.isSecret(entry.key)) {
    reader.problem(entry.keyPos, `"${entry.key}" is both a variable and a secret`);
    return false;
  }
  const node = entry.value;
  if (node.type !== "scalar") {
    reader.problem(
      node.pos,
      `variable "${entry.key}" must be a string or a number, not ${describe(node)}`,
    );
    return true;
  }
  const value = given.get(entry.key) ?? reader.options.env(entry.key) ??
    (node.value === null ? undefined : String(node.value));
  if (value === undefined) {
    reader.problem(
      node.pos,
      `variable "${entry.key}" has no value: set it in the environment or with a value here`,
    );
    const at = entry.keyPos;
    reader.declareUnset(
      entry.key,
      `variable "${entry.key}" has no value (declared at ${at.line}:${at.col})`,
    );
    return true;
  }
  reader.define(entry.key, value);
  return true;
}
