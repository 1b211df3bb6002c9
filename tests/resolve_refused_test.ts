/**
 * A DNS server whose port is closed: nothing listens on UDP or TCP there. Deno 2.9.6 cannot see
 * the ICMP port unreachable that tells dig "connection refused" (no API connects a UDP socket),
 * so sockit, once a UDP try goes unanswered, knocks on the server's TCP port, which a DNS server
 * must also serve (RFC 7766): a refused knock ends the query as refused (exit 4) instead of
 * waiting out every try. resolve (one name and -f), wait's dns: probe and check's dns checks all
 * ask through the same client.
 */
import assert from "node:assert/strict";
import { runSockit } from "./_helpers.ts";

/** A loopback port where nothing listens on UDP or on TCP: bound both ways, read, closed. */
function closedDnsPort(): number {
  for (let i = 0; i < 100; i++) {
    const udp = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
    const port = (udp.addr as Deno.NetAddr).port;
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      return port;
    } catch {
      // that TCP port is taken: try another
    } finally {
      udp.close();
    }
  }
  throw new Error("no port free on both UDP and TCP");
}

function sends(trace: string): number {
  return trace.split("\n").filter((line) => / send .*udp 127\.0\.0\.1#/.test(line)).length;
}

Deno.test("resolve at a closed DNS port says connection refused and exits 4 after one try", async () => {
  const port = closedDnsPort();
  const result = await runSockit([
    "resolve",
    `@127.0.0.1:${port}`,
    "x.test",
    "--timeout",
    "300ms",
    "--tries",
    "3",
    "--trace",
  ]);
  assert.equal(result.code, 4, result.err);
  assert.match(
    result.err,
    new RegExp(
      `^error: Cannot connect to 127\\.0\\.0\\.1#${port}: connection refused \\(no answer over UDP, and TCP port ${port} refused\\)$`,
      "m",
    ),
  );
  assert.equal(sends(result.err), 1, "not asked again once TCP refused");
  const json = await runSockit([
    "resolve",
    `@127.0.0.1:${port}`,
    "x.test",
    "--timeout",
    "300ms",
    "--json",
  ]);
  assert.equal(json.code, 4);
  const line = JSON.parse(json.out);
  assert.equal(line.exit_code, 4);
  assert.match(line.error, /connection refused/);
});

Deno.test("resolve -f at a closed DNS port fails every name as refused, exit 4", async () => {
  const port = closedDnsPort();
  const names = Array.from({ length: 50 }, (_, i) => `n${i}.test`).join("\n");
  const result = await runSockit(
    ["resolve", `@127.0.0.1:${port}`, "-f", "-", "--timeout", "300ms", "--json"],
    { stdin: names },
  );
  assert.equal(result.code, 4, result.err);
  const lines = result.out.trim().split("\n").map((line) => JSON.parse(line));
  assert.equal(lines.length, 50);
  for (const line of lines) {
    assert.equal(line.exit_code, 4);
    assert.match(line.error, /connection refused/);
  }
});

Deno.test("wait on dns: at a closed DNS port retries it as refused until the timeout", async () => {
  const port = closedDnsPort();
  const result = await runSockit([
    "wait",
    "--timeout",
    "1500ms",
    "--json",
    `@127.0.0.1:${port}`,
    "dns:x.test",
  ]);
  assert.equal(result.code, 5, result.err);
  const done = JSON.parse(result.out.trim().split("\n").at(-1)!);
  assert.equal(done.ready, false);
  assert.ok(done.targets[0].attempts >= 1);
  assert.match(JSON.stringify(done.targets[0]), /connection refused/);
  assert.match(result.err, /connection refused/);
});

Deno.test("check's dns check at a closed DNS port fails as refused", async () => {
  const port = closedDnsPort();
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/dns.yaml`,
      `version: 1\nchecks:\n  - name: api name\n    dns: { name: x.test, type: A, server: "127.0.0.1:${port}" }\n    timeout: 300ms\n`,
    );
    const result = await runSockit(["check", "--json", `${dir}/dns.yaml`]);
    assert.equal(result.code, 1, result.err);
    const report = JSON.parse(result.out);
    assert.match(
      JSON.stringify(report),
      /connection refused \(no answer over UDP, and TCP port \d+ refused\)/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
