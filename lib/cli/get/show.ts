/**
 * What `sockit get` shows besides the body: heads (`-i`, `-v`), the `--json` fields, the
 * `--timing` waterfall and the progress bar of `-o`.
 *
 * @module
 */
import type { Timing } from "../../http/connection.ts";
import type { ResponseHead } from "../../http/response.ts";
import { formatSize } from "../../http/size.ts";
import type { HttpUrl } from "../../http/url.ts";
import { writeAll } from "../../net/io.ts";
import type { Context } from "../command.ts";
import { formatMs, roundMs } from "../output.ts";
import type { Io } from "../output.ts";
import { maskHeadText, shownValue } from "../secrets.ts";

/** A response head as it is printed by -i: status line, fields, empty line, CRLF endings. */
export function formatHead(head: ResponseHead): string {
  let text = `${head.version} ${head.status}${head.reason ? ` ${head.reason}` : ""}\r\n`;
  for (const [name, value] of head.headers.entries) text += `${name}: ${value}\r\n`;
  return text + "\r\n";
}

/** A head for -v on stderr: each line after `< `, secrets masked unless asked. */
export function showHead(head: ResponseHead, showSecrets: boolean): string {
  const text = formatHead(head);
  const lines = (showSecrets ? text : maskHeadText(text)).split("\r\n").slice(0, -2);
  return [...lines.map((line) => `< ${line}`), "<"].join("\n");
}

/** The head's fields for --json: lower-case names, repeated fields joined with ", ". */
export function headersObject(head: ResponseHead, showSecrets: boolean): Record<string, string> {
  const object: Record<string, string> = {};
  for (const [name, raw] of head.headers.entries) {
    const key = name.toLowerCase();
    const value = showSecrets ? raw : shownValue(name, raw);
    object[key] = key in object ? `${object[key]}, ${value}` : value;
  }
  return object;
}

/** The phases for --json, in milliseconds to the microsecond. */
export function timingJson(timing: Timing): Record<string, number> {
  return {
    resolve_ms: roundMs(timing.resolveMs),
    connect_ms: roundMs(timing.connectMs),
    tls_ms: roundMs(timing.tlsMs),
    first_byte_ms: roundMs(timing.firstByteMs),
    transfer_ms: roundMs(timing.transferMs),
    total_ms: roundMs(timing.totalMs),
  };
}

/** Draws the phases as a waterfall on stderr, as httpstat does, under the URL they are for. */
export async function drawTiming(ctx: Context, url: HttpUrl, timing: Timing): Promise<void> {
  await ctx.out.note(url.href);
  const phases: Array<[string, number]> = [
    ["resolve", timing.resolveMs],
    ["connect", timing.connectMs],
    ["tls", timing.tlsMs],
    ["first byte", timing.firstByteMs],
    ["transfer", timing.transferMs],
  ];
  const width = 40;
  const total = Math.max(timing.totalMs, phases.reduce((n, [, ms]) => n + ms, 0), 0.001);
  let at = 0;
  for (const [name, ms] of phases) {
    const start = Math.round((at / total) * width);
    const length = ms > 0 ? Math.max(1, Math.round((ms / total) * width)) : 0;
    const bar = " ".repeat(start) + "#".repeat(Math.min(length, width - start));
    await ctx.out.note(`${name.padEnd(11)}${formatMs(ms).padStart(10)}  |${bar.padEnd(width)}|`);
    at += ms;
  }
  await ctx.out.note(`${"total".padEnd(11)}${formatMs(timing.totalMs).padStart(10)}`);
}

/** A progress bar on stderr for -o, redrawn at most five times a second. */
export class Progress {
  readonly #io: Io;
  #total: number | undefined;
  #started = 0;
  #last = 0;
  #bytes = 0;
  #shown = false;

  constructor(io: Io) {
    this.#io = io;
  }

  start(total: number | undefined): void {
    this.#total = total;
    this.#bytes = 0;
    this.#started = performance.now();
  }

  update(bytes: number): void {
    this.#bytes = bytes;
    const now = performance.now();
    if (now - this.#last < 200) return;
    if (this.#total !== undefined && this.#total < 1024 * 1024) return;
    this.#last = now;
    this.#shown = true;
    this.#draw(this.#frame(now), "");
  }

  /** Draws the last frame, with the real final count, and ends the line. */
  end(): void {
    if (this.#shown) this.#draw(this.#frame(performance.now()), "\n");
    this.#shown = false;
  }

  #frame(now: number): string {
    const bytes = this.#bytes;
    const rate = bytes / Math.max((now - this.#started) / 1000, 0.001);
    const size = this.#total === undefined
      ? formatSize(bytes)
      : `${Math.floor(bytes / this.#total * 100).toString().padStart(3)}% ${formatSize(bytes)} of ${
        formatSize(this.#total)
      }`;
    return `${size}  ${formatSize(rate)}/s   `;
  }

  #draw(frame: string, end: string): void {
    void writeAll(this.#io.stderr, new TextEncoder().encode(`\r${frame}${end}`)).catch(() => {});
  }
}
