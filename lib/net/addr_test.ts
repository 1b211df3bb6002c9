import assert from "node:assert/strict";
import { canonicalIp, ipFamily, ipv4Bytes, ipv6Bytes, isIpLiteral, isLoopback } from "./addr.ts";

Deno.test("isIpLiteral() accepts real IPv4 and IPv6 literals and nothing else", () => {
  const literals = [
    "127.0.0.1",
    "0.0.0.0",
    "255.255.255.255",
    "::",
    "::1",
    "1::",
    "2001:db8::1",
    "2001:DB8:0:0:0:0:0:1",
    "1:2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7::",
    "::ffff:192.0.2.1",
    "64:ff9b::192.0.2.1",
    "1:2:3:4:5:6:192.0.2.1",
    "fe80::1%eth0",
  ];
  const not = [
    "",
    "127.0.0.1:",
    "127.0.0.1:53",
    "1.2.3",
    "1.2.3.4.5",
    "1.2.3.256",
    "01.2.3.4",
    "1..2.3",
    "1:2:3",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7:8::",
    "1::2::3",
    ":1::",
    "1::2:",
    "12345::",
    "::g",
    "::ffff:1.2.3",
    "1.2.3.4::",
    "[::1]",
    "fe80::1%",
    "fe80::1%a b",
    "example.com",
    "localhost",
  ];
  for (const text of literals) assert.ok(isIpLiteral(text), `"${text}" is a literal`);
  for (const text of not) assert.ok(!isIpLiteral(text), `"${text}" is not a literal`);
  assert.deepEqual([ipFamily("192.0.2.1"), ipFamily("::1"), ipFamily("x")], [4, 6, undefined]);
});

Deno.test("ipv4Bytes() and ipv6Bytes() say what is wrong with a malformed address", () => {
  assert.throws(
    () => ipv4Bytes("1.2.3.256"),
    /^RangeError: Invalid IPv4 address "1\.2\.3\.256": 256 is over 255$/,
  );
  assert.throws(() => ipv4Bytes("1.2.3"), /expected 4 numbers separated by dots, got 3/);
  assert.throws(() => ipv4Bytes("1.02.3.4"), /"02" has a leading zero/);
  assert.throws(() => ipv4Bytes("1.2.3."), /empty number/);
  assert.throws(
    () => ipv6Bytes("1:2:3"),
    /^RangeError: Invalid IPv6 address "1:2:3": 3 groups, expected 8$/,
  );
  assert.throws(() => ipv6Bytes("1::2::3"), /more than one "::"/);
  assert.throws(() => ipv6Bytes("1:2:3:4:5:6:7:8::"), /"::" stands for no group/);
  assert.throws(() => ipv6Bytes("12345::"), /"12345" is not a group of 1 to 4 hex digits/);
  assert.throws(() => ipv6Bytes("::1.2.3"), /"1\.2\.3" is not a dotted-quad IPv4 tail/);
  assert.deepEqual([...ipv6Bytes("::ffff:192.0.2.1").subarray(10)], [255, 255, 192, 0, 2, 1]);
});

Deno.test("canonicalIp() writes each IPv6 address one way (RFC 5952)", () => {
  assert.equal(canonicalIp("2001:DB8:0:0:0:0:0:1"), "2001:db8::1");
  assert.equal(canonicalIp("0:0:0:0:0:0:0:1"), "::1");
  assert.equal(canonicalIp("1:0:0:2:0:0:0:3"), "1:0:0:2::3");
  assert.equal(canonicalIp("FE80::1%eth0"), "fe80::1%eth0");
  assert.equal(canonicalIp("192.0.2.1"), "192.0.2.1");
  assert.equal(canonicalIp("not an address"), "not an address");
});

Deno.test("isLoopback() holds for the addresses a socket bound to loopback reports", () => {
  using v4 = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  assert.ok(isLoopback(v4.addr.hostname));
  for (const address of ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"]) {
    assert.ok(isLoopback(address), address);
  }
  for (const address of ["0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "::2"]) {
    assert.ok(!isLoopback(address), address);
  }
});

Deno.test("ipFamily() calls text IPv4 exactly when ipv4Bytes() reads it", () => {
  const texts = [
    "0.0.0.0",
    "255.255.255.255",
    "256.0.0.1",
    "1.2.3.4.5",
    "1.2.3",
    "01.2.3.4",
    "1.2.3.00",
    "1.2.3.0",
    "1..2.3",
    ".1.2.3",
    "1.2.3.4.",
    "1234.1.1.1",
    "1.2.3.a",
    "\uff11.2.3.4",
    "1.2.3.4 ",
    "",
    ".",
    "999.999.999.999",
    "100.200.250.255",
    "localhost",
    "example.com",
  ];
  for (const text of texts) {
    let reads = true;
    try {
      ipv4Bytes(text);
    } catch {
      reads = false;
    }
    assert.equal(ipFamily(text) === 4, reads, `"${text}"`);
  }
});
