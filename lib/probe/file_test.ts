/** The file probe against real files in a temporary directory. */
import assert from "node:assert/strict";
import { probeFile } from "./file.ts";

Deno.test("probeFile() is ready once the file exists, and says its size", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/ready`;
    assert.deepEqual(await probeFile(path), { ready: false, reason: "no such file" });
    await Deno.writeTextFile(path, "ok\n");
    assert.deepEqual(await probeFile(path), { ready: true, detail: "3 bytes" });
    assert.deepEqual(await probeFile(dir), { ready: true, detail: "a directory" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("probeFile() with nonempty waits until the file has bytes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/ready`;
    await Deno.writeTextFile(path, "");
    assert.deepEqual(await probeFile(path), { ready: true, detail: "0 bytes" });
    assert.deepEqual(await probeFile(path, true), { ready: false, reason: "the file is empty" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
