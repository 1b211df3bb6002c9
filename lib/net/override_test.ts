import assert from "node:assert/strict";
import { overrideKey, parseAddressOverride } from "./override.ts";

Deno.test("parseAddressOverride() reads host, port and every address, brackets dropped", () => {
  assert.deepEqual(parseAddressOverride("Example.TEST:8080:192.0.2.1, 192.0.2.2"), {
    key: "example.test:8080",
    addresses: ["192.0.2.1", "192.0.2.2"],
  });
  assert.deepEqual(parseAddressOverride("[::1]:443:[::1]"), { key: "::1:443", addresses: ["::1"] });
});

Deno.test("parseAddressOverride() rejects a missing part, a port over 65535 and a host name as address", () => {
  for (
    const text of [
      "",
      "example.test",
      "example.test:80",
      "example.test::127.0.0.1",
      "example.test:x:127.0.0.1",
      "example.test:65536:127.0.0.1",
      "example.test:80:localhost",
      "example.test:80:127.0.0.1,",
    ]
  ) {
    assert.equal(parseAddressOverride(text), undefined, text);
  }
});

Deno.test("overrideKey() matches the key a parsed entry carries", () => {
  assert.equal(
    overrideKey("EXAMPLE.test", 80),
    parseAddressOverride("example.TEST:80:127.0.0.1")!.key,
  );
  assert.equal(overrideKey("::1", 80), parseAddressOverride("[::1]:80:127.0.0.1")!.key);
});
