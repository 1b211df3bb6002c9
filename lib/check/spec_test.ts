/**
 * The spec reader: where variables come from, what secrets need, how a problem quoting a secret
 * reads, the problems' positions, and how relative paths resolve.
 */
import assert from "node:assert/strict";
import { loadSpec, SpecError } from "./spec.ts";
import type { LoadSpecOptions } from "./spec.ts";
import { options, problems } from "./_test_helpers.ts";

const TCP = (host: string) =>
  `version: 1\nvars: { HOST: vars.test }\nchecks:\n  - { name: a, tcp: { host: "${host}", port: 1 } }\n`;

Deno.test("a variable comes from --var, else the environment, else vars", async () => {
  const host = async (extra: Partial<LoadSpecOptions>) =>
    (await loadSpec(TCP("${HOST}"), options(extra))).checks[0]!.targetText;
  assert.equal(await host({}), "vars.test:1");
  assert.equal(await host({ env: (n) => n === "HOST" ? "env.test" : undefined }), "env.test:1");
  assert.equal(
    await host({
      env: (n) => n === "HOST" ? "env.test" : undefined,
      vars: new Map([["HOST", "cli.test"]]),
    }),
    "cli.test:1",
  );
});

Deno.test("$${ writes a literal ${, and an undeclared name is a problem at its ${", async () => {
  const spec = await loadSpec(
    'version: 1\nchecks:\n  - { name: "cost $${X}", tcp: { host: h, port: 1 } }\n',
    options(),
  );
  assert.equal(spec.checks[0]!.name, "cost ${X}");
  assert.deepEqual(await problems(TCP("a-${NOPE}")), [
    '4:32: undefined variable "NOPE" (declare it under "vars" or "secrets")',
  ]);
  assert.deepEqual(await problems(TCP("${HOST")), [
    '4:30: unterminated "${" (write $${ for a literal ${)',
  ]);
});

Deno.test("a secret must be set and not empty in the environment, and never comes from --var", async () => {
  const spec =
    "version: 1\nsecrets: [TOKEN]\nchecks:\n  - { name: a, tcp: { host: h, port: 1 } }\n";
  assert.deepEqual(await problems(spec), ['2:11: secret "TOKEN" is not set in the environment']);
  assert.deepEqual(await problems(spec, { env: () => "" }), [
    '2:11: secret "TOKEN" is empty in the environment',
  ]);
  assert.match(
    (await problems(spec, { env: () => "x", vars: new Map([["TOKEN", "y"]]) }))[0]!,
    /cannot be given on the command line/,
  );
  const loaded = await loadSpec(spec, options({ env: () => "hunter2" }));
  assert.deepEqual(loaded.secrets, ["hunter2"]);
});

Deno.test("a spec problem that quotes a value a secret went into holds the secret masked", async () => {
  try {
    await loadSpec(
      'version: 1\nsecrets: [T]\nchecks:\n  - { name: a, tcp: { host: h, port: "${T}" } }\n',
      options({ env: () => "hunter2" }),
    );
    assert.fail("no error");
  } catch (error) {
    assert.ok(error instanceof SpecError);
    assert.deepEqual(error.secrets, ["hunter2"]);
    assert.match(error.message, /not "\*\*\*"/);
    assert.ok(!error.message.includes("hunter2"), error.message);
  }
});

Deno.test("relative paths are relative to the spec file's folder", async () => {
  const spec = await loadSpec(
    "version: 1\nchecks:\n  - { name: a, unix: { path: run/app.sock } }\n",
    options(),
  );
  assert.equal(spec.checks[0]!.targetText, "/srv/checks/run/app.sock");
});

Deno.test("a cacert without a whole PEM certificate block, a bad resolve entry and an unknown type are problems", async () => {
  const spec = [
    "version: 1",
    "checks:",
    "  - name: a",
    "    http:",
    "      url: https://a.test/",
    "      cacert: ca.pem",
    "      resolve: [a.test:443:localhost]",
    "  - { name: b, dns: { name: b.test, type: MXX } }",
    "",
  ].join("\n");
  const readFile = (path: string) =>
    Promise.resolve(path === "/srv/checks/ca.pem" ? "-----BEGIN CERTIFICATE-----\n" : "");
  assert.deepEqual(await problems(spec, { readFile }), [
    '6:15: cannot use cacert "/srv/checks/ca.pem": no PEM "BEGIN CERTIFICATE" block',
    '7:16: invalid resolve entry "a.test:443:localhost": expected HOST:PORT:ADDRESS',
    '8:43: unknown record type "MXX": use A, AAAA, CNAME, MX, NS, SOA, TXT, SRV, PTR, CAA or TYPEnnn',
  ]);
});

/** A spec of `count` checks of every kind; `broken` gives some of them a problem. */
function manyChecks(count: number, broken: boolean): string {
  const lines = [
    "version: 1",
    "vars: { HOST: vars.test }",
    "secrets: [TOKEN]",
    "defaults: { timeout: 2s }",
    "checks:",
  ];
  for (let i = 0; i < count; i++) {
    if (broken && i % 23 === 5) lines.push(`  - { name: c${i}, tcp: { host: h, port: 0 } }`);
    else if (broken && i % 31 === 7) lines.push(`  - { name: c${i}, tcp: { host: h, prot: 1 } }`);
    else if (broken && i === count - 1) lines.push(`  - { name: c0, tcp: { host: h, port: 1 } }`);
    else if (i % 3 === 0) {
      lines.push(`  - { name: c${i}, tcp: { host: "\${HOST}", port: ${i + 1} } }`);
    } else if (i % 3 === 1) {
      lines.push(`  - name: c${i}`, `    http:`, `      url: "http://\${HOST}/\${TOKEN}"`);
      lines.push(`    expect: { status: 200, body_contains: ok }`, `    tags: [web]`);
    } else lines.push(`  - { name: c${i}, dns: { name: n${i}.test, type: A } }`);
  }
  return lines.join("\n") + "\n";
}

/** The same spec as the whole file gives it: a key after the list keeps it from batches. */
function readWhole(text: string): string {
  return text + "$schema: https://example.test/schema.json\n";
}

Deno.test("a spec's checks read a batch at a time are the checks and problems of the whole file", async () => {
  const env = (name: string) => name === "TOKEN" ? "s3cr3t-token" : undefined;
  const spec = manyChecks(80, false);
  // Each check's matchers are functions of their own: compared by what they are made of.
  const shown = (value: unknown) =>
    JSON.stringify(value, (_, v) => typeof v === "function" ? String(v) : v, 1);
  assert.equal(
    shown(await loadSpec(spec, options({ env }))),
    shown(await loadSpec(readWhole(spec), options({ env }))),
  );
  const broken = manyChecks(80, true);
  const found = await problems(broken, { env });
  assert.ok(found.length >= 5, found.join("\n"));
  assert.deepEqual(found, await problems(readWhole(broken), { env }));
  // A problem in the YAML of one batch: the whole file is read, and says so.
  const bad = spec.replace("  - { name: c60,", "  - { name: c60,, ");
  assert.deepEqual(await problems(bad, { env }), await problems(readWhole(bad), { env }));
  assert.equal((await problems(bad, { env })).length > 0, true);
});
