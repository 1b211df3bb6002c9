/**
 * Secrets stay out of what sockit shows: credential header fields in -v, --trace and --json,
 * and the password of a user:pass@ URL everywhere, unless --show-secrets asks for them.
 */
import assert from "node:assert/strict";
import { runSockit } from "./_helpers.ts";
import { ReplayServer } from "./_http.ts";

const SECRET = "s3cr3t-Value";

function cookieServer(): ReplayServer {
  return new ReplayServer([
    `HTTP/1.1 200 OK\r\nSet-Cookie: session=${SECRET}; HttpOnly\r\nContent-Length: 2\r\n\r\nok`,
  ]);
}

Deno.test("get -v, --trace and --json show credential fields as ***", async () => {
  await using server = cookieServer();
  const result = await runSockit([
    "get",
    "-v",
    "--trace",
    "--json",
    "-H",
    `Authorization: Bearer ${SECRET}`,
    "-H",
    `Cookie: a=${SECRET}`,
    server.url(),
  ]);
  assert.equal(result.code, 0, result.err);
  assert.ok(!result.out.includes(SECRET) && !result.err.includes(SECRET), "the secret leaked");
  assert.match(result.err, /^> Authorization: \*\*\*$/m);
  assert.match(result.err, /^> Cookie: \*\*\*$/m);
  assert.match(result.err, /^< Set-Cookie: \*\*\*$/m);
  assert.match(result.err, /TRACE sockit\.trace .* send \d+ bytes ".*Authorization: \*\*\*\\r\\n/);
  assert.equal(JSON.parse(result.out).headers["set-cookie"], "***");
  // The server got the real values.
  assert.match(server.requests[0]!, new RegExp(`Authorization: Bearer ${SECRET}`));
});

Deno.test("get --show-secrets shows them", async () => {
  await using server = cookieServer();
  const result = await runSockit([
    "get",
    "-v",
    "--json",
    "--show-secrets",
    "-H",
    `Authorization: Bearer ${SECRET}`,
    server.url(),
  ]);
  assert.equal(result.code, 0, result.err);
  assert.match(result.err, new RegExp(`^> Authorization: Bearer ${SECRET}$`, "m"));
  assert.equal(JSON.parse(result.out).headers["set-cookie"], `session=${SECRET}; HttpOnly`);
});

Deno.test("a user:pass@ URL sends Basic authorization and never shows the password", async () => {
  await using server = new ReplayServer(["HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"]);
  const url = server.url("/").replace("http://", `http://ann:${SECRET}@`);
  const result = await runSockit(["get", "-v", "--trace", "--json", "--fail", url]);
  assert.equal(result.code, 1);
  const basic = btoa(`ann:${SECRET}`);
  assert.match(server.requests[0]!, new RegExp(`\\r\\nAuthorization: Basic ${basic}\\r\\n`));
  for (const output of [result.out, result.err]) {
    assert.ok(!output.includes(SECRET) && !output.includes(basic), output);
  }
  assert.equal(JSON.parse(result.out).url, server.url("/"));
});

Deno.test("wait names a user:pass@ target without its password", async () => {
  const result = await runSockit([
    "wait",
    "--timeout",
    "200ms",
    `http://ann:${SECRET}@127.0.0.1:1/`,
  ]);
  assert.equal(result.code, 5);
  assert.ok(!result.err.includes(SECRET), result.err);
  assert.match(result.err, /http:\/\/127\.0\.0\.1:1\/ \(/);
});

Deno.test("a redirect to a scheme other than http or https is not followed (exit 7)", async () => {
  for (const location of ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1:70/"]) {
    await using server = new ReplayServer([
      `HTTP/1.1 302 Found\r\nLocation: ${location}\r\nContent-Length: 0\r\n\r\n`,
    ]);
    const result = await runSockit(["get", "-L", server.url()]);
    assert.equal(result.code, 7, location);
    assert.match(
      result.err,
      /^error: Cannot follow the redirect from .*: Unsupported URL scheme /m,
    );
  }
});
