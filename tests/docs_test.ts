/**
 * The README is the user's manual: these tests keep it in step with the code, so that a new
 * option or exit code cannot ship undocumented.
 */
import assert from "node:assert/strict";
import { COMMON_OPTIONS, EXIT_CODE_TABLE } from "../lib/cli/mod.ts";
import type { CommandSpec } from "../lib/cli/mod.ts";
import { ECHO_SEND, ECHO_SERVE } from "../lib/cli/echo.ts";
import { GET } from "../lib/cli/get.ts";
import { RESOLVE } from "../lib/cli/resolve.ts";
import { WAIT } from "../lib/cli/wait.ts";

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
