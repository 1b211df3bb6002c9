/**
 * Headless Chromium for end-to-end tests of pages: find it, load a URL once (`--dump-dom` or
 * `--screenshot`), and hand back the DOM, the console's messages (Content-Security-Policy
 * violations among them) and every request the browser started, read from its network log.
 *
 * The network log (`--log-net-log`) names for each request the page that caused it (its network
 * isolation key and initiator), so a test can tell the page's requests from the browser's own
 * (component updates, account checks) and see a request to another origin even when it fails.
 * Host names resolve to nothing but loopback (`--host-resolver-rules`): nothing leaves the machine.
 *
 * @module
 */

/** The names Chromium is installed under, in the order tried. */
const NAMES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

let found: string | null | undefined;

/** The path of a Chromium or Chrome on `PATH`; undefined (said once on stderr) when none is. */
export function findChromium(): string | undefined {
  if (found === undefined) {
    found = null;
    for (const name of NAMES) {
      const out = new Deno.Command("sh", {
        args: ["-c", `command -v ${name}`],
        stdout: "piped",
        stderr: "null",
      }).outputSync();
      if (out.success) {
        found = new TextDecoder().decode(out.stdout).trim();
        break;
      }
    }
    if (found === null) {
      // deno-lint-ignore no-console
      console.error(
        "note: chromium is not installed (apt-get install chromium); the browser tests are skipped",
      );
    }
  }
  return found ?? undefined;
}

/** A request the browser started, from its network log. */
export interface BrowserRequest {
  /** What was asked for. */
  url: string;
  /** The origin that caused it (`not an origin` for a top-level navigation or the browser's own). */
  initiator: string;
  /** The top frame's and the frame's sites: `http://127.0.0.1 http://127.0.0.1`. */
  isolationKey: string;
}

/** What one load showed. */
export interface BrowserRun {
  /** The serialized DOM after load (`--dump-dom`); empty for a screenshot. */
  dom: string;
  /** The page's console messages, as Chromium logged them (CSP violations among them). */
  console: string[];
  /** Every request started, the browser's own included. */
  requests: BrowserRequest[];
}

/** Options for {@linkcode loadInChromium}. */
export interface LoadOptions {
  /** Write a PNG of the page here instead of dumping the DOM. */
  screenshot?: string;
  /** The window, `width,height` in CSS pixels. @default {"1280,900"} */
  windowSize?: string;
  /** Ask for the dark colour scheme (`prefers-color-scheme: dark`). @default {false} */
  dark?: boolean;
  /** Give up (and kill the browser) after this many milliseconds. @default {30000} */
  timeoutMs?: number;
}

/** Loads a URL in headless Chromium once, with a fresh profile, and reports what happened. */
export async function loadInChromium(url: string, options: LoadOptions = {}): Promise<BrowserRun> {
  const chromium = findChromium();
  if (!chromium) throw new Error("chromium is not installed");
  const dir = await Deno.makeTempDir({ prefix: "sockit-chromium-" });
  const netLog = `${dir}/net-log.json`;
  try {
    const args = [
      "--headless",
      "--disable-gpu",
      "--no-sandbox",
      `--user-data-dir=${dir}/profile`,
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-default-apps",
      "--disable-extensions",
      "--disable-sync",
      "--hide-scrollbars",
      "--force-device-scale-factor=1",
      `--window-size=${options.windowSize ?? "1280,900"}`,
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
      "--enable-logging=stderr",
      `--log-net-log=${netLog}`,
      ...(options.dark ? ["--blink-settings=preferredColorScheme=0", "--force-dark-mode"] : []),
      options.screenshot ? `--screenshot=${options.screenshot}` : "--dump-dom",
      url,
    ];
    const out = await new Deno.Command(chromium, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    if (!out.success) {
      throw new Error(`chromium exited with ${out.code}: ${stderr.slice(-2000)}`);
    }
    return {
      dom: new TextDecoder().decode(out.stdout),
      console: stderr.split("\n").filter((line) => /:CONSOLE[:(]/.test(line)),
      requests: readNetLog(await Deno.readTextFile(netLog)),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

interface NetLogEvent {
  type: number;
  params?: { url?: string; initiator?: string; network_isolation_key?: string };
}

/** The requests in a Chromium network log (its closing brackets are added when missing). */
export function readNetLog(text: string): BrowserRequest[] {
  let log: { constants: { logEventTypes: Record<string, number> }; events: NetLogEvent[] };
  try {
    log = JSON.parse(text);
  } catch {
    // A browser that did not end cleanly leaves the events' list open.
    log = JSON.parse(text.trimEnd().replace(/,$/, "") + "]}");
  }
  const start = log.constants.logEventTypes["URL_REQUEST_START_JOB"];
  return log.events
    .filter((e) => e.type === start && typeof e.params?.url === "string")
    .map((e) => ({
      url: e.params!.url!,
      initiator: e.params!.initiator ?? "",
      isolationKey: e.params!.network_isolation_key ?? "",
    }));
}

/**
 * The requests a page at this origin caused (itself, its subresources, its frames), leaving out
 * the browser's own: those whose initiator is the page's origin or whose top frame is its site.
 */
export function requestsOfPage(run: BrowserRun, origin: string): BrowserRequest[] {
  const site = origin.replace(/:\d+$/, "");
  return run.requests.filter((r) =>
    r.initiator === origin || r.isolationKey.split(" ")[0] === site || r.url.startsWith(origin)
  );
}
