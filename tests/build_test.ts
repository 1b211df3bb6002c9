/**
 * The shippable builds: the bundle that `deno task bundle` makes (stamped, runnable on its own
 * with the permission set in its first line), and the archives and SHA256SUMS that
 * `deno task release` packs around each binary. `deno compile` itself needs its denort download,
 * which this machine cannot make, so the packing is tested with a stand-in executable.
 */
import assert from "node:assert/strict";
import {
  archiveNames,
  pack,
  permissionFlags,
  TARGETS,
  unstableFlags,
  writeChecksums,
} from "../scripts/build.ts";
import { hasProgram } from "./_helpers.ts";

const ROOT = new URL("../", import.meta.url).pathname;

async function sh(cmd: string, args: string[], cwd = ROOT) {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  return {
    code: out.code,
    out: new TextDecoder().decode(out.stdout),
    err: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("permissionFlags() spells out deno.json's permissions.sockit as deno run flags", async () => {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const flags = await permissionFlags();
  for (const [name, value] of Object.entries(config.permissions.sockit)) {
    const expected = value === true
      ? `--allow-${name}`
      : `--allow-${name}=${(value as string[]).join(",")}`;
    assert.ok(flags.includes(expected), `${expected} missing from ${flags.join(" ")}`);
  }
  assert.ok(!flags.includes("--allow-all") && !flags.includes("-A"));
});

Deno.test("deno task bundle makes dist/sockit.js, stamped, that runs by itself with the binary's permissions", async () => {
  const built = await sh(Deno.execPath(), ["task", "-q", "bundle"]);
  assert.equal(built.code, 0, built.err);
  const bundle = `${ROOT}dist/sockit.js`;
  const first = (await Deno.readTextFile(bundle)).split("\n", 1)[0];
  const flags = [...await unstableFlags(), ...await permissionFlags()];
  assert.equal(first, `#!/usr/bin/env -S deno run -q ${flags.join(" ")}`);
  // Run through its first line, as a user would (the runner's deno first on PATH).
  const env = { PATH: `${Deno.execPath().replace(/\/[^/]+$/, "")}:${Deno.env.get("PATH")}` };
  const version = await new Deno.Command(bundle, { args: ["--version", "--json"], env }).output();
  assert.equal(version.code, 0, new TextDecoder().decode(version.stderr));
  const info = JSON.parse(new TextDecoder().decode(version.stdout));
  assert.equal(info.build, "bundle");
  const commit = (await sh("git", ["rev-parse", "--short=12", "HEAD"])).out.trim();
  if (commit) assert.match(info.commit, new RegExp(`^${commit}(-dirty)?$`));
  const demo = await new Deno.Command(bundle, { args: ["demo", "-q"], env }).output();
  assert.equal(demo.code, 0, new TextDecoder().decode(demo.stderr));
});

Deno.test(
  "pack() and writeChecksums() make the archives and a SHA256SUMS that sha256sum -c accepts",
  {
    ignore: !hasProgram("sha256sum") || !hasProgram("zip") || !hasProgram("unzip"),
  },
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "sockit-release-test-" });
    try {
      const standIn = `${dir}/stand-in`;
      await Deno.writeTextFile(standIn, "#!/bin/sh\necho 'sockit 0.0.0-test'\n");
      const files: string[] = [];
      for (const target of TARGETS) {
        const archive = await pack(target, standIn, dir);
        assert.equal(archive, `${dir}/${archiveNames(target).archive}`);
        files.push(archiveNames(target).archive);
      }
      await writeChecksums(dir, files);
      const sums = await Deno.readTextFile(`${dir}/SHA256SUMS`);
      assert.equal(sums.trim().split("\n").length, 5);
      assert.match(sums, /^[0-9a-f]{64} {2}sockit-aarch64-apple-darwin\.tar\.gz$/m);
      const verified = await sh("sha256sum", ["-c", "SHA256SUMS"], dir);
      assert.equal(verified.code, 0, verified.out + verified.err);
      const tgz = await sh("tar", ["-tzf", "sockit-x86_64-unknown-linux-gnu.tar.gz"], dir);
      assert.deepEqual(tgz.out.trim().split("\n").sort(), ["LICENSE", "README.md", "sockit"]);
      const zip = await sh("unzip", ["-Z1", "sockit-x86_64-pc-windows-msvc.zip"], dir);
      assert.deepEqual(zip.out.trim().split("\n").sort(), ["LICENSE", "README.md", "sockit.exe"]);
      const listing = await sh("tar", ["-tvzf", "sockit-aarch64-unknown-linux-gnu.tar.gz"], dir);
      assert.match(listing.out, /^-rwxr-xr-x .* sockit$/m);
      // A changed archive no longer matches.
      await Deno.writeTextFile(`${dir}/sockit-x86_64-apple-darwin.tar.gz`, "tampered", {
        append: true,
      });
      const tampered = await sh("sha256sum", ["-c", "SHA256SUMS"], dir);
      assert.notEqual(tampered.code, 0);
      assert.match(tampered.out, /sockit-x86_64-apple-darwin\.tar\.gz: FAILED/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("the workflows pass actionlint, and a broken one does not", async () => {
  const { lintWorkflows, isAgeFinding } = await import("../scripts/actionlint.ts");
  assert.deepEqual(await lintWorkflows(`${ROOT}.github/workflows`), []);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/broken.yml`,
      "on: push\njobs:\n  a:\n    runs-on: ubuntu-lates\n    steps:\n      - run: echo ${{ github.foo }}\n",
    );
    const findings = await lintWorkflows(dir);
    assert.equal(findings.length, 2, findings.join("\n"));
    assert.match(findings[0]!, /broken\.yml:4:14 label "ubuntu-lates" is unknown/);
    assert.match(findings[1]!, /broken\.yml:6:23 property "foo" is not defined/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  // Only what GitHub added after actionlint 1.6.8 is let through, by name.
  assert.ok(isAgeFinding('label "macos-14" is unknown. available labels are ...', "runner-label"));
  assert.ok(!isAgeFinding('label "macos-99" is unknown. available labels are ...', "runner-label"));
  assert.ok(isAgeFinding('unknown permission scope "attestations". all ...', "permissions"));
  assert.ok(!isAgeFinding('unknown permission scope "everything". all ...', "permissions"));
});

Deno.test("shellcheck finds nothing in install.sh and .ci/run, and would catch a warning", {
  ignore: !hasProgram("shellcheck"),
}, async () => {
  const clean = await sh("shellcheck", ["install.sh", ".ci/run"]);
  assert.equal(clean.code, 0, clean.out);
  const dir = await Deno.makeTempDir();
  try {
    const text = await Deno.readTextFile(`${ROOT}install.sh`);
    await Deno.writeTextFile(
      `${dir}/install.sh`,
      text.replace('[ -f "$work/unpacked/sockit" ]', "[ -f $work/unpacked/sockit ]"),
    );
    const warned = await sh("shellcheck", [`${dir}/install.sh`]);
    assert.notEqual(warned.code, 0);
    assert.match(warned.out, /SC2086/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
