/** The dns kind: the name, a direct query's type and server, and what the answer must hold. */
import assert from "node:assert/strict";
import { loadSpec } from "../spec.ts";
import { options, problems } from "../_test_helpers.ts";
import { Rcode, RecordType } from "../../dns/wire.ts";

Deno.test("a dns check asks the system, or a server directly, and expects an rcode and addresses", async () => {
  const spec = await loadSpec(
    [
      "version: 1",
      "checks:",
      "  - { name: s, dns: { name: a.example.test }, expect: { addresses: 192.0.2.1 } }",
      "  - name: d",
      '    dns: { name: api.test, type: AAAA, server: "[::1]:5353" }',
      "    expect: { rcode: noerror, addresses: ['2001:DB8::1'] }",
      "  - { name: t, dns: { name: mx.test, type: MX } }",
      "",
    ].join("\n"),
    options(),
  );
  const [s, d, t] = spec.checks;
  assert.equal(s!.targetText, "a.example.test");
  assert.equal(s!.target.text, "dns:a.example.test");
  assert.deepEqual(s!.probe.dns?.expectAddresses, ["192.0.2.1"]);
  assert.equal(d!.targetText, "api.test AAAA @[::1]:5353");
  assert.equal(d!.probe.dns?.type, RecordType.AAAA);
  assert.deepEqual(d!.probe.dns?.expectRcodes, [Rcode.NOERROR]);
  assert.deepEqual(d!.probe.dns?.expectAddresses, ["2001:db8::1"]);
  assert.equal(t!.targetText, "mx.test MX @system nameserver");
});

Deno.test("a dns check's rcode needs a direct query, and addresses need type A or AAAA and NOERROR", async () => {
  const text = [
    "version: 1",
    "checks:",
    "  - { name: a, dns: { name: a.test }, expect: { rcode: NXDOMAIN } }",
    "  - { name: b, dns: { name: b.test, type: MX }, expect: { addresses: [192.0.2.1] } }",
    "  - { name: c, dns: { name: c.test, type: A }, expect: { rcode: [NXDOMAIN], addresses: [::1] } }",
    "  - { name: d, dns: { name: d.test, type: A, server: 'x y' }, expect: { rcode: BOGUS, addresses: [nope] } }",
    "",
  ].join("\n");
  assert.deepEqual(await problems(text), [
    '3:49: "expect.rcode" needs a direct query: give "dns.server" or "dns.type" (the system resolver has no RCODE)',
    '4:59: "expect.addresses" needs type A or AAAA, not MX',
    '5:77: "expect.addresses" cannot hold when the expected rcode is not NOERROR',
    '6:54: invalid server "x y": "x y" is not an IP address (a DNS server is given by its address)',
    '6:80: unknown rcode "BOGUS": use NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED, YXDOMAIN, YXRRSET, NXRRSET, NOTAUTH, NOTZONE, BADVERS, BADCOOKIE',
    '6:98: invalid address "nope": expected an IPv4 or IPv6 address',
  ]);
});
