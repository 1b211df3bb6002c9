/**
 * install.sh against a fake release served on loopback: archives holding a stand-in `sockit`
 * script, and a real SHA256SUMS, made with the same code as `deno task release`.
 */
import assert from "node:assert/strict";
import { archiveNames } from "../scripts/build.ts";
import { FakeRelease, HOST_TARGET } from "./_release.ts";
import { hasProgram } from "./_helpers.ts";

const INSTALLER = new URL("../install.sh", import.meta.url).pathname;

/** Runs install.sh with `env`; returns the exit code and stderr, stdout. */
async function install(env: Record<string, string>, path?: string, cwd?: string) {
  const out = await new Deno.Command("sh", {
    args: [INSTALLER],
    env: { ...env, ...(path ? { PATH: path } : {}) },
    ...(cwd ? { cwd } : {}),
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    out: new TextDecoder().decode(out.stdout),
    err: new TextDecoder().decode(out.stderr),
  };
}

async function listing(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  } catch {
    // no directory: nothing there
  }
  return names.sort();
}

const ignore = Deno.build.os === "windows" || !hasProgram("sh");

Deno.test(
  "install.sh installs the verified binary, says where, and runs --version",
  { ignore },
  async () => {
    await using release = await FakeRelease.make();
    const home = await Deno.makeTempDir();
    try {
      const result = await install({
        SOCKIT_DOWNLOAD_BASE: release.base,
        HOME: home,
        PATH: Deno.env.get("PATH")!,
      });
      assert.equal(result.code, 0, result.err);
      const bin = `${home}/.local/bin`;
      assert.deepEqual(await listing(bin), ["sockit"]);
      assert.equal((await Deno.stat(`${bin}/sockit`)).mode! & 0o777, 0o755);
      assert.equal(result.out, "sockit 9.9.9 (stand-in)\n");
      assert.match(
        result.err,
        new RegExp(`Downloading sockit for ${HOST_TARGET} from ${release.base}`),
      );
      assert.match(result.err, new RegExp(`Installed sockit in ${bin}/sockit\n`));
      assert.match(result.err, /is not on your PATH/);
      assert.deepEqual(release.requests, ["SHA256SUMS", archiveNames(HOST_TARGET).archive]);
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  },
);

Deno.test(
  "install.sh refuses a tampered archive and leaves nothing behind",
  { ignore },
  async () => {
    await using release = await FakeRelease.make();
    const dir = await Deno.makeTempDir();
    try {
      const archive = `${release.dir}/${archiveNames(HOST_TARGET).archive}`;
      await Deno.writeFile(archive, new Uint8Array([0]), { append: true });
      const result = await install({
        SOCKIT_DOWNLOAD_BASE: release.base,
        SOCKIT_INSTALL_DIR: `${dir}/bin`,
        PATH: Deno.env.get("PATH")!,
      });
      assert.equal(result.code, 1);
      assert.match(result.err, /^error: Checksum mismatch for sockit-.*: not installing$/m);
      assert.deepEqual(await listing(`${dir}/bin`), []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("install.sh refuses an archive that SHA256SUMS does not list", { ignore }, async () => {
  await using release = await FakeRelease.make();
  const dir = await Deno.makeTempDir();
  try {
    const sums = await Deno.readTextFile(`${release.dir}/SHA256SUMS`);
    const archive = archiveNames(HOST_TARGET).archive;
    await Deno.writeTextFile(
      `${release.dir}/SHA256SUMS`,
      sums.split("\n").filter((line) => !line.endsWith(archive)).join("\n"),
    );
    const result = await install({
      SOCKIT_DOWNLOAD_BASE: release.base,
      SOCKIT_INSTALL_DIR: `${dir}/bin`,
      PATH: Deno.env.get("PATH")!,
    });
    assert.equal(result.code, 1);
    assert.match(
      result.err,
      new RegExp(`error: SHA256SUMS has no entry for ${archive}: not installing`),
    );
    assert.deepEqual(await listing(`${dir}/bin`), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(
  "install.sh refuses a platform sockit is not built for, naming those it is",
  { ignore },
  async () => {
    for (const [os, arch] of [["FreeBSD", "x86_64"], ["Linux", "riscv64"]]) {
      const result = await install({
        SOCKIT_OS: os!,
        SOCKIT_ARCH: arch!,
        SOCKIT_DOWNLOAD_BASE: "http://127.0.0.1:1",
        SOCKIT_INSTALL_DIR: "/nonexistent",
        PATH: Deno.env.get("PATH")!,
      });
      assert.equal(result.code, 1);
      assert.match(
        result.err,
        new RegExp(
          `^error: Cannot install on ${os}/${arch}: sockit is built for x86_64-unknown-linux-gnu, `,
        ),
      );
    }
  },
);

Deno.test("install.sh installs for an arm64 Mac when asked, and uses wget where curl is missing", {
  ignore: ignore || !hasProgram("wget"),
}, async () => {
  await using release = await FakeRelease.make();
  const dir = await Deno.makeTempDir();
  try {
    // A PATH with the tools install.sh uses, but no curl.
    const tools = `${dir}/tools`;
    await Deno.mkdir(tools);
    const needed = [
      "sh",
      "uname",
      "mktemp",
      "rm",
      "rmdir",
      "dirname",
      "id",
      "mkdir",
      "cp",
      "mv",
      "chmod",
      "tar",
      "gzip",
      "awk",
      "cut",
      "sha256sum",
      "wget",
      "cat",
      "printf",
    ];
    for (const tool of needed) {
      const where = await new Deno.Command("sh", {
        args: ["-c", `command -v ${tool}`],
        stdout: "piped",
      })
        .output();
      const path = new TextDecoder().decode(where.stdout).trim();
      if (path.startsWith("/")) await Deno.symlink(path, `${tools}/${tool}`);
    }
    const result = await install({
      SOCKIT_OS: "Darwin",
      SOCKIT_ARCH: "arm64",
      SOCKIT_DOWNLOAD_BASE: release.base,
      SOCKIT_INSTALL_DIR: `${dir}/bin`,
    }, tools);
    assert.equal(result.code, 0, result.err);
    assert.deepEqual(await listing(`${dir}/bin`), ["sockit"]);
    assert.deepEqual(release.requests, ["SHA256SUMS", "sockit-aarch64-apple-darwin.tar.gz"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A scratch folder with its own TMPDIR, so that a test sees every file install.sh leaves. */
async function sandbox(): Promise<{ dir: string; tmp: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "sockit-install-" });
  const tmp = `${dir}/tmp`;
  await Deno.mkdir(tmp);
  await Deno.chmod(dir, 0o755);
  await Deno.chmod(tmp, 0o1777);
  return {
    dir,
    tmp,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

function env(release: FakeRelease, box: { tmp: string }, installDir: string) {
  return {
    SOCKIT_DOWNLOAD_BASE: release.base,
    SOCKIT_INSTALL_DIR: installDir,
    TMPDIR: box.tmp,
    PATH: Deno.env.get("PATH")!,
  };
}

Deno.test(
  "install.sh refuses an install folder whose sockit is a folder, or a link to one, before downloading and leaves nothing",
  { ignore },
  async () => {
    await using release = await FakeRelease.make();
    await using box = await sandbox();
    await Deno.mkdir(`${box.dir}/tools/sockit`, { recursive: true });
    await Deno.mkdir(`${box.dir}/linked/elsewhere`, { recursive: true });
    await Deno.symlink(`${box.dir}/linked/elsewhere`, `${box.dir}/linked/sockit`);
    for (
      const [folder, what] of [["tools", "a folder"], ["linked", "a symbolic link to a folder"]]
    ) {
      const result = await install(env(release, box, `${box.dir}/${folder}`));
      assert.equal(result.code, 1, result.err);
      assert.equal(
        result.err,
        `error: Cannot install ${box.dir}/${folder}/sockit: it is ${what}; remove it, or set SOCKIT_INSTALL_DIR to another folder\n`,
      );
      assert.equal(result.out, "");
    }
    assert.deepEqual(release.requests, []);
    assert.deepEqual(await listing(`${box.dir}/tools/sockit`), []);
    assert.deepEqual(await listing(`${box.dir}/linked/elsewhere`), []);
    assert.deepEqual(await listing(box.tmp), []);
  },
);

Deno.test(
  "install.sh takes a relative install folder from where it runs, even one named like an option, and names it in full",
  { ignore },
  async () => {
    await using release = await FakeRelease.make();
    await using box = await sandbox();
    for (const folder of ["-", "-f", "bin dir"]) {
      const result = await install(env(release, box, folder), undefined, box.dir);
      assert.equal(result.code, 0, result.err);
      assert.deepEqual(await listing(`${box.dir}/${folder}`), ["sockit"]);
      assert.match(result.err, new RegExp(`Installed sockit in ${box.dir}/${folder}/sockit\n`));
      assert.equal(result.out, "sockit 9.9.9 (stand-in)\n");
    }
    assert.deepEqual(await listing(box.dir), ["-", "-f", "bin dir", "tmp"]);
    assert.deepEqual(await listing(box.tmp), []);
  },
);

Deno.test(
  "install.sh refuses an install folder that is a file or a dangling link before downloading",
  { ignore },
  async () => {
    await using release = await FakeRelease.make();
    await using box = await sandbox();
    await Deno.writeTextFile(`${box.dir}/file`, "");
    await Deno.symlink(`${box.dir}/nowhere`, `${box.dir}/dangling`);
    const cases = [
      [`${box.dir}/file`, `install in ${box.dir}/file: ${box.dir}/file is not a folder`],
      [`${box.dir}/file/bin`, `create ${box.dir}/file/bin: ${box.dir}/file is not a folder`],
      [
        `${box.dir}/dangling`,
        `install in ${box.dir}/dangling: ${box.dir}/dangling is a symbolic link to nothing`,
      ],
      [
        `${box.dir}/dangling/bin`,
        `create ${box.dir}/dangling/bin: ${box.dir}/dangling is a symbolic link to nothing`,
      ],
    ];
    for (const [dir, message] of cases) {
      const result = await install(env(release, box, dir!));
      assert.equal(result.code, 1, result.err);
      assert.equal(result.err, `error: Cannot ${message}\n`);
    }
    assert.deepEqual(release.requests, []);
    assert.deepEqual(await listing(box.dir), ["dangling", "file", "tmp"]);
    assert.deepEqual(await listing(box.tmp), []);
  },
);

const root = Deno.uid?.() === 0;
Deno.test({
  name: "install.sh refuses a folder the user may not write before downloading",
  ignore: ignore || !root || !hasProgram("setpriv"),
}, async () => {
  await using release = await FakeRelease.make();
  await using box = await sandbox();
  await Deno.mkdir(`${box.dir}/locked`, { mode: 0o755 });
  for (
    const [dir, message] of [
      [`${box.dir}/locked`, `install in ${box.dir}/locked: ${box.dir}/locked is not writable`],
      [`${box.dir}/locked/a/b`, `create ${box.dir}/locked/a/b: ${box.dir}/locked is not writable`],
    ]
  ) {
    const out = await new Deno.Command("setpriv", {
      args: ["--reuid=65534", "--regid=65534", "--clear-groups", "sh", INSTALLER],
      env: env(release, box, dir!),
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1, err);
    assert.match(err, new RegExp(`^error: Cannot ${message} by \\S+\n$`));
  }
  assert.deepEqual(release.requests, []);
  assert.deepEqual(await listing(`${box.dir}/locked`), []);
  assert.deepEqual(await listing(box.tmp), []);
});
if (!root) {
  // deno-lint-ignore no-console
  console.error(
    "note: the install.sh unwritable-folder test is skipped: it needs root to drop to nobody",
  );
}

Deno.test(
  "install.sh stops on a download that breaks off, names it, and creates no folder",
  { ignore },
  async () => {
    await using release = await FakeRelease.make();
    await using box = await sandbox();
    release.breakOff.add(archiveNames(HOST_TARGET).archive);
    const result = await install(env(release, box, `${box.dir}/new/bin`));
    assert.equal(result.code, 1, result.err);
    assert.match(
      result.err,
      new RegExp(
        `\nerror: Cannot download ${release.base}/${archiveNames(HOST_TARGET).archive}\n$`,
      ),
    );
    assert.match(result.err, /curl: \(\d+\) /);
    assert.deepEqual(await listing(box.dir), ["tmp"]);
    assert.deepEqual(await listing(box.tmp), []);
  },
);

Deno.test(
  "install.sh keeps the installed binary when the new one does not run, and removes the folders it made",
  { ignore },
  async () => {
    await using release = await FakeRelease.make(
      "#!/bin/sh\necho 'no such loader' >&2\nexit 127\n",
    );
    await using box = await sandbox();
    await Deno.mkdir(`${box.dir}/bin`);
    await Deno.writeTextFile(`${box.dir}/bin/sockit`, "#!/bin/sh\necho old\n", { mode: 0o755 });
    for (const dir of [`${box.dir}/bin`, `${box.dir}/new/deeper/bin`]) {
      const result = await install(env(release, box, dir));
      assert.equal(result.code, 1, result.err);
      assert.match(
        result.err,
        new RegExp(
          `no such loader\nerror: The downloaded sockit does not run here \\(${dir}/\\.sockit\\.\\d+\\.tmp --version failed\\): not installing\n$`,
        ),
      );
      assert.doesNotMatch(result.err, /Installed/);
    }
    assert.deepEqual(await listing(box.dir), ["bin", "tmp"]);
    assert.deepEqual(await listing(`${box.dir}/bin`), ["sockit"]);
    assert.equal(await Deno.readTextFile(`${box.dir}/bin/sockit`), "#!/bin/sh\necho old\n");
    assert.deepEqual(await listing(box.tmp), []);
  },
);

/** Whether `tool -c` (run in `dir`) checks `name` and finds it OK. */
async function toolAccepts(tool: string[], dir: string, name: string): Promise<boolean> {
  const out = await new Deno.Command(tool[0]!, {
    args: [...tool.slice(1), "-c", "SHA256SUMS"],
    cwd: dir,
    stdout: "piped",
    stderr: "null",
  }).output();
  const lines = new TextDecoder().decode(out.stdout).split("\n");
  const checked = lines.filter((line) =>
    line.startsWith(`${name}: `) || line.startsWith(`./${name}: `)
  );
  return checked.length > 0 && checked.every((line) => line.endsWith(": OK"));
}

const checksumTools = hasProgram("sha256sum") && hasProgram("shasum");

Deno.test({
  name: "install.sh takes the SHA256SUMS lines that sha256sum -c or shasum -c take, and no others",
  ignore: ignore || !checksumTools,
}, async () => {
  await using release = await FakeRelease.make();
  await using box = await sandbox();
  const name = archiveNames(HOST_TARGET).archive;
  const other = archiveNames("aarch64-apple-darwin").archive;
  const sums = await Deno.readTextFile(`${release.dir}/SHA256SUMS`);
  const hexOf = (file: string) =>
    sums.split("\n").find((line) => line.endsWith(file))!.slice(0, 64);
  const h = hexOf(name);
  const H = h.toUpperCase();
  const o = hexOf(other);
  const wrong = h.replace(/^./, (c) => c === "0" ? "1" : "0");
  // Each case is a whole SHA256SUMS; the tools and install.sh are asked about the host's archive.
  const cases: Record<string, string> = {
    "as written": sums,
    "binary marker": `${o} *${other}\n${h} *${name}\n`,
    "upper-case hex": `${o}  ${other}\n${H}  ${name}\n`,
    "mixed-case hex": `${h.slice(0, 32)}${H.slice(32)}  ${name}\n`,
    "CRLF": `${o}  ${other}\r\n${H}  ${name}\r\n`,
    "CRLF, binary marker": `${h} *${name}\r\n`,
    "CRLF, no final line end": `${h}  ${name}\r`,
    "two CRs": `${h}  ${name}\r\r\n`,
    "no final line end": `${h}  ${name}`,
    "BSD tag": `SHA256 (${other}) = ${o}\nSHA256 (${name}) = ${h}\n`,
    "BSD tag, upper-case hex, CRLF": `SHA256 (${name}) = ${H}\r\n`,
    "BSD tag without blanks": `SHA256(${name})=${h}\n`,
    "BSD tag, two blanks after =": `SHA256 (${name}) =  ${h}\n`,
    "BSD tag, blank after the hex": `SHA256 (${name}) = ${h} \n`,
    "BSD tag, blank and CR after the hex": `SHA256 (${name}) = ${h} \r\n`,
    "BSD tag, lower case": `sha256 (${name}) = ${h}\n`,
    "BSD tag of another digest": `SHA1 (${name}) = ${h}\n`,
    "BSD tag, two blanks before (": `SHA256  (${name}) = ${h}\n`,
    "BSD tag, leading blank": ` SHA256 (${name}) = ${h}\n`,
    "BSD tag, ./name": `SHA256 (./${name}) = ${h}\n`,
    "one blank (md5 -r style)": `${o} ${other}\n${h} ${name}\n`,
    "a tab": `${h}\t${name}\n`,
    "a tab and the binary marker": `${h}\t*${name}\n`,
    "one blank after a two-blank line": `${o}  ${other}\n${h} ${name}\n`,
    "two blanks after a one-blank line": `${o} ${other}\n${h}  ${name}\n`,
    "leading blanks": `  ${h}  ${name}\n`,
    "leading tab": `\t${h}  ${name}\n`,
    "leading backslash": `\\${h}  ${name}\n`,
    "trailing blank": `${h}  ${name} \n`,
    "blank and CR": `${h}  ${name} \r\n`,
    "./name": `${h}  ./${name}\n`,
    "two binary markers": `${h} **${name}\n`,
    "blank then binary marker": `${h}  *${name}\n`,
    "short hex": `${h.slice(1)}  ${name}\n`,
    "long hex": `${h}0  ${name}\n`,
    "not hex": `${h.slice(1)}g  ${name}\n`,
    "comment and blank lines": `# made by hand\n\n${h}  ${name}\n`,
    "the other archive only": `${o}  ${other}\n`,
    "garbage": "hello\n",
    "empty": "",
    "the same entry twice": `${h}  ${name}\n${H} *${name}\n`,
    "two different entries": `${h}  ${name}\n${wrong}  ${name}\n`,
    "the wrong hex": `${wrong}  ${name}\n`,
  };
  const mismatches = [];
  for (const [label, text] of Object.entries(cases)) {
    await Deno.writeTextFile(`${release.dir}/SHA256SUMS`, text);
    const gnu = await toolAccepts(["sha256sum"], release.dir, name);
    const perl = await toolAccepts(["shasum", "-a", "256"], release.dir, name);
    const result = await install(env(release, box, `${box.dir}/bin`));
    const installed = result.code === 0;
    if (installed !== (gnu || perl)) {
      mismatches.push(
        `${label}: sha256sum ${gnu}, shasum ${perl}, install.sh ${installed}: ${result.err}`,
      );
    }
    if (!installed) {
      assert.match(
        result.err,
        /\nerror: (SHA256SUMS has no entry for|Checksum mismatch for|SHA256SUMS lists different checksums for) /,
      );
    }
    await Deno.remove(`${box.dir}/bin`, { recursive: true }).catch(() => {});
  }
  assert.deepEqual(mismatches, []);
  // shasum's modes '^' (bits) and 'U' (universal newlines) hash other bytes than the archive's.
  for (const mode of ["^", "U"]) {
    await Deno.writeTextFile(`${release.dir}/SHA256SUMS`, `${h} ${mode}${name}\n`);
    const result = await install(env(release, box, `${box.dir}/bin`));
    assert.equal(result.code, 1, result.err);
    assert.match(result.err, /\nerror: SHA256SUMS has no entry for /);
  }
  assert.deepEqual(await listing(box.tmp), []);
});
