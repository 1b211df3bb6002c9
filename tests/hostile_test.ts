/**
 * Hostile and odd peers, end to end: each test server misbehaves in one way, and sockit must
 * give the documented outcome and exit code within its deadline, with bounded memory.
 */
import assert from "node:assert/strict";
import { hasProgram, LineReader, spawnSockit } from "./_helpers.ts";
import { ReplayServer, runCli } from "./_http.ts";
import { buildAbuseClient } from "./abuse/scenario.ts";
import { startResponder } from "../lib/dns/responder.ts";
import { encodeMessage } from "../lib/dns/wire.ts";
import type { DnsMessage } from "../lib/dns/wire.ts";

Deno.test("get returns a chunked body byte for byte when the server sends it one byte at a time (found by fuzzing)", async () => {
  // Each chunk's CRLF arrives in a read after its data: the reader used to refill its buffer
  // over the chunk it had just handed out.
  const body = "0123456789abcdefghij";
  await using server = new ReplayServer([{
    bytes: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "a\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n",
    dripMs: 0,
  }]);
  const result = await runCli(["get", server.url()]);
  assert.equal(result.code, 0, result.err);
  assert.equal(result.out, body);
});

/** A server that runs `handle` on each connection until the client goes away. */
class HostileServer implements AsyncDisposable {
  readonly #listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  readonly #tasks = new Set<Promise<void>>();
  readonly #conns = new Set<Deno.Conn>();
  readonly #accepting: Promise<void>;

  /**
   * @param handle What to do after reading the request head.
   * @param readFirst How many request bytes to read first: fewer than the request leaves some
   * unread, so that closing the connection resets it.
   */
  constructor(
    handle: (conn: Deno.Conn, write: (text: string | Uint8Array) => Promise<void>) => Promise<void>,
    readFirst = 8192,
  ) {
    this.#accepting = (async () => {
      try {
        for await (const conn of this.#listener) {
          this.#conns.add(conn);
          const write = async (data: string | Uint8Array) => {
            const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
            for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
          };
          const task = (async () => {
            // Read the request head first, as a server does.
            await conn.read(new Uint8Array(readFirst));
            await handle(conn, write);
          })().catch(() => {}).finally(() => {
            this.#conns.delete(conn);
            try {
              conn.close();
            } catch { /* closed */ }
          });
          this.#tasks.add(task);
          task.finally(() => this.#tasks.delete(task));
        }
      } catch { /* closed */ }
    })();
  }

  url(): string {
    return `http://127.0.0.1:${this.#listener.addr.port}/`;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#accepting;
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch { /* closed */ }
    }
    await Promise.all([...this.#tasks]);
  }
}

/** Runs sockit as a subprocess, sampling its peak RSS (VmHWM) until it exits. */
async function runMeasured(
  args: string[],
): Promise<{ code: number; err: string; peakMiB: number; ms: number }> {
  const started = performance.now();
  const { process } = spawnSockit(args);
  let peakKiB = 0;
  const sample = async () => {
    const status = await new Deno.Command("cat", {
      args: [`/proc/${process.pid}/status`],
      stderr: "null",
    })
      .output();
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(new TextDecoder().decode(status.stdout))?.[1];
    if (hwm) peakKiB = Math.max(peakKiB, Number(hwm));
  };
  let running = true;
  const sampling = (async () => {
    while (running) {
      await sample();
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
  const [status, err] = await Promise.all([
    process.status,
    new Response(process.stderr).text(),
    process.stdout.pipeTo(new WritableStream()),
  ]);
  running = false;
  await sampling;
  return { code: status.code, err, peakMiB: peakKiB / 1024, ms: performance.now() - started };
}

const endless =
  (piece: string) => async (_conn: Deno.Conn, write: (t: string) => Promise<void>) => {
    const block = piece.repeat(Math.max(1, Math.floor(65536 / piece.length)));
    while (true) await write(block);
  };

const HOSTILE_HTTP: Array<{
  name: string;
  handle: ConstructorParameters<typeof HostileServer>[0];
  args?: string[];
  readFirst?: number;
  exit: number;
  err: RegExp;
}> = [
  {
    name: "a 1 MiB header line",
    handle: async (_c, write) =>
      await write(`HTTP/1.1 200 OK\r\nX-Big: ${"x".repeat(1 << 20)}\r\n\r\n`),
    exit: 8,
    err: /response head is too large/,
  },
  {
    name: "100,000 header fields",
    handle: async (_c, write) => {
      await write("HTTP/1.1 200 OK\r\n");
      await write("A: 1\r\n".repeat(100_000));
    },
    exit: 8,
    err: /Too many header fields in response head: more than 100/,
  },
  {
    name: "an endless stream of 1xx responses",
    handle: endless("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"),
    exit: 8,
    err: /too large/,
  },
  {
    name: "a chunk size of 2^64",
    handle: async (_c, write) =>
      await write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\nx"),
    exit: 7,
    err: /more than 16 hex digits/,
  },
  {
    name: "a chunk size of 2^64 - 1",
    handle: async (_c, write) =>
      await write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nx"),
    exit: 8,
    err: /Chunk size 0xffffffffffffffff is too large/,
  },
  {
    name: "endless chunk extensions",
    handle: async (_c, write) => {
      await write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1");
      await endless(";ext=value")(_c, write);
    },
    exit: 7,
    err: /longer than 4096 bytes/,
  },
  {
    name: "a body that never ends, past --max-filesize",
    handle: async (_c, write) => {
      await write("HTTP/1.1 200 OK\r\n\r\n");
      await endless("0123456789abcdef")(_c, write);
    },
    args: ["--max-filesize", "8M", "-o", "/dev/null"],
    exit: 8,
    err: /over the limit of 8388608 bytes/,
  },
  {
    name: "a server that accepts and sends nothing",
    handle: async (conn) => void await conn.read(new Uint8Array(1)),
    args: ["--read-timeout", "500ms"],
    exit: 5,
    err: /no data for 500ms/,
  },
];

for (const hostile of HOSTILE_HTTP) {
  Deno.test(`get survives ${hostile.name}: exit ${hostile.exit}, quickly, in under 100 MB`, async () => {
    await using server = new HostileServer(hostile.handle, hostile.readFirst);
    const result = await runMeasured(["get", ...(hostile.args ?? []), server.url()]);
    assert.equal(result.code, hostile.exit, result.err);
    assert.match(result.err, hostile.err);
    assert.doesNotMatch(result.err, /\n\s+at /);
    assert.ok(result.peakMiB < 100, `peak RSS ${result.peakMiB.toFixed(1)} MiB`);
    assert.ok(result.ms < 10_000, `took ${result.ms.toFixed(0)} ms`);
  });
}

Deno.test(
  "get says the connection was reset when the server resets in the middle of the body (exit 4)",
  { ignore: !hasProgram("cc") },
  async () => {
    // Deno cannot set SO_LINGER to 0, which is what makes close() send a reset: the C abuse
    // client's reset-server can.
    const dir = await Deno.makeTempDir();
    try {
      const client = await buildAbuseClient(dir);
      assert.ok(client, "the abuse client did not build");
      const server = new Deno.Command(client, {
        args: ["reset-server", "127.0.0.1", "0", "1000"],
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      const lines = new LineReader(server.stdout);
      const port = Number(await lines.next());
      const result = await runMeasured(["get", "-o", "/dev/null", `http://127.0.0.1:${port}/`]);
      await lines.rest();
      await server.status;
      assert.equal(result.code, 4, result.err);
      assert.match(result.err, /^error: Connection lost: connection reset by peer\n$/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("get stops a gzip bomb at --max-filesize (exit 8), in under 100 MB", async () => {
  // 256 MiB of zeros, about 256 KiB compressed.
  const zeros = new ReadableStream<Uint8Array>({
    start(controller) {
      const block = new Uint8Array(1 << 20);
      for (let i = 0; i < 256; i++) controller.enqueue(block);
      controller.close();
    },
  });
  const gzip = new CompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>;
  const bomb = await new Response(zeros.pipeThrough(gzip)).bytes();
  await using server = new HostileServer(async (_c, write) => {
    await write(
      `HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${bomb.length}\r\n\r\n`,
    );
    await write(bomb);
  });
  const result = await runMeasured([
    "get",
    "--compressed",
    "--max-filesize",
    "16M",
    "-o",
    "/dev/null",
    server.url(),
  ]);
  assert.equal(result.code, 8, result.err);
  assert.match(result.err, /Decoded response body is over the limit/);
  assert.ok(result.peakMiB < 100, `peak RSS ${result.peakMiB.toFixed(1)} MiB`);
});

/** A DNS reply to `query` built by hand: the header, the question echoed, then `rest`. */
function craftedReply(
  query: DnsMessage,
  counts: [number, number, number],
  rest: number[],
): Uint8Array {
  const q = encodeMessage({
    id: query.id,
    flags: { qr: true, rd: true },
    questions: query.questions,
  });
  const out = new Uint8Array(q.length + rest.length);
  out.set(q);
  out.set(rest, q.length);
  out[6] = counts[0] >> 8;
  out[7] = counts[0] & 0xff;
  out[8] = counts[1] >> 8;
  out[9] = counts[1] & 0xff;
  out[10] = counts[2] >> 8;
  out[11] = counts[2] & 0xff;
  return out;
}

/** An A record's fixed part after its owner name: type A, class IN, TTL 60, 4 bytes of data. */
const A_TAIL = [0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1];

const HOSTILE_DNS: Array<
  { name: string; reply: (q: DnsMessage) => Uint8Array; exit: number; err: RegExp }
> = [
  {
    name: "counts that lie (5 answers, 1 there)",
    reply: (q) => craftedReply(q, [5, 0, 0], [0xc0, 12, ...A_TAIL]),
    exit: 7,
    err: /Malformed DNS message: answer record name runs past the end/,
  },
  {
    name: "a label longer than 63 bytes",
    reply: (q) => craftedReply(q, [1, 0, 0], [64, ...new Array(64).fill(97), 0, ...A_TAIL]),
    exit: 7,
    err: /Malformed DNS message: answer record name uses reserved label type 0x40/,
  },
  {
    name: "a name longer than 255 bytes",
    reply: (q) => {
      const labels = Array.from({ length: 5 }, () => [63, ...new Array(63).fill(98)]).flat();
      return craftedReply(q, [1, 0, 0], [...labels, 0, ...A_TAIL]);
    },
    exit: 7,
    err: /longer than 255 bytes/,
  },
  {
    name: "compression pointers in a loop",
    reply: (q) => {
      // The answer's name points 2 bytes ahead, where a pointer points back at it.
      const at = encodeMessage({ id: 0, flags: {}, questions: q.questions }).length;
      return craftedReply(q, [1, 0, 0], [
        0xc0 | ((at + 2) >> 8),
        (at + 2) & 0xff,
        0xc0 | (at >> 8),
        at & 0xff,
        ...A_TAIL,
      ]);
    },
    exit: 7,
    err: /compression loop|points/,
  },
];

for (const hostile of HOSTILE_DNS) {
  Deno.test(`resolve survives a reply with ${hostile.name}: exit ${hostile.exit}, quickly`, async () => {
    await using responder = await startResponder((query) => hostile.reply(query));
    const result = await runMeasured([
      "resolve",
      `@127.0.0.1:${responder.server.port}`,
      "x.test",
      "--tries",
      "1",
      "--timeout",
      "2s",
    ]);
    assert.equal(result.code, hostile.exit, result.err);
    assert.match(result.err, hostile.err);
    assert.ok(result.ms < 2000, `took ${result.ms.toFixed(0)} ms`);
    assert.ok(result.peakMiB < 100, `peak RSS ${result.peakMiB.toFixed(1)} MiB`);
  });
}

Deno.test("resolve follows a long chain of backward compression pointers in bounded time", async () => {
  await using responder = await startResponder((query) => {
    // 1,000 pointers, each to the one before, ending at the question's name.
    const base = encodeMessage({ id: 0, flags: {}, questions: query.questions }).length;
    const chain: number[] = [0xc0, 12];
    for (let i = 1; i < 1000; i++) {
      const previous = base + 2 * (i - 1);
      chain.push(0xc0 | (previous >> 8), previous & 0xff);
    }
    const owner = base + 2 * 999;
    return craftedReply(
      query,
      [1, 0, 0],
      [...chain, 0xc0 | (owner >> 8), owner & 0xff, ...A_TAIL].slice(
        0,
        2 * 1000 + 2 + A_TAIL.length,
      ),
    );
  });
  const result = await runMeasured([
    "resolve",
    `@127.0.0.1:${responder.server.port}`,
    "x.test",
    "--tries",
    "1",
  ]);
  assert.ok([0, 7].includes(result.code), `exit ${result.code}: ${result.err}`);
  assert.ok(result.ms < 2000, `took ${result.ms.toFixed(0)} ms`);
});

Deno.test("get reads a field holding 60,000 tabs in linear time (found by fuzzing)", async () => {
  // Trimming the value with /[ \t]+$/ took quadratic time: 3.7 s for this field, with the event
  // loop blocked, so not even --max-time could end it.
  await using server = new HostileServer(async (_c, write) => {
    await write(
      `HTTP/1.1 200 OK\r\nX-Tabs: a${"\t".repeat(60_000)}b\r\nContent-Length: 2\r\n\r\nok`,
    );
  });
  const result = await runMeasured(["get", "--max-header-size", "1M", server.url()]);
  assert.equal(result.code, 0, result.err);
  assert.ok(result.ms < 1500, `took ${result.ms.toFixed(0)} ms`);
});
