/**
 * Which checks of a spec run: `--tag` and `--name` filters, and the problem a filter that selects
 * nothing is.
 *
 * @module
 */
import type { PlannedCheck } from "./runner.ts";
import { SpecError } from "./spec.ts";
import type { CheckSpec } from "./spec.ts";

/** Which checks to run, from {@linkcode selectChecks}'s caller. */
export interface CheckFilter {
  /** Run only checks with any of these tags; every check when empty. */
  tags: readonly string[];
  /** Run only checks whose name matches; every check when undefined. */
  nameRegex: RegExp | undefined;
}

/**
 * Every check of `specs` in file order, each either to run or with why it is skipped
 * (`not selected by --tag smoke --name ^api`).
 *
 * @example
 * ```ts
 * import { loadSpec } from "./spec.ts";
 * import { selectChecks } from "./select.ts";
 * import assert from "node:assert/strict";
 * const spec = await loadSpec(
 *   "version: 1\nchecks:\n  - { name: a, tcp: { host: h, port: 1 }, tags: [smoke] }\n" +
 *     "  - { name: b, tcp: { host: h, port: 2 } }\n",
 *   { file: "s.yaml", baseDir: ".", env: () => undefined },
 * );
 * const planned = selectChecks([spec], { tags: ["smoke"], nameRegex: undefined });
 * assert.deepEqual(planned.map((p) => p.skip), [undefined, "not selected by --tag smoke"]);
 * ```
 */
export function selectChecks(specs: readonly CheckSpec[], filter: CheckFilter): PlannedCheck[] {
  const { tags, nameRegex } = filter;
  const filters = [
    ...tags.map((t) => `--tag ${t}`),
    ...(nameRegex ? [`--name ${nameRegex.source}`] : []),
  ];
  return specs.flatMap((spec) =>
    spec.checks.map((check) => {
      const tagged = tags.length === 0 || check.tags.some((t) => tags.includes(t));
      const named = nameRegex === undefined || nameRegex.test(check.name);
      return tagged && named ? { check } : { check, skip: `not selected by ${filters.join(" ")}` };
    })
  );
}

/**
 * A filter that selects nothing, as a problem at each file's `checks` key: what was asked, how
 * many checks the file has and their tags.
 */
export function emptySelection(specs: readonly CheckSpec[], filter: CheckFilter): SpecError[] {
  const asked = [
    ...filter.tags.map((t) => `--tag ${JSON.stringify(t)}`),
    ...(filter.nameRegex ? [`--name ${JSON.stringify(filter.nameRegex.source)}`] : []),
  ].join(" and ");
  return specs.map((spec) => {
    const tags = [...new Set(spec.checks.flatMap((c) => c.tags))];
    return new SpecError(spec.file, [{
      ...spec.checksPos,
      message: `no check matches ${asked} (${spec.checks.length} checks; tags: ${
        tags.join(", ") || "none"
      })`,
    }], spec.secrets);
  });
}
