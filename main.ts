/**
 * sockit's entrypoint: picks the command by its first word and returns its exit code. It loads
 * only what the command needs: `--version` reads the version and nothing else, and each command's
 * module is loaded when it runs.
 *
 * @module
 */
import { print, processIo } from "./lib/cli/io.ts";
import type { Io } from "./lib/cli/io.ts";

/** Runs sockit with `args` (without the program name) and returns the exit code. */
export async function main(args: string[], io: Io = processIo()): Promise<number> {
  const [word, ...rest] = args;
  // `sockit version` is the same as `sockit --version`, as `sockit help` is `--help`.
  if (word === "--version" || word === "-V" || word === "version") {
    const { buildInfo, versionLine } = await import("./lib/cli/version.ts");
    if (rest.some((arg) => arg === "--help" || arg === "-h")) {
      await print(io.stdout, VERSION_HELP);
      return 0;
    }
    const unknown = rest.find((arg) => arg !== "--json");
    if (unknown !== undefined) {
      await print(io.stderr, `error: Unexpected argument "${unknown}" for "sockit ${word}"\n`);
      return 2;
    }
    const json = rest.includes("--json");
    await print(io.stdout, json ? JSON.stringify(buildInfo()) + "\n" : versionLine() + "\n");
    return 0;
  }
  const cli = await import("./lib/cli/mod.ts");
  if (word === undefined) {
    await print(io.stderr, cli.topHelp());
    return cli.ExitCode.Usage;
  }
  if (word === "--help" || word === "-h") {
    await print(io.stdout, cli.topHelp());
    return cli.ExitCode.Ok;
  }
  if (word === "help") {
    if (rest.length === 0) return await main(["--help"], io);
    return await main([...rest, "--help"], io);
  }
  const command = cli.COMMANDS[word];
  if (!command) return await cli.unknownCommand(word, io);
  return await command.run(rest, io);
}

const VERSION_HELP = [
  "Usage:",
  "  sockit version [--json]",
  "  sockit --version [--json]",
  "",
  "Prints sockit's version, the Deno version, the target, the commit and the kind of build;",
  'with --json as {"version", "deno", "target", "commit", "build"}.',
  "",
].join("\n");

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
