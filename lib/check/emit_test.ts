import assert from "node:assert/strict";
import { EmittedSecrets, formatChecksYaml, specLiteral } from "./emit.ts";
import { options } from "./_test_helpers.ts";
import { loadSpec } from "./spec.ts";

/** `yaml` (a list of checks) as a whole spec file. */
function asSpec(yaml: string): string {
  return "version: 1\nchecks:\n" + yaml.replace(/^(?=.)/gm, "  ");
}

Deno.test("formatChecksYaml() writes checks as a YAML list of plain strings", () => {
  const text = formatChecksYaml([
    { name: "db", tcp: { host: "127.0.0.1", port: 5432 } },
    { name: "api", http: { url: "http://127.0.0.1:8080/health" }, timeout: "2s" },
  ]);
  assert.equal(
    text,
    [
      "- name: db",
      "  tcp:",
      "    host: 127.0.0.1",
      "    port: 5432",
      "- name: api",
      "  http:",
      "    url: http://127.0.0.1:8080/health",
      "  timeout: 2s",
      "",
    ].join("\n"),
  );
});

Deno.test("formatChecksYaml() writes each note first as a one-line comment", () => {
  const text = formatChecksYaml([{ name: "db", tcp: { host: "h", port: 1 } }], [
    "first",
    "second\nline",
  ]);
  assert.ok(text.startsWith("# first\n# second line\n- name: db\n"), text);
});

Deno.test("formatChecksYaml() does not fold long lines or alias repeated objects", () => {
  const shared = { host: "h", port: 1 };
  const url = "http://h/" + "x".repeat(200);
  const text = formatChecksYaml([
    { name: "a", tcp: shared },
    { name: "b", tcp: shared },
    { name: "c", http: { url } },
  ]);
  assert.ok(!text.includes("&") && !text.includes("*"), text);
  assert.ok(text.includes(`    url: ${url}\n`), text);
});

Deno.test("specLiteral() writes every ${ as $${ and keeps other text", () => {
  assert.equal(specLiteral("${A}${B} $ {C} $$"), "$${A}$${B} $ {C} $$");
  assert.equal(specLiteral("$${A}"), "$$${A}");
  assert.equal(specLiteral("plain"), "plain");
});

Deno.test("a check written with specLiteral() loads back with the text as it was given", async () => {
  const yaml = formatChecksYaml([{
    name: specLiteral("a ${HOME} b"),
    tcp: { host: "h", port: 1 },
  }]);
  const spec = await loadSpec(asSpec(yaml), options());
  assert.deepEqual(spec.checks.map((check) => check.name), ["a ${HOME} b"]);
});

Deno.test("EmittedSecrets.ref() gives one name per distinct value, numbered from the second", () => {
  const secrets = new EmittedSecrets();
  assert.equal(secrets.ref("SOCKIT_TOKEN", "t1", "the token"), "${SOCKIT_TOKEN}");
  assert.equal(secrets.ref("SOCKIT_TOKEN", "t2", "the token"), "${SOCKIT_TOKEN_2}");
  assert.equal(secrets.ref("SOCKIT_TOKEN", "t3", "the token"), "${SOCKIT_TOKEN_3}");
  assert.equal(secrets.ref("SOCKIT_TOKEN", "t1", "the token again"), "${SOCKIT_TOKEN}");
  assert.equal(secrets.ref("SOCKIT_PASSWORD", "pw", "the password"), "${SOCKIT_PASSWORD}");
  assert.deepEqual(secrets.names, [
    "SOCKIT_TOKEN",
    "SOCKIT_TOKEN_2",
    "SOCKIT_TOKEN_3",
    "SOCKIT_PASSWORD",
  ]);
});

Deno.test("EmittedSecrets.ref() reuses the first name for a value given under another base", () => {
  const secrets = new EmittedSecrets();
  assert.equal(secrets.ref("SOCKIT_PASSWORD", "same", "the password"), "${SOCKIT_PASSWORD}");
  assert.equal(secrets.ref("SOCKIT_TOKEN", "same", "the token"), "${SOCKIT_PASSWORD}");
  assert.deepEqual(secrets.names, ["SOCKIT_PASSWORD"]);
});

Deno.test("EmittedSecrets.notes say where to declare the secrets and what each holds", () => {
  const secrets = new EmittedSecrets();
  assert.deepEqual(secrets.notes, []);
  secrets.ref("SOCKIT_PASSWORD", "pw", "the password of http://h/");
  secrets.ref("SOCKIT_TOKEN", "tok", "the bearer token", "without the Bearer prefix");
  secrets.ref("SOCKIT_TOKEN", "tok", "the bearer token again");
  assert.deepEqual(secrets.notes, [
    'these checks need secrets: add "secrets: [SOCKIT_PASSWORD, SOCKIT_TOKEN]" to the spec\'s top level (sockit check reads them from the environment only)',
    "the password of http://h/ is the secret SOCKIT_PASSWORD: set SOCKIT_PASSWORD to it, as you gave it on the command line",
    "the bearer token is the secret SOCKIT_TOKEN: set SOCKIT_TOKEN to it, without the Bearer prefix",
  ]);
});
