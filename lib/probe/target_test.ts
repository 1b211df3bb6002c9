/**
 * Targets as written on the command line or in a spec: each kind, the message for each way one
 * can be wrong, and the name messages show.
 */
import assert from "node:assert/strict";
import { isInvalidInput } from "../net/errors.ts";
import { formatTargetName, parseTarget } from "./target.ts";

Deno.test("parseTarget() reads every kind, and formatTargetName() names each the way messages do", () => {
  const cases: [string, string, string][] = [
    ["db:5432", "tcp", "tcp://db:5432"],
    ["tcp://[::1]:80/", "tcp", "tcp://[::1]:80"],
    ["echo://h:7", "echo", "echo://h:7"],
    ["unix:///run/s.sock", "unix", "unix:/run/s.sock"],
    ["file:/tmp/ready", "file", "file:/tmp/ready"],
    ["dns:b\u00fccher.test", "dns", "dns:xn--bcher-kva.test"],
    ["http://h:1/x", "http", "http://h:1/x"],
  ];
  for (const [text, kind, name] of cases) {
    const target = parseTarget(text);
    assert.equal(target.kind, kind, text);
    assert.equal(target.text, text);
    assert.equal(formatTargetName(target), name);
  }
  assert.deepEqual(parseTarget("tcp://[::1]:80/"), {
    kind: "tcp",
    text: "tcp://[::1]:80/",
    host: "::1",
    port: 80,
  });
});

Deno.test("parseTarget() never keeps a URL's password in the text it shows", () => {
  const target = parseTarget("http://u:pw@h:1/x");
  assert.equal(target.text, "http://***@h:1/x");
  assert.equal(formatTargetName(target), "http://h:1/x");
  assert.ok(target.kind === "http");
  assert.deepEqual(target.url.credentials, { username: "u", password: "pw" });
});

Deno.test("parseTarget() says what is wrong with a target that is not one", () => {
  const cases: [string, string][] = [
    ["", "empty"],
    ["h", "expected HOST:PORT (no port)"],
    ["h:", "no port after the colon"],
    ["h:x", "the port is not a number"],
    ["h:0", "port 0 cannot be connected to"],
    ["h:70000", "port 70000 is out of range (1 to 65535)"],
    ["[::1]", "expected HOST:PORT, [IPV6]:PORT or a URL"],
    ["tcp:h:1", "expected tcp://HOST:PORT"],
    ["echo:h:1", "expected echo://HOST:PORT"],
    ["file:rel", "expected file:/ABSOLUTE/PATH"],
    ["unix:s.sock", "expected unix:/ABSOLUTE/PATH"],
    ["dns:", "expected dns:NAME"],
    ["dns:a..b", "empty label"],
  ];
  for (const [text, why] of cases) {
    assert.throws(() => parseTarget(text), {
      name: "TypeError",
      message: `Invalid target "${text}": ${why}`,
    });
  }
  assert.throws(() => parseTarget("https://"), /^TypeError: Invalid target "https:\/\/": \S/);
});

Deno.test("parseTarget() takes the why of a URL or name that does not parse, and carries its own", () => {
  const long = `dns:${"a".repeat(64)}.${"b".repeat(60)}`;
  const cases: [string, string][] = [
    ["http://:80/", "malformed host or characters a URL cannot hold"],
    ["dns:a..b", "empty label"],
    // A long name is cut short in the name's own message; the target's shows it once, whole.
    [long, "label 1 is 64 bytes, more than 63"],
  ];
  for (const [text, why] of cases) {
    try {
      parseTarget(text);
      assert.fail(`${text} parsed`);
    } catch (error) {
      assert.ok(isInvalidInput(error), String(error));
      assert.deepEqual([error.input, error.why], [text, why]);
      assert.equal(error.message, `Invalid target "${text}": ${why}`);
    }
  }
});
