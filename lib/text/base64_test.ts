import assert from "node:assert/strict";
import { encodeBase64 } from "./base64.ts";

Deno.test("encodeBase64() gives RFC 4648's test vectors", () => {
  const vectors: Array<[string, string]> = [
    ["", ""],
    ["f", "Zg=="],
    ["fo", "Zm8="],
    ["foo", "Zm9v"],
    ["foob", "Zm9vYg=="],
    ["fooba", "Zm9vYmE="],
    ["foobar", "Zm9vYmFy"],
  ];
  for (const [text, expected] of vectors) assert.equal(encodeBase64(text), expected, text);
});

Deno.test("encodeBase64() encodes text as UTF-8 and agrees with btoa() on every byte value", () => {
  assert.equal(encodeBase64("\u00e9/\u00fc"), "w6kvw7w=");
  const bytes = Uint8Array.from({ length: 256 * 3 + 1 }, (_, i) => (i * 7) % 256);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  assert.equal(encodeBase64(bytes), btoa(binary));
});

Deno.test("encodeBase64() with the url alphabet has - and _ for + and /", () => {
  const bytes = new Uint8Array([0xfb, 0xff, 0xbf]);
  assert.equal(encodeBase64(bytes), "+/+/");
  assert.equal(encodeBase64(bytes, { alphabet: "url" }), "-_-_");
  assert.equal(encodeBase64("", { alphabet: "url" }), "");
});

Deno.test("encodeBase64() encodes a megabyte in one go, without running out of stack", () => {
  const text = "a".repeat(1 << 20);
  const encoded = encodeBase64(text);
  assert.equal(encoded.length, Math.ceil((1 << 20) / 3) * 4);
  assert.equal(encoded.slice(0, 8), "YWFhYWFh");
  assert.equal(encoded.slice(-4), "YQ==");
});
