/**
 * The GitHub action (action.yml) and the example workflow: both parse and pass actionlint (as
 * `deno task lint:workflows` runs it), the action's inputs reach its script through `env` only,
 * and the script runs for real under bash: it installs sockit from a fake release on loopback
 * (install.sh and its checksum check, as tests/install_test.ts serves one), runs a spec against a
 * local listener as a vantage point, and writes the files the runner reads: the outputs, the step
 * summary, the PATH addition.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { lintAction, lintWorkflows, runExpressions } from "../scripts/actionlint.ts";
import { closedPort, hasProgram, sockitCommand } from "./_helpers.ts";
import { FakeRelease, HOST_TARGET } from "./_release.ts";
import { archiveNames } from "../scripts/build.ts";
import { ReflectingServer } from "./_reports.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const ACTION = `${ROOT}action.yml`;
const EXAMPLE = `${ROOT}examples/github/vantage-matrix.yml`;

interface Step {
  id?: string;
  run?: string;
  shell?: string;
  uses?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}

interface Action {
  inputs: Record<string, { description: string; default?: string }>;
  outputs: Record<string, { description: string; value: string }>;
  runs: { using: string; steps: Step[] };
}

async function readAction(): Promise<Action> {
  return parse(await Deno.readTextFile(ACTION)) as Action;
}

/** The step that installs sockit and runs the check. */
function checkStep(action: Action): Step & { run: string; env: Record<string, string> } {
  const step = action.runs.steps.find((s) => s.id === "check");
  assert.ok(step?.run !== undefined && step.env !== undefined, "no run step with id check");
  return step as Step & { run: string; env: Record<string, string> };
}

Deno.test("action.yml and the example workflow parse and pass actionlint", async () => {
  const action = await readAction();
  assert.equal(action.runs.using, "composite");
  for (const [name, input] of Object.entries(action.inputs)) {
    assert.ok(input.description.length > 20, `input ${name} is not described`);
  }
  assert.deepEqual(Object.keys(action.outputs).sort(), ["exit-code", "report"]);
  const upload = action.runs.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
  assert.equal(upload?.uses, "actions/upload-artifact@v4");
  assert.match(upload.if ?? "", /^always\(\)/);

  const example = parse(await Deno.readTextFile(EXAMPLE));
  assert.deepEqual(Object.keys(example.jobs), ["check", "merge"]);
  assert.deepEqual(example.jobs.check.strategy.matrix.os, ["ubuntu-latest", "macos-latest"]);
  assert.equal(example.jobs.merge.needs, "check");
  assert.equal(example.jobs.merge.if, "always()");
  const runs = example.jobs.merge.steps.map((s: Step) => s.run ?? s.uses).join("\n");
  assert.match(runs, /sockit check merge --report junit=merged\.xml reports\/\*\.json/);
  assert.match(runs, /mikepenz\/action-junit-report@v4/);

  assert.deepEqual(await lintAction(ACTION), []);
  assert.deepEqual(await lintWorkflows(`${ROOT}examples/github`), []);
});

Deno.test("the action's inputs reach its script through env, each declared and each used", async () => {
  const action = await readAction();
  const step = checkStep(action);
  const text = await Deno.readTextFile(ACTION);
  const referenced = new Set(
    [...text.matchAll(/\$\{\{\s*inputs\.([\w-]+)\s*\}\}/g)].map((m) => m[1]),
  );
  assert.deepEqual([...referenced].sort(), Object.keys(action.inputs).sort());
  // Each variable of the step's env is read by the script, and the script reads no other of its own.
  const read = new Set([...step.run.matchAll(/\$\{?(SOCKIT_ACTION_[A-Z_]+)/g)].map((m) => m[1]));
  assert.deepEqual([...read].sort(), Object.keys(step.env).sort());
  assert.deepEqual(runExpressions(text, "action.yml"), []);

  // An input put into the script is caught, at its line.
  const injected = text.replace(
    "        set -euo pipefail\n",
    '        set -euo pipefail\n        echo "${{ inputs.vantage }}"\n',
  );
  const line = injected.split("\n").indexOf('        echo "${{ inputs.vantage }}"') + 1;
  assert.deepEqual(runExpressions(injected, "action.yml"), [
    `action.yml:${line}:15 a \${{ }} expression in a run script is script injection: ` +
    "pass the value through env [action-run-expression]",
  ]);
  // And so is an input the action does not declare, by actionlint, at its line in action.yml.
  const dir = await Deno.makeTempDir({ prefix: "sockit-action-" });
  try {
    await Deno.writeTextFile(
      `${dir}/action.yml`,
      text.replace("${{ inputs.args }}", "${{ inputs.arguments }}"),
    );
    const findings = await lintAction(`${dir}/action.yml`);
    const at = text.split("\n").findIndex((l) => l.includes("${{ inputs.args }}")) + 1;
    assert.equal(findings.length, 1, findings.join("\n"));
    assert.match(
      findings[0]!,
      new RegExp(`action\\.yml:${at}:\\d+ property "arguments" is not defined`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the README lists every input and output of the action", async () => {
  const action = await readAction();
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  const section = readme.split("**On GitHub Actions**")[1]?.split("\n### ")[0];
  assert.ok(section, "no GitHub action part in the README");
  const rows = [...section.matchAll(/^\| `([\w-]+)` +\|/gm)].map((m) => m[1]);
  assert.deepEqual(rows, Object.keys(action.inputs));
  for (const output of Object.keys(action.outputs)) {
    assert.match(section, new RegExp(`\`${output}\``));
  }
});

Deno.test("shellcheck finds nothing in the action's run script, and would catch a warning", {
  ignore: !hasProgram("shellcheck"),
}, async () => {
  const script = checkStep(await readAction()).run;
  assert.equal((await shellcheck(script)).code, 0, (await shellcheck(script)).out);
  const broken = await shellcheck(script.replace('rm -f "$report"', "rm -f $report"));
  assert.equal(broken.code, 1);
  assert.match(broken.out, /SC2086/);
});

async function shellcheck(script: string): Promise<{ code: number; out: string }> {
  const child = new Deno.Command("shellcheck", {
    args: ["--shell=bash", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(script));
  await writer.close();
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, out: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

/** A release whose `sockit` runs this checkout's sockit (or the binary under test). */
function releaseOfThisSockit(): Promise<FakeRelease> {
  const quoted = sockitCommand().map((arg) => `'${arg.replaceAll("'", `'\\''`)}'`);
  return FakeRelease.make(`#!/bin/sh\nexec ${quoted.join(" ")} "$@"\n`);
}

/** The runner's files and folders for one step, in a scratch folder. */
interface Runner {
  dir: string;
  temp: string;
  output: string;
  summary: string;
  path: string;
}

async function runnerFiles(dir: string): Promise<Runner> {
  const temp = `${dir}/runner-temp`;
  await Deno.mkdir(temp);
  const runner = {
    dir,
    temp,
    output: `${dir}/github-output`,
    summary: `${dir}/step-summary.md`,
    path: `${dir}/github-path`,
  };
  for (const file of [runner.output, runner.summary, runner.path]) {
    await Deno.writeTextFile(file, "");
  }
  return runner;
}

/**
 * Runs the action's check step under bash as the runner would: its env with each `${{ }}`
 * evaluated (an input as given, else its default; github.action_ref empty, as for `uses: ./`),
 * and the runner's own variables.
 */
async function runCheckStep(
  release: FakeRelease,
  runner: Runner,
  inputs: Record<string, string>,
  extra: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  const action = await readAction();
  const step = checkStep(action);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(step.env)) {
    env[name] = value.replace(/\$\{\{\s*([\w.-]+)\s*\}\}/g, (_, expression: string) => {
      const input = /^inputs\.([\w-]+)$/.exec(expression)?.[1];
      if (input !== undefined) {
        assert.ok(input in action.inputs, `undeclared input ${input}`);
        return inputs[input] ?? action.inputs[input]!.default ?? "";
      }
      if (expression === "github.action_ref") return "";
      throw new Error(`no value for \${{ ${expression} }} in the test`);
    });
  }
  // The test's own environment (HOME and Deno's cache for the stand-in), without a runner's.
  const own = Object.fromEntries(
    Object.entries(Deno.env.toObject()).filter(([name]) =>
      !/^(GITHUB_|RUNNER_|SOCKIT_)/.test(name)
    ),
  );
  const out = await new Deno.Command("bash", {
    args: ["--noprofile", "--norc", "-e", "-o", "pipefail", "-c", step.run],
    cwd: runner.dir,
    env: {
      ...own,
      NO_COLOR: "1",
      GITHUB_ACTIONS: "true",
      GITHUB_ACTION_PATH: ROOT,
      GITHUB_OUTPUT: runner.output,
      GITHUB_STEP_SUMMARY: runner.summary,
      GITHUB_PATH: runner.path,
      RUNNER_TEMP: runner.temp,
      RUNNER_OS: "Linux",
      RUNNER_ARCH: "X64",
      RUNNER_NAME: "GitHub Actions 7",
      RUNNER_ENVIRONMENT: "github-hosted",
      SOCKIT_DOWNLOAD_BASE: release.base,
      ...env,
      ...extra,
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, out: dec.decode(out.stdout), err: dec.decode(out.stderr) };
}

/** The `name=value` lines of $GITHUB_OUTPUT. */
async function outputs(runner: Runner): Promise<Record<string, string>> {
  const text = await Deno.readTextFile(runner.output);
  return Object.fromEntries(
    text.split("\n").filter((l) => l !== "").map((
      l,
    ) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}

const ignoreRun = Deno.build.os === "windows" || !hasProgram("bash") || !hasProgram("sh");

Deno.test(
  "the action installs the verified release, checks from its vantage point, and writes the outputs, the report and the summary",
  { ignore: ignoreRun },
  async () => {
    await using release = await releaseOfThisSockit();
    await using server = new ReflectingServer();
    const dir = await Deno.makeTempDir({ prefix: "sockit-action-" });
    try {
      const runner = await runnerFiles(dir);
      await Deno.writeTextFile(
        `${dir}/smoke.yaml`,
        [
          "version: 1",
          "checks:",
          `  - { name: db, tcp: { host: 127.0.0.1, port: ${server.port} } }`,
          `  - { name: gone, tcp: { host: 127.0.0.1, port: ${closedPort()} }, timeout: 1s }`,
          "",
        ].join("\n"),
      );
      const result = await runCheckStep(release, runner, {
        files: "smoke.yaml",
        vantage: "eu-west-1",
        args: "--jobs 2\n--name .",
        fail: "false",
      });
      // A failed check, with fail: false, does not fail the step; the exit code is an output.
      assert.equal(result.code, 0, result.err);
      assert.match(result.err, /A check failed; the step passes \(fail: false\)/);
      assert.deepEqual(release.requests.slice(0, 1), ["SHA256SUMS"]);

      const bin = `${runner.temp}/sockit-bin`;
      assert.equal(await Deno.readTextFile(runner.path), `${bin}\n`);
      assert.ok((await Deno.stat(`${bin}/sockit`)).isFile);
      assert.doesNotMatch(result.err, /not on your PATH/);

      const report = `${runner.temp}/sockit-reports/sockit-report-eu-west-1.json`;
      assert.deepEqual(await outputs(runner), {
        "exit-code": "1",
        report,
        "report-name": "sockit-report-eu-west-1",
      });
      const json = JSON.parse(await Deno.readTextFile(report));
      assert.equal(json.vantage, "eu-west-1");
      assert.deepEqual(
        json.checks.map((c: { name: string; status: string }) => `${c.name} ${c.status}`),
        ["db passed", "gone error"],
      );

      const summary = await Deno.readTextFile(runner.summary);
      assert.match(
        summary,
        /^#### sockit check from vantage point eu-west-1\n\n### sockit check: /,
      );
      assert.match(summary, /\n\| result \| check \| where \| details \| time \| attempts \|\n/);
      assert.match(summary, /\n\| pass \| db \| smoke\.yaml:3 \|/);
      assert.match(summary, /\n\| \*\*ERROR\*\* \| gone \| smoke\.yaml:4 \|/);
      // The annotation for the failed check, as sockit prints it in Actions.
      assert.match(result.out + result.err, /::error file=smoke\.yaml,line=4,/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(
  "the action names the vantage point after the runner, and a failed check fails the step by default",
  { ignore: ignoreRun },
  async () => {
    await using release = await releaseOfThisSockit();
    const dir = await Deno.makeTempDir({ prefix: "sockit-action-" });
    try {
      const spec =
        `  - { name: gone, tcp: { host: 127.0.0.1, port: ${closedPort()} }, timeout: 1s }`;
      await Deno.writeTextFile(`${dir}/sockit.yaml`, `version: 1\nchecks:\n${spec}\n`);
      const hosted = await runnerFiles(`${dir}`);
      const result = await runCheckStep(release, hosted, {});
      assert.equal(result.code, 1, result.err);
      const report = `${hosted.temp}/sockit-reports/sockit-report-linux-x64.json`;
      assert.equal((await outputs(hosted))["exit-code"], "1");
      assert.equal(JSON.parse(await Deno.readTextFile(report)).vantage, "linux-x64");

      // A self-hosted runner is its name; characters an artifact name refuses become "-".
      await Deno.remove(hosted.temp, { recursive: true });
      const selfHosted = await runnerFiles(dir);
      const named = await runCheckStep(release, selfHosted, { fail: "false" }, {
        RUNNER_ENVIRONMENT: "self-hosted",
        RUNNER_NAME: "rack 4/node:7",
      });
      assert.equal(named.code, 0, named.err);
      const name = "sockit-report-rack-4-node-7";
      assert.equal((await outputs(selfHosted))["report-name"], name);
      const json = `${selfHosted.temp}/sockit-reports/${name}.json`;
      assert.equal(JSON.parse(await Deno.readTextFile(json)).vantage, "rack 4/node:7");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(
  "the action refuses a bad input and a tampered release, and a spec error fails the step with fail: false too",
  { ignore: ignoreRun },
  async () => {
    await using release = await releaseOfThisSockit();
    const dir = await Deno.makeTempDir({ prefix: "sockit-action-" });
    try {
      let runner = await runnerFiles(dir);
      const bad = await runCheckStep(release, runner, { fail: "yes" });
      assert.equal(bad.code, 2);
      assert.equal(
        bad.out,
        '::error title=sockit action::Invalid input fail "yes": give true or false\n',
      );
      assert.deepEqual(release.requests, []);

      const slash = await runCheckStep(release, runner, { "report-name": "a/b" });
      assert.equal(slash.code, 2);
      assert.match(slash.out, /::error title=sockit action::Invalid input report-name "a\/b": /);
      assert.equal(await Deno.readTextFile(runner.output), "");
      assert.deepEqual(release.requests, [], "an input is checked before the download");

      // install.sh's checksum check stops a tampered archive: no sockit, no outputs.
      const archive = `${release.dir}/${archiveNames(HOST_TARGET).archive}`;
      const original = await Deno.readFile(archive);
      await Deno.writeFile(archive, new Uint8Array([0]), { append: true });
      const tampered = await runCheckStep(release, runner, {});
      assert.equal(tampered.code, 1);
      assert.match(tampered.err, /^error: Checksum mismatch for sockit-.*: not installing$/m);
      assert.equal(await Deno.readTextFile(runner.output), "");
      assert.equal(await Deno.readTextFile(runner.path), "");
      await Deno.writeFile(archive, original);

      await Deno.remove(runner.temp, { recursive: true });
      runner = await runnerFiles(dir);
      await Deno.writeTextFile(`${dir}/broken.yaml`, "version: 1\nchecks: []\n");
      const spec = await runCheckStep(release, runner, { files: "broken.yaml", fail: "false" });
      assert.equal(spec.code, 2, spec.err);
      assert.equal((await outputs(runner))["exit-code"], "2");
      assert.match(
        await Deno.readTextFile(runner.summary),
        /No report: sockit check exited with 2 before writing one/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
