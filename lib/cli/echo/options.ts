/**
 * What `echo serve` and `echo send` share: the target options, MESSAGE and --size, and the
 * checks that go with them.
 *
 * @module
 */
import { resolveUdpTarget } from "../../echo/udp_client.ts";
import type { UdpTarget } from "../../echo/udp_client.ts";
import { checkPort } from "../../net/addr.ts";
import type { DialTarget } from "../../net/dial.ts";
import { UsageError } from "../args.ts";
import type { OptionSpec, ParsedArgs } from "../args.ts";
import type { Context } from "../command.ts";

/** --host, --port and --unix, as both subcommands take them. */
export const TARGET_OPTIONS: OptionSpec[] = [
  {
    name: "host",
    type: "string",
    value: "HOST",
    default: "127.0.0.1",
    description: "Host name or address",
  },
  {
    name: "port",
    short: "p",
    type: "string",
    value: "PORT",
    // The tutorial's port.
    default: "35555",
    description: "TCP port",
  },
  {
    name: "unix",
    type: "string",
    value: "PATH",
    description: "Use this Unix socket instead of TCP",
  },
];

/** The address from --host/--port or --unix; a client cannot connect to port 0. */
export function targetFrom(args: ParsedArgs, role: "server" | "client"): DialTarget {
  const unix = args.string("unix");
  if (unix !== undefined) {
    if (args.given("host") || args.given("port")) {
      throw new UsageError("Options --unix and --host/--port cannot be used together");
    }
    if (unix === "") throw new UsageError('Invalid value "" for --unix: empty path');
    return { path: unix };
  }
  const min = role === "server" ? 0 : 1;
  const port = args.integer("port", { min, max: 65535 });
  const hostname = args.string("host") ?? args.defaultOf("host")!;
  if (hostname === "") throw new UsageError('Invalid value "" for --host: expected a host name');
  return { hostname, port: checkPort(port) };
}

/** The bytes MESSAGE names (with a newline unless -n), `undefined` for stdin or --size. */
export function messageBytes(args: ParsedArgs): Uint8Array | undefined {
  const message = args.positionals[0];
  if (message === undefined || message === "-") return undefined;
  return new TextEncoder().encode(args.flag("no-newline") ? message : message + "\n");
}

/** --size N, checked against MESSAGE (one or the other), or `undefined`. */
export function sizeOption(
  args: ParsedArgs,
  max = Number.MAX_SAFE_INTEGER,
  min = 0,
): number | undefined {
  if (!args.given("size")) return undefined;
  if (args.positionals[0] !== undefined) {
    throw new UsageError("Give MESSAGE or --size, not both");
  }
  return args.integer("size", { min, max });
}

/** A host and port: what --udp sends to. */
export type HostPort = Exclude<DialTarget, { path: string }>;

/** The --host and --port of `echo send --udp`: --unix has no datagrams. */
export function udpHostPort(target: DialTarget): HostPort {
  if ("path" in target) throw new UsageError("Options --udp and --unix cannot be used together");
  return target;
}

/** The server's first address and port for UDP, resolved (UDP cannot try each in turn). */
export async function udpTarget(ctx: Context, target: HostPort): Promise<UdpTarget> {
  return await resolveUdpTarget(target.hostname, target.port, { trace: ctx.trace });
}

/** The usage error for a MESSAGE too long for one datagram. */
export function tooLong(bytes: number, max: number): UsageError {
  return new UsageError(
    `MESSAGE is ${bytes} bytes: one UDP datagram carries at most ${max} (use --size to test the limit)`,
  );
}
