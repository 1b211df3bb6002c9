import assert from "node:assert/strict";
import { compareResolvers } from "./compare.ts";
import { RecordType } from "./wire.ts";

const A = RecordType.A;
const AAAA = RecordType.AAAA;

Deno.test("compareResolvers() agrees when both sides give the same addresses in any order", () => {
  const c = compareResolvers(
    { outcome: "answer", addresses: ["192.0.2.1", "2001:db8::1"] },
    [
      { type: A, outcome: "answer", addresses: ["192.0.2.1"] },
      { type: AAAA, outcome: "answer", addresses: ["2001:0db8:0:0::1"] },
    ],
  );
  assert.equal(c.verdict, "agree");
  assert.equal(c.same, true);
  assert.deepEqual(c.addresses, ["192.0.2.1", "2001:db8::1"]);
  assert.deepEqual([c.onlySystem, c.onlyServer], [[], []]);
  assert.deepEqual([c.systemSays, c.serverSays], ["2 addresses", "2 addresses"]);
});

Deno.test("compareResolvers() differs when each side has an address the other lacks", () => {
  const c = compareResolvers(
    { outcome: "answer", addresses: ["192.0.2.1", "192.0.2.2"] },
    [{ type: A, outcome: "answer", addresses: ["192.0.2.2", "192.0.2.3"] }],
  );
  assert.equal(c.verdict, "differ");
  assert.equal(c.same, false);
  assert.deepEqual(c.addresses, ["192.0.2.1", "192.0.2.2", "192.0.2.3"]);
  assert.deepEqual(c.onlySystem, ["192.0.2.1"]);
  assert.deepEqual(c.onlyServer, ["192.0.2.3"]);
});

Deno.test("compareResolvers() counts an answer for either type as the server answering", () => {
  const c = compareResolvers(
    { outcome: "answer", addresses: ["192.0.2.1"] },
    [
      { type: A, outcome: "answer", addresses: ["192.0.2.1"] },
      { type: AAAA, outcome: "nodata", addresses: [] },
    ],
  );
  assert.equal(c.serverOutcome, "answer");
  assert.equal(c.verdict, "agree");
  assert.equal(c.serverSays, "1 address");
});

Deno.test("compareResolvers() says which side failed when only one did", () => {
  const system = compareResolvers(
    { outcome: "name-not-found", addresses: [] },
    [{ type: A, outcome: "answer", addresses: ["192.0.2.1"] }],
  );
  assert.equal(system.verdict, "system-failed");
  assert.equal(system.systemSays, "name not found");
  assert.deepEqual(system.onlyServer, ["192.0.2.1"]);
  const server = compareResolvers(
    { outcome: "answer", addresses: ["192.0.2.1"] },
    [{ type: A, outcome: "nxdomain", addresses: [] }],
  );
  assert.equal(server.verdict, "server-failed");
  assert.equal(server.serverSays, "NXDOMAIN");
});

Deno.test("compareResolvers() names each type's failure when the server's differ by type", () => {
  const c = compareResolvers(
    { outcome: "temporary-failure", addresses: [] },
    [
      { type: A, outcome: "nodata", addresses: [] },
      { type: AAAA, outcome: "servfail", addresses: [] },
    ],
  );
  assert.equal(c.verdict, "both-failed");
  assert.equal(c.serverOutcome, "servfail");
  assert.equal(c.serverSays, "A NODATA, AAAA SERVFAIL");
  assert.equal(c.systemSays, "temporary failure in name resolution");
  assert.equal(c.same, true);
});

Deno.test("compareResolvers() calls a system failure of no known kind failed", () => {
  const c = compareResolvers(
    { outcome: "failed", addresses: [] },
    [{ type: A, outcome: "nodata", addresses: [] }, {
      type: AAAA,
      outcome: "nodata",
      addresses: [],
    }],
  );
  assert.equal(c.verdict, "both-failed");
  assert.deepEqual([c.systemSays, c.serverSays, c.serverOutcome], ["failed", "NODATA", "nodata"]);
});
