/**
 * The `http` kind: the URL (whose `user:pass@` may carry a secret), the method, the request's
 * header fields, redirects, compression, TLS trust (`cacert`, `insecure`), `resolve` overrides and
 * a Unix socket; its `expect` is read by `http_expect.ts`.
 *
 * @module
 */
import { checkField, defaultFields, mergeFields } from "../../http/request.ts";
import { basicAuthorization, parseHttpUrl } from "../../http/url.ts";
import type { HttpUrl } from "../../http/url.ts";
import { parseAddressOverride } from "../../net/override.ts";
import { describeFileError } from "../../net/file_error.ts";
import { checkCertificatePem } from "../../net/tls.ts";
import type { MapEntry } from "../tree.ts";
import { readHttpExpect } from "./http_expect.ts";
import { describe, lowerFirst } from "./reader.ts";
import type { SpecReader } from "./reader.ts";
import type { KindInput, KindReading } from "./schema.ts";

/** An `http` check. */
export async function readHttp(
  reader: SpecReader,
  { keys, need, expect }: KindInput,
): Promise<KindReading | undefined> {
  let ok = true;
  const urlNode = need("url");
  const urlText = urlNode && reader.string(urlNode, '"url"', { nonEmpty: true });
  let url;
  if (urlText !== undefined) {
    try {
      url = parseHttpUrl(urlText);
      secretCredentials(reader, url);
    } catch (error) {
      reader.problem(urlNode!.pos, lowerFirst((error as Error).message));
    }
  }
  const methodEntry = keys.get("method");
  let method: "GET" | "HEAD" = "GET";
  if (methodEntry) {
    const text = reader.string(methodEntry.value, '"method"');
    if (text !== undefined && text !== "GET" && text !== "HEAD") {
      ok = reader.problem(
        methodEntry.value.pos,
        `"method" must be GET or HEAD, not ${reader.quote(text)}`,
      ) ?? false;
    } else if (text) method = text;
  }
  const user = readHeaders(reader, keys.get("headers"));
  if (!user) ok = false;
  const followEntry = keys.get("follow_redirects");
  const follow = followEntry ? reader.bool(followEntry.value, '"follow_redirects"') : false;
  const maxEntry = keys.get("max_redirects");
  const maxRedirects = maxEntry
    ? reader.integer(maxEntry.value, '"max_redirects"', 0, 100)
    : undefined;
  if (maxEntry && !follow) {
    reader.problem(maxEntry.keyPos, '"max_redirects" needs "follow_redirects: true"');
  }
  const compressedEntry = keys.get("compressed");
  const compressed = compressedEntry ? reader.bool(compressedEntry.value, '"compressed"') : false;
  const insecureEntry = keys.get("insecure");
  const insecure = insecureEntry ? reader.bool(insecureEntry.value, '"insecure"') : false;
  const cacertEntry = keys.get("cacert");
  const caCerts = cacertEntry ? await readCacert(reader, cacertEntry) : [];
  const resolve = new Map<string, string[]>();
  const resolveEntry = keys.get("resolve");
  for (const text of resolveEntry ? reader.strings(resolveEntry.value, '"resolve"') ?? [] : []) {
    const entry = parseAddressOverride(text);
    if (!entry) {
      reader.problem(
        resolveEntry!.value.pos,
        `invalid resolve entry ${reader.quote(text)}: expected HOST:PORT:ADDRESS`,
      );
      continue;
    }
    resolve.set(entry.key, entry.addresses);
  }
  const unixEntry = keys.get("unix_socket");
  const unixSocket = unixEntry ? reader.path(unixEntry.value, '"unix_socket"') : undefined;
  if (unixSocket && url?.scheme === "https") {
    reader.problem(unixEntry!.keyPos, '"unix_socket" works with http URLs only');
  }
  const httpExpect = readHttpExpect(reader, expect, method, url?.scheme);
  if (!url || !ok || !httpExpect) return undefined;
  const defaults = defaultFields(reader.options.userAgent ?? "sockit");
  return {
    target: { kind: "http", text: url.href, url },
    text: `${method} ${url.href}`,
    probe: {
      http: {
        method,
        fields: mergeFields(defaults, user!),
        follow: follow ?? false,
        maxRedirects,
        compressed: compressed ?? false,
        caCerts,
        insecure: insecure ?? false,
        resolve,
        unixSocket,
        expect: httpExpect.expect,
        json: httpExpect.json,
        certValidForMs: httpExpect.certValidForMs,
      },
    },
  };
}

/**
 * The request's own header fields, in order; a `null` value removes a default field
 * (User-Agent, Accept), as get's `-H 'Name:'` does. Undefined when one has a problem.
 */
function readHeaders(
  reader: SpecReader,
  entry: MapEntry | undefined,
): Array<[string, string]> | undefined {
  const user: Array<[string, string]> = [];
  if (!entry) return user;
  const node = entry.value;
  if (node.type !== "map") {
    return reader.problem(
      node.pos,
      `"headers" must be a mapping of names to values, not ${describe(node)}`,
    );
  }
  let ok = true;
  for (const field of node.entries) {
    const value = field.value.type === "scalar" && field.value.value === null
      ? ""
      : reader.string(field.value, `header "${field.key}"`, { numbers: true });
    if (value === undefined) {
      ok = false;
      continue;
    }
    const problem = checkField(field.key, value);
    if (problem) ok = reader.problem(field.keyPos, `invalid ${problem}`) ?? false;
    else user.push([field.key, value]);
  }
  return ok ? user : undefined;
}

/** The `cacert` file's certificates (none when it cannot be read or holds none). */
async function readCacert(reader: SpecReader, entry: MapEntry): Promise<string[]> {
  const path = reader.path(entry.value, '"cacert"');
  if (path === undefined) return [];
  const read = reader.options.readFile ?? ((p: string) => Deno.readTextFile(p));
  try {
    const pem = await read(path);
    const why = checkCertificatePem(pem);
    if (!why) return [pem];
    reader.problem(entry.value.pos, `cannot use cacert "${path}": ${why}`);
  } catch (error) {
    const why = describeFileError(error);
    reader.problem(entry.value.pos, `cannot read cacert "${path}": ${why}`);
  }
  return [];
}

/** Why a file could not be read: the runtime's message without its `(os error N)` and the rest. */
/**
 * A URL's `user:pass@` that holds a secret is sent as Basic authorization: its base64 is then
 * a secret too (masked in the trace's bytes).
 */
function secretCredentials(reader: SpecReader, url: HttpUrl): void {
  const { username = "", password = "" } = url.credentials ?? {};
  if (!reader.secretValues.some((value) => `${username}:${password}`.includes(value))) return;
  reader.secretValues.push(basicAuthorization(url)!.slice("Basic ".length));
}
