/**
 * A fixed-seed sample of the fuzz campaign (`deno task fuzz` runs a million inputs per parser):
 * every parser of peer bytes and user text keeps its contract, and the findings of earlier
 * campaigns stay fixed (tests/fixtures/fuzz/findings.json).
 */
import assert from "node:assert/strict";
import { fuzz } from "./fuzz/run.ts";
import { piecewise, readChunked, readResponse, TARGETS } from "./fuzz/targets.ts";

interface Finding {
  name: string;
  found: string;
  framing: "chunked" | "response";
  bytes: string;
  cuts: number[];
  body: string;
}

const { findings } = JSON.parse(
  await Deno.readTextFile(new URL("./fixtures/fuzz/findings.json", import.meta.url)),
) as { findings: Finding[] };

for (const finding of findings) {
  Deno.test(`fuzz finding stays fixed: ${finding.name}`, async () => {
    const bytes = Uint8Array.from(finding.bytes, (c) => c.charCodeAt(0));
    for (const cuts of [[], finding.cuts]) {
      const source = piecewise(bytes, cuts);
      const body = finding.framing === "chunked"
        ? await readChunked(source)
        : JSON.parse(await readResponse(source, 4096))[3];
      assert.equal(body, finding.body, `split at ${cuts.join(", ") || "nothing"}`);
    }
  });
}

const SAMPLE = 400;
const SEED = 20261125;

for (const target of TARGETS) {
  Deno.test(`fuzz: ${target.name} keeps its contract (${SAMPLE} inputs, seed ${SEED})`, async () => {
    const report = await fuzz(target, SAMPLE, SEED);
    assert.equal(report.finding, undefined, report.finding);
    assert.equal(report.runs, SAMPLE);
  });
}
