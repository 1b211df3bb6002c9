/**
 * Test helpers for DNS: a real dnsmasq on a free loopback port, serving a small zone written
 * for these tests.
 *
 * @module
 */
import dgram from "node:dgram";
import { hasProgram } from "./_helpers.ts";

/** Where dnsmasq lives on Debian (often outside a normal user's PATH). */
export const DNSMASQ = ["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq"].find((p) => {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
});

/** Whether dnsmasq is installed; prints a note when it is not. */
export function hasDnsmasq(): boolean {
  if (DNSMASQ) return true;
  return hasProgram("dnsmasq");
}

/** A 240-byte TXT string: ten of them make an answer too large for a 1232-byte UDP reply. */
export const BIG_TXT = "x".repeat(240);

/** The zone: every record type the tests check, by dnsmasq option. */
function zoneOptions(dir: string): string[] {
  const caa = (tag: string, value: string) => {
    const t = new TextEncoder().encode(tag), v = new TextEncoder().encode(value);
    return Array.from([0, t.length, ...t, ...v], (b) => b.toString(16).padStart(2, "0")).join("");
  };
  return [
    `--addn-hosts=${dir}/hosts`,
    "--local=/example.test/",
    "--cname=www.example.test,alias.example.test",
    "--cname=alias.example.test,a.example.test",
    "--mx-host=example.test,mail.example.test,10",
    "--txt-record=example.test,v=spf1 -all",
    "--srv-host=_sip._tcp.example.test,sip.example.test,5060,1,2",
    `--dns-rr=example.test,257,${caa("issue", "ca.example.net")}`,
    ...Array.from({ length: 10 }, (_, i) => `--txt-record=big.example.test,${i}${BIG_TXT}`),
  ];
}

/**
 * A port on 127.0.0.1 free for UDP and for TCP both (each bound, then released): dnsmasq
 * listens on both, so a port free only for UDP can keep it from starting.
 */
export async function freeUdpPort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const socket = dgram.createSocket("udp4");
      socket.once("error", reject);
      socket.bind(0, "127.0.0.1", () => {
        const { port } = socket.address();
        socket.close(() => resolve(port));
      });
    });
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      return port;
    } catch (error) {
      if (!(error instanceof Deno.errors.AddrInUse)) throw error;
    }
  }
}

/** A dnsmasq serving the test zone. */
export class Dnsmasq implements AsyncDisposable {
  private constructor(
    readonly process: Deno.ChildProcess,
    readonly port: number,
    readonly dir: string,
    readonly log: Promise<string>,
  ) {}

  /** `127.0.0.1:PORT`, for --server. */
  get server(): string {
    return `127.0.0.1:${this.port}`;
  }

  /**
   * Starts dnsmasq in the foreground on a free port and waits until it answers. `hosts` adds
   * `ADDRESS NAME` lines to the zone's hosts file (the bench's thousand names).
   */
  static async start(options: { port?: number; hosts?: string[] } = {}): Promise<Dnsmasq> {
    const dir = await Deno.makeTempDir({ prefix: "sockit-dnsmasq-" });
    await Deno.writeTextFile(
      `${dir}/hosts`,
      [
        "192.0.2.1 a.example.test",
        "2001:db8::1 a.example.test",
        "192.0.2.2 mail.example.test",
        // b\u00fccher.example.test, as IDNA puts it on the wire.
        "192.0.2.3 xn--bcher-kva.example.test",
        ...options.hosts ?? [],
        "",
      ].join("\n"),
    );
    for (let attempt = 0;; attempt++) {
      const port = options.port ?? await freeUdpPort();
      const process = new Deno.Command(DNSMASQ ?? "dnsmasq", {
        args: [
          "--keep-in-foreground",
          "--conf-file=/dev/null",
          "--no-resolv",
          "--no-hosts",
          "--bind-interfaces",
          "--listen-address=127.0.0.1",
          `--port=${port}`,
          "--user=root",
          `--pid-file=${dir}/pid`,
          "--log-facility=-",
          ...zoneOptions(dir),
        ],
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const reader = process.stderr.pipeThrough(new TextDecoderStream()).getReader();
      let seen = "";
      while (!/started, version|failed|FAILED|error/.test(seen)) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += value;
      }
      if (/started, version/.test(seen)) {
        const log = (async () => {
          let rest = seen;
          for (let r = await reader.read(); !r.done; r = await reader.read()) rest += r.value;
          return rest;
        })();
        return new Dnsmasq(process, port, dir, log);
      }
      try {
        process.kill("SIGTERM");
      } catch { /* exited */ }
      await process.status;
      await reader.cancel().catch(() => {});
      if (attempt >= 3) throw new Error(`dnsmasq did not start: ${seen}`);
    }
  }

  /** Stops dnsmasq and removes its files. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.process.kill("SIGTERM");
    } catch { /* exited */ }
    await this.process.status;
    await this.log;
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}
