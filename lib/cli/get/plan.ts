/**
 * `sockit get`'s plan: the command line read into what to fetch and how, every value checked
 * before anything runs, and the hints that name the option behind a library limit.
 *
 * @module
 */
import type { HttpExpectations } from "../../http/expect.ts";
import { parseSize } from "../../http/size.ts";
import { parseHttpUrl, withBasicAuthorization } from "../../http/url.ts";
import type { HttpUrl } from "../../http/url.ts";
import { asUsage, UsageError } from "../args.ts";
import type { ParsedArgs } from "../args.ts";
import type { Context } from "../command.ts";
import type { HintTable } from "../result.ts";
import { parseExpectations, parseRequestOptions } from "../http_options.ts";
import { checkOutput, refuseSameFile } from "../paths.ts";
import type { OutputTarget } from "../paths.ts";

/** What to add to a library error of each kind: the option that sets the limit. */
export const HINTS: HintTable = {
  "read-timeout": "read timeout; raise it with --read-timeout",
  "max-redirects": "raise it with --max-redirs",
  "max-body": "raise it with --max-filesize",
  "max-head": "raise it with --max-header-size",
  "max-fields": "raise it with --max-header-fields",
  "unknown-issuer": "is its CA trusted? trust a private CA with --cacert",
  "self-signed": "trust it with --cacert FILE, FILE holding the server's own certificate",
  "ca-as-leaf": "trust it with --cacert FILE, FILE holding the server's own certificate",
};

/** Everything the command line asks for, checked. */
export interface GetPlan {
  urls: HttpUrl[];
  outputs: OutputTarget[];
  method: "GET" | "HEAD";
  fields: Array<[string, string]>;
  include: boolean;
  follow: boolean;
  maxRedirects: number;
  maxTimeMs: number;
  connectTimeoutMs: number;
  readTimeoutMs: number;
  maxHeadBytes: number;
  maxFields: number;
  maxBodyBytes: number;
  compressed: boolean;
  caCerts: string[];
  insecure: boolean;
  resolve: Map<string, string[]>;
  unixSocket: string | undefined;
  retries: number;
  retryDelayMs: number;
  retryMaxTimeMs: number;
  fail: boolean;
  expect: HttpExpectations;
  timing: boolean;
  verbose: boolean;
  showSecrets: boolean;
}

/** A size option (`64K`, `10M`), or `none` for no limit (`Infinity`); absent, its default. */
function sizeOption(args: ParsedArgs, name: string): number {
  const text = args.string(name) ?? args.defaultOf(name)!;
  if (text.trim() === "none") return Infinity;
  try {
    return parseSize(text);
  } catch {
    const why = /^\s*-/.test(text)
      ? "a size cannot be negative"
      : "use a number of bytes, or with K, M, G or T (64K, 10M), or none";
    throw new UsageError(`Invalid size "${text}" for --${name}: ${why}`);
  }
}

/**
 * A duration option that also takes `none` (no limit, `Infinity`); absent, its default, and no
 * limit when it declares none.
 */
function limitOption(args: ParsedArgs, name: string): number {
  const text = args.string(name) ?? args.defaultOf(name);
  if (text === undefined || text.trim() === "none") return Infinity;
  return args.duration(name)!;
}

/** Reads the command line into a plan; any value that cannot be used is a `UsageError`. */
export async function planFrom(ctx: Context): Promise<GetPlan> {
  const { args } = ctx;
  const urls = args.positionals.map((text) => asUsage(() => parseHttpUrl(text)));
  const outputPaths = args.strings("output");
  if (outputPaths.length > urls.length) {
    throw new UsageError(`More -o options (${outputPaths.length}) than URLs (${urls.length})`);
  }
  const outputs: OutputTarget[] = [];
  for (const path of outputPaths) outputs.push(await checkOutput(path, { label: `-o "${path}"` }));
  refuseSameFile(outputs.map((target) => ({ label: `-o "${target.path}"`, target })));
  const request = await parseRequestOptions(args, ctx.io, urls);
  // --max-time's default is --timeout, which declares none: no limit.
  const maxTimeMs = limitOption(args, args.given("max-time") ? "max-time" : "timeout");
  const readTimeoutMs = limitOption(args, "read-timeout");
  if (readTimeoutMs === 0) {
    throw new UsageError(
      `Invalid duration "${
        args.string("read-timeout")
      }" for --read-timeout: it must be more than 0 (or none)`,
    );
  }
  return {
    urls,
    outputs,
    method: args.flag("head") ? "HEAD" : "GET",
    fields: request.fields,
    include: args.flag("include") || args.flag("head"),
    follow: request.follow,
    maxRedirects: args.integer("max-redirs"),
    maxTimeMs,
    connectTimeoutMs: limitOption(args, "connect-timeout"),
    readTimeoutMs,
    maxHeadBytes: sizeOption(args, "max-header-size"),
    maxFields: args.integer("max-header-fields", { min: 1 }),
    maxBodyBytes: sizeOption(args, "max-filesize"),
    compressed: request.compressed,
    caCerts: request.caCerts,
    insecure: request.insecure,
    resolve: request.resolve,
    unixSocket: request.unixSocket,
    retries: args.integer("retry"),
    retryDelayMs: args.duration("retry-delay")!,
    retryMaxTimeMs: limitOption(args, "retry-max-time"),
    fail: args.flag("fail"),
    expect: parseExpectations(args),
    timing: args.flag("timing"),
    verbose: args.flag("verbose") || args.flag("trace"),
    showSecrets: args.flag("show-secrets"),
  };
}

/**
 * The request fields for `url`: the plan's, plus Basic authorization from a `user:pass@` URL
 * (as curl does) unless -H gave an Authorization of its own.
 */
export function fieldsFor(plan: GetPlan, url: HttpUrl): Array<[string, string]> {
  return withBasicAuthorization(plan.fields, url);
}
