import assert from "node:assert/strict";
import { emptySelection, selectChecks } from "./select.ts";
import { loadSpec } from "./spec.ts";

const SPEC = [
  "version: 1",
  "checks:",
  "  - name: api up",
  "    tcp: { host: h, port: 1 }",
  "    tags: [smoke, api]",
  "  - name: db up",
  "    tcp: { host: h, port: 2 }",
  "    tags: [db]",
  "  - name: api slow",
  "    tcp: { host: h, port: 3 }",
  "",
].join("\n");

const spec = await loadSpec(SPEC, { file: "s.yaml", baseDir: ".", env: () => undefined });

Deno.test("selectChecks() runs every check when no filter is given", () => {
  const planned = selectChecks([spec], { tags: [], nameRegex: undefined });
  assert.deepEqual(planned.map((p) => [p.check.name, p.skip]), [
    ["api up", undefined],
    ["db up", undefined],
    ["api slow", undefined],
  ]);
});

Deno.test("selectChecks() runs a check with any of the tags whose name matches, and says why the others skip", () => {
  const planned = selectChecks([spec], { tags: ["smoke", "db"], nameRegex: /^api/ });
  assert.deepEqual(planned.map((p) => [p.check.name, p.skip]), [
    ["api up", undefined],
    ["db up", "not selected by --tag smoke --tag db --name ^api"],
    ["api slow", "not selected by --tag smoke --tag db --name ^api"],
  ]);
});

Deno.test("emptySelection() puts a problem at the checks key saying what was asked and the file's tags", () => {
  const [error, ...rest] = emptySelection([spec], { tags: ["web"], nameRegex: /x/ });
  assert.deepEqual(rest, []);
  assert.equal(error!.file, "s.yaml");
  assert.deepEqual(error!.problems.map((p) => [p.line, p.message]), [
    [
      spec.checksPos.line,
      'no check matches --tag "web" and --name "x" (3 checks; tags: smoke, api, db)',
    ],
  ]);
});
