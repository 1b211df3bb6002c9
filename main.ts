/**
 * sockit's entrypoint: picks the command by its first word and returns its exit code.
 *
 * @module
 */
import {
  buildInfo,
  COMMANDS,
  ExitCode,
  processIo,
  topHelp,
  unknownCommand,
  versionLine,
} from "./lib/cli/mod.ts";
import type { Io } from "./lib/cli/mod.ts";
import { writeAll } from "./lib/net/io.ts";

/** Runs sockit with `args` (without the program name) and returns the exit code. */
export async function main(args: string[], io: Io = processIo()): Promise<number> {
  const [word, ...rest] = args;
  const print = (stream: Io["stdout"], text: string) =>
    writeAll(stream, new TextEncoder().encode(text));
  if (word === undefined) {
    await print(io.stderr, topHelp());
    return ExitCode.Usage;
  }
  if (word === "--help" || word === "-h") {
    await print(io.stdout, topHelp());
    return ExitCode.Ok;
  }
  if (word === "--version" || word === "-V") {
    const json = rest.includes("--json");
    const unknown = rest.find((arg) => arg !== "--json");
    if (unknown !== undefined) {
      await print(io.stderr, `error: Unexpected argument "${unknown}" for "sockit --version"\n`);
      return ExitCode.Usage;
    }
    await print(io.stdout, json ? JSON.stringify(buildInfo()) + "\n" : versionLine() + "\n");
    return ExitCode.Ok;
  }
  if (word === "help") {
    if (rest.length === 0) return await main(["--help"], io);
    return await main([...rest, "--help"], io);
  }
  const command = COMMANDS[word];
  if (!command) return await unknownCommand(word, io);
  return await command.run(rest, io);
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
