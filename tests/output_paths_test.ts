/**
 * Output paths (`check --report FORMAT=PATH`, `get -o`), checked the same way before anything
 * runs: missing report folders are made, two outputs to one file are refused however the path is
 * spelled, and a path that cannot be written is a usage error, also for a user who is not root.
 */
import assert from "node:assert/strict";
import { sockitCommand } from "./_helpers.ts";
import { SilentServer } from "./_http.ts";

/** A temporary folder with a spec of one tcp check against `port` in it, as `sockit.yaml`. */
async function withFolder<T>(port: number, use: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "sockit-paths-" });
  try {
    await Deno.writeTextFile(
      `${dir}/sockit.yaml`,
      `version: 1\nchecks:\n  - name: port\n    tcp: { host: 127.0.0.1, port: ${port} }\n    tags: [smoke]\n`,
    );
    return await use(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs sockit in `cwd`, optionally through `prefix` (setpriv), with `env` only. */
async function runIn(
  cwd: string,
  args: string[],
  options: { prefix?: string[]; env?: Record<string, string> } = {},
): Promise<{ code: number; out: string; err: string }> {
  const [cmd, ...pre] = [...(options.prefix ?? []), ...sockitCommand()];
  const result = await new Deno.Command(cmd!, {
    args: [...pre, ...args],
    cwd,
    env: { NO_COLOR: "1", ...options.env },
    stdin: "null",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: result.code, out: text(result.stdout), err: text(result.stderr) };
}

Deno.test("check --report makes the missing folders of its path, as the README's CI example needs", async () => {
  await using server = new SilentServer();
  await withFolder(server.port, async (dir) => {
    // The README's example, in a fresh checkout: no reports/ folder yet.
    const ci = await runIn(dir, [
      "check",
      "--tag",
      "smoke",
      "--report",
      "junit=reports/sockit.xml",
    ]);
    assert.equal(ci.code, 0, ci.err);
    assert.match(await Deno.readTextFile(`${dir}/reports/sockit.xml`), /^<\?xml version="1\.0"/);
    const deep = await runIn(dir, ["check", "--report", "tap=a/b/c/r.tap", "--report", "json=j/r"]);
    assert.equal(deep.code, 0, deep.err);
    assert.match(await Deno.readTextFile(`${dir}/a/b/c/r.tap`), /^TAP version 14\n1\.\.1\n/);
    assert.equal(JSON.parse(await Deno.readTextFile(`${dir}/j/r`)).passed, 1);
    // Only what cannot be made is refused, before any check runs.
    const connections = server.connections;
    await Deno.writeTextFile(`${dir}/file`, "");
    for (
      const [report, why] of [
        ["junit=file/r.xml", '"file" is not a directory'],
        ["junit=file/x/y/r.xml", '"file" is not a directory'],
        ["junit=reports", "it is a directory"],
        ["junit=new/", "it names a folder (it ends with a separator)"],
      ] as const
    ) {
      const refused = await runIn(dir, ["check", "--report", report]);
      assert.equal(refused.code, 2, refused.err);
      assert.equal(
        refused.err,
        `error: Cannot write --report "${report}": ${why}\nRun "sockit check --help" for usage.\n`,
      );
    }
    assert.equal(server.connections, connections);
    // Nothing is left of a report that was refused; no temporary file beside one written.
    assert.deepEqual([...Deno.readDirSync(`${dir}/reports`)].map((e) => e.name), ["sockit.xml"]);
    // -o makes no folder, as curl without --create-dirs.
    const get = await runIn(dir, ["get", "-o", "new/body", `http://127.0.0.1:${server.port}/`]);
    assert.equal(get.code, 2);
    assert.match(get.err, /^error: Cannot write -o "new\/body": no such directory "new"\n/);
  });
});

Deno.test("two reports to one file are refused before anything runs, however the path is spelled", async () => {
  await using server = new SilentServer();
  await withFolder(server.port, async (dir) => {
    await Deno.mkdir(`${dir}/sub`);
    await Deno.writeTextFile(`${dir}/same.out`, "before");
    await Deno.symlink("same.out", `${dir}/link`);
    await Deno.link(`${dir}/same.out`, `${dir}/hard`);
    const cases: Array<[string, string]> = [
      ["same.out", "same.out"],
      ["same.out", "./same.out"],
      ["same.out", "sub/../same.out"],
      ["same.out", `${dir}/same.out`],
      ["same.out", "link"],
      ["hard", "same.out"],
      ["new.out", "./sub/../new.out"],
    ];
    for (const [a, b] of cases) {
      const result = await runIn(dir, ["check", "--report", `junit=${a}`, "--report", `tap=${b}`]);
      assert.equal(result.code, 2, `${a} ${b}: ${result.err}`);
      assert.equal(
        result.err,
        `error: --report "junit=${a}" and --report "tap=${b}" are the same file: one would be lost\n` +
          `Run "sockit check --help" for usage.\n`,
      );
    }
    for (
      const stdout of [["junit=/dev/stdout", "tap=-"], ["tap=/dev/fd/1", "json=/proc/self/fd/1"]]
    ) {
      const result = await runIn(dir, ["check", "--report", stdout[0]!, "--report", stdout[1]!]);
      assert.equal(result.code, 2);
      assert.match(result.err, /^error: Only one report can go to stdout/);
    }
    const spec = await runIn(dir, ["check", "--report", "junit=./sockit.yaml"]);
    assert.equal(spec.code, 2);
    assert.match(
      spec.err,
      /^error: Cannot write --report "junit=\.\/sockit\.yaml": it is the spec file "sockit\.yaml"\n/,
    );
    const get = await runIn(dir, [
      "get",
      "-o",
      "body",
      "-o",
      "./body",
      `http://127.0.0.1:${server.port}/a`,
      `http://127.0.0.1:${server.port}/b`,
    ]);
    assert.equal(get.code, 2);
    assert.match(
      get.err,
      /^error: -o "body" and -o "\.\/body" are the same file: one would be lost\n/,
    );
    assert.equal(server.connections, 0);
    assert.equal(await Deno.readTextFile(`${dir}/same.out`), "before");
    assert.ok(!(await Deno.stat(`${dir}/new.out`).catch(() => undefined)));
    // A report through a symbolic link replaces the file it points to; the link stays a link.
    await Deno.chmod(`${dir}/same.out`, 0o640);
    const linked = await runIn(dir, ["check", "--report", "junit=link"]);
    assert.equal(linked.code, 0, linked.err);
    assert.ok((await Deno.lstat(`${dir}/link`)).isSymlink);
    assert.match(await Deno.readTextFile(`${dir}/same.out`), /^<\?xml /);
    assert.equal((await Deno.stat(`${dir}/same.out`)).mode! & 0o777, 0o640);
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.startsWith(".")),
      [],
    );
    // Two /dev/null are no conflict: nothing is kept.
    const discard = await runIn(dir, [
      "check",
      "--report",
      "junit=/dev/null",
      "--report",
      "tap=/dev/null",
    ]);
    assert.equal(discard.code, 0, discard.err);
  });
});

/**
 * The command line that runs sockit as `nobody` (with a copy of Deno's npm cache it can read), or
 * why that is impossible here.
 */
async function asNobody(
  dir: string,
): Promise<{ prefix: string[]; env: Record<string, string> } | string> {
  if (Deno.uid() !== 0) return "not root: cannot switch to nobody";
  const setpriv = new Deno.Command("sh", { args: ["-c", "command -v setpriv"], stdout: "piped" });
  if (!(await setpriv.output()).success) return "setpriv is not installed";
  const env: Record<string, string> = { HOME: dir };
  if (!Deno.env.get("SOCKIT_BIN")) {
    const info = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json"],
      stdout: "piped",
    })
      .output();
    const denoDir: string = JSON.parse(new TextDecoder().decode(info.stdout)).denoDir;
    await Deno.mkdir(`${dir}/deno`);
    const copy = await new Deno.Command("sh", {
      args: ["-c", 'cp -r "$1/npm" "$2/deno/" && chmod -R a+rX "$2/deno"', "sh", denoDir, dir],
    }).output();
    if (!copy.success) return "cannot copy Deno's npm cache for nobody";
    env.DENO_DIR = `${dir}/deno`;
  }
  const prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"];
  const probe = await runIn(dir, ["--version"], { prefix, env });
  if (probe.code !== 0) return `sockit does not start as nobody: ${probe.err.split("\n")[0]}`;
  return { prefix, env };
}

Deno.test("a report or -o path that cannot be written is refused before any check runs, as nobody too", async () => {
  await using server = new SilentServer();
  await withFolder(server.port, async (dir) => {
    await Deno.chmod(dir, 0o777);
    await Deno.mkdir(`${dir}/ro`, { mode: 0o555 });
    await Deno.chmod(`${dir}/ro`, 0o555);
    await Deno.writeTextFile(`${dir}/ro.xml`, "kept");
    await Deno.chmod(`${dir}/ro.xml`, 0o444);
    await Deno.chmod(`${dir}/sockit.yaml`, 0o644);
    // Whoever runs it: a folder that is a file, a device outside the permission set.
    for (
      const [report, why] of [
        ["junit=sockit.yaml/r.xml", '"sockit.yaml" is not a directory'],
        ["junit=/proc/self/status", "sockit cannot open devices other than the standard streams"],
      ] as const
    ) {
      const result = await runIn(dir, ["check", "--report", report]);
      assert.equal(result.code, 2, result.err);
      assert.match(result.err, new RegExp(`^error: Cannot write --report "${report}": ${why}`));
    }
    const nobody = await asNobody(dir);
    if (typeof nobody === "string") {
      // deno-lint-ignore no-console
      console.error(`note: ${nobody}; the read-only cases are not tried`);
      return;
    }
    for (
      const [args, expected] of [
        [
          ["check", "--report", "junit=ro.xml"],
          'Cannot write --report "junit=ro.xml": permission denied',
        ],
        [
          ["check", "--report", "junit=ro/r.xml"],
          'Cannot write --report "junit=ro/r.xml": cannot create a file in "ro": permission denied',
        ],
        [
          ["check", "--report", "tap=ro/new/r.tap"],
          'Cannot write --report "tap=ro/new/r.tap": cannot create a file in "ro": permission denied',
        ],
        [
          ["get", "-o", "ro.xml", `http://127.0.0.1:${server.port}/`],
          'Cannot write -o "ro.xml": permission denied',
        ],
        [
          ["get", "-o", "ro/body", `http://127.0.0.1:${server.port}/`],
          'Cannot write -o "ro/body": cannot create a file in "ro": permission denied',
        ],
      ] as const
    ) {
      const result = await runIn(dir, [...args], nobody);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.err}`);
      assert.match(
        result.err,
        new RegExp(`^error: ${expected.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\n`),
      );
    }
    assert.equal(server.connections, 0, "no check ran, no request was sent");
    assert.equal(await Deno.readTextFile(`${dir}/ro.xml`), "kept");
    assert.deepEqual([...Deno.readDirSync(`${dir}/ro`)], []);
    // What nobody can write is written.
    const ok = await runIn(dir, ["check", "--report", "junit=mine/r.xml"], nobody);
    assert.equal(ok.code, 0, ok.err);
    assert.equal((await Deno.stat(`${dir}/mine/r.xml`)).uid, 65534);
  });
});
