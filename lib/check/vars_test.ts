import assert from "node:assert/strict";
import { expandVars, VAR_NAME } from "./vars.ts";

const vars = new Map([["BASE", "http://127.0.0.1:8080"], ["T", "tok"], ["EMPTY", ""]]);
const lookup = (name: string) => vars.get(name);

Deno.test("expandVars() replaces each ${NAME} and lists the names in the order used", () => {
  assert.deepEqual(expandVars("${BASE}/a?t=${T}&u=${T}", lookup), {
    ok: true,
    text: "http://127.0.0.1:8080/a?t=tok&u=tok",
    used: ["BASE", "T", "T"],
  });
});

Deno.test("expandVars() keeps text without ${ as it is", () => {
  assert.deepEqual(expandVars("plain $T {T} $", lookup), {
    ok: true,
    text: "plain $T {T} $",
    used: [],
  });
  assert.deepEqual(expandVars("", lookup), { ok: true, text: "", used: [] });
});

Deno.test("expandVars() replaces a variable set to the empty string with nothing", () => {
  assert.deepEqual(expandVars("a${EMPTY}b", lookup), { ok: true, text: "ab", used: ["EMPTY"] });
});

Deno.test("expandVars() does not expand a variable's value again", () => {
  const nested = new Map([["A", "${B}"], ["B", "no"]]);
  assert.deepEqual(expandVars("${A}", (n) => nested.get(n)), {
    ok: true,
    text: "${B}",
    used: ["A"],
  });
});

Deno.test("expandVars() reports an unset variable with its offset and name", () => {
  assert.deepEqual(expandVars("x ${T} ${NOPE}", lookup), {
    ok: false,
    offset: 7,
    message: 'undefined variable "NOPE"',
    undefinedName: "NOPE",
  });
});

Deno.test("expandVars() writes $${ as a literal ${ without looking the name up", () => {
  const asked: string[] = [];
  const result = expandVars("a $${NOPE} b $${", (n) => {
    asked.push(n);
    return undefined;
  });
  assert.deepEqual(result, { ok: true, text: "a ${NOPE} b ${", used: [] });
  assert.deepEqual(asked, []);
});

Deno.test("expandVars() expands a variable right after an escaped ${", () => {
  assert.deepEqual(expandVars("$${T}${T}", lookup), { ok: true, text: "${T}tok", used: ["T"] });
});

Deno.test("expandVars() reports an unterminated ${ at its offset", () => {
  assert.deepEqual(expandVars("ab ${BASE", lookup), {
    ok: false,
    offset: 3,
    message: 'unterminated "${" (write $${ for a literal ${)',
  });
});

Deno.test("expandVars() reports an invalid variable name at its offset", () => {
  assert.deepEqual(expandVars("${T}${1X}", lookup), {
    ok: false,
    offset: 4,
    message: 'invalid variable name "1X" in "${1X}": use letters, digits and _',
  });
  assert.equal(expandVars("${}", lookup).ok, false);
  assert.equal(expandVars("${A-B}", lookup).ok, false);
});

Deno.test("VAR_NAME accepts letters, digits and _ not starting with a digit", () => {
  for (const name of ["A", "_", "a_1", "BASE_URL"]) assert.ok(VAR_NAME.test(name), name);
  for (const name of ["", "1A", "A-B", "A B", "\u00e9"]) assert.ok(!VAR_NAME.test(name), name);
});
