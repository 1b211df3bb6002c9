/**
 * `sockit wait`'s COMMAND: run as a child with sockit's streams, the stopping signals passed on
 * to it, and how it ended; and SIGINT/SIGTERM turned into an abort while the wait runs.
 *
 * @module
 */
import { UsageError } from "../args.ts";
import { onSignals } from "../signals.ts";

/**
 * The signals a shell, a terminal or a container runtime sends to stop or poke a process, which
 * sockit passes on to COMMAND as an init process (tini, dumb-init) does.
 */
const FORWARDED_SIGNALS = ["SIGHUP", "SIGINT", "SIGTERM", "SIGQUIT", "SIGUSR1", "SIGUSR2"] as const;

/** How COMMAND ended. */
export interface ChildOutcome {
  /** Its exit code, or 128 + N when signal N ended it: sockit's own exit code. */
  code: number;
  /** The signal that ended it, or `null` when it exited. */
  signal: Deno.Signal | null;
}

/**
 * Runs COMMAND with sockit's streams, passes on every signal of
 * {@linkcode FORWARDED_SIGNALS} while it runs (so sockit neither dies of them nor leaves it
 * orphaned), and returns how it ended.
 */
export async function runChild(command: string[]): Promise<ChildOutcome> {
  const [program, ...args] = command as [string, ...string[]];
  let child: Deno.ChildProcess | undefined;
  // Listening before the spawn: a signal that comes as COMMAND starts is passed on, never met
  // with its default action (which would end sockit and orphan COMMAND).
  using _forward = onSignals(FORWARDED_SIGNALS, (signal) => {
    try {
      child?.kill(signal);
    } catch {
      // It has exited already.
    }
  });
  try {
    child = new Deno.Command(program, {
      args,
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "command not found"
      : error instanceof Deno.errors.PermissionDenied
      ? "permission denied (is it executable?)"
      : (error as Error).message;
    throw new UsageError(`Cannot run "${program}": ${why}`);
  }
  const status = await child.status;
  return { code: status.code, signal: status.signal };
}
