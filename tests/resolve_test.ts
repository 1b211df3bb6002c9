/**
 * `sockit resolve` end to end: against a real dnsmasq on loopback (and dig, where installed, as
 * the reference), and through the system resolver for localhost.
 */
import assert from "node:assert/strict";
import { BIG_TXT, Dnsmasq, hasDnsmasq } from "./_dns.ts";
import { hasProgram, runSockit, sockitCommand } from "./_helpers.ts";

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

/** The questions dig asks for these arguments, in order: `name TYPE`. */
async function digQuestions(server: Dnsmasq, args: string[]): Promise<string[]> {
  const out = await new Deno.Command("dig", {
    args: ["@127.0.0.1", "-p", String(server.port), "+noall", "+question", "+tries=1", ...args],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).split("\n")
    .map((line) => /^;(\S+)\s+IN\s+(\S+)/.exec(line))
    .filter((m) => m !== null)
    .map((m) => `${m![1]} ${m![2]}`);
}

Deno.test({
  name:
    "resolve asks a name with -x beside it for its own type and the reverse name for PTR, as dig does, and --emit-check emits the same",
  ignore: !hasDnsmasq(),
  async fn() {
    await using dnsmasq = await Dnsmasq.start();
    const cases: Array<[string[], string[]]> = [
      [["a.example.test", "-x", "192.0.2.1"], ["a.example.test. A", "1.2.0.192.in-addr.arpa. PTR"]],
      [
        ["a.example.test", "-t", "AAAA", "-x", "192.0.2.1"],
        ["a.example.test. AAAA", "1.2.0.192.in-addr.arpa. PTR"],
      ],
      [["-x", "192.0.2.1", "-t", "TXT"], ["1.2.0.192.in-addr.arpa. TXT"]],
    ];
    for (const [args, expected] of cases) {
      const result = await runSockit(["resolve", `@${dnsmasq.server}`, ...args, "--json"]);
      assert.ok(result.code === 0 || result.code === 3, result.err);
      const asked = result.out.trim().split("\n").map((line) => {
        const { name, type } = JSON.parse(line);
        return `${name} ${type}`;
      });
      assert.deepEqual(asked, expected, args.join(" "));
      if (hasProgram("dig")) assert.deepEqual(asked, await digQuestions(dnsmasq, args));
    }
    const answered = await runSockit([
      "resolve",
      `@${dnsmasq.server}`,
      "a.example.test",
      "-x",
      "192.0.2.1",
      "--short",
    ]);
    assert.equal(answered.code, 0, answered.err);
    assert.equal(answered.out, "192.0.2.1\na.example.test.\n");
    // -6 chooses the names' type, and -x's PTR stays.
    const six = await runSockit([
      "resolve",
      `@${dnsmasq.server}`,
      "a.example.test",
      "-6",
      "-x",
      "192.0.2.1",
      "--short",
    ]);
    assert.equal(six.out, "2001:db8::1\na.example.test.\n", six.err);
    const emitted = await runSockit([
      "resolve",
      `@${dnsmasq.server}`,
      "a.example.test",
      "-x",
      "192.0.2.1",
      "--emit-check",
      "--json",
    ]);
    assert.equal(emitted.code, 0, emitted.err);
    const { checks } = JSON.parse(emitted.out);
    assert.deepEqual(
      checks.map((c: { dns: { name: string; type: string } }) => `${c.dns.name} ${c.dns.type}`),
      ["a.example.test A", "1.2.0.192.in-addr.arpa PTR"],
    );
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/spec.json`, JSON.stringify({ version: 1, checks }));
      const run = await runSockit(["check", `${dir}/spec.json`]);
      assert.equal(run.code, 0, run.out + run.err);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    const dir2 = await Deno.makeTempDir();
    try {
      // A name with a `${` in it is written so that the spec reads it as it is.
      const odd = await runSockit(["resolve", `@${dnsmasq.server}`, "a${b}.test", "--emit-check"]);
      await Deno.writeTextFile(`${dir2}/odd.yaml`, `version: 1\nchecks:\n${odd.out}`);
      const validated = await runSockit(["check", "--validate", "--json", `${dir2}/odd.yaml`]);
      assert.equal(validated.code, 0, validated.out + validated.err);
    } finally {
      await Deno.remove(dir2, { recursive: true });
    }
    const refused = await runSockit([
      "resolve",
      `@${dnsmasq.server}`,
      "a.example.test",
      "-x",
      "192.0.2.1",
      "--expect",
      "192.0.2.1",
    ]);
    assert.equal(refused.code, 2);
    assert.match(refused.err, /^error: Option --expect checks addresses: -x asks for PTR\n/);
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
    assert.equal(
      bad.err,
      'error: Check failed: 192.0.2.9 is not among the answers for "a.example.test" (192.0.2.1)\n',
    );
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
      /error: Check failed: the system and 127\.0\.0\.1#\d+ disagree about "localhost": /,
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
  // glibc refuses a name that is not a host name (a space) without sending a query: a name like
  // nope.invalid would go to the system's DNS server, which is not on loopback.
  const name = "with space.invalid";
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
      ["resolve", "--compare", "-x", "192.0.2.1"],
      /Options --compare and -x cannot be used together/,
    ],
    [["resolve", "--compare", "x", "--short"], /Options --compare and --short cannot be used/],
    [["resolve", "--compare", "x", "--expect", "192.0.2.1"], /Options --compare and --expect /],
    [["resolve", "-6", "-x", "::1"], /Options -6 and -x cannot be used together/],
    [["resolve", "-4", "-x", "192.0.2.1", "x", "-6"], /Options -4 and -6 cannot be used together/],
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

const lines = (text: string) => text.trim().split("\n").filter(Boolean);
const jsonLines = (text: string) => lines(text).map((line) => JSON.parse(line));

Deno.test({
  name: "resolve matches a reply on its wire name: 'with space' gets its NXDOMAIN",
  ignore: !hasDnsmasq(),
  async fn() {
    await using dnsmasq = await Dnsmasq.start();
    // One short try: the old code dropped the reply and waited for the timeout.
    const fast = ["--timeout", "1s", "--tries", "1"];
    const result = await runSockit([
      "resolve",
      `@${dnsmasq.server}`,
      "with space.Example.TEST",
      ...fast,
    ]);
    assert.equal(result.code, 3, result.err);
    assert.match(
      result.out,
      /^;; with\\032space\.Example\.TEST\. A @127\.0\.0\.1#\d+ \(udp\): NXDOMAIN/,
    );
    assert.equal(
      result.err,
      `error: Cannot resolve "with\\032space.Example.TEST" (A) at 127.0.0.1#${dnsmasq.port}: NXDOMAIN (no such name)\n`,
    );
    if (hasProgram("dig")) {
      const dig = await new Deno.Command("dig", {
        args: ["@127.0.0.1", "-p", String(dnsmasq.port), "with space.example.test", "+tries=1"],
        stdout: "piped",
      }).output();
      assert.match(new TextDecoder().decode(dig.stdout), /status: NXDOMAIN/);
    }
  },
});

Deno.test({
  name: "resolve asks for a non-ASCII name in its IDNA form and shows both forms",
  ignore: !hasDnsmasq(),
  async fn() {
    await using dnsmasq = await Dnsmasq.start();
    const fast = ["--timeout", "1s", "--tries", "1"];
    const name = "B\u00fccher.example.test";
    const text = await runSockit(["resolve", `@${dnsmasq.server}`, name, ...fast]);
    assert.equal(text.code, 0, text.err);
    assert.match(
      text.out,
      /^;; xn--bcher-kva\.example\.test\. \(b\u00fccher\.example\.test\.\) A @127\.0\.0\.1#\d+ \(udp\): NOERROR/,
    );
    assert.match(text.out, /\nxn--bcher-kva\.example\.test\. +\d+ +IN +A +192\.0\.2\.3\n/);
    const json = JSON.parse(
      (await runSockit(["resolve", `@${dnsmasq.server}`, name, "--json", ...fast])).out,
    );
    assert.equal(json.name, "xn--bcher-kva.example.test.");
    assert.equal(json.idn, "b\u00fccher.example.test.");
    assert.deepEqual(json.answers.map((a: { data: string }) => a.data), ["192.0.2.3"]);
    // An ASCII name has no "idn".
    const plain = JSON.parse(
      (await runSockit(["resolve", `@${dnsmasq.server}`, "a.example.test", "--json"])).out,
    );
    assert.equal("idn" in plain, false);
    // A name IDNA cannot convert is a usage error, before anything is sent.
    const bad = await runSockit(["resolve", `@${dnsmasq.server}`, "\u2488x.example.test"]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /^error: Invalid name ".+": not a valid internationalized name/);
  },
});

Deno.test("resolve gives the system resolver the IDNA form of a non-ASCII name", async () => {
  // glibc refuses the space without sending a query; the message shows the name it was given.
  const result = await runSockit(["resolve", "b\u00fccher.with space.invalid", "--json"]);
  assert.equal(result.code, 3);
  assert.deepEqual(JSON.parse(result.out), {
    name: "xn--bcher-kva.with space.invalid",
    idn: "b\u00fccher.with space.invalid",
    addresses: [],
    error: 'Cannot resolve "xn--bcher-kva.with space.invalid": name not found',
    exit_code: 3,
  });
});

Deno.test({
  name: "resolve never doubles a trailing dot, and the root prints as one dot",
  ignore: !hasDnsmasq(),
  async fn() {
    await using dnsmasq = await Dnsmasq.start();
    const text = await runSockit(["resolve", `@${dnsmasq.server}`, "a.example.test."]);
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /^;; a\.example\.test\. A @/);
    assert.match(text.out, /\na\.example\.test\. +\d+ +IN +A +192\.0\.2\.1\n/);
    const json = JSON.parse(
      (await runSockit(["resolve", `@${dnsmasq.server}`, "a.example.test.", "--json"])).out,
    );
    assert.equal(json.name, "a.example.test.");
    assert.equal(json.answers[0].name, "a.example.test.");
    // dnsmasq serves no root zone; whatever it says, the name is "." in text and JSON.
    const fast = ["--timeout", "1s", "--tries", "1"];
    const root = await runSockit(["resolve", `@${dnsmasq.server}`, ".", "-t", "NS", ...fast]);
    assert.match(root.out, /^;; \. NS @127\.0\.0\.1#\d+ \(udp\): /);
    const rootJson = await runSockit([
      "resolve",
      `@${dnsmasq.server}`,
      ".",
      "-t",
      "NS",
      "--json",
      ...fast,
    ]);
    assert.equal(JSON.parse(rootJson.out).name, ".");
  },
});

Deno.test({
  name: "resolve --expect --json says per name what the exit code says",
  ignore: !hasDnsmasq(),
  async fn() {
    await using dnsmasq = await Dnsmasq.start();
    const result = await runSockit([
      "resolve",
      `@${dnsmasq.server}`,
      "a.example.test",
      "mail.example.test",
      "--expect",
      "192.0.2.1",
      "--json",
    ]);
    assert.equal(result.code, 1);
    const [a, mail] = jsonLines(result.out);
    assert.deepEqual([a.expect, a.error, a.exit_code], [
      { addresses: ["192.0.2.1"], missing: [] },
      null,
      0,
    ]);
    assert.deepEqual([mail.expect, mail.error, mail.exit_code], [
      { addresses: ["192.0.2.1"], missing: ["192.0.2.1"] },
      'Check failed: 192.0.2.1 is not among the answers for "mail.example.test" (192.0.2.2)',
      1,
    ]);
    assert.equal(
      result.err,
      'error: Check failed: 192.0.2.1 is not among the answers for "mail.example.test" (192.0.2.2)\n',
    );
    // A name that fails to resolve keeps its own error (exit 3) and misses every address.
    const nx = await runSockit([
      "resolve",
      `@${dnsmasq.server}`,
      "nope.example.test",
      "--expect",
      "192.0.2.1",
      "--json",
    ]);
    assert.equal(nx.code, 3);
    const nope = JSON.parse(nx.out);
    assert.deepEqual([nope.expect.missing, nope.exit_code], [["192.0.2.1"], 3]);
    assert.match(nope.error, /NXDOMAIN/);
  },
});

Deno.test("resolve --expect --json in system mode carries error and exit_code", async () => {
  const bad = await runSockit(["resolve", "localhost", "-4", "--expect", "192.0.2.99", "--json"]);
  assert.equal(bad.code, 1);
  assert.deepEqual(JSON.parse(bad.out), {
    name: "localhost",
    addresses: [{ address: "127.0.0.1", family: 4 }],
    expect: { addresses: ["192.0.2.99"], missing: ["192.0.2.99"] },
    error: 'Check failed: 192.0.2.99 is not among the answers for "localhost" (127.0.0.1)',
    exit_code: 1,
  });
  const good = await runSockit(["resolve", "localhost", "-4", "--expect", "127.0.0.1", "--json"]);
  assert.equal(good.code, 0, good.err);
  assert.deepEqual([JSON.parse(good.out).error, JSON.parse(good.out).exit_code], [null, 0]);
  const plain = await runSockit(["resolve", "localhost", "--json"]);
  assert.deepEqual([JSON.parse(plain.out).error, JSON.parse(plain.out).exit_code], [null, 0]);
});

Deno.test({
  name: "resolve --compare shows both outcomes and exits 3 when both sides fail",
  ignore: !hasDnsmasq(),
  async fn() {
    await using dnsmasq = await Dnsmasq.start();
    // glibc refuses the space without a query; dnsmasq answers NXDOMAIN for its own zone.
    const name = "with space.example.test";
    const args = ["resolve", "--compare", name, "--server", dnsmasq.server];
    const text = await runSockit(args);
    assert.equal(text.code, 3);
    assert.equal(
      text.out,
      [
        `${name}: system (getaddrinfo) vs 127.0.0.1#${dnsmasq.port}`,
        "  system (getaddrinfo): name not found",
        `  server (127.0.0.1#${dnsmasq.port}): NXDOMAIN`,
        "  address   system  server",
        "  (no addresses either way)",
        "",
      ].join("\n"),
    );
    assert.equal(
      text.err,
      `error: Cannot resolve "${name}" either way: the system says name not found, 127.0.0.1#${dnsmasq.port} says NXDOMAIN\n`,
    );
    const json = JSON.parse((await runSockit([...args, "--json"])).out);
    assert.deepEqual(
      [json.system_outcome, json.server_outcome, json.same, json.exit_code],
      ["name-not-found", "nxdomain", true, 3],
    );
    assert.match(json.error, /either way/);
  },
});

Deno.test({
  name: "resolve -x twice asks for both PTRs",
  ignore: !hasDnsmasq(),
  async fn() {
    await using dnsmasq = await Dnsmasq.start();
    const result = await runSockit([
      "resolve",
      "-x",
      "192.0.2.1",
      "-x",
      "192.0.2.2",
      `@${dnsmasq.server}`,
      "--short",
    ]);
    assert.equal(result.code, 0, result.err);
    assert.equal(result.out, "a.example.test.\nmail.example.test.\n");
  },
});

Deno.test({
  name: "resolve -6 in query mode asks for AAAA",
  ignore: !hasDnsmasq(),
  async fn() {
    await using dnsmasq = await Dnsmasq.start();
    const result = await runSockit([
      "resolve",
      `@${dnsmasq.server}`,
      "a.example.test",
      "-6",
      "--json",
    ]);
    assert.equal(result.code, 0, result.err);
    const answer = JSON.parse(result.out);
    assert.equal(answer.type, "AAAA");
    assert.deepEqual(answer.answers.map((a: { data: string }) => a.data), ["2001:db8::1"]);
    const v4 = await runSockit([
      "resolve",
      `@${dnsmasq.server}`,
      "a.example.test",
      "-4",
      "--short",
    ]);
    assert.equal(v4.out, "192.0.2.1\n");
  },
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

Deno.test({
  name: "resolve stops quietly with exit 141 when its stdout's reader goes away",
  ignore: !hasDnsmasq(),
  async fn(t) {
    await using dnsmasq = await Dnsmasq.start();
    const [cmd, ...pre] = sockitCommand();
    const modes: Array<[string, string, string[]]> = [
      ["system mode", "localhost", []],
      ["query mode", "a.example.test", [`@${dnsmasq.server}`]],
    ];
    for (const [mode, name, extra] of modes) {
      await t.step(mode, async () => {
        // 2000 names; the reader takes the first line and goes away.
        const file = await Deno.makeTempFile();
        await Deno.writeTextFile(file, `${name}\n`.repeat(2000));
        const shell = new Deno.Command("bash", {
          args: [
            "-c",
            `"$0" "$@" | head -n 1 >/dev/null; echo "\${PIPESTATUS[0]}"`,
            cmd,
            ...pre,
            "resolve",
            "-f",
            file,
            ...extra,
          ],
          env: { NO_COLOR: "1" },
          stdout: "piped",
          stderr: "piped",
        });
        const { stdout, stderr } = await shell.output().finally(() => Deno.remove(file));
        assert.equal(new TextDecoder().decode(stdout).trim(), "141");
        assert.equal(new TextDecoder().decode(stderr), "");
      });
    }
  },
});
