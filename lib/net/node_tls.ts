/**
 * The TLS client handshakes that `Deno.startTls` cannot make, through `node:tls` on the same
 * connection: one that accepts any certificate (`-k`), and one that trusts the certificates
 * given alone, as OpenSSL does (so that a server's own self-signed certificate, which rustls
 * refuses as "a CA used as an end entity", verifies when it is given). `node:tls` in Deno 2.9
 * still checks that the server holds the certificate's key (the handshake's signature) in both,
 * and the name with `checkServerIdentity` in the second. The TLS socket is handed back as a
 * `Deno.TlsConn`, so that the HTTP and echo clients read and write it as any other.
 *
 * Loaded only when needed: `node:tls` costs tens of milliseconds at start-up.
 *
 * @module
 */
import type { Duplex as NodeDuplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import { isIpLiteral } from "./addr.ts";
import { writeAll } from "./io.ts";

// import(), not `import`: a bundle hoists every static import of a node: module to its first
// line, and Node's compatibility layer would then cost every command about 20 ms at start-up.
const { Duplex } = await import("node:stream");
const { default: tls } = await import("node:tls");

/** Options for {@linkcode nodeStartTls}. */
export interface NodeTlsOptions {
  /** The name to send as SNI (unless it is an address) and to verify. */
  hostname: string;
  /**
   * `"any"`: accept any certificate; `"given"`: trust `caCerts` alone (not the system's roots).
   */
  trust: "any" | "given";
  /** The certificates to trust with `trust: "given"` (PEM). */
  caCerts?: string[] | undefined;
  /** ALPN protocols to offer. */
  alpnProtocols?: string[] | undefined;
}

/** A handshake made by {@linkcode nodeStartTls}. */
export interface NodeTlsConn {
  /** The connection, read and written as a `Deno.TlsConn`. */
  conn: Deno.TlsConn;
  /** The ALPN protocol the server chose, or `null`. */
  alpn: string | null;
  /** The server's certificate, DER. */
  peerCertificate: Uint8Array;
}

/**
 * The TLS client handshake over `conn` (which it takes over) through `node:tls`. Closing the
 * returned connection, or `conn`, ends the handshake.
 *
 * @throws {Error} node:tls's, with its `code` (`DEPTH_ZERO_SELF_SIGNED_CERT`,
 * `ERR_TLS_CERT_ALTNAME_INVALID`): `tlsFailure` in `tls.ts` reads it.
 */
export function nodeStartTls(conn: Deno.Conn, options: NodeTlsOptions): Promise<NodeTlsConn> {
  const readAhead = new ReadAhead();
  const socket = tls.connect({
    socket: duplexOf(conn, readAhead),
    host: options.hostname,
    ...(isIpLiteral(options.hostname) ? {} : { servername: options.hostname }),
    ...(options.trust === "any"
      ? { rejectUnauthorized: false }
      : { rejectUnauthorized: true, ca: options.caCerts ?? [] }),
    ...(options.alpnProtocols ? { ALPNProtocols: options.alpnProtocols } : {}),
  });
  const adapted = new NodeTlsAdapter(socket, conn, readAhead);
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      reject(error);
      adapted.close();
    };
    socket.once("error", onError);
    adapted.onClosed = () => reject(new Deno.errors.Interrupted("the handshake was cut short"));
    socket.once("secureConnect", () => {
      socket.off("error", onError);
      adapted.onClosed = undefined;
      const alpn = typeof socket.alpnProtocol === "string" ? socket.alpnProtocol : null;
      adapted.alpn = alpn;
      const raw = socket.getPeerCertificate(true)?.raw;
      resolve({
        conn: adapted as unknown as Deno.TlsConn,
        alpn,
        peerCertificate: raw ? new Uint8Array(raw) : new Uint8Array(0),
      });
    });
  });
}

/**
 * How far the TLS socket may read ahead of the caller: at most {@linkcode READ_AHEAD} bytes of
 * plain text wait in the adapter before the connection is read again. The TLS socket itself is
 * never paused: in Deno 2.9, a `node:tls` socket that was paused (or read in paused mode) does
 * not report the end of the stream, so the brake is on the raw connection below it.
 */
class ReadAhead {
  /** Plain-text bytes the caller has not read yet. */
  buffered = 0;
  #waiting: (() => void) | undefined;

  /** Runs `read` now, or once the caller has read enough. */
  whenRoom(read: () => void): void {
    if (this.buffered < READ_AHEAD) read();
    else this.#waiting = read;
  }

  /** The caller took `n` bytes: read the connection again if it was waiting for room. */
  taken(n: number): void {
    this.buffered -= n;
    const waiting = this.#waiting;
    if (waiting && this.buffered < READ_AHEAD) {
      this.#waiting = undefined;
      waiting();
    }
  }
}

/** The most plain-text bytes read ahead of the caller. */
const READ_AHEAD = 256 * 1024;

/** `conn` as a node stream, for node:tls to run over. */
function duplexOf(conn: Deno.Conn, readAhead: ReadAhead): NodeDuplex {
  const buffer = new Uint8Array(16 * 1024);
  return new Duplex({
    read() {
      readAhead.whenRoom(() =>
        conn.read(buffer).then(
          (n) => this.push(n === null ? null : buffer.slice(0, n)),
          (error) => this.destroy(error),
        )
      );
    },
    write(chunk: Uint8Array, _encoding, done) {
      writeAll(conn, chunk).then(() => done(), done);
    },
    final(done) {
      conn.closeWrite().then(() => done(), done);
    },
    destroy(error, done) {
      try {
        conn.close();
      } catch {
        // closed already
      }
      done(error);
    },
  });
}

/** A node TLS socket with the `Deno.TlsConn` methods the clients use. */
class NodeTlsAdapter {
  readonly #socket: TLSSocket;
  readonly #tcp: Deno.Conn;
  readonly #readAhead: ReadAhead;
  readonly #chunks: Uint8Array[] = [];
  #ended = false;
  #closed = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;
  #readable: ReadableStream<Uint8Array> | undefined;
  #writable: WritableStream<Uint8Array> | undefined;
  /** Set during the handshake: called if the connection closes before it is done. */
  onClosed: (() => void) | undefined;
  /** The ALPN protocol, once the handshake is done. */
  alpn: string | null = null;

  constructor(socket: TLSSocket, tcp: Deno.Conn, readAhead: ReadAhead) {
    this.#socket = socket;
    this.#tcp = tcp;
    this.#readAhead = readAhead;
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      readAhead.buffered += chunk.length;
      this.#notify();
    });
    socket.on("end", () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on("error", (error: Error) => {
      this.#error ??= error;
      this.#notify();
    });
    socket.on("close", () => {
      this.#ended = true;
      this.onClosed?.();
      this.#notify();
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  get localAddr(): Deno.Addr {
    return this.#tcp.localAddr;
  }

  get remoteAddr(): Deno.Addr {
    return this.#tcp.remoteAddr;
  }

  handshake(): Promise<Deno.TlsHandshakeInfo> {
    return Promise.resolve({ alpnProtocol: this.alpn });
  }

  async read(into: Uint8Array): Promise<number | null> {
    while (true) {
      if (this.#closed) throw new Deno.errors.BadResource("the connection is closed");
      const chunk = this.#chunks[0];
      if (chunk !== undefined) {
        const n = Math.min(into.length, chunk.length);
        into.set(chunk.subarray(0, n));
        if (n === chunk.length) this.#chunks.shift();
        else this.#chunks[0] = chunk.subarray(n);
        this.#readAhead.taken(n);
        return n;
      }
      if (this.#error) throw this.#error;
      if (this.#ended) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
  }

  write(data: Uint8Array): Promise<number> {
    if (this.#closed) {
      return Promise.reject(new Deno.errors.BadResource("the connection is closed"));
    }
    const copy = data.slice();
    return new Promise((resolve, reject) => {
      this.#socket.write(copy, (error) => error ? reject(error) : resolve(copy.length));
    });
  }

  closeWrite(): Promise<void> {
    return new Promise((resolve) => this.#socket.end(resolve));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
    this.onClosed?.();
    this.#notify();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  ref(): void {
    this.#tcp.ref();
  }

  unref(): void {
    this.#tcp.unref();
  }

  get readable(): ReadableStream<Uint8Array> {
    this.#readable ??= new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const buffer = new Uint8Array(16 * 1024);
        const n = await this.read(buffer);
        if (n === null) controller.close();
        else controller.enqueue(buffer.subarray(0, n));
      },
      cancel: () => this.close(),
    });
    return this.#readable;
  }

  get writable(): WritableStream<Uint8Array> {
    this.#writable ??= new WritableStream<Uint8Array>({
      write: async (chunk) => {
        await this.write(chunk);
      },
      close: () => this.closeWrite(),
      abort: () => this.close(),
    });
    return this.#writable;
  }
}
