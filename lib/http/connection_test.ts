import assert from "node:assert/strict";
import { ConnectError } from "../net/errors.ts";
import type { TraceEvent } from "../net/trace.ts";
import { openConnection } from "./connection.ts";
import { parseHttpUrl } from "./url.ts";

Deno.test("openConnection() tries the given addresses in order and keeps the first that connects", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  const accepted = listener.accept();
  const url = parseHttpUrl(`http://app.test:${port}/`);
  // Nothing listens on 127.0.0.2: that address refuses, the next one answers.
  const resolve = new Map([[`app.test:${port}`, ["127.0.0.2", "127.0.0.1"]]]);
  const { connection, timing } = await openConnection(url, { resolve });
  (await accepted).close();
  connection.close();
  assert.deepEqual([connection.origin, connection.remote], [url.origin, `127.0.0.1:${port}`]);
  assert.equal(timing.tlsMs, 0);
});

Deno.test("openConnection() throws the last address's error when none connects", async () => {
  const port = (() => {
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    return listener.addr.port;
  })();
  const url = parseHttpUrl(`http://app.test:${port}/`);
  const resolve = new Map([[`app.test:${port}`, ["127.0.0.1"]]]);
  await assert.rejects(openConnection(url, { resolve }), ConnectError);
});

Deno.test({
  name: "openConnection() with unixSocket connects there, whatever the URL's host",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/http.sock`;
    try {
      using listener = Deno.listen({ transport: "unix", path });
      const accepted = listener.accept();
      const url = parseHttpUrl("http://docker.test/version");
      const { connection } = await openConnection(url, { unixSocket: path });
      (await accepted).close();
      connection.close();
      assert.equal(connection.origin, url.origin);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("HttpConnection.close() closes once and traces it once, with why", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const events: TraceEvent[] = [];
  const url = parseHttpUrl(`http://127.0.0.1:${listener.addr.port}/`);
  const { connection } = await openConnection(url, { trace: (event) => events.push(event) });
  (await accepted).close();
  connection.close("done");
  connection.close("again");
  assert.equal(connection.closed, true);
  const closes = events.filter((event) => event.step === "close").map((event) => event.detail);
  assert.deepEqual(closes, [`127.0.0.1:${listener.addr.port} after 0 requests: done`]);
});
