/**
 * install.sh against a fake release served on loopback: archives holding a stand-in `sockit`
 * script, and a real SHA256SUMS, made with the same code as `deno task release`.
 */
import assert from "node:assert/strict";
import { archiveNames, pack, writeChecksums } from "../scripts/build.ts";
import { hasProgram } from "./_helpers.ts";

const INSTALLER = new URL("../install.sh", import.meta.url).pathname;
const HOST_TARGET = `${Deno.build.arch}-${
  Deno.build.os === "darwin" ? "apple-darwin" : "unknown-linux-gnu"
}`;

/** A release directory served over HTTP on 127.0.0.1; counts the requests. */
class FakeRelease implements AsyncDisposable {
  readonly dir: string;
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  requests: string[] = [];

  private constructor(dir: string) {
    this.dir = dir;
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (request) => {
        const name = new URL(request.url).pathname.slice(1);
        this.requests.push(name);
        try {
          return new Response(await Deno.readFile(`${dir}/${name}`));
        } catch {
          return new Response("not found", { status: 404 });
        }
      },
    );
  }

  /** Archives for the host and one other target, holding a stand-in that prints its version. */
  static async make(): Promise<FakeRelease> {
    const dir = await Deno.makeTempDir({ prefix: "sockit-fake-release-" });
    const standIn = `${dir}/stand-in`;
    await Deno.writeTextFile(standIn, "#!/bin/sh\necho 'sockit 9.9.9 (stand-in)'\n");
    const files = [];
    for (const target of [HOST_TARGET, "aarch64-apple-darwin"]) {
      await pack(target, standIn, dir);
      files.push(archiveNames(target).archive);
    }
    await writeChecksums(dir, files);
    await Deno.remove(standIn);
    return new FakeRelease(dir);
  }

  get base(): string {
    return `http://127.0.0.1:${this.#server.addr.port}`;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#server.shutdown();
    await Deno.remove(this.dir, { recursive: true });
  }
}

/** Runs install.sh with `env`; returns the exit code and stderr, stdout. */
async function install(env: Record<string, string>, path?: string) {
  const out = await new Deno.Command("sh", {
    args: [INSTALLER],
    env: { ...env, ...(path ? { PATH: path } : {}) },
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
