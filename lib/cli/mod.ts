/**
 * The command line: one runner per command, each taking its arguments and the streams and
 * returning an exit code. `main.ts` only picks the runner.
 *
 * @module
 */
import { suggest } from "./args.ts";
import { EXIT_CODE_TABLE, ExitCode } from "./exit_codes.ts";
import type { Io } from "./output.ts";
import { VERSION } from "./version.ts";

export { COMMON_OPTIONS, parseCommand, parseDuration, renderHelp, UsageError } from "./args.ts";
export type { CommandSpec, OptionSpec } from "./args.ts";
export { EXIT_CODE_TABLE, ExitCode, exitCodeFor } from "./exit_codes.ts";
export { processIo } from "./output.ts";
export type { Io } from "./output.ts";
export { buildInfo, PRODUCT, VERSION, versionLine } from "./version.ts";
export type { BuildInfo } from "./version.ts";

/** A top-level command: runs with the rest of the arguments. */
export interface Command {
  /** One line for the top-level help. */
  summary: string;
  /** Runs the command. */
  run: (argv: string[], io: Io) => Promise<number>;
}

/**
 * Every top-level command, by its word. Each command's module is loaded only when it runs, so
 * that starting `sockit get` does not pay for parsing the echo and DNS code (start-up time is
 * part of every CI check). The import specifiers are literal so that `deno compile` bundles them.
 */
export const COMMANDS: Record<string, Command> = {
  echo: {
    summary: "echo server (serve) and verifying client (send), over TCP, UDP or TLS",
    run: async (argv, io) => (await import("./echo/mod.ts")).runEcho(argv, io),
  },
  resolve: {
    summary: "resolve names: the system's way (getaddrinfo), or ask a DNS server like dig",
    run: async (argv, io) => (await import("./resolve/mod.ts")).runResolve(argv, io),
  },
  get: {
    summary: "HTTP/1.1 client on raw sockets: GET, HEAD, checks, retries",
    run: async (argv, io) => (await import("./get/mod.ts")).runGet(argv, io),
  },
  wait: {
    summary: "wait until ports, URLs, sockets, names or files are ready, then run a command",
    run: async (argv, io) => (await import("./wait/mod.ts")).runWait(argv, io),
  },
  check: {
    summary: "run a file of smoke checks at once; JUnit, TAP and JSON reports for CI",
    run: async (argv, io) => (await import("./check/mod.ts")).runCheck(argv, io),
  },
  demo: {
    summary: "an offline tour on loopback",
    run: async (argv, io) => (await import("./demo.ts")).runDemo(argv, io),
  },
};

/** The top-level help. */
export function topHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length)) + 2;
  return [
    `sockit ${VERSION}: echo, resolve and get, over raw sockets`,
    "",
    "Usage:",
    "  sockit <command> [<subcommand>] [options] [args]",
    "",
    "Commands:",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}${c.summary}`),
    `  ${"help".padEnd(width)}help for a command: sockit help echo serve`,
    `  ${"version".padEnd(width)}the version, as --version (--json for the build's details)`,
    "",
    "Options:",
    "  -h, --help      show help (after a command: that command's help)",
    "  -V, --version   show the version",
    "",
    "Exit codes:",
    ...EXIT_CODE_TABLE.map(([code, meaning]) => `  ${String(code).padStart(3)}  ${meaning}`),
    "",
    "Examples:",
    "  sockit demo",
    "  sockit echo serve --port 0 --json",
    "  sockit echo send --port 35555 'hello world'",
    "",
  ].join("\n");
}

/** Prints `error: Unknown command` with a hint; returns the usage exit code. */
export async function unknownCommand(word: string, io: Io): Promise<number> {
  const hint = suggest(word, [...Object.keys(COMMANDS), "help", "version"]);
  const text = `error: Unknown command "${word}"${hint ? `: did you mean "${hint}"?` : ""}\n` +
    `Run "sockit --help" for usage.\n`;
  await io.stderr.write(new TextEncoder().encode(text));
  return ExitCode.Usage;
}
