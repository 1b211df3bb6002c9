/**
 * Builds what ships: `deno task bundle` (dist/sockit.js, one JavaScript file), `deno task compile`
 * (the host's binary) and `deno task release` (the five platform archives and SHA256SUMS).
 *
 * Every build starts from the same bundle, stamped with the git commit and the kind of build, so
 * a binary runs exactly the code that the end-to-end tests ran as the bundle. The permission set
 * comes from one place, `permissions.sockit` in deno.json: baked into binaries with `-P=sockit`
 * and written as explicit flags in the bundle's first line.
 *
 * @module
 */
import { basename, join } from "node:path";

const ROOT = new URL("../", import.meta.url).pathname;
const DIST = join(ROOT, "dist");
const CONFIG = join(ROOT, "deno.json");

/** The platforms `deno compile --target` builds for, and what each archive is called. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

/** One of {@linkcode TARGETS}. */
export type Target = typeof TARGETS[number];

/** The file names of a target's archive and the executable inside it. */
export function archiveNames(target: string): { archive: string; executable: string } {
  const windows = target.includes("windows");
  return {
    archive: `sockit-${target}.${windows ? "zip" : "tar.gz"}`,
    executable: windows ? "sockit.exe" : "sockit",
  };
}

/** The `deno run` flags equal to deno.json's `permissions.sockit`, for the bundle's first line. */
export async function permissionFlags(config = CONFIG): Promise<string[]> {
  const { permissions } = JSON.parse(await Deno.readTextFile(config));
  const set = permissions.sockit as Record<string, boolean | string[]>;
  return Object.entries(set).flatMap(([name, value]) => {
    if (value === true) return [`--allow-${name}`];
    if (Array.isArray(value) && value.length > 0) return [`--allow-${name}=${value.join(",")}`];
    return [];
  });
}

/** The `--unstable-*` flags for deno.json's `unstable` list (UDP needs `net`). */
export async function unstableFlags(config = CONFIG): Promise<string[]> {
  const { unstable = [] } = JSON.parse(await Deno.readTextFile(config));
  return (unstable as string[]).map((feature) => `--unstable-${feature}`);
}

async function run(cmd: string, args: string[], options: { cwd?: string } = {}): Promise<string> {
  const output = await new Deno.Command(cmd, {
    args,
    cwd: options.cwd ?? ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    const err = new TextDecoder().decode(output.stderr).trim().split("\n").slice(-5).join("\n");
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${err}`);
  }
  return new TextDecoder().decode(output.stdout);
}

/** The short commit of the checkout, or `unknown` outside git. */
async function gitCommit(): Promise<string> {
  try {
    const commit = (await run("git", ["rev-parse", "--short=12", "HEAD"])).trim();
    const dirty = (await run("git", ["status", "--porcelain", "--untracked-files=no"])).trim();
    return dirty ? `${commit}-dirty` : commit;
  } catch {
    return "unknown";
  }
}

/**
 * Bundles main.ts into one file, stamps it, and returns its text. `build` is `bundle` or
 * `binary`, as `sockit --version` will say.
 */
export async function bundleText(build: "bundle" | "binary"): Promise<string> {
  const temp = await Deno.makeTempFile({ suffix: ".js" });
  try {
    // The "browser" platform picks the npm packages' builds that do not import node's modules
    // (logtape's util.js rather than util.node.js, yaml's ESM build): one `import ... from "node:*"`
    // anywhere in a single-file bundle is loaded at start-up, and Node's compatibility layer costs
    // every command 20 to 70 ms. sockit's own code imports node's modules with import() where
    // it uses them.
    // Minified, with the names of classes and functions kept (error classes name themselves):
    // a third of the size, which is what V8 parses before --version can answer.
    await run(Deno.execPath(), [
      "bundle",
      "-q",
      "--minify",
      "--keep-names",
      "--platform",
      "browser",
      "--config",
      CONFIG,
      "--output",
      temp,
      "main.ts",
    ]);
    const text = await Deno.readTextFile(temp);
    // The bundler hoists a static import to the bundle's first line even from a module loaded
    // by import(), so one of a node: module anywhere would be loaded by every command.
    const hoisted = [...text.matchAll(/(?:\bfrom|\bimport)\s*"(node:[\w/]+)"/g)].map((m) => m[1]);
    if (hoisted.length > 0) {
      throw new Error(
        `The bundle imports ${[...new Set(hoisted)].join(", ")} statically: every command would ` +
          `load Node's compatibility layer at start-up (about 20 ms); use await import() instead`,
      );
    }
    const commit = await gitCommit();
    for (const marker of ["@@SOCKIT_COMMIT@@", "@@SOCKIT_BUILD@@"]) {
      if (!text.includes(`"${marker}"`)) throw new Error(`The bundle lost its ${marker} marker`);
    }
    return text.replace(`"@@SOCKIT_COMMIT@@"`, JSON.stringify(commit))
      .replace(`"@@SOCKIT_BUILD@@"`, JSON.stringify(build));
  } finally {
    await Deno.remove(temp).catch(() => {});
  }
}

/** `deno task bundle`: dist/sockit.js, runnable as `./sockit.js` where Deno is on PATH. */
export async function bundle(): Promise<string> {
  await Deno.mkdir(DIST, { recursive: true });
  const flags = [...await unstableFlags(), ...await permissionFlags()];
  const text = await bundleText("bundle");
  const path = join(DIST, "sockit.js");
  await Deno.writeTextFile(path, `#!/usr/bin/env -S deno run -q ${flags.join(" ")}\n${text}`);
  await Deno.chmod(path, 0o755);
  return path;
}

/** Compiles the stamped bundle for `target` into dist/TARGET/sockit(.exe). */
export async function compile(target: string = Deno.build.target): Promise<string> {
  const dir = join(DIST, target);
  await Deno.mkdir(dir, { recursive: true });
  const source = join(dir, "sockit.js");
  await Deno.writeTextFile(source, await bundleText("binary"));
  const output = join(dir, archiveNames(target).executable);
  try {
    await run(Deno.execPath(), [
      "compile",
      "-q",
      "--config",
      CONFIG,
      ...await unstableFlags(),
      "-P=sockit",
      "--no-check",
      "--target",
      target,
      "--output",
      output,
      source,
    ]);
  } catch (error) {
    throw new Error(
      `deno compile needs Deno's denort runtime for ${target}, downloaded from dl.deno.land on ` +
        `first use; where that cannot be reached, build the bundle instead (deno task bundle).\n` +
        (error as Error).message,
    );
  } finally {
    await Deno.remove(source).catch(() => {});
  }
  return output;
}

/** SHA-256 of a file, as hex. */
export async function sha256File(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Packs `executable` with the README and the licence into `outDir`, as a .tar.gz (or .zip for
 * Windows) named for `target`; returns the archive's path.
 */
export async function pack(target: string, executable: string, outDir: string): Promise<string> {
  const { archive, executable: name } = archiveNames(target);
  const staging = await Deno.makeTempDir({ prefix: "sockit-pack-" });
  try {
    await Deno.copyFile(executable, join(staging, name));
    await Deno.chmod(join(staging, name), 0o755);
    await Deno.copyFile(join(ROOT, "README.md"), join(staging, "README.md"));
    await Deno.copyFile(join(ROOT, "LICENSE"), join(staging, "LICENSE"));
    const path = join(outDir, archive);
    await Deno.remove(path).catch(() => {});
    if (archive.endsWith(".zip")) {
      await run("zip", ["-q", "-X", path, name, "README.md", "LICENSE"], { cwd: staging });
    } else {
      await run("tar", ["-czf", path, "--owner=0", "--group=0", name, "README.md", "LICENSE"], {
        cwd: staging,
      });
    }
    return path;
  } finally {
    await Deno.remove(staging, { recursive: true });
  }
}

/** Writes `SHA256SUMS` for `files` (in `dir`) in the format `sha256sum -c` reads. */
export async function writeChecksums(dir: string, files: string[]): Promise<string> {
  let text = "";
  for (const file of [...files].sort()) {
    text += `${await sha256File(join(dir, file))}  ${basename(file)}\n`;
  }
  const path = join(dir, "SHA256SUMS");
  await Deno.writeTextFile(path, text);
  return path;
}

/** `deno task release`: the five archives, the bundle and SHA256SUMS in dist/. */
export async function release(): Promise<string[]> {
  const files: string[] = [];
  for (const target of TARGETS) {
    const executable = await compile(target);
    files.push(basename(await pack(target, executable, DIST)));
  }
  files.push(basename(await bundle()));
  await writeChecksums(DIST, files);
  return [...files, "SHA256SUMS"];
}

if (import.meta.main) {
  const [what = "bundle", ...rest] = Deno.args;
  try {
    if (what === "bundle") {
      // deno-lint-ignore no-console
      console.log(await bundle());
    } else if (what === "compile") {
      // deno-lint-ignore no-console
      console.log(await compile(rest[0]));
    } else if (what === "release") {
      // deno-lint-ignore no-console
      for (const file of await release()) console.log(join(DIST, file));
    } else {
      throw new Error(`Unknown build "${what}": use bundle, compile [TARGET] or release`);
    }
  } catch (error) {
    // deno-lint-ignore no-console
    console.error(`error: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
