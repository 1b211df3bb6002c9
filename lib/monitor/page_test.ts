/**
 * The status page: escaping in text and attributes, grouping by tag, checks that have not run,
 * the strip, and a Content-Security-Policy whose hashes match the page's inline blocks.
 */
import assert from "node:assert/strict";
import { cspHash, htmlText, renderStatusPage } from "./page.ts";
import { HIDDEN_TARGET } from "./results_json.ts";
import { HISTORY_LENGTH } from "./snapshot.ts";
import { snapshotOf, specChecks, stateOf } from "./_page_fixture.ts";

const NOW = new Date(1_700_000_005_000);

/** The `data-check` names of the page's entries, in order, with their `data-state`. */
function entries(html: string): string[] {
  return [...html.matchAll(/<li class="check [^"]*" data-check="([^"]*)" data-state="(\w+)">/g)]
    .map((m) => `${m[1]}=${m[2]}`);
}

/** The text of each `<h2>`, tags stripped. */
function headings(html: string): string[] {
  return [...html.matchAll(/<h2[^>]*>(.*?)<span/g)].map((m) => m[1]!.replace(/<[^>]+>/g, ""));
}

Deno.test("renderStatusPage() shows a hostile name, target and message as text, never markup", async () => {
  const [check] = await specChecks(
    "version: 1\nchecks:\n" +
      `  - name: "<script>alert(1)</script>"\n` +
      `    tags: ["<b>x</b>"]\n` +
      `    http: { url: 'http://127.0.0.1:1/"><img src=x onerror=alert(2)>' }\n`,
  );
  const state = await stateOf(check!, {
    failed: `</p><script>alert(3)</script>\u0000"onmouseover='x'`,
    got: "<iframe>",
  }, { history: ["passed"] });
  const { html } = renderStatusPage(snapshotOf([state]), { title: "<i>t</i>", now: NOW });
  assert.ok(!/<script|<img|<iframe|<b>|<i>t/.test(html), html);
  assert.ok(!/ on\w+=/.test(html));
  assert.ok(!html.includes("\u0000"));
  // Element content.
  assert.match(html, /<span class="name">&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/span>/);
  assert.match(html, /<h2 id="g0">&lt;b&gt;x&lt;\/b&gt;<span/);
  assert.match(
    html,
    /<p class="message">&lt;\/p&gt;&lt;script&gt;alert\(3\)&lt;\/script&gt;&quot;onmouseover=&apos;x&apos;<\/p>/,
  );
  assert.match(html, /got &lt;iframe&gt;/);
  assert.match(html, /<h1>&lt;i&gt;t&lt;\/i&gt;<\/h1>/);
  // Attribute values: a quote cannot end them.
  assert.match(html, /data-check="&lt;script&gt;alert\(1\)&lt;\/script&gt;"/);
  assert.match(html, /title="[^"<>]*&quot;onmouseover=&apos;x&apos;"/);
  // The URL reaches the page as the runner wrote it, percent-encoded.
  assert.match(html, /<span class="kind">http<\/span>GET http:\/\/127\.0\.0\.1:1\/%22%3E%3Cimg%20/);
});

Deno.test("htmlText() escapes the five characters and drops control characters", () => {
  assert.equal(htmlText(`a&b<c>d"e'f\u0007\u009b\tg\nh`), "a&amp;b&lt;c&gt;d&quot;e&apos;f\tg\nh");
});

Deno.test("renderStatusPage() shows a check in the group of each of its tags and the untagged last", async () => {
  const checks = await specChecks(
    "version: 1\nchecks:\n" +
      "  - { name: a, tags: [web, prod], tcp: { host: h, port: 1 } }\n" +
      "  - { name: b, tcp: { host: h, port: 2 } }\n" +
      "  - { name: c, tags: [db], tcp: { host: h, port: 3 } }\n" +
      "  - { name: d, tags: [prod], tcp: { host: h, port: 4 } }\n",
  );
  const states = [
    await stateOf(checks[0]!, { failed: "status 503, expected 2xx" }),
    await stateOf(checks[1]!, { passed: "200" }),
    await stateOf(checks[2]!, { error: "connection refused" }),
    await stateOf(checks[3]!, undefined),
  ];
  const { html } = renderStatusPage(snapshotOf(states), { now: NOW });
  assert.deepEqual(headings(html), ["web", "prod", "db", "untagged"]);
  assert.deepEqual(entries(html), [
    "a=failed",
    "a=failed",
    "d=pending",
    "c=error",
    "b=passed",
  ]);
  // The summary counts each check once.
  assert.match(
    html,
    /<p class="summary s-failed" role="status">&#x2717; 1 of 4 passing: 1 failed, 1 error \(could not run\), 1 pending<\/p>/,
  );
  assert.match(html, /<title>sockit status: 1 of 4 passing<\/title>/);
  assert.match(html, /prod<span class="count">0 of 2 passing<\/span>/);
  // A state is a word and a symbol, not a colour alone.
  for (const word of ["&#x2713; passed", "&#x2717; failed", "&#x26A0; error", "&#x25CB; pending"]) {
    assert.ok(html.includes(`<span class="state">${word}</span>`), word);
  }
});

Deno.test("renderStatusPage() lists checks without headings when none has a tag, and names files when there are several", async () => {
  const a = await specChecks(
    "version: 1\nchecks:\n  - { name: x, tcp: { host: h, port: 1 } }\n",
    "a.yaml",
  );
  const b = await specChecks(
    "version: 1\nchecks:\n  - { name: x, tcp: { host: h, port: 1 } }\n",
    "b.yaml",
  );
  const states = [
    await stateOf(a[0]!, { passed: "open" }),
    await stateOf(b[0]!, { passed: "open" }),
  ];
  const { html } = renderStatusPage(snapshotOf(states, ["a.yaml", "b.yaml"]), { now: NOW });
  assert.deepEqual(headings(html), []);
  assert.deepEqual(entries(html), ["a.yaml: x=passed", "b.yaml: x=passed"]);
  assert.match(html, /class="summary s-passed" role="status">&#x2713; 2 of 2 passing<\/p>/);
});

Deno.test("renderStatusPage() shows a check that has not run as pending with an empty strip", async () => {
  const checks = await specChecks(
    "version: 1\nsecrets: [PW]\nchecks:\n" +
      "  - { name: fresh, tcp: { host: h, port: 1 } }\n" +
      "  - { name: hidden, http: { url: 'http://u:${PW}@h/' } }\n",
    "s.yaml",
    () => "hunter2",
  );
  const states = await Promise.all(
    checks.map((c) => stateOf(c, undefined, { extra: { running: true, nextRunAt: undefined } })),
  );
  const { html } = renderStatusPage(snapshotOf(states), { now: NOW });
  assert.match(html, /data-check="fresh" data-state="pending"/);
  assert.match(html, /<p class="facts">no run yet &#xB7; running now &#xB7; every 30s<\/p>/);
  assert.ok(!html.includes('<p class="message">'));
  assert.match(html, /aria-label="no runs yet">(<li class="none"><\/li>){30}<\/ol>/);
  assert.match(html, /&#x25CB; 0 of 2 passing: 2 pending/);
  // A target that holds a secret is not shown before the runner has masked it.
  assert.ok(checks[1]!.holdsSecret);
  assert.ok(!html.includes("hunter2"));
  assert.ok(html.includes(HIDDEN_TARGET));
});

Deno.test("renderStatusPage() draws the last runs oldest first, padded to a full strip, each with a tooltip", async () => {
  const [check] = await specChecks(
    "version: 1\nchecks:\n  - { name: w, tcp: { host: h, port: 1 } }\n",
  );
  const state = await stateOf(check!, { passed: "accepted" }, {
    history: ["passed", "failed", "error"],
  });
  const { html } = renderStatusPage(snapshotOf([state]), { now: NOW });
  const strip = html.match(/<ol class="strip"[^>]*>(.*?)<\/ol>/)![0];
  const cells = [...strip.matchAll(/<li class="([\w-]+)"/g)].map((m) => m[1]);
  assert.equal(cells.length, HISTORY_LENGTH);
  assert.deepEqual(cells.slice(-4), ["s-passed", "s-failed", "s-error", "s-passed"]);
  assert.ok(cells.slice(0, -4).every((c) => c === "none"));
  assert.match(strip, /aria-label="last 4 runs, oldest first: 2 passed, 2 not"/);
  assert.match(
    strip,
    /<li class="s-failed" title="2023-11-14 22:13:18 UTC: failed in 2\.50 ms: status 503, expected 2xx">/,
  );
  assert.match(
    html,
    /last run <time datetime="2023-11-14T22:13:20.000Z">22:13:20 UTC<\/time> \(5 s ago\)/,
  );
});

Deno.test("renderStatusPage() refreshes itself by a meta element, at the interval or as told", () => {
  const empty = snapshotOf([]);
  assert.match(renderStatusPage(empty).html, /<meta http-equiv="refresh" content="30">/);
  assert.match(
    renderStatusPage(empty, { refreshSeconds: 7 }).html,
    /<meta http-equiv="refresh" content="7">/,
  );
  assert.ok(!renderStatusPage(empty, { refreshSeconds: 0 }).html.includes("refresh"));
  assert.match(
    renderStatusPage({ ...empty, everyMs: 1000 }).html,
    /<meta http-equiv="refresh" content="5">/,
  );
});

Deno.test("renderStatusPage() says when a reload was refused", () => {
  const { html } = renderStatusPage({
    ...snapshotOf([]),
    lastReload: { at: NOW, ok: false, message: "s.yaml:3:5: unknown key <x>" },
  }, { now: NOW });
  assert.match(html, /role="alert">.*refused.*:\ns\.yaml:3:5: unknown key &lt;x&gt;<\/p>/s);
});

/** The hash of a text as a CSP source, computed here with Web Crypto. */
async function webCryptoHash(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return `'sha256-${btoa(String.fromCharCode(...new Uint8Array(digest)))}'`;
}

Deno.test("renderStatusPage()'s policy allows its inline style by hash, and nothing else inline", async () => {
  const [check] = await specChecks(
    "version: 1\nchecks:\n  - { name: w, tcp: { host: h, port: 1 } }\n",
  );
  const { html, contentSecurityPolicy } = renderStatusPage(
    snapshotOf([await stateOf(check!, { passed: "ok" })]),
  );
  const styles = [...html.matchAll(/<style>(.*?)<\/style>/gs)].map((m) => m[1]!);
  assert.equal(styles.length, 1);
  assert.equal(cspHash(styles[0]!), await webCryptoHash(styles[0]!));
  assert.equal(
    contentSecurityPolicy,
    `default-src 'none'; style-src ${await webCryptoHash(styles[0]!)}; img-src data:; ` +
      "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  );
  assert.ok(!contentSecurityPolicy.includes("unsafe"));
  // No script at all, no style attribute, and nothing loaded but the empty data: icon.
  assert.ok(!/<script|\sstyle=|\son\w+=/i.test(html));
  assert.deepEqual([...html.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((m) => m[1]), ["data:,"]);
  assert.ok(!/url\(|@import/.test(styles[0]!));
});

Deno.test("renderStatusPage() names the vantage point in the title and beside the time, as text", () => {
  const { html } = renderStatusPage({ ...snapshotOf([]), vantage: "<b>eu</b>" }, { now: NOW });
  assert.match(html, /<title>sockit status \(&lt;b&gt;eu&lt;\/b&gt;\): 0 of 0 passing<\/title>/);
  assert.match(html, /<\/time> &#xB7; from &lt;b&gt;eu&lt;\/b&gt; &#xB7; checks every /);
  assert.doesNotMatch(renderStatusPage(snapshotOf([]), { now: NOW }).html, / from /);
});
