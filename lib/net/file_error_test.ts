import assert from "node:assert/strict";
import { describeFileError } from "./file_error.ts";

Deno.test("describeFileError() words each file failure the runtime has a class for, and trims the rest", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/file`, "x");
    const failures = await Promise.all(
      [`${dir}/missing`, dir, `${dir}/file/below`].map((path) =>
        Deno.readTextFile(path).then(() => "read", describeFileError)
      ),
    );
    assert.deepEqual(failures, [
      "no such file",
      "it is a directory",
      "a folder in the path is a file",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assert.equal(
    describeFileError(new Deno.errors.NotCapable("x")),
    "outside sockit's permission set",
  );
  assert.equal(describeFileError(new Deno.errors.PermissionDenied("x")), "permission denied");
  assert.equal(
    describeFileError(new Error("Resource busy (os error 16): open '/x'")),
    "resource busy",
  );
  assert.equal(describeFileError("odd"), "odd");
});
