/**
 * The monitor's status page (`GET /`): one HTML document, made on the server from a
 * {@linkcode MonitorSnapshot}, with no external assets and no script. Its one inline style is
 * allowed by hash in the Content-Security-Policy it comes with, so the page works offline and
 * under `default-src 'none'`; it refreshes itself with `<meta http-equiv="refresh">`.
 *
 * What it shows: a summary line (`3 of 4 passing`), the vantage point (in the title too), then
 * the checks grouped by tag, each with its state as a word and a symbol (never by colour alone),
 * kind and target, last run (time in UTC and age), duration, attempts, message, and a strip of
 * its last runs, oldest to newest, each cell with a tooltip (time, status, duration, message)
 * and a height of its own besides its colour (passed full, failed two thirds, error a third).
 *
 * Grouping: a check with several tags is shown in the group of each (a group is then complete
 * for whoever looks at it); the summary line counts each check once. Groups come in the order
 * their tag first appears in the spec; checks without tags come last, under "untagged". When no
 * check has a tag, the checks are listed without group headings.
 *
 * Every value from a spec or a peer (names, tags, targets, messages, files) is escaped for HTML
 * text and double-quoted attributes alike, so none of it can become markup.
 *
 * @module
 */
import { escapeXml } from "../check/redact.ts";
import { showMs } from "../check/report.ts";
import { formatDuration } from "../net/deadline.ts";
import { countStates, displayState, shownTarget } from "./results_json.ts";
import type { DisplayState } from "./results_json.ts";
import { encodeBase64 } from "../text/base64.ts";
import { sha256 } from "../text/sha256.ts";
import { HISTORY_LENGTH } from "./snapshot.ts";
import type { CheckState, MonitorSnapshot, RunRecord } from "./snapshot.ts";

/** Options for {@linkcode renderStatusPage}. */
export interface StatusPageOptions {
  /** The page's heading and title. @default {"sockit status"} */
  title?: string;
  /**
   * Reload the page every this many seconds; 0 for never.
   * @default {the monitor's interval, at least 5 and at most 60 seconds}
   */
  refreshSeconds?: number;
  /** The moment the page shows ("5 s ago" is counted from it). @default {new Date()} */
  now?: Date;
}

/** A rendered status page and the Content-Security-Policy to send with it. */
export interface StatusPage {
  /** The whole HTML document (UTF-8, `text/html; charset=utf-8`). */
  html: string;
  /** The value of the `Content-Security-Policy` header the page needs, and nothing more. */
  contentSecurityPolicy: string;
}

/** The page's whole style sheet: fixed, so its hash is too. */
const STYLE = `
:root{color-scheme:light dark;--bg:#f6f7f9;--card:#fff;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;
--passed:#1a7f37;--failed:#cf222e;--error:#9a3d00;--pending:#6e7781;--none:#e4e8ec}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#161b22;--fg:#e6edf3;--muted:#9198a1;
--line:#30363d;--passed:#3fb950;--failed:#ff7b72;--error:#f0883e;--pending:#8b949e;--none:#262c34}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,
"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
header,main{max-width:72rem;margin:0 auto;padding:.75rem 1rem}
main{padding-top:0}
h1{font-size:1.35rem;margin:.25rem 0}
h2{font-size:1.05rem;margin:1.25rem 0 .5rem}
h2 .count{font-weight:normal;color:var(--muted);font-size:.9rem;margin-left:.5rem}
.summary{font-size:1.1rem;font-weight:600;margin:.25rem 0}
.meta,.facts,.more{color:var(--muted);font-size:.85rem;margin:.15rem 0}
.reload{border:1px solid var(--failed);border-radius:6px;padding:.5rem .75rem;white-space:pre-wrap}
ul.checks{list-style:none;margin:0;padding:0;display:grid;gap:.5rem}
.check{background:var(--card);border:1px solid var(--line);border-left:5px solid var(--st);
border-radius:6px;padding:.55rem .8rem;display:grid;gap:.2rem 1.25rem;
grid-template-columns:minmax(0,1fr) auto}
.check>*{grid-column:1;min-width:0}
.check>.strip{grid-column:2;grid-row:1/span 4;align-self:center}
.head{display:flex;flex-wrap:wrap;align-items:baseline;gap:.2rem .6rem}
.name{font-weight:600;overflow-wrap:anywhere}
.state{font-weight:700;color:var(--st);white-space:nowrap}
.target{font:.85rem/1.3 ui-monospace,"DejaVu Sans Mono",monospace;color:var(--muted);
overflow-wrap:anywhere}
.kind{border:1px solid var(--line);border-radius:4px;padding:0 .3rem;margin-right:.35rem}
.message{margin:.1rem 0;overflow-wrap:anywhere;white-space:pre-wrap}
.s-passed{--st:var(--passed)}.s-failed{--st:var(--failed)}.s-error{--st:var(--error)}
.s-pending{--st:var(--pending)}
.summary.s-failed,.summary.s-error,.summary.s-passed{color:var(--st)}
ol.strip{list-style:none;margin:0;padding:0;display:flex;gap:2px;align-items:flex-end;height:26px}
.strip li{width:8px;height:100%;border-radius:2px;background:var(--st)}
.strip li.s-failed{height:62%}
.strip li.s-error{height:38%;border-radius:4px 4px 2px 2px}
.strip li.none{background:var(--none)}
@media (max-width:44rem){.check{grid-template-columns:minmax(0,1fr)}
.check>.strip{grid-column:1;grid-row:auto;margin-top:.2rem}
ol.strip{height:20px}.strip li{flex:1 1 0;max-width:10px}}
`;

/** The state of a check as a symbol and a word. */
const STATE_TEXT: Record<DisplayState, string> = {
  passed: "&#x2713; passed",
  failed: "&#x2717; failed",
  error: "&#x26A0; error",
  pending: "&#x25CB; pending",
};

/** Characters no HTML document may carry as text: C0 controls but tab, LF and CR; DEL; C1. */
// deno-lint-ignore no-control-regex
const HTML_FORBIDDEN = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]/g;

/**
 * Text for HTML, safe in element content and in quoted attribute values: `&`, `<`, `>`, `"`
 * and `'` escaped, control characters removed.
 *
 * @example
 * ```ts
 * import { htmlText } from "./page.ts";
 * import assert from "node:assert/strict";
 * assert.equal(htmlText(`<script>alert("1")</script>`), "&lt;script&gt;alert(&quot;1&quot;)&lt;/script&gt;");
 * ```
 */
export function htmlText(text: string): string {
  return escapeXml(text.replace(HTML_FORBIDDEN, ""));
}

/** The CSP source that allows an inline block with exactly this text: `'sha256-...'`. */
export function cspHash(text: string): string {
  return `'sha256-${encodeBase64(sha256(text))}'`;
}

/** `2026-12-07 12:00:01 UTC`. */
function utc(at: Date): string {
  return `${at.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** How long ago, in the largest unit: `12 s ago`, `3 min ago`, `5 h ago`, `2 d ago`. */
function age(at: Date, now: Date): string {
  const s = Math.floor((now.getTime() - at.getTime()) / 1000);
  if (s < 1) return "just now";
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.floor(s / 60)} min ago`;
  if (s < 172_800) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** In how long: `in 12 s`, `in 3 min`; `now` when due. */
function until(at: Date, now: Date): string {
  const s = Math.ceil((at.getTime() - now.getTime()) / 1000);
  if (s <= 0) return "now";
  return s < 120 ? `in ${s} s` : `in ${Math.round(s / 60)} min`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** A `<time>` element: the UTC time (without the date when it is today's), and its age. */
function timeHtml(at: Date, now: Date): string {
  const text = utc(at).slice(utc(at).slice(0, 10) === utc(now).slice(0, 10) ? 11 : 0);
  return `<time datetime="${at.toISOString()}">${text}</time> (${age(at, now)})`;
}

/** The strip: the last runs as cells, oldest first, padded on the left to a full strip. */
function stripHtml(history: readonly RunRecord[]): string {
  const runs = history.slice(-HISTORY_LENGTH);
  const passed = runs.filter((r) => r.status === "passed").length;
  const label = runs.length === 0
    ? "no runs yet"
    : `last ${plural(runs.length, "run")}, oldest first: ${passed} passed, ${
      runs.length - passed
    } not`;
  const cells = Array.from(
    { length: HISTORY_LENGTH - runs.length },
    () => '<li class="none"></li>',
  );
  for (const run of runs) {
    const tip = `${utc(run.at)}: ${run.status} in ${showMs(run.durationMs)}: ${run.message}`;
    cells.push(`<li class="s-${run.status}" title="${htmlText(tip)}"></li>`);
  }
  return `<ol class="strip" role="img" aria-label="${htmlText(label)}">${cells.join("")}</ol>`;
}

/** One check's entry. */
function checkHtml(state: CheckState, showFile: boolean, now: Date): string {
  const { check, latest } = state;
  const shown = displayState(state);
  const name = showFile ? `${check.file}: ${check.name}` : check.name;
  const lines = [
    `<li class="check s-${shown}" data-check="${htmlText(name)}" data-state="${shown}">`,
    `<div class="head"><span class="state">${STATE_TEXT[shown]}</span>` +
    `<span class="name">${htmlText(name)}</span>` +
    `<span class="target"><span class="kind">${htmlText(check.kind)}</span>${
      htmlText(shownTarget(state))
    }</span></div>`,
  ];
  const facts: string[] = [];
  if (latest) {
    facts.push(`last run ${timeHtml(latest.startedAt, now)}`);
    facts.push(`took ${showMs(latest.durationMs)}`);
    facts.push(plural(latest.attempts.length, "attempt"));
  } else facts.push("no run yet");
  if (state.running) facts.push("running now");
  else if (state.nextRunAt) facts.push(`next ${until(state.nextRunAt, now)}`);
  facts.push(`every ${formatDuration(state.everyMs)}`);
  lines.push(`<p class="facts">${facts.join(" &#xB7; ")}</p>`);
  if (latest && latest.message !== "") {
    lines.push(`<p class="message">${htmlText(latest.message)}</p>`);
  }
  const more: string[] = [];
  if (latest && latest.status === "failed") {
    for (const f of latest.failures) {
      more.push(`${f.expectation}: expected ${f.expected}, got ${f.got}`);
    }
  }
  if (state.overruns > 0) more.push(`${plural(state.overruns, "turn")} skipped: still running`);
  if (more.length > 0) lines.push(`<p class="more">${more.map(htmlText).join("<br>")}</p>`);
  lines.push(stripHtml(state.history), "</li>");
  return lines.join("\n");
}

/** A group of checks: its tag (undefined for the checks without one) and its checks. */
interface Group {
  tag: string | undefined;
  checks: CheckState[];
}

/** The checks by tag, in the order each tag first appears; the untagged last. */
function groupByTag(checks: readonly CheckState[]): Group[] {
  const byTag = new Map<string, CheckState[]>();
  const untagged: CheckState[] = [];
  for (const state of checks) {
    const tags = [...new Set(state.check.tags)];
    if (tags.length === 0) untagged.push(state);
    for (const tag of tags) {
      const list = byTag.get(tag) ?? [];
      list.push(state);
      byTag.set(tag, list);
    }
  }
  const groups: Group[] = [...byTag].map(([tag, list]) => ({ tag, checks: list }));
  if (untagged.length > 0) groups.push({ tag: undefined, checks: untagged });
  return groups;
}

/** The summary's state: failed when any check is not passing, passed when all are, else pending. */
function overall(counts: ReturnType<typeof countStates>): DisplayState {
  if (counts.failed > 0) return "failed";
  return counts.pending > 0 || counts.total === 0 ? "pending" : "passed";
}

/**
 * The status page of a monitor at one moment, and the Content-Security-Policy to send with it:
 * no script, one inline style allowed by its hash, images only as `data:` (the page's empty
 * icon, so that the browser asks for no `/favicon.ico`), no base, forms or framing.
 *
 * @example An empty monitor
 * ```ts
 * import { renderStatusPage } from "./page.ts";
 * import assert from "node:assert/strict";
 * const page = renderStatusPage(
 *   { startedAt: new Date(0), files: ["s.yaml"], everyMs: 30_000, checks: [] },
 *   { title: "shop <prod>", now: new Date(60_000) },
 * );
 * assert.match(page.html, /<title>shop &lt;prod&gt;: 0 of 0 passing<\/title>/);
 * assert.match(page.contentSecurityPolicy, /^default-src 'none'; style-src 'sha256-/);
 * ```
 */
export function renderStatusPage(
  snapshot: MonitorSnapshot,
  options: StatusPageOptions = {},
): StatusPage {
  const now = options.now ?? new Date();
  const title = options.title ?? "sockit status";
  const refresh = Math.round(
    options.refreshSeconds ?? Math.min(60, Math.max(5, snapshot.everyMs / 1000)),
  );
  const counts = countStates(snapshot.checks);
  const summary = `${counts.passed} of ${counts.total} passing`;
  const state = overall(counts);
  const details = [
    ...(counts.failed - counts.errors > 0 ? [`${counts.failed - counts.errors} failed`] : []),
    ...(counts.errors > 0 ? [`${plural(counts.errors, "error")} (could not run)`] : []),
    ...(counts.pending > 0 ? [`${counts.pending} pending`] : []),
  ];
  const showFile = snapshot.files.length > 1;
  const groups = groupByTag(snapshot.checks);
  const named = groups.some((g) => g.tag !== undefined);
  const vantage = snapshot.vantage;
  const from = vantage === undefined ? "" : ` &#xB7; from ${htmlText(vantage)}`;

  const body: string[] = [
    "<header>",
    `<h1>${htmlText(title)}</h1>`,
    `<p class="summary s-${state}" role="status">${STATE_TEXT[state].split(" ")[0]} ${summary}${
      details.length > 0 ? `: ${details.join(", ")}` : ""
    }</p>`,
    `<p class="meta">as of <time datetime="${now.toISOString()}">${
      utc(now)
    }</time>${from} &#xB7; checks every ${formatDuration(snapshot.everyMs)} &#xB7; up since ${
      timeHtml(snapshot.startedAt, now)
    } &#xB7; ${htmlText(snapshot.files.join(", "))}</p>`,
  ];
  const reload = snapshot.lastReload;
  if (reload && !reload.ok) {
    body.push(
      `<p class="reload" role="alert">&#x26A0; the reload at ${
        utc(reload.at)
      } was refused; the previous spec is still running${
        reload.message ? `:\n${htmlText(reload.message)}` : ""
      }</p>`,
    );
  }
  body.push("</header>", "<main>");
  if (snapshot.checks.length === 0) body.push('<p class="meta">No checks are selected.</p>');
  groups.forEach((group, index) => {
    const c = countStates(group.checks);
    body.push(named ? `<section aria-labelledby="g${index}">` : "<section>");
    if (named) {
      body.push(
        `<h2 id="g${index}">${
          group.tag === undefined ? "<i>untagged</i>" : htmlText(group.tag)
        }<span class="count">${c.passed} of ${c.total} passing</span></h2>`,
      );
    }
    body.push('<ul class="checks">');
    for (const check of group.checks) body.push(checkHtml(check, showFile, now));
    body.push("</ul>", "</section>");
  });
  body.push("</main>");

  const html = [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    ...(refresh > 0 ? [`<meta http-equiv="refresh" content="${refresh}">`] : []),
    `<title>${htmlText(title)}${
      vantage === undefined ? "" : ` (${htmlText(vantage)})`
    }: ${summary}</title>`,
    '<link rel="icon" href="data:,">',
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    ...body,
    "</body>",
    "</html>",
    "",
  ].join("\n");
  return { html, contentSecurityPolicy: STATUS_PAGE_CSP };
}

/** The status page's Content-Security-Policy (the style sheet never changes, nor does it). */
const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `style-src ${cspHash(STYLE)}`,
  "img-src data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");
