/**
 * Byte-exact responses from tests/fixtures/http/cases.json, replayed over real loopback sockets
 * to `sockit get` (run in this process), each checked against the verdict it carries.
 */
import assert from "node:assert/strict";
import { ReplayServer, runCli } from "./_http.ts";

interface FixtureCase {
  name: string;
  rfc: string;
  args?: string[];
  urls?: number;
  path?: string;
  responses: string[];
  expect: {
    exit: number;
    stdout?: string;
    stdout_match?: string;
    stderr?: string;
    connections?: number;
    requests?: string[];
  };
}

const { cases } = JSON.parse(
  await Deno.readTextFile(new URL("./fixtures/http/cases.json", import.meta.url)),
) as { cases: FixtureCase[] };

Deno.test("the fixture table holds at least 40 cases, each with a verdict", () => {
  assert.ok(cases.length >= 40, `${cases.length} cases`);
  for (const c of cases) assert.equal(typeof c.expect.exit, "number", c.name);
});

for (const fixture of cases) {
  Deno.test(`get: ${fixture.name} (${fixture.rfc})`, async () => {
    await using server = new ReplayServer(fixture.responses);
    const urls = Array.from({ length: fixture.urls ?? 1 }, () => server.url(fixture.path ?? "/"));
    const result = await runCli(["get", ...(fixture.args ?? []), ...urls]);
    const { expect } = fixture;
    const context = `stderr: ${result.err}\nstdout: ${JSON.stringify(result.out)}`;
    assert.equal(result.code, expect.exit, context);
    if (expect.stdout !== undefined) assert.equal(result.out, expect.stdout, context);
    if (expect.stdout_match !== undefined) {
      assert.match(result.out, new RegExp(expect.stdout_match), context);
    }
    if (expect.stderr !== undefined) assert.match(result.err, new RegExp(expect.stderr), context);
    if (expect.exit !== 0) assert.match(result.err, /^error: /m, "a failure says why");
    if (expect.connections !== undefined) {
      assert.equal(server.connections, expect.connections, "connections accepted");
    }
    for (const [i, pattern] of (expect.requests ?? []).entries()) {
      assert.match(server.requests[i] ?? "", new RegExp(pattern), `request ${i + 1}`);
    }
  });
}
