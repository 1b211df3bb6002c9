/**
 * A fake sockit release served on loopback, for the tests of install.sh and of the GitHub action:
 * archives holding a stand-in `sockit` script, and a real SHA256SUMS, made with the same code as
 * `deno task release`.
 *
 * @module
 */
import { archiveNames, pack, writeChecksums } from "../scripts/build.ts";

/** The release target of this machine, as install.sh names it. */
export const HOST_TARGET = `${Deno.build.arch}-${
  Deno.build.os === "darwin" ? "apple-darwin" : "unknown-linux-gnu"
}`;

/** A release directory served over HTTP on 127.0.0.1; counts the requests. */
export class FakeRelease implements AsyncDisposable {
  readonly dir: string;
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  requests: string[] = [];
  /** Files whose download breaks off half way (the connection is dropped). */
  breakOff = new Set<string>();

  private constructor(dir: string) {
    this.dir = dir;
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (request) => {
        const name = new URL(request.url).pathname.slice(1);
        this.requests.push(name);
        let bytes;
        try {
          bytes = await Deno.readFile(`${dir}/${name}`);
        } catch {
          return new Response("not found", { status: 404 });
        }
        if (!this.breakOff.has(name)) return new Response(bytes);
        const body = new ReadableStream({
          start(controller) {
            controller.enqueue(bytes.subarray(0, bytes.length >> 1));
            controller.close();
          },
        });
        return new Response(body, { headers: { "content-length": String(bytes.length) } });
      },
    );
  }

  /**
   * Archives for the host and one other target, holding a stand-in that prints its version (or
   * `script` instead).
   */
  static async make(script = "#!/bin/sh\necho 'sockit 9.9.9 (stand-in)'\n"): Promise<FakeRelease> {
    const dir = await Deno.makeTempDir({ prefix: "sockit-fake-release-" });
    const standIn = `${dir}/stand-in`;
    await Deno.writeTextFile(standIn, script);
    const files = [];
    for (const target of [HOST_TARGET, "aarch64-apple-darwin"]) {
      await pack(target, standIn, dir);
      files.push(archiveNames(target).archive);
    }
    await writeChecksums(dir, files);
    await Deno.remove(standIn);
    return new FakeRelease(dir);
  }

  /** The URL to give install.sh as SOCKIT_DOWNLOAD_BASE. */
  get base(): string {
    return `http://127.0.0.1:${this.#server.addr.port}`;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#server.shutdown();
    await Deno.remove(this.dir, { recursive: true });
  }
}
