/**
 * The `expect` of an `http` check: the status list, the body (`body_contains`, `body_regex`),
 * header patterns, JSON Pointer expectations and how long the certificate must stay valid.
 *
 * @module
 */
import {
  parseHeaderExpectation,
  parseJsonPointer,
  parseRegex,
  parseStatusList,
} from "../../http/expect.ts";
import type { HeaderExpectation, JsonExpectation, JsonMatcher } from "../../http/expect.ts";
import type { ProbeOptions } from "../../probe/probe.ts";
import type { MapEntry, SourcePos, SpecNode } from "../tree.ts";
import { describe, lowerFirst } from "./reader.ts";
import type { SpecReader } from "./reader.ts";

/** What an `http` check's answer must show. */
export interface HttpExpectations {
  /** The status, body and header expectations. */
  expect: NonNullable<NonNullable<ProbeOptions["http"]>["expect"]>;
  /** The JSON body's values at their pointers. */
  json: JsonExpectation[];
  /** How long the server's certificate must still be valid, in milliseconds. */
  certValidForMs: number | undefined;
}

/**
 * Reads an `http` check's `expect` (`method` and `scheme` rule some keys out); undefined when
 * one has a problem.
 */
export function readHttpExpect(
  reader: SpecReader,
  expect: Map<string, MapEntry>,
  method: "GET" | "HEAD",
  scheme: string | undefined,
): HttpExpectations | undefined {
  let ok = true;
  const fail = (at: SourcePos, message: string) => {
    ok = false;
    reader.problem(at, message);
  };
  const statusEntry = expect.get("status");
  let status = parseStatusList("2xx");
  if (statusEntry) {
    const node = statusEntry.value;
    const items = node.type === "seq" ? node.items : [node];
    const parts: string[] = [];
    for (const item of items) {
      const text = item.type === "scalar" && typeof item.value === "number"
        ? String(item.value)
        : reader.string(item, "a status", {});
      if (text === undefined) ok = false;
      else parts.push(text);
    }
    try {
      status = parseStatusList(parts.join(","));
    } catch {
      fail(
        node.pos,
        `invalid status list ${
          reader.quote(parts.join(", "))
        }: use codes and classes such as [200, 204, 3xx]`,
      );
    }
  }
  const text = (key: string) => {
    const entry = expect.get(key);
    return entry
      ? reader.string(entry.value, `"${key}"`, { numbers: true, nonEmpty: true })
      : undefined;
  };
  const bodyContains = text("body_contains");
  const regexText = text("body_regex");
  let bodyRegex: RegExp | undefined;
  if (regexText !== undefined) {
    try {
      bodyRegex = parseRegex(regexText);
    } catch (error) {
      fail(expect.get("body_regex")!.value.pos, lowerFirst((error as Error).message));
    }
  }
  const headers: HeaderExpectation[] = [];
  const headersEntry = expect.get("headers");
  if (headersEntry) {
    const node = headersEntry.value;
    if (node.type !== "map") {
      fail(
        node.pos,
        `"expect.headers" must be a mapping of names to patterns, not ${describe(node)}`,
      );
    }
    for (const entry of node.type === "map" ? node.entries : []) {
      const pattern = reader.string(entry.value, `the pattern for "${entry.key}"`, {
        numbers: true,
      });
      if (pattern === undefined) continue;
      try {
        headers.push(parseHeaderExpectation(`${entry.key}: ${pattern}`));
      } catch (error) {
        fail(entry.value.pos, lowerFirst((error as Error).message));
      }
    }
  }
  const json: JsonExpectation[] = [];
  const jsonEntry = expect.get("json");
  if (jsonEntry) {
    const node = jsonEntry.value;
    if (node.type !== "map") {
      fail(
        node.pos,
        `"expect.json" must be a mapping of JSON Pointers to values, not ${describe(node)}`,
      );
    }
    for (const entry of node.type === "map" ? node.entries : []) {
      let tokens: string[];
      try {
        tokens = parseJsonPointer(entry.key);
      } catch (error) {
        fail(entry.keyPos, lowerFirst((error as Error).message));
        continue;
      }
      const matcher = jsonMatcher(reader, entry.value);
      if (matcher === undefined) ok = false;
      else json.push({ pointer: entry.key, tokens, matcher });
    }
  }
  if (method === "HEAD") {
    for (const key of ["body_contains", "body_regex", "json"]) {
      const entry = expect.get(key);
      if (entry) {
        fail(
          entry.keyPos,
          `"expect.${key}" needs a body: HEAD responses have none (use method: GET)`,
        );
      }
    }
  }
  const certEntry = expect.get("cert_valid_for");
  const certValidForMs = certEntry
    ? reader.duration(certEntry.value, "cert_valid_for", false)
    : undefined;
  if (certEntry && scheme === "http") {
    fail(certEntry.keyPos, '"expect.cert_valid_for" needs an https URL');
  }
  if (!ok) return undefined;
  return {
    expect: { status, bodyContains, bodyRegex, headers },
    json,
    certValidForMs,
  };
}

/** A JSON expectation's value: `{ regex: RE }`, `{ exists: BOOL }`, or a value to equal. */
function jsonMatcher(reader: SpecReader, node: SpecNode): JsonMatcher | undefined {
  if (node.type === "map" && node.entries.length === 1) {
    const [entry] = node.entries;
    if (entry!.key === "regex") {
      const text = reader.string(entry!.value, '"regex"', { numbers: true });
      if (text === undefined) return undefined;
      try {
        return { kind: "regex", pattern: parseRegex(text) };
      } catch (error) {
        return reader.problem(entry!.value.pos, lowerFirst((error as Error).message));
      }
    }
    if (entry!.key === "exists") {
      const exists = reader.bool(entry!.value, '"exists"');
      return exists === undefined ? undefined : { kind: "exists", exists };
    }
  }
  const value = plainValue(reader, node);
  return value === undefined ? undefined : { kind: "equals", value: value.value };
}

/** A node as a plain JSON value, strings with their variables put in. */
function plainValue(reader: SpecReader, node: SpecNode): { value: unknown } | undefined {
  if (node.type === "scalar") {
    if (typeof node.value !== "string") return { value: node.value };
    const text = reader.expand(node, node.value);
    return text === undefined ? undefined : { value: text };
  }
  if (node.type === "seq") {
    const items: unknown[] = [];
    for (const item of node.items) {
      const value = plainValue(reader, item);
      if (value === undefined) return undefined;
      items.push(value.value);
    }
    return { value: items };
  }
  const object: Record<string, unknown> = {};
  for (const entry of node.entries) {
    const value = plainValue(reader, entry.value);
    if (value === undefined) return undefined;
    object[entry.key] = value.value;
  }
  return { value: object };
}
