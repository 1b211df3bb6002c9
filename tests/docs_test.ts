/**
 * The README is the user's manual: these tests keep it in step with the code, so that a new
 * option or exit code cannot ship undocumented.
 */
import assert from "node:assert/strict";
import { COMMON_OPTIONS, EXIT_CODE_TABLE } from "../lib/cli/mod.ts";
import type { CommandSpec } from "../lib/cli/mod.ts";
import { ECHO_SEND, ECHO_SERVE } from "../lib/cli/echo/mod.ts";
import { GET } from "../lib/cli/get/mod.ts";
import { RESOLVE } from "../lib/cli/resolve/mod.ts";
import { WAIT } from "../lib/cli/wait/mod.ts";
import { EDNS_UDP_SIZE } from "../lib/dns/wire.ts";
import { MAX_LABEL_BYTES, MAX_NAME_BYTES } from "../lib/dns/name.ts";
import {
  DEFAULT_ECHO_BUFFER_SIZE,
  DEFAULT_LARGE_BUFFERS,
  FIRST_ECHO_BUFFER_SIZE,
} from "../lib/echo/server.ts";
import { DEFAULT_READ_TIMEOUT_MS } from "../lib/http/connection.ts";
import { MAX_CHECKED_BODY } from "../lib/http/expect.ts";
import { DEFAULT_MAX_FIELDS, DEFAULT_MAX_HEAD_BYTES } from "../lib/http/response.ts";
import { MAX_RETRY_WAIT_MS } from "../lib/http/retry.ts";
import { MAX_DURATION_MS } from "../lib/net/duration.ts";
import { MAX_STREAM_EXPECT_BYTES } from "../lib/probe/stream.ts";

const README = await Deno.readTextFile(new URL("../README.md", import.meta.url));

Deno.test("the README's exit-code table lists every code of lib/cli/exit_codes.ts", () => {
  const rows = [...README.matchAll(/^\| (\d+) +\| (.+?) +\|$/gm)].map((m) => Number(m[1]));
  assert.deepEqual(rows, EXIT_CODE_TABLE.map(([code]) => code));
});

const DOCUMENTED: CommandSpec[] = [ECHO_SERVE, ECHO_SEND, RESOLVE, GET, WAIT];

Deno.test("the README documents every option of every command", async (t) => {
  for (const spec of DOCUMENTED) {
    await t.step(spec.name, () => {
      const section = README.split(`### ${spec.name}\n`)[1]?.split("\n### ")[0];
      assert.ok(section, `no "### ${spec.name}" section`);
      for (const option of spec.options) {
        if (COMMON_OPTIONS.includes(option)) continue;
        assert.match(section, new RegExp(`--${option.name}\\b`), `--${option.name} undocumented`);
      }
    });
  }
  for (const option of COMMON_OPTIONS) {
    assert.match(
      README,
      new RegExp(`\`(-\\w, )?--${option.name}\\b`),
      `--${option.name} undocumented`,
    );
  }
});

Deno.test("SECURITY.md's limits are the code's defaults", async () => {
  const security = await Deno.readTextFile(new URL("../SECURITY.md", import.meta.url));
  const row = (what: string) => {
    const line = security.split("\n").find((l) => l.startsWith(`| ${what} `));
    assert.ok(line, `no row "${what}"`);
    return line.split("|")[2]!.trim();
  };
  const kib = (bytes: number) => `${bytes / 1024} KiB`;
  assert.equal(row("HTTP response head (status line, fields)"), kib(DEFAULT_MAX_HEAD_BYTES));
  assert.equal(row("HTTP header fields"), String(DEFAULT_MAX_FIELDS));
  assert.equal(row("body kept for `--expect-body*`"), `${MAX_CHECKED_BODY / 1024 ** 2} MiB`);
  assert.equal(row("redirects"), "20");
  assert.equal(row("no byte received"), `${DEFAULT_READ_TIMEOUT_MS / 1000} s`);
  assert.equal(row("`Retry-After` honoured"), `${MAX_RETRY_WAIT_MS / 1000} s, and the deadline`);
  assert.equal(row("DNS name, label"), `${MAX_NAME_BYTES}, ${MAX_LABEL_BYTES} bytes`);
  assert.equal(row("DNS reply over UDP (EDNS)"), `${EDNS_UDP_SIZE} bytes, then TCP`);
  assert.equal(row("durations anywhere"), `${MAX_DURATION_MS / 86_400_000} days`);
  assert.equal(
    row("echo buffers"),
    `${kib(FIRST_ECHO_BUFFER_SIZE)} per connection, ${DEFAULT_LARGE_BUFFERS} x ${
      kib(DEFAULT_ECHO_BUFFER_SIZE)
    } lent to streams`,
  );
  assert.equal(row("`tcp` check `expect` bytes read"), kib(MAX_STREAM_EXPECT_BYTES));
  assert.doesNotMatch(security, /FUZZ_TABLE|SOAK_TABLE/);
});
