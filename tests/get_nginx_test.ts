/**
 * `sockit get` against nginx, started on a free loopback port from a throwaway config: a large
 * file byte for byte, gzip, a redirect chain, a 404 with --fail, and keep-alive reuse counted by
 * nginx itself.
 */
import assert from "node:assert/strict";
import { patternBytes, runSockit, sha256 } from "./_helpers.ts";
import { hasNginx, Nginx, runCli } from "./_http.ts";

const BIG = 50 * 1024 * 1024;
const TEXT = Array.from({ length: 2000 }, (_, i) => `line ${i}: sockit gets gzip from nginx\n`)
  .join("");

Deno.test({
  name: "get against nginx",
  ignore: !hasNginx(),
  async fn(t) {
    const big = patternBytes(BIG, 7);
    await using nginx = await Nginx.start({
      files: { "big.bin": big, "hello.txt": "hello nginx\n", "gz/text.txt": TEXT },
      locations: `
    types { text/plain txt; application/octet-stream bin; }
    location = /r1 { return 301 /r2; }
    location = /r2 { return 302 /r3?from=r2; }
    location = /r3 { return 303 /hello.txt; }
    location /gz/ { gzip on; gzip_types text/plain; gzip_min_length 0; }
`,
    });

    await t.step("a 50 MiB file arrives byte for byte (sha256) through -o", async () => {
      const dir = await Deno.makeTempDir({ prefix: "sockit-big-" });
      try {
        const result = await runSockit(["get", "-o", `${dir}/big.bin`, nginx.url("/big.bin")]);
        assert.equal(result.code, 0, result.err);
        const got = await Deno.readFile(`${dir}/big.bin`);
        assert.equal(got.length, BIG);
        assert.equal(await sha256(got), await sha256(big));
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });

    await t.step("--compressed asks for gzip and decodes nginx's chunked gzip body", async () => {
      const result = await runCli(["get", "--compressed", "-i", nginx.url("/gz/text.txt")]);
      assert.equal(result.code, 0, result.err);
      const [head, body] = [
        result.out.slice(0, result.out.indexOf("\r\n\r\n")),
        result.out.slice(result.out.indexOf("\r\n\r\n") + 4),
      ];
      assert.match(head, /\r\nContent-Encoding: gzip(\r\n|$)/i);
      assert.match(head, /\r\nTransfer-Encoding: chunked(\r\n|$)/i);
      assert.equal(body, TEXT);
      const plain = await runCli(["get", "--json", nginx.url("/gz/text.txt")]);
      const line = JSON.parse(plain.out);
      assert.equal(line.headers["content-encoding"], undefined);
      assert.equal(line.bytes, TEXT.length);
    });

    await t.step("-L follows a 301, 302, 303 chain to the end", async () => {
      const result = await runCli(["get", "-L", "--json", "-o", "/dev/null", nginx.url("/r1")]);
      assert.equal(result.code, 0, result.err);
      const line = JSON.parse(result.out);
      assert.equal(line.status, 200);
      assert.deepEqual(line.redirects.map((r: { status: number }) => r.status), [301, 302, 303]);
      assert.equal(line.redirects[2].location, nginx.url("/hello.txt"));
      const capped = await runCli(["get", "-L", "--max-redirs", "2", nginx.url("/r1")]);
      assert.equal(capped.code, 8);
    });

    await t.step("a 404 with --fail exits 1 and still writes nginx's page", async () => {
      const result = await runCli(["get", "--fail", nginx.url("/missing")]);
      assert.equal(result.code, 1);
      assert.match(result.out, /404 Not Found/);
      assert.match(result.err, /--fail: .* answered 404 Not Found/);
    });

    await t.step("N URLs to one origin go over one connection, counted by nginx", async () => {
      const before = (await nginx.accessLog()).length;
      const n = 25;
      const urls = Array.from({ length: n }, (_, i) => nginx.url(`/hello.txt?i=${i}`));
      const result = await runSockit(["get", ...urls]);
      assert.equal(result.code, 0, result.err);
      assert.equal(result.out, "hello nginx\n".repeat(n));
      const rows = (await nginx.accessLog()).slice(before);
      assert.equal(rows.length, n);
      assert.equal(new Set(rows.map((row) => row[0])).size, 1, "one connection");
      assert.deepEqual(
        rows.map((row) => Number(row[1])),
        Array.from({ length: n }, (_, i) => i + 1),
      );
    });
  },
});
