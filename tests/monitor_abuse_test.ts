/**
 * An exposed monitor under abuse: more slow clients than it takes connections, each sending part
 * of a request head and stopping, and clients sending a huge head; the checks go on running, the
 * slow clients are closed once their head's time is up, the extra ones are refused with 503, and
 * afterwards a scrape is answered and the monitor holds no more descriptors than before.
 */
import assert from "node:assert/strict";
import { MonitorProcess } from "./_monitor.ts";
import { serverState } from "./abuse/scenario.ts";

/** Reads until the peer closes; what came. */
async function readAll(conn: Deno.Conn): Promise<string> {
  const buf = new Uint8Array(4096);
  let text = "";
  try {
    for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
  } catch {
    // Reset: closed all the same.
  }
  return text;
}

Deno.test({
  name:
    "a monitor survives 300 slow clients and huge heads: checks go on, extras get 503, slow ones are closed, descriptors return",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const accepting = (async () => {
      for await (const conn of listener) conn.close();
    })().catch(() => {});
    const dir = await Deno.makeTempDir();
    const spec = `${dir}/s.yaml`;
    await Deno.writeTextFile(
      spec,
      `version: 1\nchecks:\n  - { name: db, tcp: { host: 127.0.0.1, port: ${listener.addr.port} } }\n`,
    );
    await using monitor = await MonitorProcess.start([spec], { every: "200ms" });
    await monitor.until((e) => e.event === "result");
    assert.equal((await monitor.get("/healthz")).status, 200);
    const before = (await serverState(monitor.process.pid)).fds;

    // 300 clients, each a part of a head and then nothing: the server takes 256 connections.
    const slow = await Promise.all(
      Array.from(
        { length: 300 },
        () => Deno.connect({ hostname: "127.0.0.1", port: monitor.port }),
      ),
    );
    const partial = new TextEncoder().encode("GET /metrics HTTP/1.1\r\nHost: x\r\n");
    await Promise.all(slow.map((conn) => conn.write(partial)));
    const answers = slow.map(readAll);
    // Three clients with a head of 1 MiB.
    const huge = await Promise.all(
      Array.from({ length: 3 }, async () => {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: monitor.port });
        const head = `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(1 << 20)}\r\n\r\n`;
        const writing = conn.write(new TextEncoder().encode(head)).catch(() => 0);
        const answer = await readAll(conn);
        await writing;
        conn.close();
        return answer;
      }),
    );
    // The checks went on meanwhile.
    await monitor.until((e) => e.event === "result");
    const said = await Promise.all(answers);
    for (const conn of slow) conn.close();
    const refused = said.filter((a) => a.startsWith("HTTP/1.1 503")).length;
    const timedOut = said.filter((a) => a.startsWith("HTTP/1.1 408")).length;
    assert.equal(
      refused + timedOut,
      300,
      JSON.stringify(said.filter((a) => !/^HTTP\/1\.1 (503|408)/.test(a))),
    );
    assert.ok(refused >= 300 - 256, `${refused} refused`);
    for (const answer of huge) assert.match(answer, /^HTTP\/1\.1 (431|503) /);

    const metrics = await monitor.get("/metrics");
    assert.equal(metrics.status, 200);
    // The descriptors come back to what they were (the scrape's own connection is kept alive).
    let after = (await serverState(monitor.process.pid)).fds;
    for (let i = 0; i < 50 && after > before + 1; i++) {
      await monitor.until((e) => e.event === "result");
      after = (await serverState(monitor.process.pid)).fds;
    }
    assert.ok(after <= before + 1, `descriptors: ${before} before, ${after} after`);
    const { code } = await monitor.stop("SIGTERM");
    assert.equal(code, 0);
    listener.close();
    await accepting;
    await Deno.remove(dir, { recursive: true });
  },
});
