/**
 * The alerting rules shipped in deploy/prometheus/: valid for promtool, their unit tests pass,
 * every alert has a case where it fires and one where it does not, and the tests would notice a
 * rule that fires too early.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { hasProgram } from "./_helpers.ts";

const DEPLOY = new URL("../deploy/prometheus/", import.meta.url).pathname;
const RULES = `${DEPLOY}sockit-rules.yml`;
const RULE_TESTS = `${DEPLOY}sockit-rules.test.yml`;

const promtool = hasProgram("promtool");

/** Runs promtool; its exit code and everything it wrote. */
async function runPromtool(args: string[]): Promise<{ code: number; out: string }> {
  const result = await new Deno.Command("promtool", { args, stdout: "piped", stderr: "piped" })
    .output();
  const decoder = new TextDecoder();
  return { code: result.code, out: decoder.decode(result.stdout) + decoder.decode(result.stderr) };
}

interface Rule {
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface AlertCase {
  alertname: string;
  eval_time: string;
  exp_alerts?: unknown[];
}

function alertRules(): Rule[] {
  const doc = parse(Deno.readTextFileSync(RULES)) as { groups: Array<{ rules: Rule[] }> };
  return doc.groups.flatMap((group) => group.rules).filter((rule) => rule.alert !== undefined);
}

Deno.test("promtool finds the shipped alerting rules valid", { ignore: !promtool }, async () => {
  const { code, out } = await runPromtool(["check", "rules", RULES]);
  assert.equal(code, 0, out);
  assert.match(out, new RegExp(`SUCCESS: ${alertRules().length} rules found`), out);
});

Deno.test("the shipped alerting rules pass their promtool unit tests", {
  ignore: !promtool,
}, async () => {
  const { code, out } = await runPromtool(["test", "rules", RULE_TESTS]);
  assert.equal(code, 0, out);
  assert.match(out, /SUCCESS/, out);
  assert.doesNotMatch(out, /FAILED/, out);
});

Deno.test("every shipped alert has a severity, a summary and a description, and unit tests where it fires and where it does not", () => {
  const rules = alertRules();
  const names = rules.map((rule) => rule.alert!);
  for (
    const expected of [
      "SockitCheckFailing",
      "SockitCertificateExpiringSoon",
      "SockitCertificateExpired",
      "SockitMonitorStale",
      "SockitMonitorDown",
      "SockitMonitorAbsent",
      "SockitCheckOverrunning",
    ]
  ) {
    assert.ok(names.includes(expected), `${expected} is missing from ${RULES}`);
  }
  const tests = parse(Deno.readTextFileSync(RULE_TESTS)) as {
    tests: Array<{ alert_rule_test?: AlertCase[] }>;
  };
  const cases = tests.tests.flatMap((test) => test.alert_rule_test ?? []);
  for (const rule of rules) {
    assert.match(rule.labels?.severity ?? "", /^(critical|warning)$/, `${rule.alert}: severity`);
    assert.ok(rule.annotations?.summary, `${rule.alert}: no summary`);
    assert.ok(rule.annotations?.description, `${rule.alert}: no description`);
    const own = cases.filter((c) => c.alertname === rule.alert);
    assert.ok(own.some((c) => (c.exp_alerts ?? []).length > 0), `${rule.alert} never fires`);
    assert.ok(own.some((c) => (c.exp_alerts ?? []).length === 0), `${rule.alert} always fires`);
  }
});

Deno.test("the unit tests fail when a check failing for 1 minute would already alert", {
  ignore: !promtool,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "sockit-rules-" });
  try {
    const rules = await Deno.readTextFile(RULES);
    const early = rules.replace(/(alert: SockitCheckFailing\n\s+expr: .*\n\s+for:) 5m/, "$1 1m");
    assert.notEqual(early, rules, "the SockitCheckFailing rule has no `for: 5m` to change");
    await Deno.writeTextFile(`${dir}/sockit-rules.yml`, early);
    await Deno.copyFile(RULE_TESTS, `${dir}/sockit-rules.test.yml`);
    const { code, out } = await runPromtool(["test", "rules", `${dir}/sockit-rules.test.yml`]);
    assert.notEqual(code, 0, out);
    assert.match(out, /FAILED/, out);
    assert.match(out, /alertname: SockitCheckFailing, time: 4m/, out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
