/**
 * File probes: a `file:` target is ready when the path exists (and, when told, is not empty).
 *
 * @module
 */
import type { ProbeResult } from "./result.ts";

/** One attempt at a `file:` target; with `nonempty`, an empty file is not ready yet. */
export async function probeFile(path: string, nonempty = false): Promise<ProbeResult> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { ready: false, reason: "no such file" };
    throw error;
  }
  if (nonempty && info.size === 0) return { ready: false, reason: "the file is empty" };
  return { ready: true, detail: `${info.isDirectory ? "a directory" : `${info.size} bytes`}` };
}
