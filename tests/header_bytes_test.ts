/**
 * Header values outside ASCII: `get -H`, `wait -H` and a check's `headers` follow one rule, as
 * curl does: the value goes out as UTF-8, and only CR, LF and NUL are refused, by name.
 */
import assert from "node:assert/strict";
import { hasProgram, runSockit } from "./_helpers.ts";
import { freePort, ReplayServer, runCli } from "./_http.ts";

const OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/** The UTF-8 bytes of `text`, one character per byte (as ReplayServer keeps requests). */
function utf8Bytes(text: string): string {
  return String.fromCharCode(...new TextEncoder().encode(text));
}

async function withSpec(text: string, use: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/sockit.yaml`, text);
    await use(`${dir}/sockit.yaml`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The request line by line, one character per byte, as the server got it. */
function fieldLine(request: string | undefined, name: string): string | undefined {
  return request?.split("\r\n").find((line) => line.startsWith(`${name}: `));
}

Deno.test("get, wait and check send a header value outside ASCII as UTF-8, as curl does", async () => {
  for (const value of ["\u65e5\u672c", "abcd\u00e9f", "\u{1f511} key"]) {
    await using server = new ReplayServer([OK, OK, OK]);
    const get = await runSockit(["get", "-H", `X-Token: ${value}`, server.url()]);
    assert.equal(get.code, 0, get.err);
    const wait = await runSockit(["wait", "-H", `X-Token: ${value}`, server.url()]);
    assert.equal(wait.code, 0, wait.err);
    await withSpec(
      `version: 1\nchecks:\n  - name: utf-8 header\n    http: { url: "${server.url()}", headers: { X-Token: "${value}" } }\n`,
      async (path) => {
        const check = await runSockit(["check", path]);
        assert.equal(check.code, 0, check.out + check.err);
      },
    );
    assert.equal(server.requests.length, 3);
    for (const request of server.requests) {
      assert.equal(fieldLine(request, "X-Token"), `X-Token: ${utf8Bytes(value)}`, value);
    }
  }
});

Deno.test({
  name: "curl sends the same bytes for a header value outside ASCII",
  ignore: !hasProgram("curl"),
}, async () => {
  await using server = new ReplayServer([OK, OK]);
  const value = "abcd\u00e9f \u65e5\u672c";
  const curl = await new Deno.Command("curl", {
    args: ["-s", "-H", `X-Token: ${value}`, server.url()],
    stdout: "null",
  }).output();
  assert.ok(curl.success);
  const get = await runSockit(["get", "-H", `X-Token: ${value}`, server.url()]);
  assert.equal(get.code, 0, get.err);
  assert.equal(fieldLine(server.requests[1], "X-Token"), fieldLine(server.requests[0], "X-Token"));
});

Deno.test("get, wait and check refuse CR, LF and NUL in a header value, saying which", async () => {
  const url = `http://127.0.0.1:${freePort()}/`;
  const cases: Array<[string, string]> = [
    ["a\r\nEvil: 1", "a CR and an LF"],
    ["a\nb", "an LF"],
    ["a\rb", "a CR"],
    ["a\0b", "a NUL"],
  ];
  for (const [value, which] of cases) {
    const expected = `header "X-A" has ${which} in its value`;
    // In process: a NUL cannot travel in a program's arguments.
    const get = await runCli(["get", "-H", `X-A: ${value}`, url]);
    assert.equal(get.code, 2, JSON.stringify(value));
    assert.equal(get.err.split("\n")[0], `error: Invalid -H: ${expected}`);
    const wait = await runCli(["wait", "--timeout", "1s", "-H", `X-A: ${value}`, url]);
    assert.equal(wait.code, 2, JSON.stringify(value));
    assert.equal(wait.err.split("\n")[0], `error: Invalid -H: ${expected}`);
    await withSpec(
      `version: 1\nchecks:\n  - name: bad header\n    http: { url: "${url}", headers: { X-A: ${
        JSON.stringify(value)
      } } }\n`,
      async (path) => {
        const check = await runSockit(["check", path]);
        assert.equal(check.code, 2, check.err);
        assert.ok(check.err.includes(`: invalid ${expected}`), check.err);
      },
    );
  }
});
