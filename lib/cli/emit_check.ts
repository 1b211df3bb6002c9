/**
 * `--emit-check` for `get`, `resolve`, `wait` and `echo send`: the check entries that do what a
 * command line would have done, and the pieces they share (an http check from the request
 * options, the options a check has no equivalent for, unique names).
 *
 * @module
 */
import { EmittedSecrets, formatChecksYaml, specLiteral as literal } from "../check/emit.ts";
import type { CheckObject } from "../check/emit.ts";
import type { HttpUrl } from "../http/url.ts";
import { resolvePath } from "../text/path.ts";
import type { ParsedArgs } from "./args.ts";
import type { Context } from "./command.ts";
import { ExitCode } from "./exit_codes.ts";
import { standardStream } from "./paths.ts";

/**
 * `--emit-check`: prints the checks that do what a command line would have done, as YAML to
 * paste under `checks:` (JSON with `--json`), with each note as a comment. For `get`,
 * `resolve`, `wait` and `echo send`.
 */
export async function emitChecks(
  ctx: Context,
  checks: readonly CheckObject[],
  notes: readonly string[] = [],
): Promise<number> {
  if (ctx.json) {
    ctx.jsonPrinted = true;
    await ctx.out.json({ checks, notes });
  } else {
    await ctx.out.data(new TextEncoder().encode(formatChecksYaml(checks, notes)));
  }
  return ExitCode.Ok;
}

/** Header fields whose values are credentials: emitted as secrets, never as they are. */
const CREDENTIAL_FIELDS: Record<string, string> = {
  "authorization": "SOCKIT_AUTHORIZATION",
  "proxy-authorization": "SOCKIT_PROXY_AUTHORIZATION",
  "cookie": "SOCKIT_COOKIE",
};

/**
 * The `url` of an http check: a `user:password@` URL keeps its user name and has the password as
 * a secret (`http://ann:${SOCKIT_PASSWORD}@h/`); a URL with a user name alone (a token) has the
 * user name as one. Either is substituted into the URL as it is, so the secret is set as it was
 * written in the URL, percent-escapes and all.
 */
function emittedUrl(url: HttpUrl, secrets: EmittedSecrets): string {
  const credentials = url.credentials;
  if (credentials === undefined) return literal(url.href);
  const how = "as it is written in a URL (percent-escapes included: %40 for @, %2F for /)";
  const user = encodeURIComponent(credentials.username);
  const userinfo = credentials.password === ""
    ? secrets.ref("SOCKIT_USER", user, `the user name (a token) of ${url.href}`, how)
    : `${user}:${
      secrets.ref(
        "SOCKIT_PASSWORD",
        encodeURIComponent(credentials.password),
        `the password of ${url.href}`,
        how,
      )
    }`;
  const scheme = url.href.indexOf("://") + 3;
  return `${url.href.slice(0, scheme)}${userinfo}@${literal(url.href.slice(scheme))}`;
}

/**
 * The `http` and `expect` of a check from the request and `--expect-*` options that `get` and
 * `wait` share (`http_options.ts`), for `--emit-check`. Credentials (a URL's password, an
 * Authorization or Cookie header) become secrets, collected in `options.secrets` (share one among
 * the checks of a command line) and named in the notes.
 */
export function httpCheckFrom(
  args: ParsedArgs,
  url: HttpUrl | string,
  options: {
    method?: "GET" | "HEAD" | undefined;
    maxRedirects?: number | undefined;
    status?: string | undefined;
    secrets?: EmittedSecrets | undefined;
    /** Follow redirects (wait does by default); `-L` when absent. */
    follow?: boolean | undefined;
  } = {},
): { check: Omit<CheckObject, "name">; notes: string[] } {
  const notes: string[] = [];
  const own = options.secrets === undefined;
  const secrets = options.secrets ?? new EmittedSecrets();
  const http: Record<string, unknown> = {
    url: typeof url === "string" ? literal(url) : emittedUrl(url, secrets),
  };
  if (options.method === "HEAD") http.method = "HEAD";
  const headers: Record<string, string | null> = {};
  for (const text of args.strings("header")) {
    const colon = text.indexOf(":");
    const name = text.slice(0, colon);
    const value = text.slice(colon + 1).trim();
    const secret = CREDENTIAL_FIELDS[name.trim().toLowerCase()];
    headers[name] = value === ""
      ? null
      : secret === undefined
      ? literal(value)
      : secrets.ref(secret, value, `the ${name.trim()} header's value`);
  }
  if (Object.keys(headers).length > 0) http.headers = headers;
  if (options.follow ?? args.flag("location")) {
    http.follow_redirects = true;
    if (options.maxRedirects !== undefined) http.max_redirects = options.maxRedirects;
  }
  if (args.flag("compressed")) http.compressed = true;
  if (args.flag("insecure")) http.insecure = true;
  const cacert = args.string("cacert");
  if (cacert !== undefined) {
    if (standardStream(cacert, "input") !== undefined) {
      notes.push(`--cacert ${cacert} is not a file a spec can name: give its path as http.cacert`);
    } else http.cacert = resolvePath(cacert);
  }
  const resolve = args.strings("resolve");
  if (resolve.length > 0) http.resolve = resolve;
  const unixSocket = args.string("unix-socket");
  if (unixSocket !== undefined) http.unix_socket = resolvePath(unixSocket);
  const expect: Record<string, unknown> = {};
  const status = options.status ?? args.string("expect-status");
  if (status !== undefined) {
    expect.status = status.split(",").map((s) => /^\d+$/.test(s.trim()) ? Number(s) : s.trim());
  }
  const body = args.string("expect-body");
  if (body !== undefined) expect.body_contains = literal(body);
  const regex = args.string("expect-body-regex");
  if (regex !== undefined) expect.body_regex = literal(regex);
  const expectHeaders: Record<string, string> = {};
  for (const text of args.strings("expect-header")) {
    const colon = text.indexOf(":");
    expectHeaders[text.slice(0, colon).trim()] = literal(
      text.slice(colon + 1).replace(/^[ \t]+/, ""),
    );
  }
  if (Object.keys(expectHeaders).length > 0) expect.headers = expectHeaders;
  if (own) notes.push(...secrets.notes);
  return { check: { http, ...(Object.keys(expect).length > 0 ? { expect } : {}) }, notes };
}

/** Options given on a command line that a check has no equivalent for, as notes. */
export function notCarriedOver(args: ParsedArgs, names: readonly string[]): string[] {
  return names
    .filter((name) => args.given(name))
    .map((name) => `--${name} has no equivalent in a check: left out`);
}

/** Makes names unique: the second `GET http://a/` becomes `GET http://a/ (2)`. */
export function uniqueNames<T extends { name: string }>(checks: T[]): T[] {
  const seen = new Map<string, number>();
  return checks.map((check) => {
    const n = (seen.get(check.name) ?? 0) + 1;
    seen.set(check.name, n);
    return n === 1 ? check : { ...check, name: `${check.name} (${n})` };
  });
}
