/**
 * `sockit check merge`: real JSON reports of one spec run from two vantage points (one sees a
 * listener, the other a closed port: the same spec, its port given with --var), merged: the
 * matrix, what differs, each --fail-on's exit code, the merged reports as their consumers read
 * them (JSON.parse, xmllint, tap-parser), the refusals; and a monitor's result fingerprint on
 * /metrics, the same as the merge's, and clean for promtool.
 */
import assert from "node:assert/strict";
import { closedPort, runSockit } from "./_helpers.ts";
import type { RunResult } from "./_helpers.ts";
import { MonitorProcess, sampleValue } from "./_monitor.ts";
import { assertJunitParses, assertTapParses, ReflectingServer } from "./_reports.ts";
import { havePromtool, promtoolCheck } from "../lib/metrics/_promtool.ts";

/** A spec whose `db` check's port is `${PORT}`, and a `local` check that passes anywhere. */
const SPEC = [
  "version: 1",
  "vars: { PORT: '1', LOCAL: '1' }",
  "checks:",
  "  - { name: db, tcp: { host: 127.0.0.1, port: '${PORT}' }, timeout: 2s }",
  "  - { name: local, tcp: { host: 127.0.0.1, port: '${LOCAL}' }, timeout: 2s }",
  "",
].join("\n");

interface Setup {
  dir: string;
  spec: string;
  /** a.json from vantage "a" (db reachable), b.json from "b" (db refused), c.json from "c" (reachable). */
  reports: { a: string; b: string; c: string };
  server: ReflectingServer;
  /** Runs the spec (or `file`) once from `vantage` with the db's port `port`: its report's path. */
  checkFrom(vantage: string, port: number, file?: string): Promise<{ path: string; code: number }>;
}

/** Writes the spec and the three vantage points' reports into a temporary folder for `use`. */
async function withReports(use: (setup: Setup) => Promise<void>): Promise<void> {
  await using server = new ReflectingServer();
  const dir = await Deno.makeTempDir({ prefix: "sockit-merge-" });
  try {
    const spec = `${dir}/sockit.yaml`;
    await Deno.writeTextFile(spec, SPEC);
    const checkFrom = async (vantage: string, port: number, file = spec) => {
      const path = `${dir}/${vantage}.json`;
      const result = await runSockit([
        "check",
        "--vantage",
        vantage,
        "--var",
        `PORT=${port}`,
        "--var",
        `LOCAL=${server.port}`,
        "--report",
        `json=${path}`,
        file,
      ]);
      assert.ok(result.code <= 1, result.err);
      return { path, code: result.code };
    };
    const closed = closedPort();
    const run = async (vantage: string, port: number) => {
      const { path, code } = await checkFrom(vantage, port);
      assert.equal(code, port === closed ? 1 : 0);
      return path;
    };
    const reports = {
      a: await run("a", server.port),
      b: await run("b", closed),
      c: await run("c", server.port),
    };
    await use({ dir, spec, reports, server, checkFrom });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function merge(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return runSockit(["check", "merge", ...args], { env });
}

Deno.test("check merge prints a matrix, then what each vantage point saw of the check that differs", async () => {
  await withReports(async ({ reports }) => {
    const result = await merge([reports.a, reports.b]);
    assert.equal(result.code, 1, result.err);
    assert.equal(result.err, "");
    const lines = result.out.split("\n");
    assert.match(lines[0]!, /^check {2}a {9,}b$/);
    assert.match(lines[1]!, /^db {5}ok \d+\.\d+ ms +ERROR \d+\.\d+ ms +differs$/);
    assert.match(lines[2]!, /^local {2}ok \d+\.\d+ ms +ok \d+\.\d+ ms$/);
    assert.equal(lines[3], "");
    assert.equal(lines[4], "Differs between vantage points:");
    assert.equal(lines[5], "  db (tcp, " + reports.a.replace(/a\.json$/, "sockit.yaml") + ":4)");
    assert.match(lines[6]!, /^ {4}a: 127\.0\.0\.1:\d+ \[[0-9a-f]{12}\]$/);
    assert.equal(lines[7], "      passed: connected");
    assert.match(lines[8]!, /^ {4}b: 127\.0\.0\.1:\d+ \[[0-9a-f]{12}\]$/);
    assert.match(
      lines[9]!,
      /^ {6}error: Cannot connect to 127\.0\.0\.1:\d+: connection refused$/,
    );
    assert.equal(
      lines.at(-2),
      "2 checks from 2 vantage points: 1 passed everywhere, 1 differs, 1 fails with --fail-on any",
    );
    assert.ok(!result.out.includes("\x1b["), "no colour with NO_COLOR");
    // A narrow terminal: the columns that do not fit go to a block below, with the names again.
    const narrow = await merge([reports.a, reports.b, reports.c], { COLUMNS: "40" });
    const headers = narrow.out.split("\n").filter((line) => line.startsWith("check "));
    assert.deepEqual(headers.map((line) => line.split(/ +/).slice(1)), [["a"], ["b"], ["c"]]);
    const matrix = narrow.out.split("Differs between")[0]!.split("\n");
    for (const line of matrix) assert.ok(line.length <= 40, line);
  });
});

Deno.test("check merge --fail-on chooses when a check fails the merge: any, differs, all, a quorum", async () => {
  await withReports(async ({ reports }) => {
    const three = [reports.a, reports.b, reports.c];
    const codes: Record<string, number> = {};
    for (const failOn of ["any", "differs", "all", "1", "2", "3"]) {
      codes[failOn] = (await merge(["-q", "--fail-on", failOn, ...three])).code;
    }
    assert.deepEqual(codes, { any: 1, differs: 1, all: 0, 1: 1, 2: 0, 3: 0 });
    // Where every one passed, every mode passes.
    assert.equal((await merge([reports.a, reports.c])).code, 0);
    assert.equal((await merge(["--fail-on", "differs", reports.a, reports.c])).code, 0);
    const quorum = await merge(["--fail-on", "4", ...three]);
    assert.equal(quorum.code, 2);
    assert.match(quorum.err, /^error: Invalid --fail-on "4": a quorum must be from 1 to the 3/);
    const bad = await merge(["--fail-on", "most", ...three]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /expected any, differs, all or a number/);
  });
});

Deno.test("check merge finds two vantage points refused on different ports to agree", async () => {
  await withReports(async ({ reports, checkFrom }) => {
    const b = JSON.parse(await Deno.readTextFile(reports.b));
    let port = closedPort();
    while (b.checks[0].target.endsWith(`:${port}`)) port = closedPort();
    const { path: d, code } = await checkFrom("d", port);
    assert.equal(code, 1);
    const entry = JSON.parse(await Deno.readTextFile(d)).checks[0];
    assert.deepEqual([entry.error_kind, entry.error_code], ["connect", "ECONNREFUSED"]);
    const merged = await merge(["--fail-on", "differs", "--report", "json=-", reports.b, d]);
    assert.equal(merged.code, 0, merged.err);
    assert.doesNotMatch(merged.err, / {2}differs$/m);
    const db = JSON.parse(merged.out).checks[0];
    assert.equal(db.differs, false);
    assert.notEqual(db.by_vantage.b.target, db.by_vantage.d.target);
    assert.equal(db.by_vantage.b.fingerprint, db.by_vantage.d.fingerprint);
  });
});

Deno.test("check merge takes one spec file named two ways as one", async () => {
  await withReports(async ({ dir, reports, server, checkFrom }) => {
    const { path } = await checkFrom("e", server.port, `${dir}/./sockit.yaml`);
    assert.equal(JSON.parse(await Deno.readTextFile(path)).files[0], `${dir}/./sockit.yaml`);
    const result = await merge([reports.a, path]);
    assert.equal(result.code, 0, result.err);
    assert.match(result.out, /^2 checks from 2 vantage points: 2 passed everywhere/m);
  });
});

Deno.test("check merge writes JUnit with a suite per vantage point, TAP and JSON, - on stdout", async () => {
  await withReports(async ({ dir, reports }) => {
    const junit = `${dir}/out/merged.xml`;
    const tap = `${dir}/merged.tap`;
    const result = await merge([
      "--report",
      `junit=${junit}`,
      "--report",
      `tap=${tap}`,
      "--report",
      "json=-",
      reports.a,
      reports.b,
    ]);
    assert.equal(result.code, 1, result.err);
    // The matrix went to stderr: stdout is the JSON report.
    assert.match(result.err, /^check {2}a/);
    const json = JSON.parse(result.out);
    assert.deepEqual(json.vantages.map((v: { name: string }) => v.name), ["a", "b"]);
    assert.deepEqual([json.fail_on, json.failing, json.differing, json.ok], ["any", 1, 1, false]);
    const [db, local] = json.checks;
    assert.deepEqual([db.name, db.differs, db.failed_at, db.views], ["db", true, ["b"], 2]);
    assert.equal(db.by_vantage.a.status, "passed");
    assert.equal(db.by_vantage.b.status, "error");
    assert.match(db.by_vantage.b.error, /connection refused/);
    assert.deepEqual([local.differs, local.views], [false, 1]);
    assert.equal(local.by_vantage.a.fingerprint, local.by_vantage.b.fingerprint);

    const xml = await Deno.readTextFile(junit);
    assert.deepEqual([...xml.matchAll(/<testsuite name="(\w)"/g)].map((m) => m[1]), ["a", "b"]);
    assert.match(
      xml,
      /<testcase name="db" classname="sockit \(b\)"[^>]*>\n {6}<error message="Cannot connect to 127\.0\.0\.1:\d+: connection refused" type="connect">/,
    );
    assert.match(xml, /<testcase name="db" classname="sockit \(a\)"/);
    await assertJunitParses(junit);

    const tapText = await Deno.readTextFile(tap);
    const parsed = await assertTapParses(tapText, 2);
    assert.deepEqual([parsed.pass, parsed.fail], [1, 1]);
    assert.equal(parsed.failures[0]!.name, "db");
  });
});

Deno.test("check merge refuses other specs, one vantage point twice, a missing, truncated or foreign report", async () => {
  await withReports(async ({ dir, spec, reports, server }) => {
    const refused = async (args: string[], pattern: RegExp) => {
      const result = await merge(args);
      assert.equal(result.code, 2, result.err);
      assert.equal(result.out, "");
      assert.match(result.err, pattern);
      // A report's problem is no usage error: the command line was right.
      assert.doesNotMatch(result.err, /--help/);
    };
    const other = `${dir}/other.yaml`;
    await Deno.writeTextFile(
      other,
      SPEC + `  - { name: extra, tcp: { host: 127.0.0.1, port: ${server.port} } }\n`,
    );
    const otherReport = `${dir}/other.json`;
    await runSockit([
      "check",
      "--vantage",
      "d",
      "--var",
      `PORT=${server.port}`,
      "--var",
      `LOCAL=${server.port}`,
      "--report",
      `json=${otherReport}`,
      other,
    ]);
    await refused(
      [reports.a, otherReport],
      new RegExp(`^error: Reports "${reports.a}" and "${otherReport}" are of different specs: `),
    );
    const copy = `${dir}/copy-of-a.json`;
    await Deno.copyFile(reports.a, copy);
    await refused(
      [reports.a, reports.b, copy],
      new RegExp(`^error: Reports "${reports.a}" and "${copy}" are both from vantage point "a"`),
    );
    const gone = await merge([reports.a, `${dir}/gone.json`]);
    assert.equal(gone.code, 2);
    assert.match(gone.err, new RegExp(`^error: Cannot read report "${dir}/gone\\.json": `));
    // The options are checked before any report is read.
    const early = await merge(["--fail-on", "most", reports.a, `${dir}/gone.json`]);
    assert.equal(early.code, 2);
    assert.match(early.err, /^error: Invalid --fail-on "most"/);
    const text = await Deno.readTextFile(reports.b);
    const truncated = `${dir}/truncated.json`;
    await Deno.writeTextFile(truncated, text.slice(0, text.length - 40));
    await refused(
      [reports.a, truncated],
      new RegExp(`^error: Cannot read report "${truncated}": it is not JSON`),
    );
    await refused(
      [reports.a, spec],
      new RegExp(`^error: Cannot read report "${spec}": it is not JSON`),
    );
    const foreign = `${dir}/foreign.json`;
    await Deno.writeTextFile(foreign, '{"status": "ok"}\n');
    await refused([reports.a, foreign], /it is not a sockit check JSON report/);
    const older = `${dir}/older.json`;
    const { vantage: _, ...rest } = JSON.parse(text);
    await Deno.writeTextFile(older, JSON.stringify(rest));
    await refused([reports.a, older], /it has no "vantage": .*--vantage NAME/);
    const none = await merge([]);
    assert.equal(none.code, 2);
    assert.match(none.err, /REPORT\.json/);
  });
});

/** Copies of `report` as if from each of `vantages`, changed by `edit`; their paths. */
async function copies(
  report: string,
  vantages: string[],
  edit: (json: Record<string, unknown>) => void = () => {},
): Promise<string[]> {
  const json = JSON.parse(await Deno.readTextFile(report));
  edit(json);
  const paths: string[] = [];
  for (const [i, vantage] of vantages.entries()) {
    const path = report.replace(/[^/]+$/, `copy-${i}.json`);
    await Deno.writeTextFile(path, JSON.stringify({ ...json, vantage }));
    paths.push(path);
  }
  return paths;
}

Deno.test("check merge heads each column with its own vantage point: long names cut in the middle, never alike", async () => {
  await withReports(async ({ reports }) => {
    const names = Array.from({ length: 12 }, (_, i) => `vantage-point-number-${i + 1}`);
    const result = await merge(await copies(reports.a, names), { COLUMNS: "1000" });
    assert.equal(result.code, 0, result.err);
    const headers = result.out.split("\n")[0]!.split(/ +/).slice(1);
    assert.equal(headers.length, 12);
    assert.equal(new Set(headers).size, 12, headers.join(" "));
    assert.ok(headers.every((h) => h.length <= 20 && h.includes("~")), headers.join(" "));
    assert.ok(headers[9]!.endsWith("-number-10"), headers[9]);
    // Names alike at both ends are shown whole rather than alike.
    const alike = ["a-very-long-vantage-X-point-name", "a-very-long-vantage-Y-point-name"];
    const whole = await merge(await copies(reports.a, alike), { COLUMNS: "1000" });
    assert.deepEqual(whole.out.split("\n")[0]!.split(/ +/).slice(1), alike);
  });
});

Deno.test("check merge prints a report's names, targets and errors escaped, on one line each", async () => {
  await withReports(async ({ reports }) => {
    const crafted = (error: string) => (json: Record<string, unknown>) => {
      const [db] = json.checks as Array<Record<string, unknown>>;
      Object.assign(db!, {
        name: "db\x1b]0;owned\x07",
        target: "host\n\x1b[2J",
        status: "error",
        error,
        error_kind: null,
        error_code: null,
      });
    };
    const [x] = await copies(reports.b, ["x"], crafted("refused\x1b[31m\nfake line"));
    const y = x!.replace("copy-0", "y");
    const json = JSON.parse(await Deno.readTextFile(x!));
    crafted("other\u202e")(json);
    await Deno.writeTextFile(y, JSON.stringify({ ...json, vantage: "y" }));
    const result = await merge([x!, y]);
    assert.equal(result.code, 1, result.err);
    assert.ok(!result.out.includes("\x1b"), result.out);
    assert.ok(!result.out.includes("\u202e"), result.out);
    assert.match(result.out, /^db\\u001b\]0;owned\\u0007 +ERROR/m);
    assert.match(result.out, /^ {4}x: host\\n\\u001b\[2J \[[0-9a-f]{12}\]$/m);
    assert.match(result.out, /^ {6}error: refused\\u001b\[31m\\nfake line$/m);
    assert.doesNotMatch(result.out, /^fake line/m);
  });
});

Deno.test("check merge --help states how many reports of what size one merge takes", async () => {
  const help = await runSockit(["check", "merge", "--help"]);
  assert.equal(help.code, 0, help.err);
  assert.match(help.out, /at most 1000 reports of at most 16 MiB each/);
  const tooMany = await runSockit([
    "check",
    "merge",
    ...Array.from({ length: 1001 }, (_, i) => `r${i}.json`),
  ]);
  assert.equal(tooMany.code, 2);
  assert.match(tooMany.err, /1001 reports are more than the 1000 one merge takes/);
});

Deno.test("check merge is the subcommand; a spec file named merge is ./merge", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sockit-merge-" });
  try {
    await Deno.writeTextFile(
      `${dir}/merge`,
      "version: 1\nchecks:\n  - { name: x, tcp: { host: 127.0.0.1, port: 1 } }\n",
    );
    const help = await runSockit(["check", "merge", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.out, /check merge \[--report FORMAT=PATH\] \[--fail-on/);
    const file = await runSockit(["check", "--validate", `${dir}/merge`]);
    assert.equal(file.code, 0, file.err);
    assert.match(file.out, /merge: valid, 1 check/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a monitor's /metrics has the result fingerprint of each check, the merge's own, clean for promtool", async () => {
  await withReports(async ({ spec, reports, server }) => {
    const monitor = await MonitorProcess.start([
      "--vantage",
      "m",
      "--var",
      `PORT=${closedPort()}`,
      "--var",
      `LOCAL=${server.port}`,
      spec,
    ], { every: "200ms" });
    try {
      const names = new Set<string>();
      while (names.size < 2) {
        names.add((await monitor.until((e) => e.event === "result")).name as string);
      }
      monitor.drain();
      const text = (await monitor.get("/metrics")).body;
      const series = text.split("\n").filter((l) =>
        l.startsWith("sockit_check_result_fingerprint{")
      );
      assert.equal(series.length, 2, text);
      const fingerprintOf = (check: string) =>
        series.find((l) => l.includes(`check="${check}"`))!.match(
          /fingerprint="([0-9a-f]{12})"/,
        )![1];
      assert.equal(
        sampleValue(text, "sockit_check_result_fingerprint", { check: "db", vantage: "m" }),
        1,
      );
      const merged = JSON.parse((await merge(["-q", "--json", reports.a, reports.b])).out);
      const [db, local] = merged.checks;
      // The monitor sees db refused, as b does, and local accepted, as every one does.
      assert.equal(fingerprintOf("local"), local.by_vantage.a.fingerprint);
      assert.equal(fingerprintOf("db"), db.by_vantage.b.fingerprint);
      assert.notEqual(fingerprintOf("db"), db.by_vantage.a.fingerprint);
      if (havePromtool()) assert.deepEqual(await promtoolCheck(text), { code: 0, output: "" });
    } finally {
      await monitor.stop();
    }
  });
});
