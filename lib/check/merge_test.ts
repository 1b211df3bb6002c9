/**
 * Merging the JSON reports of one spec from many vantage points: reading and refusing them, the
 * result fingerprint, each check's verdict under every `--fail-on`, and the merged reports.
 */
import assert from "node:assert/strict";
import {
  mergedJsonReport,
  mergedJunitReport,
  mergedTapReport,
  MergeError,
  mergeReports,
  parseFailOn,
  parseReport,
  resultFingerprint,
} from "./merge.ts";
import type { VantageReport } from "./merge.ts";

/** A check's entry of a JSON report, as `jsonResult` writes it. */
function entry(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    file: "s.yaml",
    line: 3,
    kind: "tcp",
    target: "db:5432",
    tags: [],
    insecure: false,
    status: "passed",
    ok: true,
    attempts: 1,
    duration_ms: 1.25,
    error: null,
    skip_reason: null,
    failures: [],
    details: { time_ms: 1.2 },
    attempt_log: [],
    ...extra,
  };
}

/** A JSON report's text from `vantage` holding `checks`. */
function reportText(vantage: string | undefined, checks: Record<string, unknown>[]): string {
  return JSON.stringify({
    ...(vantage === undefined ? {} : { vantage }),
    passed: 0,
    failed: 0,
    skipped: 0,
    errors: 0,
    duration_ms: 5,
    started_at: "2026-12-07T12:00:00.000Z",
    files: ["s.yaml"],
    checks,
  });
}

function report(vantage: string, checks: Record<string, unknown>[]): VantageReport {
  return parseReport(reportText(vantage, checks), `${vantage}.json`);
}

const REFUSED = "Cannot connect to db:5432: connection refused";

Deno.test("parseReport() names the file and what is wrong with it", () => {
  const refused = (text: string, pattern: RegExp) =>
    assert.throws(() => parseReport(text, "r/b.json"), (error: Error) => {
      assert.ok(error instanceof MergeError);
      assert.match(error.message, /^Cannot read report "r\/b\.json": /);
      assert.match(error.message, pattern);
      return true;
    });
  const whole = reportText("b", [entry("db")]);
  refused(whole.slice(0, whole.length / 2), /it is not JSON/);
  refused("", /it is not JSON .*the file is empty/);
  refused('{"name": "x"}', /not a sockit check JSON report/);
  refused(reportText(undefined, [entry("db")]), /no "vantage".*--vantage NAME/);
  refused(reportText("a\nb", [entry("db")]), /"vantage" cannot name a vantage point: .*control/);
  refused(reportText("b", [entry("db"), entry("x", { status: "bad" })]), /checks\[1\]\.status/);
  refused(
    reportText("b", [entry("db", { failures: [{ expectation: 1 }] })]),
    /checks\[0\]\.failures/,
  );
  refused(reportText("b", [entry("db", { file: "t.yaml" })]), /"t\.yaml", which is not among/);
  refused(reportText("b", [entry("db"), entry("db")]), /check "db" of "s\.yaml" is in it twice/);
  assert.equal(parseReport(whole, "r/b.json").vantage, "b");
});

Deno.test("resultFingerprint() is what was seen: not the time, the target, the order of answers or what came instead", () => {
  const dns = (answers: string[], extra: Record<string, unknown> = {}) =>
    entry("n", {
      kind: "dns",
      details: { rcode: "NOERROR", answers, server: "10.0.0.1:53", time_ms: Math.random() },
      ...extra,
    });
  const base = resultFingerprint(dns(["192.0.2.1", "192.0.2.2"]));
  assert.match(base!, /^[0-9a-f]{12}$/);
  assert.equal(resultFingerprint(dns(["192.0.2.2", "192.0.2.1"], { target: "x" })), base);
  assert.notEqual(resultFingerprint(dns(["192.0.2.1"])), base);
  assert.notEqual(
    resultFingerprint(dns([], { details: { rcode: "NXDOMAIN", answers: [] } })),
    resultFingerprint(dns([], { details: { rcode: "SERVFAIL", answers: [] } })),
  );
  const slow = (got: string) =>
    entry("t", {
      status: "failed",
      failures: [{ expectation: "time_under", expected: "under 5ms", got, message: got }],
    });
  assert.equal(resultFingerprint(slow("7 ms")), resultFingerprint(slow("9 ms")));
  assert.notEqual(resultFingerprint(slow("7 ms")), resultFingerprint(entry("t")));
  const http = (status: number, extra: Record<string, unknown> = {}) =>
    entry("h", { kind: "http", details: { status, time_ms: 3, url: "http://h/", ...extra } });
  assert.notEqual(resultFingerprint(http(200)), resultFingerprint(http(503)));
  assert.equal(resultFingerprint(http(200)), resultFingerprint(http(200, { redirects: 0 })));
  assert.notEqual(
    resultFingerprint(http(200, { cert_expires: "2027-01-01T00:00:00.000Z" })),
    resultFingerprint(http(200, { cert_expires: "2027-02-01T00:00:00.000Z" })),
  );
  const cert = (sha256: string) =>
    http(200, { cert_expires: "2027-01-01T00:00:00.000Z", cert_sha256: sha256 });
  assert.notEqual(resultFingerprint(cert("AB:CD")), resultFingerprint(cert("AB:CE")));
  assert.equal(resultFingerprint(cert("AB:CD")), resultFingerprint(cert("AB:CD")));
  // An old report's error (no error_kind, no error_code): its message, the target left out.
  const error = (message: string, extra: Record<string, unknown> = {}) =>
    entry("e", { status: "error", ok: false, error: message, ...extra });
  assert.equal(resultFingerprint(error(REFUSED)), resultFingerprint(error(REFUSED)));
  assert.notEqual(resultFingerprint(error(REFUSED)), resultFingerprint(error("timed out")));
  assert.equal(
    resultFingerprint(error(REFUSED)),
    resultFingerprint(
      error("Cannot connect to db:5433: connection refused", { target: "db:5433" }),
    ),
  );
  // A new one's: its kind and system code, whatever the message names.
  const refused = (target: string) =>
    error(`Cannot connect to ${target}: connection refused`, {
      target,
      error_kind: "connect",
      error_code: "ECONNREFUSED",
    });
  assert.equal(
    resultFingerprint(refused("10.0.0.1:53")),
    resultFingerprint(refused("10.0.0.2:53")),
  );
  assert.notEqual(
    resultFingerprint(refused("db:5432")),
    resultFingerprint(error(REFUSED, { error_kind: "connect", error_code: "EHOSTUNREACH" })),
  );
  assert.notEqual(
    resultFingerprint(refused("db:5432")),
    resultFingerprint(error(REFUSED, { error_kind: "deadline", error_code: null })),
  );
  assert.notEqual(
    resultFingerprint(entry("r", { details: { received: "SSH-2.0" } })),
    resultFingerprint(entry("r")),
  );
  assert.equal(resultFingerprint(entry("s", { status: "skipped" })), undefined);
});

Deno.test("mergeReports() refuses two reports from one vantage point, naming both", () => {
  assert.throws(
    () => mergeReports([report("a", [entry("db")]), report("b", []), report("a", [entry("db")])]),
    /^MergeError: Reports "a\.json" and "a\.json" are both from vantage point "a"/,
  );
  const again = parseReport(reportText("a", [entry("db")]), "copy/a.json");
  assert.throws(
    () => mergeReports([report("a", [entry("db")]), again]),
    /Reports "a\.json" and "copy\/a\.json" are both from vantage point "a"/,
  );
});

Deno.test("mergeReports() refuses reports of different specs, naming them and the difference", () => {
  assert.throws(
    () => mergeReports([report("a", [entry("db"), entry("web")]), report("b", [entry("db")])]),
    /^MergeError: Reports "a\.json" and "b\.json" are of different specs: "b\.json" has no check "web" \("s\.yaml"\); its checks of that file are "db"$/,
  );
  assert.throws(
    () => mergeReports([report("a", [entry("db")]), report("b", [entry("db"), entry("dns")])]),
    /"a\.json" has no check "dns"/,
  );
  const other = JSON.parse(reportText("b", [])) as Record<string, unknown>;
  other.files = ["s.yaml", "t.yaml"];
  assert.throws(
    () => mergeReports([report("a", []), parseReport(JSON.stringify(other), "b.json")]),
    /different specs: "a\.json" has no file "t\.yaml"; it has "s\.yaml"$/,
  );
  assert.throws(() => mergeReports([]), /No report to merge/);
});

Deno.test("mergeReports() takes one spec file named two ways as one: ./s.yaml and s.yaml", () => {
  const named = (vantage: string, file: string) => {
    const text = JSON.parse(reportText(vantage, [entry("db", { file })]));
    text.files = [file];
    return parseReport(JSON.stringify(text), `${vantage}.json`);
  };
  const run = mergeReports([
    named("a", "s.yaml"),
    named("b", "./s.yaml"),
    named("c", "x/../s.yaml"),
  ]);
  assert.deepEqual(run.checks.map((c) => [c.name, c.views.length, c.differs]), [["db", 3, false]]);
  assert.throws(
    () => mergeReports([named("a", "s.yaml"), named("b", "ci/s.yaml")]),
    /"b\.json" has no file "s\.yaml"; it has "ci\/s\.yaml"$/,
  );
});

/** Three vantage points: `db` refused from c only, `down` refused from all, `dns` seen two ways. */
function threeVantages() {
  const dns = (answers: string[]) =>
    entry("dns", { kind: "dns", details: { rcode: "NOERROR", answers } });
  const refused = (name: string) => entry(name, { status: "error", ok: false, error: REFUSED });
  return [
    report("a", [entry("db"), refused("down"), dns(["192.0.2.1"]), entry("off")]),
    report("b", [entry("db"), refused("down"), dns(["192.0.2.1"]), entry("off")]),
    report("c", [
      refused("db"),
      refused("down"),
      dns(["192.0.2.99"]),
      entry("off", { status: "skipped", ok: null, skip_reason: "not selected" }),
    ]),
  ];
}

Deno.test("--fail-on decides per check: any, differs, all, or a quorum of vantage points", () => {
  const failing = (failOn: Parameters<typeof parseFailOn>[0]) =>
    mergeReports(threeVantages(), { failOn: parseFailOn(failOn, 3) }).checks
      .filter((c) => c.fails).map((c) => c.name);
  assert.deepEqual(failing("any"), ["db", "down"]);
  assert.deepEqual(failing("differs"), ["db", "dns"]);
  assert.deepEqual(failing("all"), ["down"]);
  assert.deepEqual(failing("1"), ["db", "down"]);
  assert.deepEqual(failing("2"), ["down"]);
  assert.deepEqual(failing("3"), ["down"]);
  const run = mergeReports(threeVantages());
  const db = run.checks[0]!;
  assert.deepEqual([db.failedAt, db.ranAt, db.differs], [["c"], ["a", "b", "c"], true]);
  // Skipped from c: not a view of its own, so a and b alone agree.
  assert.deepEqual([run.checks[3]!.ranAt, run.checks[3]!.differs], [["a", "b"], false]);
  assert.throws(() => parseFailOn("4", 3), /from 1 to the 3 vantage points merged/);
  assert.throws(() => parseFailOn("0", 3), RangeError);
  assert.throws(() => parseFailOn("some", 3), /expected any, differs, all or a number/);
});

Deno.test("the merged JSON report has the vantage points, and per check by_vantage and differs", () => {
  const json = mergedJsonReport(mergeReports(threeVantages(), { failOn: "differs" }));
  assert.deepEqual((json.vantages as Array<{ name: string }>).map((v) => v.name), ["a", "b", "c"]);
  assert.deepEqual([json.fail_on, json.failing, json.differing, json.ok], [
    "differs",
    2,
    2,
    false,
  ]);
  const checks = json.checks as Array<Record<string, unknown>>;
  const db = checks[0]!;
  assert.deepEqual([db.name, db.differs, db.views, db.failed_at, db.fails], [
    "db",
    true,
    2,
    ["c"],
    true,
  ]);
  const byVantage = db.by_vantage as Record<string, Record<string, unknown>>;
  assert.deepEqual(Object.keys(byVantage), ["a", "b", "c"]);
  assert.equal(byVantage.c!.error, REFUSED);
  assert.equal(byVantage.a!.fingerprint, byVantage.b!.fingerprint);
  assert.notEqual(byVantage.a!.fingerprint, byVantage.c!.fingerprint);
  assert.equal(
    (checks[3]!.by_vantage as Record<string, { fingerprint: null }>).c!.fingerprint,
    null,
  );
});

Deno.test("the merged JUnit report has a suite per vantage point; TAP a test point per check", () => {
  const run = mergeReports(threeVantages());
  const junit = mergedJunitReport(run);
  assert.deepEqual([...junit.matchAll(/<testsuite name="(\w)"/g)].map((m) => m[1]), [
    "a",
    "b",
    "c",
  ]);
  assert.match(
    junit,
    /<testsuites name="sockit check merge" tests="12" failures="0" errors="4" skipped="1">/,
  );
  assert.match(junit, /<property name="vantage" value="c"\/>/);
  // A case per check and vantage point: the classname tells the places apart.
  const cases = [...junit.matchAll(/<testcase name="([^"]+)" classname="([^"]+)"/g)]
    .map((m) => `${m[2]}.${m[1]}`);
  assert.equal(cases.length, 12);
  assert.equal(new Set(cases).size, 12);
  assert.ok(cases.includes("s (c).db"), cases.join(" "));
  assert.match(
    junit,
    /<testcase name="db" classname="s \(c\)"[^>]*>\n {6}<error message="Cannot connect to db:5432: connection refused" type="Error">/,
  );
  const tap = mergedTapReport(run);
  assert.match(tap, /^1\.\.4$/m);
  assert.match(tap, /^not ok 1 - db$/m);
  assert.match(tap, /^ok 3 - dns$/m);
  assert.match(tap, /^ {6}saw: "error: Cannot connect to db:5432: connection refused"$/m);
});

Deno.test("mergeReports() of 50 reports of 200 checks each keeps every check and vantage point", () => {
  // How long it takes is the bench's (`deno task bench merge`), not a test's.
  const checks = Array.from({ length: 200 }, (_, i) => entry(`check ${i}`));
  const texts = Array.from({ length: 50 }, (_, v) => reportText(`v${v}`, checks));
  const run = mergeReports(texts.map((text, v) => parseReport(text, `v${v}.json`)));
  assert.equal(run.checks.length, 200);
  assert.ok(run.checks.every((c) => c.views.length === 50));
  const json = mergedJsonReport(run) as { vantages: unknown[]; checks: unknown[] };
  assert.equal(json.vantages.length, 50);
  assert.equal(json.checks.length, 200);
  assert.match(mergedJunitReport(run), /<testsuites name="sockit check merge" tests="10000"/);
  assert.match(mergedTapReport(run), /^1\.\.200$/m);
});
