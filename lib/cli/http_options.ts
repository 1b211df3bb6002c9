/**
 * The HTTP request and expectation options that `get` and `wait` share, with the same names,
 * meanings and defaults: `-H`, `-L`, `--max-redirs`, `--compressed`, `--cacert`, `--resolve`,
 * `--unix-socket` and the `--expect-*` family.
 *
 * @module
 */
import { acceptEncoding } from "../http/decode.ts";
import { parseHeaderExpectation, parseRegex, parseStatusList } from "../http/expect.ts";
import type { HttpExpectations } from "../http/expect.ts";
import { checkField, defaultFields, mergeFields } from "../http/request.ts";
import { trimOws } from "../http/response.ts";
import type { HttpUrl } from "../http/url.ts";
import { isInvalidInput } from "../net/errors.ts";
import { parseAddressOverride } from "../net/override.ts";
import { checkCertificatePem } from "../net/tls.ts";
import { UsageError } from "./args.ts";
import type { OptionSpec, ParsedArgs } from "./args.ts";
import type { Io } from "./output.ts";
import { readInput } from "./paths.ts";
import { PRODUCT } from "./version.ts";

/** One request option by name, for a command's option table. */
export function requestOption(
  name:
    | "header"
    | "location"
    | "max-redirs"
    | "compressed"
    | "cacert"
    | "insecure"
    | "resolve"
    | "unix-socket",
): OptionSpec {
  return REQUEST_OPTIONS.find((o) => o.name === name)!;
}

const REQUEST_OPTIONS: OptionSpec[] = [
  {
    name: "header",
    short: "H",
    type: "string",
    multiple: true,
    value: "'NAME: VALUE'",
    description: "Add a request header (replaces a default; 'NAME:' removes it)",
  },
  { name: "location", short: "L", type: "boolean", description: "Follow redirects" },
  {
    name: "max-redirs",
    type: "string",
    value: "N",
    default: "20",
    description: "Most redirects to follow with -L (exit 8 past it)",
  },
  {
    name: "compressed",
    type: "boolean",
    // A getter: what the runtime decodes is found when the help is shown, not at start-up.
    get description() {
      return `Ask for ${acceptEncoding()} and decode the body`;
    },
  },
  {
    name: "cacert",
    type: "string",
    value: "FILE",
    description: "Also trust the CA certificates in this PEM file (- for stdin)",
  },
  {
    name: "insecure",
    short: "k",
    type: "boolean",
    description: "Accept any https certificate, unverified (warns on stderr)",
  },
  {
    name: "resolve",
    type: "string",
    multiple: true,
    value: "HOST:PORT:ADDR",
    description: "Connect to ADDR (comma-separated list) for HOST:PORT, like curl",
  },
  {
    name: "unix-socket",
    type: "string",
    value: "PATH",
    description: "Connect to this Unix socket instead (http only)",
  },
];

/**
 * The `--expect-*` options, each described as "`lead` the status is in LIST" and so on:
 * `get` says "Exit 1 unless", `wait` says "Ready only when".
 */
export function expectOptions(lead: string, statusDefault?: string): OptionSpec[] {
  return [
    {
      name: "expect-status",
      type: "string",
      value: "LIST",
      ...(statusDefault ? { default: statusDefault } : {}),
      description: `${lead} the status is in LIST (200,204,3xx)`,
    },
    {
      name: "expect-body",
      type: "string",
      value: "TEXT",
      description: `${lead} the body contains TEXT`,
    },
    {
      name: "expect-body-regex",
      type: "string",
      value: "RE",
      description: `${lead} the body matches the regular expression RE`,
    },
    {
      name: "expect-header",
      type: "string",
      multiple: true,
      value: "'NAME: RE'",
      description: `${lead} header NAME is present and matches RE`,
    },
  ];
}

/** The request options, parsed and checked. */
export interface RequestOptions {
  /** Fields after `Host`: the defaults merged with `-H`. */
  fields: Array<[string, string]>;
  /** `-L`. */
  follow: boolean;
  /** `--compressed`. */
  compressed: boolean;
  /** PEM text from `--cacert`. */
  caCerts: string[];
  /** `-k`: https certificates are not verified. */
  insecure: boolean;
  /** `--resolve`, by `host:port`. */
  resolve: Map<string, string[]>;
  /** `--unix-socket`. */
  unixSocket: string | undefined;
}

/**
 * The warning that `-k` (or a check's `insecure: true`) prints on stderr, even with `-q`: what
 * is not verified, and what that means.
 */
export function insecureWarning(what: string): string {
  return `warning: ${what}: https certificates are NOT verified; anyone on the path can read ` +
    "and change the traffic";
}

/**
 * Parses an option's value with a lib/ parser, turning its invalid-input error (the why of
 * `Invalid status list "2x": why`) into a usage error that names the option.
 */
export function parsedOption<T>(text: string, option: string, parse: (text: string) => T): T {
  try {
    return parse(text);
  } catch (error) {
    const why = isInvalidInput(error) ? error.why : (error as Error).message;
    throw new UsageError(`Invalid value "${text}" for ${option}: ${why}`);
  }
}

/**
 * Reads the request options; `urls` are checked against them (`--unix-socket` is for http).
 *
 * @throws {UsageError} On a malformed header, `--resolve`, path or certificate file.
 */
export async function parseRequestOptions(
  args: ParsedArgs,
  io: Io,
  urls: readonly HttpUrl[],
): Promise<RequestOptions> {
  const user: Array<[string, string]> = args.strings("header").map((text) => {
    const colon = text.indexOf(":");
    if (colon <= 0) throw new UsageError(`Invalid header "${text}": expected 'Name: value'`);
    const name = text.slice(0, colon);
    const value = trimOws(text.slice(colon + 1));
    const problem = checkField(name, value);
    if (problem) throw new UsageError(`Invalid -H: ${problem}`);
    return [name, value];
  });
  const compressed = args.flag("compressed");
  const defaults = defaultFields(PRODUCT);
  if (compressed) defaults.push(["Accept-Encoding", acceptEncoding()]);
  const unixSocket = args.string("unix-socket");
  if (unixSocket === "") throw new UsageError('Invalid --unix-socket "": empty path');
  if (unixSocket !== undefined && urls.some((u) => u.scheme === "https")) {
    throw new UsageError("Option --unix-socket works with http URLs only");
  }
  const caCerts: string[] = [];
  const cacert = args.string("cacert");
  if (cacert !== undefined) {
    const pem = await readInput(io, cacert, "--cacert");
    const why = checkCertificatePem(pem);
    if (why) throw new UsageError(`Cannot use --cacert "${cacert}": ${why}`);
    caCerts.push(pem);
  }
  const resolve = new Map<string, string[]>();
  for (const text of args.strings("resolve")) {
    const entry = parseAddressOverride(text);
    if (!entry) throw new UsageError(`Invalid --resolve "${text}": expected HOST:PORT:ADDRESS`);
    resolve.set(entry.key, entry.addresses);
  }
  return {
    fields: mergeFields(defaults, user),
    follow: args.flag("location"),
    compressed,
    caCerts,
    insecure: args.flag("insecure"),
    resolve,
    unixSocket,
  };
}

/**
 * Reads the `--expect-*` options. An absent `--expect-status` is its declared default, when the
 * command declares one (`wait` waits for `2xx`; `get` checks nothing unless asked).
 */
export function parseExpectations(args: ParsedArgs): HttpExpectations {
  const statusText = args.string("expect-status") ?? args.defaultOf("expect-status");
  const regexText = args.string("expect-body-regex");
  return {
    status: statusText === undefined
      ? undefined
      : parsedOption(statusText, "--expect-status", parseStatusList),
    bodyContains: args.string("expect-body"),
    bodyRegex: regexText === undefined
      ? undefined
      : parsedOption(regexText, "--expect-body-regex", parseRegex),
    headers: args.strings("expect-header").map((text) =>
      parsedOption(text, "--expect-header", parseHeaderExpectation)
    ),
  };
}
