/**
 * `sockit echo`: picks `serve` or `send` and runs it. Each subcommand is its flags, help,
 * calls into `lib/echo/` and the formatting of what comes back: `serve.ts`, `send.ts` (and
 * `ping.ts` for `send --count`).
 *
 * @module
 */
import { suggest } from "../args.ts";
import { runCommand } from "../command.ts";
import { ExitCode } from "../exit_codes.ts";
import type { Io } from "../output.ts";
import { ECHO_SEND, SEND_HINTS, sendCommand } from "./send.ts";
import { ECHO_SERVE, serveCommand } from "./serve.ts";

export { ECHO_SEND } from "./send.ts";
export { ECHO_SERVE } from "./serve.ts";

const SUBCOMMANDS = { serve: ECHO_SERVE, send: ECHO_SEND } as const;

/** `sockit echo --help`. */
export function echoHelp(): string {
  return [
    "sockit echo: an echo server and client over TCP, UDP, TLS or a Unix socket",
    "",
    "Usage:",
    "  sockit echo serve [options]     run an echo server",
    "  sockit echo send [MESSAGE]      send bytes and check the echo",
    "",
    'Run "sockit echo serve --help" or "sockit echo send --help" for their options.',
    "",
  ].join("\n");
}

/** Runs `sockit echo ...`. */
export async function runEcho(argv: string[], io: Io): Promise<number> {
  const [word, ...rest] = argv;
  const encoder = new TextEncoder();
  if (word === undefined || word === "--help" || word === "-h" || word === "help") {
    await (word === undefined ? io.stderr : io.stdout).write(encoder.encode(echoHelp()));
    return word === undefined ? ExitCode.Usage : ExitCode.Ok;
  }
  if (word === "serve") {
    return await runCommand(ECHO_SERVE, rest, io, serveCommand, {
      ownSignals: true,
      keepsServing: true,
    });
  }
  if (word === "send") {
    return await runCommand(ECHO_SEND, rest, io, sendCommand, { hints: SEND_HINTS });
  }
  const hint = suggest(word, Object.keys(SUBCOMMANDS));
  const message =
    `error: Unknown subcommand "echo ${word}"${hint ? `: did you mean "echo ${hint}"?` : ""}\n` +
    `Run "sockit echo --help" for usage.\n`;
  await io.stderr.write(encoder.encode(message));
  return ExitCode.Usage;
}
