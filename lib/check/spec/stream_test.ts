/** The stream kinds: tcp and unix (with send and expect) and echo (with its payload). */
import assert from "node:assert/strict";
import { loadSpec } from "../spec.ts";
import { options, problems } from "../_test_helpers.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("tcp, unix and echo checks read into their targets and the bytes they exchange", async () => {
  const spec = await loadSpec(
    [
      "version: 1",
      "checks:",
      '  - { name: t, tcp: { host: "[::1]", port: 6379, send: "PING\\r\\n", expect: +PONG } }',
      "  - { name: u, unix: { path: run/app.sock, send: 1 } }",
      "  - { name: e, echo: { host: 127.0.0.1, port: 7 } }",
      "  - { name: p, echo: { host: h, port: 7, payload: hi } }",
      "",
    ].join("\n"),
    options(),
  );
  const [t, u, e, p] = spec.checks;
  assert.deepEqual(t!.target, { kind: "tcp", text: "[::1]:6379", host: "::1", port: 6379 });
  assert.deepEqual(t!.probe, { stream: { send: bytes("PING\r\n"), expect: bytes("+PONG") } });
  const path = "/srv/checks/run/app.sock";
  assert.deepEqual(u!.target, { kind: "unix", text: path, path });
  assert.deepEqual(u!.probe, { stream: { send: bytes("1") } });
  assert.equal(e!.targetText, "127.0.0.1:7");
  assert.deepEqual(e!.probe, { echo: { payload: bytes("sockit check\n") } });
  assert.deepEqual(p!.probe, { echo: { payload: bytes("hi") } });
});

Deno.test("a stream check needs its address, and empty bytes to send or expect are problems", async () => {
  const text = [
    "version: 1",
    "checks:",
    "  - { name: a, tcp: { port: 99999 } }",
    "  - { name: b, unix: { send: '' } }",
    "  - { name: c, echo: { host: 'a/b', port: 7, payload: '' } }",
    "  - { name: d, echo: { host: h, port: 7, payload: '' } }",
    "",
  ].join("\n");
  assert.deepEqual(await problems(text), [
    '3:21: a tcp check needs "tcp.host"',
    "3:29: port must be a whole number from 1 to 65535, not the number 99999",
    '4:22: an unix check needs "unix.path"',
    '4:30: "send" must not be empty',
    '5:30: invalid host "a/b": expected a name or an IP address',
    '6:51: "payload" must not be empty',
  ]);
});
