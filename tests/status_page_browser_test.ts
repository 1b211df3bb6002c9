/**
 * The status page in a real browser: headless Chromium loads it from a loopback server that
 * sends the page's own Content-Security-Policy, and the test reads the DOM Chromium built, the
 * console (where a policy violation would show) and Chromium's network log (where a request to
 * any other origin would show, even a failed one). Negative controls prove each detector bites:
 * a page that links `https://cdn.example/x.css` is seen asking for it, and under the policy the
 * same link and an altered inline style are seen refused.
 *
 * `SOCKIT_SCREENSHOT=docs/status-page.png deno test -P=test tests/status_page_browser_test.ts`
 * also writes the README's picture (a phone in dark mode beside a desktop in light mode); the
 * committed one went through `pngquant --quality=60-85` to a third of the size.
 */
import assert from "node:assert/strict";
import { renderStatusPage } from "../lib/monitor/page.ts";
import type { MonitorSnapshot } from "../lib/monitor/snapshot.ts";
import { snapshotOf, specChecks, stateOf } from "../lib/monitor/_page_fixture.ts";
import { findChromium, loadInChromium, requestsOfPage } from "./_chromium.ts";
import type { BrowserRun } from "./_chromium.ts";

const ignore = findChromium() === undefined;

const HOSTILE = "<script>alert(1)</script>";

/** A monitor with a check in each state, tags shared and not, and a name that is markup. */
async function sampleSnapshot(): Promise<MonitorSnapshot> {
  const checks = await specChecks(
    "version: 1\nchecks:\n" +
      "  - { name: shop front page, tags: [web], http: { url: 'https://shop.example.test/' } }\n" +
      "  - { name: api health, tags: [web, api], http: { url: 'https://api.example.test/healthz' } }\n" +
      "  - { name: shop A record, dns: { name: shop.example.test, type: A, server: 192.0.2.53 } }\n" +
      `  - { name: "${HOSTILE}", tcp: { host: 127.0.0.1, port: 1 } }\n` +
      "  - { name: new check, tcp: { host: cache.internal, port: 6379 } }\n",
    "sockit.yaml",
  );
  const at = new Date("2026-12-07T12:00:00Z");
  const ok = Array<"passed">(29).fill("passed");
  const flaky = ok.map((s, i) => i % 7 === 3 ? "failed" as const : i === 20 ? "error" : s);
  const states = [
    await stateOf(checks[0]!, { passed: "200" }, { at, history: ok }),
    await stateOf(checks[1]!, { failed: "status 503, expected 2xx" }, { at, history: flaky }),
    await stateOf(checks[2]!, { passed: "192.0.2.10 (NOERROR)" }, { at, history: ok.slice(12) }),
    await stateOf(checks[3]!, { error: `connect 127.0.0.1:1: connection refused ${HOSTILE}` }, {
      at,
      history: ["error", "error", "error"],
    }),
    await stateOf(checks[4]!, undefined, { at, extra: { running: true } }),
  ];
  // Durations as a network would give them, not as the stand-in probe did.
  states.forEach((state, i) => {
    state.history.forEach((run, j) => run.durationMs = 8 + ((i * 31 + j * 17) % 40));
    if (state.latest) state.latest.durationMs = state.history.at(-1)!.durationMs;
  });
  return { ...snapshotOf(states, ["sockit.yaml"]), startedAt: new Date("2026-12-07T09:30:00Z") };
}

/** What the test server answers at a path. */
interface Route {
  body: string;
  headers?: Record<string, string>;
}

/** Serves these pages on 127.0.0.1 and records every path asked for. */
function servePages(routes: Record<string, Route>) {
  const paths: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const path = new URL(request.url).pathname;
    paths.push(path);
    const route = routes[path];
    if (!route) return new Response("not found\n", { status: 404 });
    return new Response(route.body, {
      headers: { "content-type": "text/html; charset=utf-8", ...route.headers },
    });
  });
  return { origin: `http://127.0.0.1:${server.addr.port}`, paths, server };
}

/** The entries Chromium built: `name=state`, names as text. */
function entries(dom: string): string[] {
  const text = (s: string) =>
    s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&amp;/g, "&");
  return [...dom.matchAll(/<li class="check [^"]*" data-check="([^"]*)" data-state="(\w+)">/g)]
    .map((m) => `${text(m[1]!)}=${m[2]}`);
}

/** The requests of the page that went anywhere but its own origin. */
function elsewhere(run: BrowserRun, origin: string): string[] {
  return requestsOfPage(run, origin).map((r) => r.url).filter((url) =>
    !url.startsWith(`${origin}/`)
  );
}

/** The console's words on the Content-Security-Policy. */
function violations(run: BrowserRun): string[] {
  return run.console.filter((line) => /Content Security Policy/i.test(line));
}

Deno.test({
  name: "the status page shows every check and its state in Chromium, under its own policy",
  ignore,
  async fn() {
    const page = renderStatusPage(await sampleSnapshot(), {
      now: new Date("2026-12-07T12:00:05Z"),
    });
    const { origin, paths, server } = servePages({
      "/": { body: page.html, headers: { "content-security-policy": page.contentSecurityPolicy } },
    });
    try {
      const run = await loadInChromium(`${origin}/`);
      assert.deepEqual(entries(run.dom), [
        "shop front page=passed",
        "api health=failed",
        "api health=failed",
        "shop A record=passed",
        `${HOSTILE}=error`,
        "new check=pending",
      ]);
      // The markup in a name and in an error is text: Chromium made no element of it.
      assert.ok(!/<script/i.test(run.dom), "a script element in the DOM");
      assert.match(run.dom, /<span class="name">&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/span>/);
      assert.match(run.dom, /connection refused &lt;script&gt;alert\(1\)&lt;\/script&gt;<\/p>/);
      assert.match(run.dom, /&#x2713;|\u2713 passed/);
      // Under the policy nothing was refused, and nothing was asked of any other origin.
      assert.deepEqual(violations(run), []);
      assert.deepEqual(elsewhere(run, origin), []);
      assert.deepEqual(requestsOfPage(run, origin).map((r) => r.url), [`${origin}/`]);
      assert.deepEqual(paths, ["/"]);
    } finally {
      await server.shutdown();
    }
  },
});

Deno.test({
  name: "a page linking another origin's style sheet is caught, with the policy and without",
  ignore,
  async fn() {
    const page = renderStatusPage(await sampleSnapshot());
    const linked = page.html.replace(
      "</head>",
      '<link rel="stylesheet" href="https://cdn.example/x.css">\n</head>',
    );
    // One byte more in the inline style: its hash no longer matches the policy's.
    const altered = linked.replace("<style>", "<style> ");
    const csp = { "content-security-policy": page.contentSecurityPolicy };
    const { origin, server } = servePages({
      "/bare": { body: linked },
      "/strict": { body: altered, headers: csp },
    });
    try {
      const bare = await loadInChromium(`${origin}/bare`);
      assert.deepEqual(elsewhere(bare, origin), ["https://cdn.example/x.css"]);
      const strict = await loadInChromium(`${origin}/strict`);
      assert.deepEqual(elsewhere(strict, origin), []);
      const refused = violations(strict).join("\n");
      assert.match(refused, /stylesheet 'https:\/\/cdn\.example\/x\.css'/);
      assert.match(refused, /inline style/);
    } finally {
      await server.shutdown();
    }
  },
});

/** The README's picture: the page at a phone's width in dark mode beside a desktop's in light. */
const FRAME_STYLE = "body{margin:0;display:flex;gap:16px;padding:16px;background:#8c959f}" +
  "iframe{border:0;background:#fff;height:1068px}" +
  ".phone{width:390px;color-scheme:dark}.desk{width:900px;color-scheme:light}";

Deno.test({
  name: "the status page makes a screenshot at a phone's and a desktop's width",
  ignore,
  async fn() {
    const page = renderStatusPage(await sampleSnapshot(), {
      now: new Date("2026-12-07T12:00:05Z"),
    });
    const framed = page.contentSecurityPolicy.replace(
      "frame-ancestors 'none'",
      "frame-ancestors 'self'",
    );
    const styleHash = await sha256(FRAME_STYLE);
    const { origin, paths, server } = servePages({
      "/": { body: page.html, headers: { "content-security-policy": framed } },
      "/shot": {
        body: `<!DOCTYPE html><html><head><meta charset="utf-8"><style>${FRAME_STYLE}</style>` +
          '</head><body><iframe class="phone" src="/"></iframe>' +
          '<iframe class="desk" src="/"></iframe></body></html>',
        headers: {
          "content-security-policy":
            `default-src 'none'; frame-src 'self'; style-src 'sha256-${styleHash}'`,
        },
      },
    });
    const dir = await Deno.makeTempDir();
    try {
      const png = `${dir}/status-page.png`;
      const run = await loadInChromium(`${origin}/shot`, {
        screenshot: png,
        windowSize: "1338,1100",
      });
      const bytes = await Deno.readFile(png);
      assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
      assert.deepEqual(violations(run), []);
      assert.deepEqual(elsewhere(run, origin), []);
      assert.deepEqual(paths.toSorted(), ["/", "/", "/shot"]);
      const target = Deno.env.get("SOCKIT_SCREENSHOT");
      if (target) await Deno.copyFile(png, target);
    } finally {
      await Deno.remove(dir, { recursive: true });
      await server.shutdown();
    }
  },
});

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}
