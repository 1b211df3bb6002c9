import assert from "node:assert/strict";
import { firstNameserver, nameservers, systemNameserver } from "./resolv_conf.ts";

const FIXTURES = new URL("../../tests/fixtures/dns/", import.meta.url);

/** Each fixture's first line says which servers it names: `# expect: A, B` or `# expect: (none...`. */
async function fixture(name: string): Promise<{ path: string; text: string; expected: string[] }> {
  const path = new URL(name, FIXTURES).pathname;
  const text = await Deno.readTextFile(path);
  const verdict = /^# expect: (.*)$/m.exec(text)?.[1];
  assert.ok(verdict, `${name} has no "# expect:" line`);
  return { path, text, expected: verdict.startsWith("(none") ? [] : verdict.split(", ") };
}

for (const name of ["resolv_comments.conf", "resolv_ipv6_zone.conf", "resolv_none.conf"]) {
  Deno.test(`nameservers() reads ${name} as glibc does`, async () => {
    const { path, text, expected } = await fixture(name);
    assert.deepEqual(nameservers(text).map((s) => s.address), expected);
    const first = { address: expected[0] ?? "127.0.0.1", port: 53 };
    assert.deepEqual(firstNameserver(text), first);
    assert.deepEqual(await systemNameserver(path), first);
  });
}

Deno.test("systemNameserver() falls back to 127.0.0.1 when resolv.conf is missing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.deepEqual(await systemNameserver(`${dir}/resolv.conf`), {
      address: "127.0.0.1",
      port: 53,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("firstNameserver() skips an indented or malformed line and takes CRLF line ends", () => {
  assert.deepEqual(firstNameserver(" nameserver 10.0.0.1\r\nnameserver 10.0.0.2\r\n"), {
    address: "10.0.0.2",
    port: 53,
  });
  assert.deepEqual(firstNameserver("nameserver\nnameserver 1:2:3\n"), {
    address: "127.0.0.1",
    port: 53,
  });
});
