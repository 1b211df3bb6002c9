/** The DNS probe asking a loopback responder directly. */
import assert from "node:assert/strict";
import { normalizeDnsName } from "../dns/name.ts";
import { startResponder } from "../dns/responder.ts";
import { Rcode, RecordType } from "../dns/wire.ts";
import { probeDns } from "./dns.ts";

Deno.test("probeDns() asking a server is ready when the name has records of the type", async () => {
  await using responder = await startResponder({ "demo.test": ["192.0.2.7"] });
  const result = await probeDns(normalizeDnsName("demo.test"), { timeoutMs: 2000 }, {
    server: responder.server,
    type: RecordType.A,
  });
  assert.equal(result.ready, true);
  assert.deepEqual(result.facts?.answers, ["192.0.2.7"]);
  assert.equal(result.facts?.rcode, "NOERROR");
});

Deno.test("probeDns() is not ready while an expected address is not among the answers", async () => {
  await using responder = await startResponder({ "demo.test": ["192.0.2.7"] });
  const result = await probeDns(normalizeDnsName("demo.test"), { timeoutMs: 2000 }, {
    server: responder.server,
    expectAddresses: ["192.0.2.8"],
  });
  assert.equal(result.ready, false);
  assert.ok(!result.ready);
  assert.equal(result.reason, "192.0.2.8 not among the answers (192.0.2.7)");
});

Deno.test("probeDns() is ready on an NXDOMAIN that is expected", async () => {
  await using responder = await startResponder({ "demo.test": ["192.0.2.7"] });
  const result = await probeDns(normalizeDnsName("gone.test"), { timeoutMs: 2000 }, {
    server: responder.server,
    expectRcodes: [Rcode.NXDOMAIN],
  });
  assert.equal(result.facts?.rcode, "NXDOMAIN");
  assert.equal(result.ready, true);
});
