/**
 * File paths as plain strings: what `node:path` gives for sockit's few uses (a file's folder, a
 * sibling file, making a relative path absolute), without loading Node's compatibility layer at
 * start-up. `/` separates, and on Windows `\` too; a Windows path may start with a drive (`C:`).
 *
 * @module
 */

const windows = Deno.build.os === "windows";
const isSeparator = (c: string | undefined) => c === "/" || (windows && c === "\\");

/**
 * The folder and the file name of a path, and the path of a file beside it.
 *
 * @example
 * ```ts
 * import { splitPath } from "./path.ts";
 * import assert from "node:assert/strict";
 * assert.equal(splitPath("out/big.iso").dir, "out");
 * assert.equal(splitPath("big.iso").sibling(".big.iso.part"), "./.big.iso.part");
 * assert.equal(splitPath("/big.iso").sibling("x"), "/x");
 * ```
 */
export function splitPath(
  path: string,
): { dir: string; name: string; sibling(name: string): string } {
  let cut = -1;
  for (let i = path.length - 1; i >= 0; i--) {
    if (isSeparator(path[i])) {
      cut = i;
      break;
    }
  }
  const dir = cut < 0 ? "." : cut === 0 ? path[0]! : path.slice(0, cut);
  const separator = cut < 0 ? "/" : path[cut]!;
  return {
    dir,
    name: path.slice(cut + 1),
    sibling: (name) => dir === separator ? `${separator}${name}` : `${dir}${separator}${name}`,
  };
}

/** Whether a path is absolute: `/x`, or on Windows `C:\x`, `\\server\x`. */
export function isAbsolutePath(path: string): boolean {
  if (isSeparator(path[0])) return true;
  return windows && /^[A-Za-z]:[\\/]/.test(path);
}

/**
 * `path` made absolute against `base` (default: the working directory), with `.` and `..`
 * segments resolved: the same text for the same file, however it was written.
 *
 * @example
 * ```ts
 * import { resolvePath } from "./path.ts";
 * import assert from "node:assert/strict";
 * assert.equal(resolvePath("a/../b/./c.yaml", "/srv"), "/srv/b/c.yaml");
 * assert.equal(resolvePath("/etc/x", "/srv"), "/etc/x");
 * assert.equal(resolvePath("x", "."), `${Deno.cwd()}/x`);
 * ```
 */
export function resolvePath(path: string, base: string = Deno.cwd()): string {
  const root = isAbsolutePath(base) ? base : `${Deno.cwd()}/${base}`;
  const full = isAbsolutePath(path) ? path : `${root}/${path}`;
  const drive = windows ? /^[A-Za-z]:/.exec(full)?.[0] ?? "" : "";
  const parts: string[] = [];
  for (const part of full.slice(drive.length).split(windows ? /[\\/]/ : "/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `${drive}${windows && drive ? "\\" : "/"}${parts.join(windows && drive ? "\\" : "/")}`;
}

/**
 * `path` written the one way POSIX would (`node:path`'s `posix.normalize` without a trailing
 * separator): `.` segments and repeated `/` gone, `..` taken back where a folder precedes it,
 * without reading the file system, so that `./smoke.yaml` and `smoke.yaml` are one text.
 *
 * @example
 * ```ts
 * import { normalPath } from "./path.ts";
 * import assert from "node:assert/strict";
 * assert.equal(normalPath("./ci//smoke.yaml"), "ci/smoke.yaml");
 * assert.equal(normalPath("ci/../smoke.yaml"), "smoke.yaml");
 * assert.equal(normalPath("../x/./y/"), "../x/y");
 * assert.equal(normalPath("/../etc"), "/etc");
 * ```
 */
export function normalPath(path: string): string {
  const absolute = path.startsWith("/");
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part !== "..") parts.push(part);
    else if (parts.length > 0 && parts.at(-1) !== "..") parts.pop();
    else if (!absolute) parts.push(part);
  }
  const joined = parts.join("/");
  return absolute ? `/${joined}` : joined === "" ? "." : joined;
}
