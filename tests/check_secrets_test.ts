/**
 * `sockit check` masks a secret in the data that carries it, never in a report's text: every
 * report parses whatever the secret's value, what the spec's author wrote is shown as written,
 * and `--trace` shows the bytes that were sent, the secret masked in its UTF-8 form.
 */
import assert from "node:assert/strict";
import { runSockit } from "./_helpers.ts";
import {
  assertJunitParses,
  assertTapParses,
  ReflectingServer,
  runWithReports,
} from "./_reports.ts";

/** The UTF-8 bytes of `text`, one character per byte (as ReflectingServer keeps them). */
function utf8Bytes(text: string): string {
  return String.fromCharCode(...new TextEncoder().encode(text));
}

Deno.test("a one-character secret masks nothing of a report's structure: every report parses, names and a target without the secret show as written", async () => {
  for (const secret of ["1", "a"]) {
    await using server = new ReflectingServer();
    const spec = `version: 1
secrets: [PW]
checks:
  - name: database port
    tags: [data]
    tcp: { host: 127.0.0.1, port: ${server.port}, send: "AUTH \${PW}\\r\\n", expect: "AUTH" }
  - name: auth answer
    tcp: { host: 127.0.0.1, port: ${server.port}, send: "AUTH \${PW}\\r\\n", expect: "ready" }
  - name: plain port
    tcp: { host: 127.0.0.1, port: ${server.port} }
`;
    await runWithReports(spec, { args: ["--json"], env: { PW: secret } }, async (run) => {
      const { result } = run;
      assert.equal(result.code, 1, result.err);
      assert.deepEqual(server.received.toSorted(), [
        "",
        `AUTH ${secret}\r\n`,
        `AUTH ${secret}\r\n`,
      ]);
      for (const text of [result.out, run.json]) {
        const report = JSON.parse(text);
        assert.deepEqual(report.checks.map((c: { name: string }) => c.name), [
          "database port",
          "auth answer",
          "plain port",
        ]);
        assert.equal(report.checks[2].target, `127.0.0.1:${server.port}`);
        assert.equal(report.checks[0].attempts, 1);
        assert.deepEqual(report.checks[0].tags, ["data"]);
        assert.equal(report.checks[0].details.received, "AUTH ***\r\n");
        assert.match(report.checks[1].error, /\(got "AUTH \*\*\*\\r\\n"\)$/);
      }
      assert.ok(run.junit.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n'), run.junit);
      assert.match(run.junit, /<testcase name="database port" /);
      await assertJunitParses(run.junitPath);
      const tap = await assertTapParses(run.tap, 3);
      assert.deepEqual(tap.failures.map((f) => f.name), ["auth answer"]);
      assert.match(run.tap, /^ok 1 - database port$/m);
      assert.match(
        result.err,
        /^warning: secret "PW" is 1 character long, too short to mask safely: /m,
      );
    });
  }
});

Deno.test("check --trace shows the bytes sent, a non-ASCII secret masked in its UTF-8 form", async () => {
  await using server = new ReflectingServer();
  const token = "abcd\u00e9f";
  const spec = `version: 1
secrets: [TOKEN]
checks:
  - name: token
    http:
      url: "http://127.0.0.1:${server.port}/?t=\${TOKEN}"
      headers: { X-Token: "\${TOKEN}", X-Plain: "caf\u00e9" }
`;
  await runWithReports(spec, { args: ["--trace"], env: { TOKEN: token } }, (run) => {
    const { result } = run;
    assert.equal(result.code, 0, result.err);
    const request = server.received[0]!;
    assert.ok(request.includes(`\r\nX-Token: ${utf8Bytes(token)}\r\n`), request);
    const sent = result.err.split("\n").find((line) => / send \d+ bytes "GET /.test(line));
    assert.ok(sent, result.err);
    // The bytes on the wire: U+00E9 as c3 a9, the secret masked, in the query too.
    assert.ok(sent.includes('"GET /?t=*** HTTP/1.1\\r\\n'), sent);
    assert.ok(sent.includes("\\r\\nX-Token: ***\\r\\n"), sent);
    assert.ok(sent.includes("\\r\\nX-Plain: caf\\xc3\\xa9\\r\\n"), sent);
    for (const text of [result.out, result.err, run.json, run.junit, run.tap]) {
      for (const form of ["abcd", "\\xef\\xbf\\xbd", encodeURIComponent(token)]) {
        assert.ok(!text.includes(form), `${form} in:\n${text}`);
      }
    }
  });
});

Deno.test("the JSON report holds what a tcp check received once, as text", async () => {
  await using server = new ReflectingServer();
  const spec = `version: 1
checks:
  - name: ping
    tcp: { host: 127.0.0.1, port: ${server.port}, send: "PING\\r\\n", expect: "PING" }
`;
  await runWithReports(spec, {}, (run) => {
    assert.equal(run.result.code, 0, run.result.err);
    assert.equal(JSON.parse(run.json).checks[0].details.received, "PING\r\n");
    assert.ok(run.json.includes('"received": "PING\\r\\n"'), run.json);
    assert.match(run.result.out, /^ok +ping +got "PING\\r\\n" in /m);
  });
});

Deno.test("a check's name or tags cannot hold a secret: they are shown as written", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/sockit.yaml`;
    await Deno.writeTextFile(
      path,
      `version: 1\nsecrets: [PW]\nchecks:\n  - name: "db \${PW}"\n    tags: ["\${PW}"]\n    tcp: { host: 127.0.0.1, port: 1 }\n`,
    );
    const result = await runSockit(["check", path], { env: { PW: "hunter22" } });
    assert.equal(result.code, 2, result.err);
    assert.deepEqual(result.err.trim().split("\n"), [
      `error: ${path}:4:11: "name" cannot hold the secret "PW": it is shown as written in every report`,
      `error: ${path}:5:12: each of "tags" cannot hold the secret "PW": it is shown as written in every report`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a spec problem is masked only in a check that had a secret put in; the author's own text elsewhere shows as written", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/sockit.yaml`;
    await Deno.writeTextFile(
      path,
      `secrets: [PW]\nchecks:\n  - name: database port\n    tcp: "127.0.0.1:5432"\n  - name: carries\n    tcp: { host: "a b\${PW}", port: 5 }\n  - name: plain\n    tcp: { host: "a b", port: 5 }\n`,
    );
    for (const secret of ["a", "1", "hunter22"]) {
      const result = await runSockit(["check", "--json", path], { env: { PW: secret } });
      assert.equal(result.code, 2, result.err);
      const lines = result.err.trim().split("\n");
      const report = JSON.parse(result.out);
      assert.deepEqual(
        report.problems.map((p: { line: number; col: number; message: string }) =>
          `error: ${path}:${p.line}:${p.col}: ${p.message}`
        ),
        lines,
      );
      assert.equal(lines.length, 4, result.err);
      assert.equal(lines[0], `error: ${path}:1:1: missing "version: 1"`);
      assert.equal(
        lines[1],
        `error: ${path}:4:10: "tcp" must be a mapping, not the string "127.0.0.1:5432"`,
      );
      assert.equal(
        lines[3],
        `error: ${path}:8:18: invalid host "a b": expected a name or an IP address`,
      );
      assert.ok(lines[2]!.startsWith(`error: ${path}:6:18: `), lines[2]);
      assert.ok(!lines[2]!.slice(path.length + 12).includes(secret), lines[2]);
      if (secret === "hunter22") {
        assert.equal(
          lines[2],
          `error: ${path}:6:18: invalid host "a b***": expected a name or an IP address`,
        );
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a long secret cut off by a message's 200-character excerpt shows none of its start", async () => {
  await using server = new ReflectingServer();
  const secret = Array.from({ length: 300 }, (_, i) => "abcdefghijklmnopqrstuvwxyz"[i * 7 % 26])
    .join("");
  const spec = `version: 1
secrets: [LONG]
checks:
  - name: comes back
    tcp: { host: 127.0.0.1, port: ${server.port}, send: "AUTH \${LONG}\\r\\n", expect: "AUTH" }
  - name: not what came
    tcp: { host: 127.0.0.1, port: ${server.port}, send: "AUTH \${LONG}\\r\\n", expect: "nope" }
`;
  await runWithReports(spec, { args: ["--json"], env: { LONG: secret } }, (run) => {
    assert.equal(run.result.code, 1, run.result.err);
    const report = JSON.parse(run.json);
    assert.equal(report.checks[0].details.received, "AUTH ***\r\n");
    assert.equal(report.checks[0].attempt_log[0].reason, 'got "AUTH ***" (+107 characters)');
    for (const text of [run.result.out, run.result.err, run.json, run.junit, run.tap]) {
      assert.ok(!text.includes(secret.slice(0, 8)), text);
    }
  });
});

Deno.test("a secret in a URL's user:pass@ is masked in the Basic authorization the trace shows", async () => {
  await using server = new ReflectingServer();
  const spec = `version: 1
secrets: [PW]
checks:
  - name: basic
    http: { url: "http://ann:\${PW}@127.0.0.1:${server.port}/x" }
`;
  await runWithReports(spec, { args: ["--trace"], env: { PW: "hunter2-long" } }, (run) => {
    assert.equal(run.result.code, 0, run.result.err);
    const basic = btoa("ann:hunter2-long");
    assert.ok(server.received[0]!.includes(`\r\nAuthorization: Basic ${basic}\r\n`));
    assert.match(run.result.err, / send \d+ bytes ".*\\r\\nAuthorization: Basic \*\*\*\\r\\n/);
    for (const text of [run.result.out, run.result.err, run.json, run.junit, run.tap]) {
      assert.ok(!text.includes(basic) && !text.includes("hunter2"), text);
    }
  });
});
