/**
 * A property of `sockit check` with secrets: for random secrets (1 to 40 characters of any
 * Unicode, weighted towards what JSON, XML, TAP, YAML and URLs escape), a spec that sends the
 * secret in a URL, a header and a TCP payload to a real loopback server, which sends it back,
 * run with every report, `--json`, `--trace` and `-v`: every report parses, and the secret, in
 * any of the forms an output could hold it, appears in none of them.
 *
 * The run is seeded (SOCKIT_PROPERTY_SEED to choose another); fast-check prints the seed, the
 * path and the secret of a failing run.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { escapeXml, MASK, SHORT_SECRET } from "../lib/check/redact.ts";
import { escapeBytes } from "../lib/cli/output.ts";
import { hasProgram } from "./_helpers.ts";
import {
  assertJunitParses,
  assertTapParses,
  ReflectingServer,
  runWithReports,
} from "./_reports.ts";
import type { ReportedRun } from "./_reports.ts";

const SEED = Number(Deno.env.get("SOCKIT_PROPERTY_SEED") ?? 20261207);
const RUNS = 30;

/** Characters the formats escape or treat specially, and a few from far outside ASCII. */
const SPECIAL = [
  ...`"\\<>&'#:-{}[]%$\`!|*?,=+/@~^ \t`,
  "\x01",
  "\x1b",
  "\x7f",
  "\u0085",
  "\u00a0",
  "\u00e9",
  "\u2028",
  "\u65e5",
  "\ufeff",
  "\ufffd",
  "\u{1f511}",
];

/** A secret an environment variable can hold and a header can carry: no CR, LF or NUL. */
const secrets = fc.string({
  unit: fc.oneof(
    { arbitrary: fc.constantFrom(...SPECIAL), weight: 3 },
    { arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }), weight: 2 },
    { arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }), weight: 1 },
  ),
  minLength: 1,
  maxLength: 40,
}).filter((s) => !/[\r\n\0]/.test(s) && s.isWellFormed());

/** The forms in which an output could show `secret` unmasked. */
function formsOf(secret: string): string[] {
  return [
    ...new Set([
      secret,
      JSON.stringify(secret).slice(1, -1),
      escapeXml(secret),
      escapeBytes(new TextEncoder().encode(secret), Infinity).slice(1, -1),
      encodeURIComponent(secret),
      new URL(`http://h/?${secret}`).search.slice(1),
    ]),
  ].filter((form) => form !== "");
}

/** Whether `text` shows `form`; the mask itself does not count (a secret may hold `*`). */
function shows(text: string, form: string): boolean {
  return (form.includes("*") ? text.replaceAll(MASK, "\0") : text).includes(form);
}

/** The strings of a JSON report that carry data (the rest is the author's, or sockit's own). */
function jsonValues(report: { checks: Array<Record<string, unknown>> }): unknown[] {
  return report.checks.flatMap((c) => [
    c.target,
    c.error,
    ...Object.values(c.details as Record<string, unknown>),
    ...(c.failures as Array<Record<string, unknown>>).flatMap((
      f,
    ) => [f.expected, f.got, f.message]),
    ...(c.attempt_log as Array<Record<string, unknown>>).map((a) => a.reason),
  ]);
}

/** The strings of a TAP failure's diagnostics that carry data. */
function tapValues(diag: Record<string, unknown> | undefined): unknown[] {
  return [diag?.message, diag?.expected, diag?.got, diag?.target];
}

Deno.test("for random secrets, every report parses and no output shows the secret", async () => {
  if (!hasProgram("xmllint")) {
    // deno-lint-ignore no-console
    console.error("note: xmllint is not installed: JUnit is checked for its prolog only");
  }
  await using server = new ReflectingServer();
  const spec = `version: 1
secrets: [S]
checks:
  - name: "http: it comes back"
    http:
      url: "http://127.0.0.1:${server.port}/p?t=\${S}"
      headers: { X-Token: "\${S}" }
    expect: { body_contains: "\${S} and more" }
  - name: tcp sends it
    tcp: { host: 127.0.0.1, port: ${server.port}, send: "AUTH \${S}\\r\\n", expect: "AUTH" }
  - name: tcp misses
    tcp: { host: 127.0.0.1, port: ${server.port}, send: "AUTH \${S}\\r\\n", expect: "\${S}!!" }
`;
  const sent = (secret: string) => String.fromCharCode(...new TextEncoder().encode(secret));
  const outputsOf = (
    run: ReportedRun,
  ) => [run.result.out, run.result.err, run.json, run.junit, run.tap];
  // What the run writes whatever the secret: a secret it holds ("name", "tcp ") is no leak.
  const own = await runWithReports(spec, {
    args: ["--json", "--trace", "-v"],
    env: { S: "a value of no consequence" },
  }, (run) => outputsOf(run).join("\n"));
  await fc.assert(
    fc.asyncProperty(secrets, async (secret) => {
      server.received.length = 0;
      await runWithReports(spec, {
        args: ["--json", "--trace", "-v"],
        env: { S: secret },
      }, async (run) => {
        const { result } = run;
        assert.equal(result.code, 1, result.err);
        // The secret was carried: in the header, as UTF-8, and in the TCP payload.
        assert.ok(server.received.some((r) => r.includes(`\r\nX-Token: ${sent(secret)}\r\n`)));
        assert.ok(server.received.some((r) => r === `AUTH ${sent(secret)}\r\n`));
        const reports = [JSON.parse(result.out), JSON.parse(run.json)];
        for (const report of reports) {
          assert.deepEqual(
            report.checks.map((c: { name: string; status: string }) => [c.name, c.status]),
            [["http: it comes back", "failed"], ["tcp sends it", "passed"], [
              "tcp misses",
              "failed",
            ]],
          );
          assert.equal(typeof report.checks[0].attempts, "number");
        }
        assert.ok(run.junit.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n'));
        await assertJunitParses(run.junitPath);
        const tap = await assertTapParses(run.tap, 3);
        const forms = formsOf(secret);
        if ([...secret].length < SHORT_SECRET) {
          assert.match(result.err, /^warning: secret "S" is \d characters? long, too short/m);
        } else if (!forms.some((form) => shows(own, form))) {
          // Unless the author's names or sockit's own words hold it, no output shows it at all.
          for (const text of outputsOf(run)) {
            for (const form of forms) {
              assert.ok(!shows(text, form), `${JSON.stringify(form)} shows in:\n${text}`);
            }
          }
        }
        // Whatever its length, it stays out of every value that carried it.
        const values = [
          ...reports.flatMap(jsonValues),
          ...tap.failures.flatMap((f) => tapValues(f.diag)),
        ].filter((value) => typeof value === "string");
        for (const value of values) {
          assert.ok(!shows(value, secret), `a report's value shows the secret: ${value}`);
        }
      });
    }),
    { numRuns: RUNS, seed: SEED },
  );
});
