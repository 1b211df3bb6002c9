/**
 * The echo server under abuse, as `tests/abuse_test.ts` (shortened) and `deno task soak` (in
 * full) run it: `sockit echo serve` as the CLI runs it, with the binary's permissions, against
 * scripts/abuse_client.c: connections opened and reset at a fixed rate, half-open connections
 * that send and never read, one client that sends a gibibyte and never reads, and meanwhile a
 * well-behaved client doing round trips. Then SIGTERM in the middle of the same abuse, and a
 * run with `--max-conns`. Everything is observed from outside: the server's events on stdout,
 * its descriptors and memory in /proc.
 *
 * @module
 */
import { EchoServerProcess, LineReader } from "../_helpers.ts";

/** How hard to push. */
export interface AbusePlan {
  /** Connections opened and reset per second. */
  churnRate: number;
  /** For how long, in seconds. */
  churnSeconds: number;
  /** Connections that send and never read. */
  halfOpen: number;
  /** What each of them sends. */
  halfOpenBytes: number;
  /** What the client that never reads tries to send. */
  floodBytes: number;
  /** The `--max-conns` of the third run (its half-open clients are twice as many). */
  maxConns: number;
}

/** Descriptors and memory of the server at one moment. */
export interface ServerState {
  /** Open file descriptors. */
  fds: number;
  /** Resident memory, MB (VmRSS). */
  rssMb: number;
  /** Of which private memory, MB (RssAnon): what the server allocated, not code paged in. */
  anonMb: number;
}

/** One round of abuse: everything at once, with the well-behaved client measuring. */
export interface AbuseRound {
  /** The churn client's count: connections opened (and reset), failed, echoed first, per second. */
  churn: { opened: number; failed: number; echoed: number; seconds: number; per_s: number };
  /** The half-open clients: opened, failed, bytes sent. */
  halfOpen: { opened: number; failed: number; sent: number };
  /** The client that never reads: bytes taken before the server stopped reading it. */
  flood: { stalled: number; sent: number };
  /** The well-behaved client's round trips during the abuse. */
  rtt: { round_trips: number; failed: number; p50_us: number; p99_us: number; max_us: number };
  /** Descriptors while every abuser was connected. */
  fdsDuring: number;
  /** The server once every connection of the round was closed. */
  after: ServerState;
}

/** The figures of one campaign. */
export interface AbuseFigures {
  plan: AbusePlan;
  /** The server after start-up and 20 plain round trips. */
  cold: ServerState;
  /** Each round, in order. */
  rounds: AbuseRound[];
  /** The server's peak resident memory over all rounds, MB (VmHWM). */
  peakRssMb: number;
  /** What the server counted over the rounds: connections served, closed by a reset. */
  server: { accepted: number; resets: number; rejected: number };
  /** SIGTERM in the middle of the abuse: exit code, milliseconds to exit, connections forced. */
  sigterm: { code: number; ms: number; forced: number; grace_ms: number };
  /** With --max-conns: connections served and refused, as the server's events and summary say. */
  maxConns: { served: number; refused: number; summaryRejected: number; opened: number };
}

/** Compiles the abuse client with the machine's cc; `undefined` when there is no compiler. */
export async function buildAbuseClient(dir: string): Promise<string | undefined> {
  const out = `${dir}/abuse_client`;
  const source = new URL("../../scripts/abuse_client.c", import.meta.url).pathname;
  try {
    const built = await new Deno.Command("cc", {
      args: ["-O2", "-o", out, source],
      stdout: "null",
      stderr: "inherit",
    }).output();
    return built.success ? out : undefined;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** One run of the abuse client: its JSON lines, and its stdin to end it. */
export class Abuser {
  readonly #child: Deno.ChildProcess;
  readonly #lines: LineReader;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #last: string | undefined;

  constructor(client: string, args: (string | number)[]) {
    this.#child = new Deno.Command(client, {
      args: args.map(String),
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#lines = new LineReader(this.#child.stdout);
    this.#stdin = this.#child.stdin.getWriter();
  }

  /** Its next JSON line. */
  async next<T>(): Promise<T> {
    const line = await this.#lines.next();
    if (line === null) throw new Error("the abuse client ended without its figures");
    this.#last = line;
    return JSON.parse(line) as T;
  }

  /** Ends its stdin (it stops), and returns its last JSON line (the one `next` read, if none). */
  async finish<T>(): Promise<T> {
    await this.#stdin.close().catch(() => {});
    const lines = await this.#lines.rest();
    const status = await this.#child.status;
    if (!status.success) throw new Error(`the abuse client exited ${status.code}`);
    const last = lines.at(-1) ?? this.#last;
    if (last === undefined) throw new Error("the abuse client ended without its figures");
    return JSON.parse(last) as T;
  }
}

/** Counts a server's events as they come, and says when all its connections are closed. */
class Tally {
  accepted = 0;
  closed = 0;
  resets = 0;
  rejected = 0;
  summary: Record<string, unknown> | undefined;
  readonly done: Promise<void>;
  #waiters: { when: () => boolean; wake: () => void }[] = [];

  constructor(events: LineReader) {
    this.done = this.#read(events);
  }

  async #read(events: LineReader): Promise<void> {
    for (let line = await events.next(); line !== null; line = await events.next()) {
      const event = JSON.parse(line) as Record<string, unknown>;
      if (event.event === "accept") this.accepted++;
      else if (event.event === "reject") this.rejected++;
      else if (event.event === "close") {
        this.closed++;
        if (event.reason === "reset") this.resets++;
      } else if (event.event === "shutdown") this.summary = event;
      this.#wake(false);
    }
    this.#wake(true);
  }

  #wake(ended: boolean): void {
    this.#waiters = this.#waiters.filter((waiter) => {
      if (!ended && !waiter.when()) return true;
      waiter.wake();
      return false;
    });
  }

  /** Settles once `when()` holds, or the events end. */
  until(when: () => boolean): Promise<void> {
    if (when()) return Promise.resolve();
    return new Promise((wake) => this.#waiters.push({ when, wake }));
  }

  /** Settles once every connection accepted so far has been closed. */
  allClosed(): Promise<void> {
    return this.until(() => this.accepted === this.closed);
  }
}

/** A process's descriptors and memory now, and its peak memory (MB). */
export async function serverState(pid: number): Promise<ServerState & { hwmMb: number }> {
  // Deno reads /proc/PID/* only with --allow-all; ls and cat need no more than the test has.
  const listed = await new Deno.Command("sh", {
    args: ["-c", 'ls "/proc/$1/fd" | wc -l && cat "/proc/$1/status"', "sh", String(pid)],
    stderr: "inherit",
  }).output();
  if (!listed.success) throw new Error(`cannot read /proc/${pid}`);
  const text = new TextDecoder().decode(listed.stdout);
  const mb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text)![1]) / 1024;
  const fds = Number(text.slice(0, text.indexOf("\n")));
  return { fds, rssMb: mb("VmRSS"), anonMb: mb("RssAnon"), hwmMb: mb("VmHWM") };
}

/** A few plain round trips, so that what the server loads on first use is in the baseline. */
async function warmUp(port: number): Promise<void> {
  const buf = new Uint8Array(64);
  for (let i = 0; i < 20; i++) {
    using conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(buf);
    await conn.closeWrite();
    while (await conn.read(buf) !== null) {
      // Drained.
    }
  }
}

const HOST = "127.0.0.1";

/**
 * Runs the campaign and returns what was seen; asserts nothing. `rounds` rounds of the same
 * abuse on one server (the first grows its heap and pages its code in; the rest show whether
 * anything grows with the dose), then SIGTERM in the middle of one more, then `--max-conns`.
 */
export async function runAbuse(
  client: string,
  plan: AbusePlan,
  rounds: number,
): Promise<AbuseFigures> {
  const graceMs = 1000;
  await using server = await EchoServerProcess.start(["--grace", `${graceMs}ms`]);
  const pid = server.process.pid;
  const tally = new Tally(server.events);
  const port = server.port;
  await warmUp(port);
  await tally.allClosed();
  const { hwmMb: _, ...cold } = await serverState(pid);

  const done: AbuseRound[] = [];
  for (let round = 0; round < rounds; round++) {
    const rttClient = new Abuser(client, ["rtt", HOST, port, 64]);
    const abuse = startAbuse(client, port, plan);
    const halfOpen = await abuse.halfOpen.next<AbuseRound["halfOpen"]>();
    const stalled = (await abuse.flood.next<{ stalled: number }>()).stalled;
    const churn = await abuse.churn.finish<AbuseRound["churn"]>();
    const fdsDuring = (await serverState(pid)).fds;
    const rtt = await rttClient.finish<AbuseRound["rtt"]>();
    await abuse.halfOpen.finish();
    const flood = { stalled, sent: (await abuse.flood.finish<{ sent: number }>()).sent };
    await tally.allClosed();
    const { hwmMb: _, ...after } = await serverState(pid);
    done.push({ churn, halfOpen, flood, rtt, fdsDuring, after });
  }
  const peakRssMb = (await serverState(pid)).hwmMb;
  const served = { accepted: tally.accepted, resets: tally.resets, rejected: tally.rejected };

  // The same abuse once more, and SIGTERM once it is in full swing.
  const abuse = startAbuse(client, port, plan);
  await abuse.halfOpen.next();
  await abuse.flood.next();
  // Once the server has every half-open client and the flood in hand (not some in its backlog).
  await tally.until(() => tally.accepted - tally.closed >= plan.halfOpen + 1);
  const signalled = performance.now();
  server.process.kill("SIGTERM");
  const status = await server.process.status;
  const sigtermMs = performance.now() - signalled;
  await tally.done;
  await Promise.all([abuse.churn.finish(), abuse.halfOpen.finish(), abuse.flood.finish()]);
  await server.stderr;
  const forced = Number(tally.summary?.forced ?? NaN);

  return {
    plan,
    cold,
    rounds: done,
    peakRssMb,
    server: served,
    sigterm: { code: status.code, ms: sigtermMs, forced, grace_ms: graceMs },
    maxConns: await runMaxConns(client, plan),
  };
}

/** Starts the three abusers of a round at once. */
function startAbuse(client: string, port: number, plan: AbusePlan) {
  return {
    halfOpen: new Abuser(client, ["halfopen", HOST, port, plan.halfOpen, plan.halfOpenBytes]),
    flood: new Abuser(client, ["flood", HOST, port, plan.floodBytes]),
    churn: new Abuser(client, ["churn", HOST, port, plan.churnRate, plan.churnSeconds]),
  };
}

async function runMaxConns(client: string, plan: AbusePlan): Promise<AbuseFigures["maxConns"]> {
  await using server = await EchoServerProcess.start(["--max-conns", String(plan.maxConns)]);
  const tally = new Tally(server.events);
  const halfOpen = new Abuser(client, ["halfopen", HOST, server.port, plan.maxConns * 2, 1024]);
  const opened = (await halfOpen.next<{ opened: number }>()).opened;
  await tally.until(() => tally.accepted + tally.rejected >= opened);
  await halfOpen.finish();
  await tally.allClosed();
  server.process.kill("SIGTERM");
  await tally.done;
  await server.process.status;
  await server.stderr;
  return {
    served: tally.accepted,
    refused: tally.rejected,
    summaryRejected: Number(tally.summary?.rejected ?? NaN),
    opened,
  };
}
