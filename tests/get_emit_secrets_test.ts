/**
 * `get --emit-check` with credentials: a URL's password (or a token user name) and an
 * Authorization header go into the emitted check as spec secrets, never as themselves, with notes
 * that say which variable to set and where to declare it; the emitted check, with its secret
 * declared and set, passes against a server that requires Basic authorization.
 */
import assert from "node:assert/strict";
import { runSockit } from "./_helpers.ts";

const USER = "ann";
const PASSWORD = "p@ss w/rd";
const ESCAPED = encodeURIComponent(PASSWORD);

/** A loopback server that answers 200 to Basic ann:PASSWORD, 401 to anything else. */
function basicAuthServer() {
  const expected = `Basic ${btoa(`${USER}:${PASSWORD}`)}`;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) =>
      request.headers.get("authorization") === expected
        ? new Response("welcome")
        : new Response("who are you?", { status: 401 }),
  );
  return {
    url: (path: string) => `http://127.0.0.1:${server.addr.port}${path}`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

Deno.test("get --emit-check emits a URL's password as a secret, and the check passes once it is set", async () => {
  await using server = basicAuthServer();
  const url = server.url("/private").replace("//", `//${USER}:${ESCAPED}@`);
  const direct = await runSockit(["get", "-f", "-s", url]);
  assert.equal(direct.code, 0, direct.err);
  for (const format of ["yaml", "json"] as const) {
    const emitted = await runSockit([
      "get",
      "--emit-check",
      "--expect-status",
      "200",
      ...(format === "json" ? ["--json"] : []),
      url,
    ]);
    assert.equal(emitted.code, 0, emitted.err);
    for (const leak of [PASSWORD, ESCAPED, btoa(`${USER}:${PASSWORD}`)]) {
      assert.ok(!emitted.out.includes(leak), `${format} output shows the password`);
    }
    let spec: string;
    if (format === "yaml") {
      assert.match(
        emitted.out,
        /^# these checks need secrets: add "secrets: \[SOCKIT_PASSWORD\]" to the spec's top level/,
      );
      assert.match(
        emitted.out,
        /^# the password of http:\/\/127\.0\.0\.1:\d+\/private is the secret SOCKIT_PASSWORD: set SOCKIT_PASSWORD to it, /m,
      );
      assert.match(
        emitted.out,
        /url: http:\/\/ann:\$\{SOCKIT_PASSWORD\}@127\.0\.0\.1:\d+\/private\n/,
      );
      spec = `version: 1\nsecrets: [SOCKIT_PASSWORD]\nchecks:\n${emitted.out}`;
    } else {
      const { checks, notes } = JSON.parse(emitted.out);
      assert.ok(notes.some((n: string) => n.includes('"secrets: [SOCKIT_PASSWORD]"')), notes);
      spec = JSON.stringify({ version: 1, secrets: ["SOCKIT_PASSWORD"], checks });
    }
    const dir = await Deno.makeTempDir();
    try {
      const file = `${dir}/spec.${format}`;
      await Deno.writeTextFile(file, spec);
      const unset = await runSockit(["check", "--validate", file]);
      assert.equal(unset.code, 2, unset.out + unset.err);
      assert.match(unset.err, /SOCKIT_PASSWORD/);
      for (const value of [ESCAPED, PASSWORD.replace("/", "%2F")]) {
        const env = { SOCKIT_PASSWORD: value };
        const valid = await runSockit(["check", "--validate", file], { env });
        assert.equal(valid.code, 0, valid.out + valid.err);
        const run = await runSockit(["check", file], { env });
        assert.equal(run.code, 0, run.out + run.err);
        assert.match(run.out, /^ok {4}GET http:\/\/127\.0\.0\.1:\d+\/private /m);
        assert.ok(!run.out.includes(value) && !run.err.includes(value));
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test("get --emit-check emits a token user name and an Authorization header as secrets", async () => {
  const emitted = await runSockit([
    "get",
    "--emit-check",
    "--json",
    "-H",
    "Authorization: Bearer s3cr3t",
    "-H",
    "X-Plain: shown",
    "http://t0ken@127.0.0.1:1/a",
  ]);
  assert.equal(emitted.code, 0, emitted.err);
  assert.ok(!emitted.out.includes("s3cr3t") && !emitted.out.includes("t0ken"));
  const { checks, notes } = JSON.parse(emitted.out);
  assert.deepEqual(checks[0].http, {
    url: "http://${SOCKIT_USER}@127.0.0.1:1/a",
    headers: { Authorization: "${SOCKIT_AUTHORIZATION}", "X-Plain": "shown" },
  });
  assert.match(notes[0], /"secrets: \[SOCKIT_USER, SOCKIT_AUTHORIZATION\]"/);
});

Deno.test("get --emit-check writes a ${ from the command line so that the check sends it as it is", async () => {
  const seen: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    seen.push(request.headers.get("x-a") ?? "");
    return new Response(`got ${request.headers.get("x-a")}`);
  });
  try {
    const url = `http://127.0.0.1:${server.addr.port}/?q=\${HOME}`;
    const emitted = await runSockit([
      "get",
      "--emit-check",
      "-H",
      "X-A: ${HOME}",
      "--expect-body",
      "got ${HOME}",
      url,
    ]);
    assert.equal(emitted.code, 0, emitted.err);
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/spec.yaml`, `version: 1\nchecks:\n${emitted.out}`);
      const run = await runSockit(["check", `${dir}/spec.yaml`]);
      assert.equal(run.code, 0, run.out + run.err);
      assert.deepEqual(seen, ["${HOME}"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  } finally {
    await server.shutdown();
  }
});
