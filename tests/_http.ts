/**
 * Helpers for the HTTP tests: a server that replays byte-exact responses, nginx on a free
 * loopback port from a throwaway config, a test CA made with openssl, and a way to run the CLI
 * in this process with captured streams.
 *
 * @module
 */
import assert from "node:assert/strict";
import { main } from "../main.ts";
import type { Io } from "../lib/cli/mod.ts";
import { closeQuietly } from "../lib/net/close.ts";
import { sleep } from "../lib/net/timer.ts";

const encoder = new TextEncoder();

/** Text whose characters are bytes (as the fixture files write responses) to bytes. */
export function bytesOf(text: string | Uint8Array): Uint8Array {
  if (text instanceof Uint8Array) return text;
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    assert.ok(code <= 0xff, `character U+${code.toString(16)} is not a byte`);
    out[i] = code;
  }
  return out;
}

/** One step of what a replay server does for a request. */
export interface Reply {
  /** Bytes to send (text: one character per byte). */
  bytes: string | Uint8Array;
  /** Send one byte every this many milliseconds instead of all at once. */
  dripMs?: number;
  /** Close the connection after this reply even if the client would keep it. */
  close?: boolean;
}

/**
 * A loopback server that answers each request with the next reply of its script, whatever the
 * connection: byte-exact, in order. After a reply it closes the connection when the request
 * said `Connection: close`, the reply asks to, or the script is used up; otherwise it waits for
 * the next request on the same connection.
 */
export class ReplayServer implements AsyncDisposable {
  readonly #listener: Deno.Listener;
  readonly #replies: Reply[];
  readonly #conns = new Set<Deno.Conn>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #accepting: Promise<void>;
  /** The request heads received, in order, as text. */
  readonly requests: string[] = [];
  /** The requests' bodies (by `Content-Length`; empty without one), in order, as text. */
  readonly bodies: string[] = [];
  /** Connections accepted. */
  connections = 0;

  /** @param replies The script. */
  constructor(replies: Array<Reply | string | Uint8Array>) {
    this.#replies = replies.map((r) =>
      typeof r === "string" || r instanceof Uint8Array ? { bytes: r } : r
    );
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#accepting = this.#accept();
  }

  /** The bound port. */
  get port(): number {
    return (this.#listener.addr as Deno.NetAddr).port;
  }

  /** `http://127.0.0.1:PORT` + path. */
  url(path = "/"): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async #accept(): Promise<void> {
    for await (const conn of this.#listener) {
      this.connections++;
      this.#conns.add(conn);
      const task = this.#serve(conn).catch(() => {}).finally(() => {
        this.#conns.delete(conn);
        closeQuietly(conn);
      });
      this.#tasks.add(task);
      task.finally(() => this.#tasks.delete(task));
    }
  }

  async #serve(conn: Deno.Conn): Promise<void> {
    const buf = new Uint8Array(16 * 1024);
    let pending = "";
    while (true) {
      while (!pending.includes("\r\n\r\n")) {
        const n = await conn.read(buf);
        if (n === null) return;
        pending += String.fromCharCode(...buf.subarray(0, n));
      }
      const end = pending.indexOf("\r\n\r\n") + 4;
      const request = pending.slice(0, end);
      pending = pending.slice(end);
      this.requests.push(request);
      // A body (Content-Length) is read and kept, so that it is neither taken for the next
      // request nor left unread when the connection closes (which would reset it).
      const length = Number(/^content-length: *(\d+)\r?$/im.exec(request)?.[1] ?? 0);
      while (pending.length < length) {
        const n = await conn.read(buf);
        if (n === null) return;
        pending += String.fromCharCode(...buf.subarray(0, n));
      }
      this.bodies.push(pending.slice(0, length));
      pending = pending.slice(length);
      const reply = this.#replies.shift();
      if (!reply) return;
      const bytes = bytesOf(reply.bytes);
      if (reply.dripMs !== undefined) {
        for (let i = 0; i < bytes.length; i++) {
          await conn.write(bytes.subarray(i, i + 1));
          await sleep(reply.dripMs);
        }
      } else {
        let offset = 0;
        while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
      }
      if (reply.close || /^connection: *close\r?$/im.test(request) || this.#replies.length === 0) {
        return;
      }
    }
  }

  /** Stops listening, closes every connection and waits for the handlers. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#accepting.catch(() => {});
    for (const conn of this.#conns) {
      closeQuietly(conn);
    }
    await Promise.all([...this.#tasks]);
  }
}

/** What an in-process run of the CLI produced. */
export interface CliResult {
  /** Exit code. */
  code: number;
  /** Raw stdout. */
  stdout: Uint8Array;
  /** Stdout as text (UTF-8). */
  out: string;
  /** Stderr as text. */
  err: string;
}

/** Options for {@linkcode runCli}. */
export interface CliOptions {
  /**
   * Stdout takes this many bytes, then its reader goes away: every later write fails with a
   * broken pipe, as when `| head -c N` has what it wanted.
   */
  stdoutLimit?: number;
  /** Pretend stderr is a terminal (progress bars are drawn only then). */
  stderrIsTerminal?: boolean;
  /** What stdin holds. @default {empty} */
  stdin?: string;
}

/** Runs `sockit ARGS` in this process with captured streams (faster than a subprocess). */
export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const stdout: Uint8Array[] = [];
  let taken = 0;
  const limit = options.stdoutLimit ?? Infinity;
  let err = "";
  const input = new TextEncoder().encode(options.stdin ?? "");
  let inputAt = 0;
  const io: Io = {
    stdout: {
      write(buf) {
        if (taken >= limit) return Promise.reject(new Deno.errors.BrokenPipe("Broken pipe"));
        const n = Math.min(buf.length, limit - taken);
        stdout.push(buf.slice(0, n));
        taken += n;
        return Promise.resolve(n);
      },
    },
    stderr: {
      write(buf) {
        err += new TextDecoder().decode(buf);
        return Promise.resolve(buf.length);
      },
    },
    stdin: {
      read(buf) {
        if (inputAt >= input.length) return Promise.resolve(null);
        const n = Math.min(buf.length, input.length - inputAt);
        buf.set(input.subarray(inputAt, inputAt + n));
        inputAt += n;
        return Promise.resolve(n);
      },
    },
    stderrIsTerminal: options.stderrIsTerminal ?? false,
    env: (name) => name === "NO_COLOR" ? "1" : undefined,
  };
  const code = await main(args, io);
  const total = new Uint8Array(stdout.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of stdout) {
    total.set(chunk, at);
    at += chunk.length;
  }
  return { code, stdout: total, out: new TextDecoder().decode(total), err };
}

/** A listener that accepts every connection and never answers; closing it closes them all. */
export class SilentServer implements AsyncDisposable {
  readonly #listener: Deno.Listener;
  readonly #held: Deno.Conn[] = [];
  readonly #accepting: Promise<void>;
  /** Connections accepted so far. */
  connections = 0;
  readonly #first = Promise.withResolvers<void>();
  /** Settles once the first connection is accepted. */
  readonly accepted: Promise<void> = this.#first.promise;

  constructor() {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#listener = listener;
    this.#accepting = (async () => {
      try {
        for await (const conn of listener) {
          this.connections++;
          this.#held.push(conn);
          this.#first.resolve();
        }
      } catch {
        // closed
      }
    })();
  }

  /** The bound port. */
  get port(): number {
    return (this.#listener.addr as Deno.NetAddr).port;
  }

  /** `http://127.0.0.1:PORT` + path. */
  url(path = "/", scheme = "http"): string {
    return `${scheme}://127.0.0.1:${this.port}${path}`;
  }

  /** Stops listening and closes every connection it accepted. */
  async [Symbol.asyncDispose](): Promise<void> {
    closeQuietly(this.#listener);
    await this.#accepting;
    for (const conn of this.#held) closeQuietly(conn);
  }
}

/**
 * A free TCP port on 127.0.0.1 (bound and released): for a server to bind next, or as a port
 * that refuses connections, since nothing listens on it.
 */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Path of the nginx binary, or undefined when it is not installed. */
export function nginxPath(): string | undefined {
  for (const path of ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // not there
    }
  }
  const which = new Deno.Command("sh", {
    args: ["-c", "command -v nginx"],
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  const found = new TextDecoder().decode(which.stdout).trim();
  return found || undefined;
}

/** Whether nginx is available; says so on stderr when it is not. */
export function hasNginx(): boolean {
  const found = nginxPath() !== undefined;
  if (!found) {
    // deno-lint-ignore no-console
    console.error("note: nginx is not installed; the tests that need it are skipped");
  }
  return found;
}

/** nginx running in the foreground on a free loopback port, with its own prefix. */
export class Nginx implements AsyncDisposable {
  /** The process. */
  readonly process: Deno.ChildProcess;
  /** Its port. */
  readonly port: number;
  /** The temp dir holding conf, logs and the document root (`root/`). */
  readonly dir: string;
  readonly #stderr: Promise<string>;

  private constructor(process: Deno.ChildProcess, port: number, dir: string) {
    this.process = process;
    this.port = port;
    this.dir = dir;
    this.#stderr = new Response(process.stderr).text();
  }

  /** The document root. */
  get root(): string {
    return `${this.dir}/root`;
  }

  /** `http://127.0.0.1:PORT` + path. */
  url(path = "/"): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /**
   * Starts nginx with `locations` (extra `location` blocks) in its server block; the access
   * log records the connection serial number and the request count on it.
   */
  static async start(
    options: {
      locations?: string;
      files?: Record<string, Uint8Array | string>;
      /** Listen on this port (a test that starts nginx late names the port first). */
      port?: number;
    } = {},
  ): Promise<Nginx> {
    const dir = await Deno.makeTempDir({ prefix: "sockit-nginx-" });
    await Deno.mkdir(`${dir}/root`);
    await Deno.mkdir(`${dir}/logs`);
    for (const [name, data] of Object.entries(options.files ?? {})) {
      const path = `${dir}/root/${name}`;
      await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
      await Deno.writeFile(path, typeof data === "string" ? encoder.encode(data) : data);
    }
    let lastError = "";
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = options.port ?? freePort();
      const conf = `
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 256; }
http {
  log_format conns '$connection $connection_requests $request_method $uri $status';
  access_log ${dir}/logs/access.log conns;
  client_body_temp_path ${dir}/tmp_body;
  proxy_temp_path ${dir}/tmp_proxy;
  fastcgi_temp_path ${dir}/tmp_fastcgi;
  uwsgi_temp_path ${dir}/tmp_uwsgi;
  scgi_temp_path ${dir}/tmp_scgi;
  default_type application/octet-stream;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:${port};
    root ${dir}/root;
    ${options.locations ?? ""}
  }
}
`;
      await Deno.writeTextFile(`${dir}/nginx.conf`, conf);
      await Deno.remove(`${dir}/nginx.pid`).catch(() => {});
      // Watched from before the start, so that the pid file cannot appear unseen.
      const watcher = Deno.watchFs(dir, { recursive: false });
      const process = new Deno.Command(nginxPath()!, {
        args: ["-p", dir, "-c", `${dir}/nginx.conf`, "-e", `${dir}/logs/error.log`],
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const server = new Nginx(process, port, dir);
      if (await server.#waitReady(watcher)) return server;
      lastError = await server.#stopped();
      // Only a port taken between freePort() and nginx's bind is worth another try.
      if (!/in use/i.test(lastError)) break;
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw new Error(`nginx did not start: ${lastError}`);
  }

  /**
   * Waits for nginx's own readiness signal: it writes its pid file only after its listening
   * socket is bound and listening (`ngx_init_cycle`, then `ngx_create_pidfile`), so from then
   * on a connect succeeds. False when nginx exits first (a port taken meanwhile, a bad config).
   */
  async #waitReady(watcher: Deno.FsWatcher): Promise<boolean> {
    const pidFile = `${this.dir}/nginx.pid`;
    let exited = false;
    const ended = this.process.status.then(() => {
      exited = true;
      closeQuietly(watcher);
    });
    try {
      for await (const event of watcher) {
        if (event.paths.includes(pidFile)) return !exited;
      }
      return false;
    } finally {
      closeQuietly(watcher);
      // The status promise settles once nginx exits; nothing is left pending on it then.
      ended.catch(() => {});
    }
  }

  async #stopped(): Promise<string> {
    try {
      this.process.kill("SIGTERM");
    } catch {
      // exited
    }
    await this.process.status;
    const err = await this.#stderr;
    const log = await Deno.readTextFile(`${this.dir}/logs/error.log`).catch(() => "");
    return err + log;
  }

  /** The access log as rows of [connection, requests on it, method, uri, status]. */
  async accessLog(): Promise<string[][]> {
    const text = await Deno.readTextFile(`${this.dir}/logs/access.log`).catch(() => "");
    return text.split("\n").filter(Boolean).map((line) => line.split(" "));
  }

  /** Stops nginx and removes its directory. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#stopped();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/** A test CA and a server certificate for `localhost` and 127.0.0.1, made with openssl. */
export interface TestPki {
  /** Directory holding the files. */
  dir: string;
  /** The CA certificate (PEM file path). */
  caCert: string;
  /** Server certificate and key, signed by the CA, for localhost / 127.0.0.1. */
  cert: string;
  key: string;
  /** Removes the directory. */
  remove(): Promise<void>;
}

/** `openssl req` arguments for a fresh P-256 key, unencrypted. */
const NEW_P256_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

async function openssl(args: string[], cwd: string): Promise<void> {
  const result = await new Deno.Command("openssl", { args, cwd, stdout: "null", stderr: "piped" })
    .output();
  if (!result.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(result.stderr)}`);
  }
}

/**
 * Makes a CA and a server certificate (valid for `names`) in a temp dir. The server certificate
 * is valid for `options.days` days (default 2), from now.
 */
export async function makeTestPki(
  names: string[] = ["localhost", "127.0.0.1"],
  options: { days?: number } = {},
): Promise<TestPki> {
  const dir = await Deno.makeTempDir({ prefix: "sockit-pki-" });
  const san = sanOf(names);
  await selfSigned(dir, "ca", "/CN=sockit test CA", [
    "basicConstraints=critical,CA:TRUE",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  await openssl([
    "req",
    ...NEW_P256_KEY,
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    `/CN=${names[0]}`,
  ], dir);
  await Deno.writeTextFile(
    `${dir}/ext.cnf`,
    `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${san}\n`,
  );
  await openssl([
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    String(options.days ?? 2),
    "-extfile",
    "ext.cnf",
  ], dir);
  return {
    dir,
    caCert: `${dir}/ca.pem`,
    cert: `${dir}/server.pem`,
    key: `${dir}/server.key`,
    remove: () => Deno.remove(dir, { recursive: true }),
  };
}

/** An in-process HTTPS server that answers every request with one fixed response. */
export class TlsReplayServer implements AsyncDisposable {
  readonly #listener: Deno.TlsListener;
  readonly #accepting: Promise<void>;
  readonly #tasks = new Set<Promise<void>>();
  /** Handshakes that failed on the server side (the client refused the certificate). */
  failedHandshakes = 0;

  /** @param pki Certificate and key to serve. @param response Bytes to answer with. */
  constructor(pki: TestPki, response: string) {
    const listener = Deno.listenTls({
      hostname: "127.0.0.1",
      port: 0,
      cert: Deno.readTextFileSync(pki.cert),
      key: Deno.readTextFileSync(pki.key),
    });
    this.#listener = listener;
    this.#accepting = (async () => {
      for await (const conn of listener) {
        const task = (async () => {
          try {
            await conn.handshake();
            const buf = new Uint8Array(16 * 1024);
            let seen = "";
            while (!seen.includes("\r\n\r\n")) {
              const n = await conn.read(buf);
              if (n === null) return;
              seen += new TextDecoder().decode(buf.subarray(0, n));
            }
            const bytes = bytesOf(response);
            let offset = 0;
            while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
          } catch {
            this.failedHandshakes++;
          } finally {
            closeQuietly(conn);
          }
        })();
        this.#tasks.add(task);
        task.finally(() => this.#tasks.delete(task));
      }
    })().catch(() => {});
  }

  /** The bound port. */
  get port(): number {
    return this.#listener.addr.port;
  }

  /** Stops the server and waits for its connections. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#accepting;
    await Promise.all([...this.#tasks]);
  }
}

/**
 * Adds a server certificate signed by the PKI's CA, for `names`, valid for `days` days (a
 * negative number makes one that has expired), and returns the paths of it and its key.
 */
export async function addServerCert(
  pki: TestPki,
  label: string,
  options: { names?: string[]; days?: number; extendedKeyUsage?: string } = {},
): Promise<{ cert: string; key: string }> {
  const names = options.names ?? ["localhost", "127.0.0.1"];
  const san = sanOf(names);
  const { dir } = pki;
  await openssl([
    "req",
    ...NEW_P256_KEY,
    "-keyout",
    `${label}.key`,
    "-out",
    `${label}.csr`,
    "-subj",
    `/CN=${names[0]}`,
  ], dir);
  await Deno.writeTextFile(
    `${dir}/${label}.cnf`,
    `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=${
      options.extendedKeyUsage ?? "serverAuth"
    }\nsubjectAltName=${san}\n`,
  );
  await openssl([
    "x509",
    "-req",
    "-in",
    `${label}.csr`,
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    `${label}.pem`,
    "-days",
    String(options.days ?? 2),
    "-extfile",
    `${label}.cnf`,
  ], dir);
  return { cert: `${dir}/${label}.pem`, key: `${dir}/${label}.key` };
}

/**
 * A self-signed server certificate as `openssl req -x509` makes it by default (which marks it
 * CA:TRUE), for `names`, in a temp dir: the certificate a user serves before they have a CA.
 */
export async function makeSelfSigned(
  names: string[] = ["localhost", "127.0.0.1"],
): Promise<TestPki> {
  const dir = await Deno.makeTempDir({ prefix: "sockit-self-" });
  await selfSigned(dir, "self", `/CN=${names[0]}`, [`subjectAltName=${sanOf(names)}`]);
  return {
    dir,
    caCert: `${dir}/self.pem`,
    cert: `${dir}/self.pem`,
    key: `${dir}/self.key`,
    remove: () => Deno.remove(dir, { recursive: true }),
  };
}

/** `openssl req -x509` with a fresh P-256 key: NAME.pem and NAME.key in `dir`, for two days. */
async function selfSigned(dir: string, name: string, subject: string, extensions: string[]) {
  await openssl([
    "req",
    "-x509",
    ...NEW_P256_KEY,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.pem`,
    "-days",
    "2",
    "-subj",
    subject,
    ...extensions.flatMap((extension) => ["-addext", extension]),
  ], dir);
}

/** subjectAltName's value for host names and addresses. */
function sanOf(names: string[]): string {
  return names.map((n) => /^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`).join(",");
}
