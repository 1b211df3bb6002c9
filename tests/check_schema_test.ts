/**
 * The spec file's two judges agree: the JSON Schema in schema/ (checked with ajv, as editors
 * check it) and sockit's own validator accept the README's examples and a spec using every kind, and reject
 * the same broken files. Also: `check`'s help and README section, `--emit-check` output that
 * runs as a check, and the demo's check step.
 */
import assert from "node:assert/strict";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { loadSpec, SpecError } from "../lib/check/spec.ts";
import { CHECK } from "../lib/cli/check/mod.ts";
import { COMMON_OPTIONS } from "../lib/cli/args.ts";
import { EchoServerProcess, runSockit } from "./_helpers.ts";
import { startHttpResponder } from "../lib/http/responder.ts";

const README = await Deno.readTextFile(new URL("../README.md", import.meta.url));
const SCHEMA = JSON.parse(
  await Deno.readTextFile(new URL("../schema/sockit-check.schema.json", import.meta.url)),
);
const SECTION = README.split("### check\n")[1]!.split("\n### ")[0]!;
const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

const ajv = new Ajv({ allErrors: true, strict: false });
const schemaValid = ajv.compile(SCHEMA);

/** What sockit's validator says: `undefined` when valid, the problems otherwise. */
async function sockitProblems(text: string, file = "spec.yaml"): Promise<string | undefined> {
  try {
    await loadSpec(text, {
      file,
      baseDir: "/srv",
      env: (name) => ({ TOKEN: "t0ken" } as Record<string, string>)[name],
      readFile: () => Promise.resolve(PEM),
    });
    return undefined;
  } catch (error) {
    if (error instanceof SpecError) return error.message;
    throw error;
  }
}

function schemaProblems(text: string): string | undefined {
  return schemaValid(parse(text)) ? undefined : ajv.errorsText(schemaValid.errors);
}

Deno.test("every complete spec in the README's check section is valid for the schema and for sockit", async () => {
  const examples = [...SECTION.matchAll(/```ya?ml\n([\s\S]*?)```/g)].map((m) => m[1]!)
    .filter((text) => /^version: 1$/m.test(text));
  assert.ok(examples.length >= 1, "no complete example in the README");
  for (const text of examples) {
    assert.equal(schemaProblems(text), undefined);
    assert.equal(await sockitProblems(text), undefined);
  }
  const everyKind = await Deno.readTextFile(
    new URL("./fixtures/check/every_kind.yaml", import.meta.url),
  );
  assert.equal(schemaProblems(everyKind), undefined);
  assert.equal(await sockitProblems(everyKind), undefined);
});

const BASE = "version: 1\nchecks:\n";

Deno.test("the schema and sockit's validator accept and reject the same files", async (t) => {
  const cases: Array<[string, string, boolean]> = [
    ["a bare tcp check", `${BASE}  - { name: a, tcp: { host: h, port: 1 } }\n`, true],
    [
      "a port from a variable",
      `version: 1\nvars: { P: 80 }\nchecks:\n  - { name: a, tcp: { host: h, port: "\${P}" } }\n`,
      true,
    ],
    [
      "a status as one code",
      `${BASE}  - { name: a, http: { url: "http://h/" }, expect: { status: 204 } }\n`,
      true,
    ],
    [
      "rcode as a list",
      `${BASE}  - { name: a, dns: { name: a.test, type: AAAA }, expect: { rcode: [NOERROR, NXDOMAIN] } }\n`,
      true,
    ],
    [
      "a json value to equal",
      `${BASE}  - { name: a, http: { url: "http://h/" }, expect: { json: { "": { a: [1, 2] }, /b: null } } }\n`,
      true,
    ],
    [
      "a null header",
      `${BASE}  - { name: a, http: { url: "http://h/", headers: { User-Agent: null } } }\n`,
      true,
    ],
    [
      "defaults and tags",
      `version: 1\ndefaults: { timeout: 2s, retry: { attempts: 3 } }\nchecks:\n  - { name: a, unix: { path: /s }, tags: [x], timeout: 0.5 }\n`,
      true,
    ],
    ["no version", "checks:\n  - { name: a, tcp: { host: h, port: 1 } }\n", false],
    ["version 2", "version: 2\nchecks:\n  - { name: a, tcp: { host: h, port: 1 } }\n", false],
    ["no checks", "version: 1\nchecks: []\n", false],
    [
      "an unknown top-level key",
      `version: 1\nchekcs: []\n${BASE.slice(11)}  - { name: a, tcp: { host: h, port: 1 } }\n`,
      false,
    ],
    [
      "an unknown check key",
      `${BASE}  - { name: a, tcp: { host: h, port: 1 }, timout: 5s }\n`,
      false,
    ],
    ["two kinds", `${BASE}  - { name: a, tcp: { host: h, port: 1 }, unix: { path: /s } }\n`, false],
    ["no kind", `${BASE}  - { name: a }\n`, false],
    ["no name", `${BASE}  - { tcp: { host: h, port: 1 } }\n`, false],
    [
      "a key of another kind",
      `${BASE}  - { name: a, tcp: { host: h, port: 1, url: "http://h/" } }\n`,
      false,
    ],
    [
      "an expectation of another kind",
      `${BASE}  - { name: a, tcp: { host: h, port: 1 }, expect: { status: 200 } }\n`,
      false,
    ],
    ["a port out of range", `${BASE}  - { name: a, tcp: { host: h, port: 70000 } }\n`, false],
    ["a port that is text", `${BASE}  - { name: a, tcp: { host: h, port: eighty } }\n`, false],
    [
      "a bad duration",
      `${BASE}  - { name: a, tcp: { host: h, port: 1 }, timeout: 5 seconds }\n`,
      false,
    ],
    ["a bad method", `${BASE}  - { name: a, http: { url: "http://h/", method: POST } }\n`, false],
    [
      "a status class typo",
      `${BASE}  - { name: a, http: { url: "http://h/" }, expect: { status: [2x] } }\n`,
      false,
    ],
    [
      "a pointer without a slash",
      `${BASE}  - { name: a, http: { url: "http://h/" }, expect: { json: { status: up } } }\n`,
      false,
    ],
    [
      "an unknown rcode",
      `${BASE}  - { name: a, dns: { name: a.test, type: A }, expect: { rcode: NXDOMIAN } }\n`,
      false,
    ],
    [
      "attempts 0",
      `${BASE}  - { name: a, tcp: { host: h, port: 1 }, retry: { attempts: 0 } }\n`,
      false,
    ],
    [
      "a retry key typo",
      `${BASE}  - { name: a, tcp: { host: h, port: 1 }, retry: { atempts: 2 } }\n`,
      false,
    ],
    ["a url that is not http", `${BASE}  - { name: a, http: { url: "ftp://h/" } }\n`, false],
    [
      "a lower-case variable name in secrets",
      "version: 1\nsecrets: [1TOKEN]\nchecks:\n  - { name: a, tcp: { host: h, port: 1 } }\n",
      false,
    ],
  ];
  for (const [what, text, valid] of cases) {
    await t.step(`${valid ? "accept" : "reject"}: ${what}`, async () => {
      const bySchema = schemaProblems(text);
      const bySockit = await sockitProblems(text);
      assert.equal(bySchema === undefined, valid, `schema: ${bySchema}`);
      assert.equal(bySockit === undefined, valid, `sockit: ${bySockit}`);
    });
  }
});

Deno.test("check --help has examples, and the README's check section documents every option", async () => {
  const result = await runSockit(["check", "--help"]);
  assert.equal(result.code, 0);
  assert.match(result.out, /^sockit check: /);
  assert.match(result.out, /\nExamples:\n/);
  for (const option of CHECK.options) {
    if (COMMON_OPTIONS.includes(option)) continue;
    assert.match(SECTION, new RegExp(`--${option.name}\\b`), `--${option.name} undocumented`);
    assert.match(result.out, new RegExp(`--${option.name}\\b`));
  }
  for (const topic of ["GitHub Actions", "GitLab CI", "Exit codes", "junit", "tap", "json"]) {
    assert.ok(SECTION.includes(topic), `no ${topic} in the README`);
  }
});

Deno.test("--emit-check prints entries that run as checks (get, resolve, wait)", async () => {
  const body = '{"status":"up"}';
  const reply =
    `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  await using web = startHttpResponder([reply, reply]);
  const get = await runSockit([
    "get",
    "--emit-check",
    "-H",
    "X-Token: abc",
    "--expect-status",
    "200",
    "--expect-header",
    "Content-Type: ^application/json",
    "--expect-body",
    "up",
    "--retry",
    "2",
    "--timing",
    web.url("/health"),
  ]);
  assert.equal(get.code, 0, get.err);
  assert.match(get.out, /^# --timing has no equivalent in a check: left out\n- name: GET http:/);
  const wait = await runSockit([
    "wait",
    "--emit-check",
    "--timeout",
    "2s",
    web.url("/ready"),
    "file:/tmp/x",
  ]);
  assert.equal(wait.code, 0, wait.err);
  assert.match(wait.out, /# file:\/tmp\/x: sockit check has no file checks: left out/);
  const resolve = await runSockit([
    "resolve",
    "--emit-check",
    "localhost",
    "--expect",
    "127.0.0.1",
  ]);
  assert.equal(resolve.code, 0, resolve.err);
  const dir = await Deno.makeTempDir();
  try {
    const spec = `version: 1\nchecks:\n${get.out}${wait.out}${resolve.out}`;
    await Deno.writeTextFile(`${dir}/emitted.yaml`, spec);
    const run = await runSockit(["check", "--json", `${dir}/emitted.yaml`]);
    assert.equal(run.code, 0, run.out + run.err);
    const report = JSON.parse(run.out);
    assert.deepEqual(report.checks.map((c: { name: string }) => c.name), [
      `GET ${web.url("/health")}`,
      `wait ${web.url("/ready")}`,
      "resolve localhost",
    ]);
    // The checks run at once: find the request of the check that get emitted.
    const health = web.requests.find((r) => r.startsWith("GET /health "));
    assert.match(health ?? "", /\r\nX-Token: abc(\r\n|$)/);
    assert.deepEqual(
      JSON.parse((await runSockit(["resolve", "--emit-check", "--json", "a.test"])).out),
      { checks: [{ name: "resolve a.test", dns: { name: "a.test" } }], notes: [] },
    );
    const compare = await runSockit(["resolve", "--emit-check", "--compare", "a.test"]);
    assert.equal(compare.code, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("echo send --emit-check prints a check that passes against the same echo server", async () => {
  await using server = await EchoServerProcess.start();
  const emitted = await runSockit([
    "echo",
    "send",
    "--emit-check",
    "--timeout",
    "2s",
    "--count",
    "3",
    "--port",
    String(server.port),
    "hello",
  ]);
  assert.equal(emitted.code, 0, emitted.err);
  assert.match(
    emitted.out,
    /^# a check makes one round trip: --count left out\n- name: echo 127\.0\.0\.1:/,
  );
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/echo.yaml`, `version: 1\nchecks:\n${emitted.out}`);
    const run = await runSockit(["check", "--json", `${dir}/echo.yaml`]);
    assert.equal(run.code, 0, run.out + run.err);
    assert.deepEqual(JSON.parse(run.out).checks.map((c: { ok: boolean }) => c.ok), [true]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const udp = JSON.parse(
    (await runSockit(["echo", "send", "--emit-check", "--json", "--udp", "x"])).out,
  );
  assert.deepEqual(udp.notes, ["--udp has no equivalent in a check: left out"]);
});

Deno.test("demo's check step runs a spec against the demo's servers and writes its JUnit file", async () => {
  const result = await runSockit(["demo", "--json", "-q"]);
  assert.equal(result.code, 0, result.err);
  const steps = result.out.trim().split("\n").map((line) => JSON.parse(line));
  const check = steps.find((s) => s.step === 7);
  assert.deepEqual(
    { ...check, junit_bytes: typeof check.junit_bytes },
    {
      step: 7,
      event: "check",
      passed: 4,
      failed: 0,
      skipped: 0,
      junit_testcases: 4,
      junit_bytes: "number",
    },
  );
  const text = await runSockit(["demo"]);
  assert.match(text.out, /== 7\. check: /);
  assert.match(text.out, /ok {4}no such name {5}NXDOMAIN\n/);
  assert.match(
    text.out,
    /<testsuites name="sockit check" tests="4" failures="0" errors="0" skipped="0"/,
  );
});
