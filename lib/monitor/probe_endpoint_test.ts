/** `/probe`'s answers: which module, which target, how long, and the debug log. */
import assert from "node:assert/strict";
import { Redactor } from "../check/redact.ts";
import { loadSpec } from "../check/spec.ts";
import type { CheckSpec } from "../check/spec.ts";
import { startHttpResponder } from "../http/responder.ts";
import { handleProbe } from "./probe_endpoint.ts";
import type { ProbeRequest } from "./probe_endpoint.ts";

function load(text: string, file = "s.yaml", env: Record<string, string> = {}): Promise<CheckSpec> {
  return loadSpec(`version: 1\n${text}`, { file, baseDir: ".", env: (name) => env[name] });
}

function ask(request: Partial<ProbeRequest>): ProbeRequest {
  return { module: null, target: null, debug: false, scrapeTimeoutHeader: null, ...request };
}

/** A loopback port nothing listens on. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

const sample = (body: string, name: string) =>
  Number(new RegExp(`^${name} (\\S+)$`, "m").exec(body)?.[1]);

Deno.test("handleProbe() answers 400 without a module, and for one no spec has", async () => {
  const spec = await load(`checks:\n  - { name: db, tcp: { host: 127.0.0.1, port: 1 } }\n`);
  const missing = await handleProbe([spec], ask({}), { anyTarget: false });
  assert.deepEqual(missing, {
    status: 400,
    contentType: "text/plain; charset=utf-8",
    body: "Module parameter is missing\n",
  });
  const unknown = await handleProbe([spec], ask({ module: "web" }), { anyTarget: false });
  assert.deepEqual([unknown.status, unknown.body], [400, 'Unknown module "web"\n']);
});

Deno.test("handleProbe() refuses a name two files use, and takes FILE#NAME for either", async () => {
  const port = closedPort();
  const check = `checks:\n  - { name: db, tcp: { host: 127.0.0.1, port: ${port} } }\n`;
  const specs = [await load(check, "a.yaml"), await load(check, "b.yaml")];
  const ambiguous = await handleProbe(specs, ask({ module: "db" }), { anyTarget: false });
  assert.equal(ambiguous.status, 400);
  assert.match(ambiguous.body, /"a\.yaml#db", "b\.yaml#db"/);
  const named = await handleProbe(specs, ask({ module: "b.yaml#db" }), { anyTarget: false });
  assert.equal(named.status, 200);
  assert.match(named.body, /^probe_success 0$/m);
});

Deno.test("handleProbe() takes only targets written in the specs, unless any target is allowed", async () => {
  await using server = startHttpResponder([
    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 204 No Content\r\n\r\n",
  ]);
  const written = server.url("/health");
  const spec = await load(
    `checks:\n  - { name: web, http: { url: "${server.url("/")}" } }\n` +
      `  - { name: other, http: { url: "${written}" } }\n`,
  );
  const other = server.url("/other");
  const refused = await handleProbe([spec], ask({ module: "web", target: other }), {
    anyTarget: false,
  });
  assert.equal(refused.status, 403);
  assert.match(refused.body, /^Target ".*\/other" is not allowed: without targets_allowed/);
  // Written for another check: allowed; and without a scheme, http:// is put in front.
  const allowed = await handleProbe([spec], ask({ module: "web", target: written.slice(7) }), {
    anyTarget: false,
  });
  assert.equal(sample(allowed.body, "probe_http_status_code"), 200);
  const any = await handleProbe([spec], ask({ module: "web", target: other }), {
    anyTarget: true,
  });
  assert.equal(sample(any.body, "probe_http_status_code"), 204);
});

Deno.test("handleProbe() with targets_allowed takes the targets that match and refuses others", async () => {
  const port = closedPort();
  const spec = await load(
    `targets_allowed: ['127\\.0\\.0\\.1:\\d+']\n` +
      `checks:\n  - { name: db, tcp: { host: 127.0.0.1, port: 1 } }\n`,
  );
  const options = { anyTarget: true };
  const allowed = await handleProbe([spec], ask({ module: "db", target: `127.0.0.1:${port}` }), {
    ...options,
  });
  assert.equal(allowed.status, 200);
  const refused = await handleProbe([spec], ask({ module: "db", target: `localhost:${port}` }), {
    ...options,
  });
  assert.equal(refused.status, 403);
  assert.match(refused.body, /matches none of the targets_allowed of "s\.yaml"/);
});

Deno.test("handleProbe() probes an IPv6 literal target as [::1]:PORT", async () => {
  using listener = Deno.listen({ hostname: "::1", port: 0 });
  const accepted = listener.accept().then((conn) => conn.close());
  const spec = await load(`checks:\n  - { name: db, tcp: { host: 127.0.0.1, port: 1 } }\n`);
  const answer = await handleProbe(
    [spec],
    ask({
      module: "db",
      target: `[::1]:${listener.addr.port}`,
    }),
    { anyTarget: true },
  );
  await accepted;
  assert.equal(sample(answer.body, "probe_success"), 1);
  assert.equal(sample(answer.body, "probe_ip_protocol"), 6);
});

Deno.test("handleProbe() gives the probe the scrape timeout less half a second, at most the check's", async () => {
  const port = closedPort();
  const spec = await load(
    `checks:\n  - { name: db, tcp: { host: 127.0.0.1, port: ${port} } }\n` +
      `  - { name: quick, timeout: 1s, tcp: { host: 127.0.0.1, port: ${port} } }\n`,
  );
  const timeout = async (module: string, header: string | null) => {
    const answer = await handleProbe([spec], ask({ module, scrapeTimeoutHeader: header }), {
      anyTarget: false,
    });
    return answer.status === 200 ? sample(answer.body, "probe_timeout_seconds") : answer.body;
  };
  assert.equal(await timeout("db", "3"), 2.5);
  assert.equal(await timeout("db", null), 5);
  assert.equal(await timeout("quick", "10"), 1);
  assert.equal(await timeout("db", "0.25"), 0.25);
  assert.match(String(await timeout("db", "soon")), /^Cannot parse the X-Prometheus-Scrape/);
});

Deno.test("handleProbe() makes one attempt whatever the check's retry says, and shows it in debug", async () => {
  const port = closedPort();
  const spec = await load(
    `checks:\n  - { name: db, retry: { attempts: 3, interval: 10ms }, tcp: { host: 127.0.0.1, port: ${port} } }\n`,
  );
  const answer = await handleProbe([spec], ask({ module: "db", debug: true }), {
    anyTarget: false,
  });
  assert.equal(answer.contentType, "text/plain; charset=utf-8");
  assert.match(answer.body, /^Logs for the probe:\n.*msg="Beginning probe" module="db"/);
  assert.match(answer.body, /msg="Attempt 1 did not pass".*connection refused/);
  assert.doesNotMatch(answer.body, /Attempt 2/);
  assert.match(answer.body, /\nMetrics that would have been returned:\n# HELP /);
  assert.match(answer.body, /^probe_success 0$/m);
});

Deno.test("handleProbe() keeps a secret masked in the debug log", async () => {
  await using server = startHttpResponder(["HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"]);
  const spec = await load(
    `secrets: [TOKEN]\nchecks:\n  - { name: web, http: { url: "${
      server.url("/")
    }?t=\${TOKEN}" } }\n`,
    "s.yaml",
    { TOKEN: "s3cr3t-value" },
  );
  const answer = await handleProbe([spec], ask({ module: "web", debug: true }), {
    anyTarget: false,
    redactor: new Redactor(spec.secrets),
  });
  assert.match(answer.body, /^probe_success 1$/m);
  assert.ok(!answer.body.includes("s3cr3t-value"), answer.body);
  assert.match(answer.body, /\?t=\*\*\*/);
});

Deno.test("handleProbe() refuses a target for a unix check, and one not of the module's kind", async () => {
  const spec = await load(
    `checks:\n  - { name: sock, unix: { path: /run/x.sock } }\n` +
      `  - { name: web, http: { url: "http://127.0.0.1:1/" } }\n`,
  );
  const unix = await handleProbe([spec], ask({ module: "sock", target: "/run/y.sock" }), {
    anyTarget: true,
  });
  assert.equal(unix.status, 400);
  assert.match(unix.body, /takes no target/);
  const web = await handleProbe([spec], ask({ module: "web", target: "tcp://127.0.0.1:1" }), {
    anyTarget: true,
  });
  assert.equal(web.status, 400);
  assert.match(web.body, /^Invalid target "tcp:\/\/127\.0\.0\.1:1" for http module/);
});

Deno.test("handleProbe() gives a dns check the target as the name to ask, with its type and server", async () => {
  const spec = await load(
    `checks:\n  - { name: ns, dns: { name: example.test, type: AAAA, server: "127.0.0.1:${closedPort()}" } }\n`,
  );
  const answer = await handleProbe(
    [spec],
    ask({
      module: "ns",
      target: "other.test",
      debug: true,
      scrapeTimeoutHeader: "1",
    }),
    { anyTarget: true },
  );
  assert.match(
    answer.body,
    /msg="Beginning probe" module="ns" target="other\.test AAAA @127\.0\.0\.1:\d+"/,
  );
  assert.match(answer.body, /^probe_dns_answer_rrs 0$/m);
  assert.match(answer.body, /^probe_success 0$/m);
});
