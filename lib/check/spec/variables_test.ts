/** `vars` and `secrets`: where each value comes from, and each name's problems. */
import assert from "node:assert/strict";
import { loadSpec } from "../spec.ts";
import { options, problems } from "../_test_helpers.ts";

const CHECK = "checks:\n  - { name: a, tcp: { host: h, port: 1 } }\n";

Deno.test("a secret comes from the environment and a variable from --var, the environment or the file", async () => {
  const spec = await loadSpec(
    "version: 1\nsecrets: [TOKEN]\nvars: { A: file, B: file, C: 3 }\nchecks:\n" +
      "  - { name: a, tcp: { host: '${A}.${B}.${C}.${EXTRA}', port: 1 } }\n",
    options({
      env: (name) => ({ TOKEN: "t0ken", B: "env" } as Record<string, string>)[name],
      vars: new Map([["A", "cli"], ["EXTRA", "x"]]),
    }),
  );
  assert.equal(spec.checks[0]!.targetText, "cli.env.3.x:1");
  assert.deepEqual(spec.secrets, ["t0ken"]);
  assert.deepEqual(spec.secretNames, ["TOKEN"]);
});

Deno.test("each name in vars and secrets is checked, and a name without a value says so where it is used", async () => {
  const text = [
    "version: 1",
    "secrets: [TOKEN, TOKEN, bad-name, 7]",
    "vars: { bad-name: 1, TOKEN: 2, L: [1], N: null }",
    "checks:",
    "  - { name: a, tcp: { host: '${N}', port: '${TOKEN}' } }",
    "",
  ].join("\n");
  assert.deepEqual(await problems(text), [
    '2:11: secret "TOKEN" is not set in the environment',
    '2:18: secret "TOKEN" is listed twice',
    '2:25: invalid secret name "bad-name": use letters, digits and _',
    "2:35: a secret's name must be a string, not the number 7",
    '3:9: invalid variable name "bad-name": use letters, digits and _',
    '3:22: "TOKEN" is both a variable and a secret',
    '3:35: variable "L" must be a string or a number, not a list',
    '3:43: variable "N" has no value: set it in the environment or with a value here',
    '5:30: variable "N" has no value (declared at 3:40)',
    '5:44: secret "TOKEN" is not set in the environment (declared at 2:11)',
  ]);
});

Deno.test("vars must be a mapping and secrets a list, and a secret never comes from --var", async () => {
  assert.deepEqual(
    await problems(`version: 1\nvars: [A]\nsecrets: S\n${CHECK}`),
    [
      '2:7: "vars" must be a mapping of names to values, not a list',
      '3:10: "secrets" must be a list of names, not the string "S"',
    ],
  );
  assert.deepEqual(
    await problems(
      `version: 1\nsecrets: [S]\nchecks:\n  - { name: a, tcp: { host: '\${S}', port: 1 } }\n`,
      { env: () => "s", vars: new Map([["S", "x"]]) },
    ),
    [
      '2:11: secret "S" cannot be given on the command line (where ps shows it): set it in the environment',
      '4:30: secret "S" has no value from --var (declared at 2:11)',
    ],
  );
});
