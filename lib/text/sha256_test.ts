/** Our SHA-256 against node:crypto's, on the padding's edges and on random bytes. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { sha256, sha256Hex } from "./sha256.ts";

const theirs = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

Deno.test("sha256Hex() gives FIPS 180-4's answers for the empty string and the two-block text", () => {
  assert.equal(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  assert.equal(
    sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
});

Deno.test("sha256() agrees with node:crypto on every length around the block edges and on UTF-8", () => {
  for (let length = 0; length <= 200; length++) {
    const data = crypto.getRandomValues(new Uint8Array(length));
    assert.equal(sha256Hex(data), theirs(data), `length ${length}`);
  }
  const big = crypto.getRandomValues(new Uint8Array(65_536));
  assert.equal(sha256Hex(big), theirs(big));
  const text = "vantage \u00e9 \u65e5\u672c \u{1f642}";
  assert.equal(sha256Hex(text), theirs(new TextEncoder().encode(text)));
  assert.equal(sha256(text).length, 32);
});
