/**
 * `sockit resolve` end to end: against a real dnsmasq on loopback (and dig, where installed, as
 * the reference), and through the system resolver for localhost.
 */
import assert from "node:assert/strict";
import { BIG_TXT, Dnsmasq, hasDnsmasq } from "./_dns.ts";
import { hasProgram, runSockit } from "./_helpers.ts";

async function dig(server: Dnsmasq, name: string, type: string): Promise<string[]> {
  const out = await new Deno.Command("dig", {
    args: [`@127.0.0.1`, "-p", String(server.port), name, type, "+short", "+tries=1", "+time=2"],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).trim().split("\n").filter(Boolean).sort();
}

const CASES: Array<[string, string, string[]]> = [
  ["a.example.test", "A", ["192.0.2.1"]],
  ["a.example.test", "AAAA", ["2001:db8::1"]],
  ["www.example.test", "A", ["192.0.2.1", "a.example.test.", "alias.example.test."]],
  ["example.test", "MX", ["10 mail.example.test."]],
  ["example.test", "TXT", ['"v=spf1 -all"']],
  ["_sip._tcp.example.test", "SRV", ["1 2 5060 sip.example.test."]],
  ["example.test", "CAA", ['0 issue "ca.example.net"']],
  ["1.2.0.192.in-addr.arpa", "PTR", ["a.example.test."]],
];

Deno.test({
  name: "resolve answers each record type from dnsmasq as dig does",
  ignore: !hasDnsmasq(),
  async fn(t) {
    await using dnsmasq = await Dnsmasq.start();
    const withDig = hasProgram("dig");
    for (const [name, type, expected] of CASES) {
      await t.step(`${name} ${type}`, async () => {
        const result = await runSockit([
          "resolve",
          `@${dnsmasq.server}`,
          name,
          "--type",
          type,
          "--short",
        ]);
        assert.equal(result.code, 0, result.err);
        const got = result.out.trim().split("\n").sort();
        assert.deepEqual(got, [...expected].sort());
        if (withDig) assert.deepEqual(got, await dig(dnsmasq, name, type));
      });
    }
  },
});

Deno.test({
  name: "resolve -x asks for the PTR of an address",
  ignore: !hasDnsmasq(),
  async fn() {
    await using dnsmasq = await Dnsmasq.start();
    const result = await runSockit([
      "resolve",
      "-x",
      "192.0.2.1",
      "--server",
      dnsmasq.server,
      "--json",
    ]);
    assert.equal(result.code, 0, result.err);
    const answer = JSON.parse(result.out);
    assert.equal(answer.name, "1.2.0.192.in-addr.arpa.");
    assert.equal(answer.type, "PTR");
    assert.deepEqual(answer.answers.map((a: { data: string }) => a.data), ["a.example.test."]);
  },
});

Deno.test({
  name: "resolve tells NXDOMAIN from NODATA, exits 3 for both, and shows the status",
  ignore: !hasDnsmasq(),
  async fn() {
    await using dnsmasq = await Dnsmasq.start();
    const nx = await runSockit(["resolve", `@${dnsmasq.server}`, "nope.example.test"]);
    assert.equal(nx.code, 3);
    assert.match(nx.out, /^;; nope\.example\.test\. A @127\.0\.0\.1#\d+ \(udp\): NXDOMAIN, /);
    assert.equal(
      nx.err,
      `error: Cannot resolve "nope.example.test" (A) at 127.0.0.1#${dnsmasq.port}: NXDOMAIN (no such name)\n`,
    );
    const nodata = await runSockit([
      "resolve",
      `@${dnsmasq.server}`,
      "a.example.test",
      "-t",
      "MX",
      "--json",
    ]);
    assert.equal(nodata.code, 3);
    const json = JSON.parse(nodata.out);
    assert.deepEqual([json.status, json.outcome, json.exit_code], ["NOERROR", "nodata", 3]);
    assert.match(json.error, /NODATA \(the name exists but has no MX records\)$/);
  },
});

Deno.test({
  name: "resolve asks again over TCP when the UDP answer is truncated",
  ignore: !hasDnsmasq(),
  async fn() {
    await using dnsmasq = await Dnsmasq.start();
    const result = await runSockit([
      "resolve",
      `@${dnsmasq.server}`,
      "big.example.test",
      "-t",
      "TXT",
      "--json",
    ]);
    assert.equal(result.code, 0, result.err);
    const answer = JSON.parse(result.out);
    assert.deepEqual([answer.transport, answer.truncated_udp], ["tcp", true]);
    assert.equal(answer.answers.length, 10);
    assert.ok(answer.answers.every((a: { data: string }) => a.data.endsWith(`${BIG_TXT}"`)));
    const tcp = await runSockit([
      "resolve",
      `@${dnsmasq.server}`,
      "a.example.test",
      "--tcp",
      "--json",
    ]);
    assert.equal(tcp.code, 0, tcp.err);
    assert.deepEqual([JSON.parse(tcp.out).transport, JSON.parse(tcp.out).truncated_udp], [
      "tcp",
      false,
    ]);
  },
});

Deno.test({
  name: "resolve --expect passes when every address is answered and exits 1 otherwise",
  ignore: !hasDnsmasq(),
  async fn() {
    await using dnsmasq = await Dnsmasq.start();
    const ok = await runSockit([
      "resolve",
      `@${dnsmasq.server}`,
      "a.example.test",
      "--expect",
      "192.0.2.1",
      "-q",
    ]);
    assert.deepEqual([ok.code, ok.out, ok.err], [0, "", ""]);
    const bad = await runSockit([
      "resolve",
      `@${dnsmasq.server}`,
      "a.example.test",
      "--expect",
      "192.0.2.9",
      "--short",
    ]);
    assert.equal(bad.code, 1);
    assert.equal(bad.out, "192.0.2.1\n");
    assert.equal(bad.err, "error: Check failed: 192.0.2.9 is not among the answers (192.0.2.1)\n");
  },
});

Deno.test({
  name: "resolve asks many names at once and prints them in order",
  ignore: !hasDnsmasq(),
  async fn() {
    await using dnsmasq = await Dnsmasq.start();
    const names = Array.from(
      { length: 100 },
      (_, i) => i % 2 ? "a.example.test" : "mail.example.test",
    );
    const file = await Deno.makeTempFile();
    try {
      await Deno.writeTextFile(file, names.join("\n") + "\n");
      const result = await runSockit(["resolve", `@${dnsmasq.server}`, "-f", file, "--short"]);
      assert.equal(result.code, 0, result.err);
      assert.deepEqual(
        result.out.trim().split("\n"),
        names.map((_, i) => i % 2 ? "192.0.2.1" : "192.0.2.2"),
      );
    } finally {
      await Deno.remove(file);
    }
  },
});

Deno.test({
  name: "resolve --compare marks where the system and the server disagree",
  ignore: !hasDnsmasq(),
  async fn() {
    await using dnsmasq = await Dnsmasq.start();
    // The system resolves localhost from /etc/hosts; dnsmasq has never heard of it.
    const result = await runSockit([
      "resolve",
      "--compare",
      "localhost",
      "--server",
      dnsmasq.server,
      "-4",
    ]);
    assert.equal(result.code, 1);
    assert.match(result.out, /^localhost: system \(getaddrinfo\) vs 127\.0\.0\.1#\d+\n/);
    assert.match(result.out, /\n {2}127\.0\.0\.1 +yes +- +<- differs\n/);
    assert.match(
      result.err,
      /error: Check failed: the system and 127\.0\.0\.1#\d+ disagree about "localhost"\n/,
    );
  },
});

Deno.test("resolve looks localhost up through the system resolver", async () => {
  const result = await runSockit(["resolve", "localhost", "--json"]);
  assert.equal(result.code, 0, result.err);
  const answer = JSON.parse(result.out);
  assert.equal(answer.name, "localhost");
  assert.ok(answer.addresses.length > 0);
  for (const a of answer.addresses) {
    assert.ok(["127.0.0.1", "::1"].includes(a.address), a.address);
    assert.equal(a.family, a.address.includes(":") ? 6 : 4);
  }
  const v4 = await runSockit(["resolve", "localhost", "-4", "--short"]);
  assert.equal(v4.out, "127.0.0.1\n");
});

Deno.test("resolve reports a name that cannot resolve as not found, exit 3", async () => {
  // A 64-byte label cannot be put in a DNS query, so getaddrinfo fails without sending one:
  // a name like nope.invalid would go to the system's DNS server, which is not on loopback.
  const name = `${"a".repeat(64)}.invalid`;
  const result = await runSockit(["resolve", name]);
  assert.equal(result.code, 3);
  assert.equal(result.err, `error: Cannot resolve "${name}": name not found\n`);
  const json = await runSockit(["resolve", name, "--json"]);
  assert.deepEqual(JSON.parse(json.out), {
    name,
    addresses: [],
    error: `Cannot resolve "${name}": name not found`,
    exit_code: 3,
  });
});

Deno.test("resolve rejects bad input with exit 2", async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [["resolve"], /Missing argument for "sockit resolve": expected NAME/],
    [["resolve", "x", "--type", "BOGUS"], /Unknown record type "BOGUS"/],
    [["resolve", "@example.com", "x"], /Invalid server "example\.com"/],
    [["resolve", "-x", "999.1.1.1"], /Invalid address "999\.1\.1\.1" for -x/],
    [["resolve", "x", "-4", "-6"], /Options -4 and -6 cannot be used together/],
    [
      ["resolve", "x", "--tries", "0"],
      /Invalid value "0" for --tries: out of range, expected 1 to 20/,
    ],
  ];
  for (const [args, pattern] of cases) {
    await t.step(args.join(" "), async () => {
      const result = await runSockit(args);
      assert.equal(result.code, 2);
      assert.match(result.err, pattern);
    });
  }
});

Deno.test("resolve -6 in system mode prints IPv6 addresses only", async () => {
  const v6 = await runSockit(["resolve", "::1", "-6"]);
  assert.deepEqual([v6.code, v6.out], [0, "::1\tIPv6\n"], v6.err);
  // getaddrinfo hands an IPv4 literal back whatever the family; -6 must not print it.
  const v4 = await runSockit(["resolve", "127.0.0.1", "-6"]);
  assert.equal(v4.code, 3);
  assert.equal(v4.out, "");
  assert.equal(v4.err, 'error: Cannot resolve "127.0.0.1": no IPv6 addresses\n');
  // localhost has an IPv6 address only where /etc/hosts says so: either way, no IPv4 one.
  const local = await runSockit(["resolve", "localhost", "-6", "--json"]);
  const answer = JSON.parse(local.out);
  assert.equal(local.code, answer.addresses.length > 0 ? 0 : 3, local.err);
  for (const a of answer.addresses) assert.equal(a.family, 6, a.address);
});
