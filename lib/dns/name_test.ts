import assert from "node:assert/strict";
import { fqdn, normalizeDnsName, parseDnsName, sameDnsName } from "./name.ts";

const text = (labels: Uint8Array[]) => labels.map((l) => new TextDecoder().decode(l));
const label = (n: number, c = "a") => c.repeat(n);
/** A name of exactly `bytes` bytes on the wire (labels of 63 and one shorter, plus the root). */
function nameOfWireBytes(bytes: number): string {
  const labels: string[] = [];
  let left = bytes - 1;
  for (let i = 0; left > 0; i++) {
    const n = Math.min(63, left - 1);
    labels.push(label(n, "abcd"[i % 4]));
    left -= n + 1;
  }
  return labels.join(".");
}

Deno.test("parseDnsName() names the rule a malformed name breaks", () => {
  const cases: Array<[string, RegExp]> = [
    ["", /^Invalid name "": empty name \(the root is \.\)$/],
    ["a..test", /^Invalid name "a\.\.test": empty label$/],
    [".a.test", /: empty label$/],
    ["a.test..", /: empty label$/],
    ["..", /: empty label$/],
    [`${label(64)}.test`, /: label 1 is 64 bytes, more than 63$/],
    [`x.${label(62)}\\255\\255`, /: label 2 is 64 bytes, more than 63$/],
    [nameOfWireBytes(256), /: 256 bytes on the wire, more than 255$/],
    ["a\\256.test", /: escape \\256 is over 255$/],
    ["a\\12.test", /: escape \\12 needs three digits \(\\DDD\)$/],
    ["a.test\\", /: it ends in a lone backslash$/],
  ];
  for (const [name, message] of cases) {
    assert.throws(() => parseDnsName(name), (error) => {
      assert.ok(error instanceof RangeError, `${name}: got ${error}`);
      assert.match(error.message, message, name);
      return true;
    });
  }
});

Deno.test("parseDnsName() reads labels, escapes and the root, up to 255 bytes", () => {
  assert.deepEqual(text(parseDnsName("a.example.test")), ["a", "example", "test"]);
  assert.deepEqual(text(parseDnsName("a.example.test.")), ["a", "example", "test"]);
  assert.deepEqual(text(parseDnsName("a\\.b.c\\032d\\\\.test")), ["a.b", "c d\\", "test"]);
  assert.deepEqual(text(parseDnsName("a\\.")), ["a."]);
  assert.deepEqual(parseDnsName("."), []);
  assert.deepEqual([...parseDnsName("\\255")[0]!], [255]);
  assert.deepEqual([...parseDnsName("\u00fc")[0]!], [0xc3, 0xbc]);
  assert.equal(parseDnsName(`${label(63)}.test`)[0]!.length, 63);
  const longest = parseDnsName(nameOfWireBytes(255));
  assert.equal(longest.reduce((sum, l) => sum + 1 + l.length, 1), 255);
});

Deno.test("sameDnsName() compares wire bytes, escapes understood, ASCII in any case", () => {
  assert.ok(sameDnsName("with space.test", "with\\032space.test"));
  assert.ok(sameDnsName("A.Example.TEST.", "a.example.test"));
  assert.ok(sameDnsName("a\\.b.test", "a\\046b.test"));
  assert.ok(sameDnsName(".", "."));
  assert.ok(!sameDnsName("a.b.test", "a\\.b.test"));
  assert.ok(!sameDnsName("a.test", "a.test.x"));
  // Only ASCII letters fold: U+00DC and U+00FC are different bytes.
  assert.ok(!sameDnsName("\u00dc.test", "\u00fc.test"));
});

Deno.test("normalizeDnsName() converts non-ASCII names with IDNA (UTS #46)", () => {
  assert.deepEqual(normalizeDnsName("B\u00fccher.test"), {
    ascii: "xn--bcher-kva.test",
    name: "xn--bcher-kva.test",
    fqdn: "xn--bcher-kva.test.",
    unicode: "b\u00fccher.test",
  });
  // Non-transitional, as browsers: the sharp s is kept, not mapped to "ss".
  assert.equal(normalizeDnsName("stra\u00dfe.test").ascii, "xn--strae-oqa.test");
  // The ideographic full stop separates labels.
  assert.equal(normalizeDnsName("b\u00fccher\u3002test").name, "xn--bcher-kva.test");
  // ASCII names are left as typed: DNS allows what host names do not.
  assert.deepEqual(normalizeDnsName("_sip._tcp.Example.test"), {
    ascii: "_sip._tcp.Example.test",
    name: "_sip._tcp.Example.test",
    fqdn: "_sip._tcp.Example.test.",
    unicode: undefined,
  });
  assert.equal(normalizeDnsName("with space.test").name, "with\\032space.test");
  assert.throws(
    () => normalizeDnsName("\u2488x.test"),
    /^RangeError: Invalid name "\u2488x\.test": not a valid internationalized name \(IDNA, UTS #46\)$/,
  );
  assert.throws(() => normalizeDnsName("b\u00fccher..test"), /empty label/);
});

Deno.test("fqdn() adds the final dot once, and the root is one dot", () => {
  assert.equal(fqdn("a.test"), "a.test.");
  assert.equal(fqdn("a.test."), "a.test.");
  assert.equal(fqdn("."), ".");
  assert.equal(fqdn(""), ".");
  assert.equal(fqdn("a\\."), "a\\..");
  assert.equal(fqdn("a\\\\."), "a\\\\.");
  assert.equal(normalizeDnsName(".").fqdn, ".");
  assert.equal(normalizeDnsName("a.test.").fqdn, "a.test.");
});

Deno.test("parseDnsName() takes any plain ASCII name, or refuses it, by the same rules as an escaped one", () => {
  // The plain-ASCII fast path and the full parser must agree: the same name with one letter
  // written as an escape (\097 for "a") goes through the full parser.
  const chars = "ab-.";
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let n = 0; n < 2000; n++) {
    const length = 1 + Math.floor(random() * (n % 10 === 0 ? 300 : 12));
    let name = "a";
    for (let i = 1; i < length; i++) name += chars[Math.floor(random() * chars.length)];
    const escaped = "\\097" + name.slice(1);
    let plain: string[] | string, full: string[] | string;
    try {
      plain = text(parseDnsName(name));
    } catch (error) {
      plain = (error as Error).message.replace(`"${name}"`, "NAME");
    }
    try {
      full = text(parseDnsName(escaped));
    } catch (error) {
      full = (error as Error).message.replace(`"${escaped}"`, "NAME");
    }
    if (typeof plain === "string" && name.length > 100) continue; // quoted differently when long
    assert.deepEqual(plain, full, name);
  }
});
