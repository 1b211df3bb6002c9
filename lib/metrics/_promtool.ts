/**
 * For tests: `promtool check metrics` on an exposition, and whether promtool is installed (a
 * test that needs it is ignored, and says so, when it is not).
 */

/** Where Debian's `prometheus` package puts promtool. */
export const PROMTOOL = "/usr/bin/promtool";

/** Whether promtool is installed (a test file that needs it warns, and ignores its test, when not). */
export function havePromtool(): boolean {
  try {
    return Deno.statSync(PROMTOOL).isFile;
  } catch {
    return false;
  }
}

/** What `promtool check metrics` says about `text`, read from its stdin: exit code and output. */
export async function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
  const child = new Deno.Command(PROMTOOL, {
    args: ["check", "metrics"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
}
