import assert from "node:assert/strict";
import { brotliCompressSync } from "node:zlib";
import { LimitError, ProtocolError } from "../net/errors.ts";
import { acceptEncoding, contentCodings, decodeBody, decoders } from "./decode.ts";
import type { BodySource } from "./decode.ts";
import { HttpHeaders } from "./response.ts";
import type { ResponseHead } from "./response.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function compress(
  bytes: Uint8Array<ArrayBuffer>,
  format: CompressionFormat,
): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream(format));
  return await new Response(stream).bytes();
}

/** A body that hands out `bytes` in pieces of `piece` bytes. */
function bodyOf(bytes: Uint8Array, piece = 1000): BodySource {
  let at = 0;
  return {
    read() {
      if (at >= bytes.length) return Promise.resolve(null);
      const chunk = bytes.subarray(at, at + piece);
      at += piece;
      return Promise.resolve(chunk);
    },
  };
}

async function decodeText(bytes: Uint8Array, codings: string[]): Promise<[number, string]> {
  let text = "";
  const count = await decodeBody(bodyOf(bytes), codings, {
    onBody: (chunk) => {
      text += decoder.decode(chunk, { stream: true });
    },
  });
  return [count, text];
}

function headWith(contentEncoding: string): ResponseHead {
  return {
    version: "HTTP/1.1",
    status: 200,
    reason: "OK",
    headBytes: 0,
    headers: new HttpHeaders([["Content-Encoding", contentEncoding]]),
  };
}

const TEXT = "sockit decodes bodies. ".repeat(400);

Deno.test("decodeBody() undoes gzip, x-gzip and deflate", async () => {
  for (const [coding, format] of [["gzip", "gzip"], ["x-gzip", "gzip"], ["deflate", "deflate"]]) {
    const encoded = await compress(encoder.encode(TEXT), format as CompressionFormat);
    assert.deepEqual(await decodeText(encoded, [coding!]), [TEXT.length, TEXT], coding);
  }
});

Deno.test({
  name: "decodeBody() undoes br",
  // A runtime whose DecompressionStream cannot decode brotli never asks for br.
  ignore: !decoders().has("br"),
  fn: async () => {
    const encoded = new Uint8Array(brotliCompressSync(encoder.encode(TEXT)));
    assert.deepEqual(await decodeText(encoded, ["br"]), [TEXT.length, TEXT]);
  },
});

Deno.test("decodeBody() undoes stacked codings from the last applied", async () => {
  const once = await compress(encoder.encode(TEXT), "deflate");
  const twice = await compress(once, "gzip");
  assert.deepEqual(await decodeText(twice, ["deflate", "gzip"]), [TEXT.length, TEXT]);
});

Deno.test("decodeBody() stops a deflate bomb at maxBytes with a LimitError of kind max-body", async () => {
  const bomb = await compress(new Uint8Array(32 * 1024 * 1024), "deflate");
  let handedOut = 0;
  await assert.rejects(
    decodeBody(bodyOf(bomb, 1024 * 1024), ["deflate"], {
      maxBytes: 64 * 1024,
      onBody: (chunk) => {
        handedOut += chunk.length;
      },
    }),
    (error) => {
      assert.ok(error instanceof LimitError);
      assert.equal(error.kind, "max-body");
      return true;
    },
  );
  assert.ok(handedOut <= 64 * 1024, `${handedOut} bytes handed out`);
});

Deno.test("decodeBody() calls bytes that are not gzip a protocol error that names the coding", async () => {
  await assert.rejects(decodeText(encoder.encode("not gzip at all"), ["gzip"]), (error) => {
    assert.ok(error instanceof ProtocolError);
    assert.match(error.message, /^Cannot decode the gzip body: /);
    return true;
  });
});

Deno.test("decodeBody() passes what onBody throws through unchanged", async () => {
  const encoded = await compress(encoder.encode(TEXT), "gzip");
  const stop = new Error("stdout closed");
  await assert.rejects(
    decodeBody(bodyOf(encoded), ["gzip"], {
      onBody: () => {
        throw stop;
      },
    }),
    (error) => error === stop,
  );
});

Deno.test("contentCodings() drops identity, and gives none when one coding is not supported", () => {
  assert.deepEqual(contentCodings(headWith("identity, gzip")), ["gzip"]);
  assert.deepEqual(contentCodings(headWith("deflate, GZIP")), ["deflate", "gzip"]);
  assert.deepEqual(contentCodings(headWith("gzip, compress")), []);
});

Deno.test("acceptEncoding() asks for every decoder but the x-gzip alias", () => {
  const asked = acceptEncoding().split(", ");
  assert.deepEqual(asked, [...decoders().keys()].filter((name) => name !== "x-gzip"));
  assert.ok(asked.includes("gzip") && asked.includes("deflate"), asked.join(", "));
});
