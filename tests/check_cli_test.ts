/**
 * `sockit check` from the command line: spec errors stop everything before a connection is made,
 * checks run at once and print in file order, secrets never show, GitHub Actions gets its
 * annotations and summary, and hostile options and signals get a documented exit code.
 */
import assert from "node:assert/strict";
import { patternBytes, runSockit, spawnSockit } from "./_helpers.ts";
import { runCli } from "./_http.ts";
import { sleep as pause } from "../lib/net/timer.ts";

/**
 * A TCP server that counts connections and, after `delayMs` (and, with `readFirst`, once the
 * client has sent something), says `ready` and closes.
 */
class CountingServer implements AsyncDisposable {
  readonly #listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  readonly #tasks = new Set<Promise<void>>();
  readonly #accepting: Promise<void>;
  readonly #stop = new AbortController();
  /** Connections accepted. */
  connections = 0;
  readonly #first = Promise.withResolvers<void>();
  /** Settles once the first connection is accepted. */
  readonly connected: Promise<void> = this.#first.promise;
  /** Bytes received, as text. */
  received = "";

  constructor(delayMs = 0, options: { readFirst?: boolean } = {}) {
    this.#accepting = (async () => {
      for await (const conn of this.#listener) {
        this.connections++;
        this.#first.resolve();
        const task = (async () => {
          const buf = new Uint8Array(4096);
          const reading = conn.read(buf).then((n) => {
            if (n) this.received += new TextDecoder().decode(buf.subarray(0, n));
          }).catch(() => {});
          if (options.readFirst) await reading;
          // The delay is the scenario: a service that takes this long to answer.
          await pause(delayMs, this.#stop.signal);
          await conn.write(new TextEncoder().encode("ready\n")).catch(() => {});
          conn.close();
          await reading;
        })();
        this.#tasks.add(task);
        task.finally(() => this.#tasks.delete(task));
      }
    })().catch(() => {});
  }

  get port(): number {
    return this.#listener.addr.port;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    this.#stop.abort();
    await this.#accepting;
    await Promise.all([...this.#tasks]);
  }
}

async function withSpec<T>(
  text: string,
  use: (path: string, dir: string) => Promise<T>,
  name = "sockit.yaml",
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "sockit-check-cli-" });
  try {
    await Deno.writeTextFile(`${dir}/${name}`, text);
    return await use(`${dir}/${name}`, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("spec errors exit 2 with FILE:LINE:COL and make no connection", async (t) => {
  await using server = new CountingServer();
  const good = (name: string) =>
    `  - name: ${name}\n    tcp: { host: 127.0.0.1, port: ${server.port} }\n`;
  const cases: Array<[string, string, string[], RegExp]> = [
    [
      "a duplicate key",
      `version: 1\nchecks:\n${
        good("a")
      }  - name: b\n    tcp: { host: 127.0.0.1, port: ${server.port} }\n    name: c\n`,
      [],
      /sockit\.yaml:7:5: duplicate key "name" \(first at 5:5\)/,
    ],
    [
      "a duplicate name",
      `version: 1\nchecks:\n${good("db")}${good("web")}${good("db")}`,
      [],
      /sockit\.yaml:7:11: duplicate check name "db" \(first at 3:11\)/,
    ],
    [
      "an unknown key",
      `version: 1\nchecks:\n${good("a")}    timout: 5s\n`,
      [],
      /sockit\.yaml:5:5: unknown key "timout" in a check \(did you mean "timeout"\?\)/,
    ],
    [
      "an undefined variable",
      `version: 1\nvars: { HOST: 127.0.0.1 }\nchecks:\n${
        good("a")
      }  - name: b\n    tcp: { host: "\${HOTS}", port: 1 }\n`,
      [],
      /sockit\.yaml:7:19: undefined variable "HOTS"/,
    ],
    [
      "a filter that selects nothing",
      `version: 1\nchecks:\n${good("a")}`.replace(
        "  - name: a\n",
        "  - name: a\n    tags: [smoke]\n",
      ),
      ["--tag", "nightly"],
      /sockit\.yaml:2:1: no check matches --tag "nightly" \(1 checks; tags: smoke\)/,
    ],
    [
      "a key of another kind",
      `version: 1\nchecks:\n  - name: a\n    tcp: { url: "http://x", host: 127.0.0.1, port: ${server.port} }\n`,
      [],
      /sockit\.yaml:4:12: "url" belongs to an http check, not in "tcp" \(it takes host, port, send, expect\)/,
    ],
    [
      "a bad duration",
      `version: 1\ndefaults: { timeout: -5s }\nchecks:\n${good("a")}`,
      [],
      /sockit\.yaml:2:22: invalid duration "-5s" for timeout: a duration cannot be negative/,
    ],
  ];
  for (const [what, spec, extra, expected] of cases) {
    await t.step(what, async () => {
      await withSpec(spec, async (path) => {
        for (const args of [["check", path, ...extra], ["check", "--validate", path, ...extra]]) {
          const result = await runSockit(args);
          assert.equal(result.code, 2, result.err);
          assert.equal(result.out, "");
          assert.match(result.err, expected);
          assert.match(result.err, /^error: \//);
        }
      });
    });
  }
  assert.equal(server.connections, 0);
});

Deno.test("a JSON spec is strict JSON, and its errors have positions too", async () => {
  await withSpec(
    '{\n  "version": 1,\n  "checks": [\n    {"name": "a", "tcp": {"host": "h", "port": 1}},\n  ]\n}\n',
    async (path) => {
      const result = await runSockit(["check", "--validate", "--json", path]);
      assert.equal(result.code, 2);
      assert.match(result.err, /spec\.json:5:3: invalid JSON: a trailing comma/);
      const json = JSON.parse(result.out);
      assert.equal(json.exit_code, 2);
      assert.deepEqual(json.problems[0], {
        file: path,
        line: 5,
        col: 3,
        message: "invalid JSON: a trailing comma",
      });
    },
    "spec.json",
  );
});

Deno.test("--validate checks the file and touches no network", async () => {
  await using server = new CountingServer();
  const spec =
    `version: 1\nchecks:\n  - name: a\n    tcp: { host: 127.0.0.1, port: ${server.port} }\n    tags: [x]\n  - name: b\n    tcp: { host: 127.0.0.1, port: ${server.port} }\n`;
  await withSpec(spec, async (path) => {
    const result = await runSockit(["check", "--validate", "--tag", "x", path]);
    assert.equal(result.code, 0, result.err);
    assert.equal(result.out, `${path}: valid, 2 checks (1 selected)\n`);
  });
  assert.equal(server.connections, 0);
});

Deno.test("40 checks of 200 ms run 8 at a time in about 1 s, and print in file order", async () => {
  await using server = new CountingServer(200);
  const checks = Array.from(
    { length: 40 },
    (_, i) =>
      `  - name: check ${
        String(i + 1).padStart(2, "0")
      }\n    tcp: { host: 127.0.0.1, port: ${server.port}, expect: ready }\n`,
  ).join("");
  await withSpec(`version: 1\nchecks:\n${checks}`, async (path) => {
    for (const [jobs, waves] of [[8, 5], [40, 1]] as const) {
      const started = performance.now();
      const result = await runSockit(["check", "--jobs", String(jobs), "--json", path]);
      const elapsed = performance.now() - started;
      assert.equal(result.code, 0, result.err);
      const report = JSON.parse(result.out);
      assert.equal(report.passed, 40);
      assert.deepEqual(
        report.checks.map((c: { name: string }) => c.name),
        Array.from({ length: 40 }, (_, i) => `check ${String(i + 1).padStart(2, "0")}`),
      );
      // The run itself: waves of 200 ms; sockit's start-up is outside duration_ms.
      const expected = waves * 200;
      assert.ok(
        report.duration_ms >= expected && report.duration_ms < expected + 500,
        `--jobs ${jobs}: ${report.duration_ms} ms, expected about ${expected} ms`,
      );
      assert.ok(elapsed < expected + 2000, `--jobs ${jobs}: the whole process took ${elapsed} ms`);
    }
    const text = await runSockit(["check", "--jobs", "8", path]);
    const names = text.out.split("\n").filter((l) => l.startsWith("ok")).map((l) => l.slice(6, 14));
    assert.deepEqual(
      names,
      Array.from({ length: 40 }, (_, i) => `check ${String(i + 1).padStart(2, "0")}`),
    );
  });
});

Deno.test("a secret from the environment appears in no output: terminal, --trace, -v, reports, GitHub", async () => {
  const secret = 's3cr3t-t0ken/with&odd<chars>"';
  await using server = new CountingServer(0, { readFirst: true });
  const spec = `version: 1
secrets: [TOKEN]
checks:
  - name: sends the secret
    tcp: { host: 127.0.0.1, port: ${server.port}, send: "AUTH \${TOKEN}\\r\\n", expect: "ready" }
  - name: fails quoting the secret
    tcp: { host: 127.0.0.1, port: ${server.port}, send: "AUTH \${TOKEN}\\r\\n", expect: "\${TOKEN}" }
  - name: http with the secret
    http: { url: "http://127.0.0.1:${server.port}/?token=\${TOKEN}", headers: { Authorization: "Bearer \${TOKEN}" } }
`;
  await withSpec(spec, async (path, dir) => {
    const summary = `${dir}/summary.md`;
    const result = await runSockit([
      "check",
      path,
      "--trace",
      "-v",
      "--report",
      `junit=${dir}/r.xml`,
      "--report",
      `tap=${dir}/r.tap`,
      "--report",
      `json=${dir}/r.json`,
    ], { env: { TOKEN: secret, GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summary } });
    assert.equal(result.code, 1, result.err);
    assert.ok(
      server.received.includes(`AUTH ${secret}\r\n`),
      `the secret was not sent: ${server.received}`,
    );
    const outputs: Record<string, string> = {
      stdout: result.out,
      stderr: result.err,
      junit: await Deno.readTextFile(`${dir}/r.xml`),
      tap: await Deno.readTextFile(`${dir}/r.tap`),
      json: await Deno.readTextFile(`${dir}/r.json`),
      summary: await Deno.readTextFile(summary),
    };
    const forms = [
      secret,
      JSON.stringify(secret).slice(1, -1),
      encodeURIComponent(secret),
      "s3cr3t-t0ken",
    ];
    for (const [where, text] of Object.entries(outputs)) {
      for (const form of forms) {
        assert.ok(!text.includes(form), `${where} shows the secret as ${form}`);
      }
    }
    assert.match(result.err, /TRACE sockit\.trace .*send \d+ bytes "AUTH \*\*\*\\r\\n"/);
    assert.match(outputs.junit!, /token=\*\*\*/);
    assert.match(
      result.out,
      /::error file=.*sockit\.yaml,line=6,col=5,title=sockit check "fails quoting the secret" failed::.*\*\*\*/,
    );
  });
});

Deno.test("GITHUB_ACTIONS=true: an annotation per failed check at its line, and a summary table appended", async () => {
  await using server = new CountingServer();
  const spec =
    `version: 1\nchecks:\n  - name: up\n    tcp: { host: 127.0.0.1, port: ${server.port} }\n  - name: "down, really: 100%"\n    tcp: { host: 127.0.0.1, port: ${server.port}, expect: nope }\n`;
  await withSpec(spec, async (path, dir) => {
    const summary = `${dir}/summary.md`;
    await Deno.writeTextFile(summary, "earlier step\n");
    const env = { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summary };
    const result = await runSockit(["check", path], { env });
    assert.equal(result.code, 1);
    const annotations = result.out.split("\n").filter((l) => l.startsWith("::"));
    assert.deepEqual(annotations, [
      `::error file=${path},line=5,col=5,title=sockit check "down%2C really%3A 100%25" failed::the peer closed the connection without "nope" (got "ready\\n")`,
    ]);
    const table = await Deno.readTextFile(summary);
    assert.match(table, /^earlier step\n### sockit check: 1 passed, 1 failed, 0 skipped in /);
    assert.match(table, /\| pass \| up \| .*sockit\.yaml:3 \| accepted \|/);
    assert.match(table, /\| \*\*FAIL\*\* \| down, really: 100% \| .*sockit\.yaml:5 \|/);
    const quiet = await runSockit(["check", path], { env: {} });
    assert.ok(!quiet.out.includes("::error"));
  });
});

Deno.test("hostile options are usage errors (exit 2) before any connection", async (t) => {
  await using server = new CountingServer();
  const spec =
    `version: 1\nchecks:\n  - name: a\n    tcp: { host: 127.0.0.1, port: ${server.port} }\n`;
  await withSpec(spec, async (path, dir) => {
    const cases: Array<[string[], RegExp]> = [
      [["--jobs", "0"], /Invalid value "0" for --jobs: out of range, expected 1 to 1000/],
      [["--jobs", "-3"], /Invalid value "-3" for --jobs/],
      [["--jobs", "99999999999999999999"], /--jobs: too large/],
      [["--jobs", "many"], /expected a whole number/],
      [
        ["--report", "xml=out.xml"],
        /Invalid --report "xml=out\.xml": expected FORMAT=PATH with FORMAT one of junit, tap, json/,
      ],
      [["--report", "junit"], /expected FORMAT=PATH/],
      [["--report", "junit="], /empty path/],
      [["--report", `junit=${path}/no/such/dir/r.xml`], /sockit\.yaml" is not a directory/],
      [["--report", `junit=${dir}`], /it is a directory/],
      [["--report", "tap=/dev/stdin"], /it is an input stream/],
      [["--report", "tap=-", "--report", "junit=/dev/stdout"], /Only one report can go to stdout/],
      [["--report", "tap=-", "--json"], /Only one report can go to stdout/],
      [["--var", "=x"], /Invalid --var "=x"/],
      [["--var", "1A=x"], /Invalid --var "1A=x"/],
      [["--name", "("], /Invalid value "\(" for --name/],
      [["--tag", ""], /Invalid --tag "": empty tag/],
      [["--timeout", "25d"], /the longest accepted is 24d/],
      [["--bogus"], /Unknown option "--bogus"/],
      [
        ["--report", "junit=/dev/full"],
        /sockit cannot open devices other than the standard streams/,
      ],
      [[path], /Spec file ".*sockit\.yaml" is given twice/],
    ];
    for (const [args, expected] of cases) {
      await t.step(args.join(" "), async () => {
        const result = await runSockit(["check", path, ...args]);
        assert.equal(result.code, 2, result.err);
        assert.match(result.err, expected);
        assert.doesNotMatch(result.err, /\n\s+at /, "no stack trace");
      });
    }
  });
  await t.step("no sockit.yaml in the folder", async () => {
    const dir = await Deno.makeTempDir();
    try {
      const result = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-q",
          "-P=sockit",
          "--config",
          new URL("../deno.json", import.meta.url).pathname,
          new URL("../main.ts", import.meta.url).pathname,
          "check",
        ],
        cwd: dir,
        env: { NO_COLOR: "1" },
      }).output();
      assert.equal(result.code, 2);
      assert.match(
        new TextDecoder().decode(result.stderr),
        /Cannot read spec file "sockit\.yaml": no such file \(run sockit check in the folder of sockit\.yaml, or name the file/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
  for (
    const [what, text, expected] of [
      ["an empty file", "", /:1:1: the file is empty/],
      ["a list instead of a mapping", "- 1\n", /:1:1: the file must be a spec file, not a list/],
      ["bytes that are not YAML", "\x00\x01\x02: [\n", /sockit\.yaml:\d+:\d+: /],
      [
        "a billion laughs",
        "a: &a [x,x,x,x,x,x,x,x,x,x]\n" +
        Array.from(
          { length: 8 },
          (_, i) =>
            `${"bcdefghi"[i]}: &${"bcdefghi"[i]} [${
              Array(10).fill(`*${"abcdefgh"[i]}`).join(",")
            }]`,
        )
          .join("\n") +
        "\n",
        /more than 1000000 values/,
      ],
      [
        "an alias inside what it names (found by fuzzing: exit 70, call stack exceeded)",
        "version: 1\nvars: &v  { port: 7, payload: *v }\n",
        /:2:31: alias \*v is inside what it names \(a cycle\)/,
      ],
      [
        "lists nested 150 deep",
        `version: 1\nchecks: ${"[".repeat(150)}${"]".repeat(150)}\n`,
        /:2:\d+: mappings and lists nested more than 100 deep/,
      ],
    ] as const
  ) {
    await t.step(what, async () => {
      await withSpec(text, async (path) => {
        const result = await runSockit(["check", path]);
        assert.equal(result.code, 2, result.err);
        assert.match(result.err, expected);
      });
    });
  }
  assert.equal(server.connections, 0);
});

Deno.test("a closed stdout ends the run with exit 141, saying nothing", async () => {
  await using server = new CountingServer();
  const checks = Array.from(
    { length: 5 },
    (_, i) => `  - name: c${i}\n    tcp: { host: 127.0.0.1, port: ${server.port} }\n`,
  ).join("");
  await withSpec(`version: 1\nchecks:\n${checks}`, async (path) => {
    const result = await runCli(["check", "--jobs", "1", path], { stdoutLimit: 1 });
    assert.equal(result.code, 141);
    assert.equal(result.out, "o");
    assert.equal(result.err, "");
  });
});

Deno.test("SIGINT mid-run stops the checks, still writes the reports, and exits 130", async () => {
  await using server = new CountingServer(5000);
  const checks = Array.from(
    { length: 3 },
    (_, i) =>
      `  - name: slow ${i}\n    tcp: { host: 127.0.0.1, port: ${server.port}, expect: ready }\n    timeout: 10s\n`,
  ).join("");
  await withSpec(`version: 1\nchecks:\n${checks}`, async (path, dir) => {
    const child =
      spawnSockit(["check", "--jobs", "1", path, "--report", `junit=${dir}/r.xml`]).process;
    // Interrupt once the first check is under way (its connection is accepted).
    await server.connected;
    child.kill("SIGINT");
    const [status, out] = await Promise.all([
      child.status,
      new Response(child.stdout).text(),
      child.stderr.cancel(),
    ]);
    assert.equal(status.code, 130);
    assert.match(out, /FAIL {2}slow 0 .*\n +could not run: Interrupted by SIGINT/);
    const junit = await Deno.readTextFile(`${dir}/r.xml`);
    assert.match(
      junit,
      /<testsuite name=".*" file=".*" tests="3" failures="0" errors="3" skipped="0"/,
    );
    assert.match(junit, /not started: Interrupted by SIGINT/);
  });
});

Deno.test("--timeout bounds the whole run: checks still running then fail (exit 1)", async () => {
  await using server = new CountingServer(3000);
  await withSpec(
    `version: 1\nchecks:\n  - name: slow\n    tcp: { host: 127.0.0.1, port: ${server.port}, expect: ready }\n    timeout: 10s\n`,
    async (path) => {
      const started = performance.now();
      const result = await runSockit(["check", "--timeout", "300ms", path]);
      assert.ok(performance.now() - started < 2500);
      assert.equal(result.code, 1, result.err);
      assert.match(result.out, /could not run: Not finished within the run's --timeout of 300ms/);
    },
  );
});

Deno.test("nesting over 100 levels is a spec error at its line and column for every YAML and JSON construct", async (t) => {
  const blockMaps = (levels: number) =>
    "version: 1\nchecks:\n" +
    Array.from({ length: levels }, (_, i) => `${"  ".repeat(i + 1)}k${i}:\n`).join("");
  const blockLists = (levels: number) =>
    "version: 1\nchecks:\n" +
    Array.from({ length: levels }, (_, i) => `${"  ".repeat(i + 1)}-\n`).join("");
  const cases: Array<[string, string, string, string]> = [
    ["block mappings 1,000 deep", "sockit.yaml", blockMaps(1000), "102:201"],
    ["block mappings 2,000 deep", "sockit.yaml", blockMaps(2000), "102:201"],
    ["block lists 2,000 deep", "sockit.yaml", blockLists(2000), "102:201"],
    ["a flow list 5,000 deep", "sockit.yaml", `checks: ${"[".repeat(5000)}\n`, "1:108"],
    // The parser holds every open level: 8 MB of "[" took 4 GB before it ran out of memory.
    ["a flow list 8,000,000 deep", "sockit.yaml", `checks: ${"[".repeat(8_000_000)}\n`, "1:108"],
    [
      "flow mappings 5,000 deep",
      "sockit.yaml",
      `checks: ${"{a: ".repeat(5000)}1${"}".repeat(5000)}\n`,
      "1:405",
    ],
    [
      "a complex key of lists 1,000 deep",
      "sockit.yaml",
      `? ${"[".repeat(1000)}${"]".repeat(1000)}\n: 1\n`,
      "1:102",
    ],
    [
      "JSON arrays 5,000 deep",
      "spec.json",
      `{"checks": ${"[".repeat(5000)}${"]".repeat(5000)}}\n`,
      "1:111",
    ],
    [
      "JSON objects 5,000 deep",
      "spec.json",
      `{"checks": ${'{"a": '.repeat(5000)}1${"}".repeat(5000)}}\n`,
      "1:606",
    ],
    ["JSON read as YAML, 5,000 deep", "spec.txt", `{"a": ${"[".repeat(5000)}}\n`, "1:106"],
  ];
  for (const [what, name, text, at] of cases) {
    await t.step(what, async () => {
      await withSpec(text, async (path) => {
        for (const json of [[], ["--json"]]) {
          const result = await runSockit(["check", "--validate", ...json, path]);
          assert.equal(result.code, 2, result.err);
          assert.equal(
            result.err,
            `error: ${path}:${at}: mappings and lists nested more than 100 deep\n`,
          );
        }
      }, name);
    });
  }
  await t.step("100 levels are still a spec's to use", async () => {
    await withSpec(`version: 1\nchecks: ${"[".repeat(99)}${"]".repeat(99)}\n`, async (path) => {
      const result = await runSockit(["check", "--validate", path]);
      assert.equal(result.code, 2);
      assert.doesNotMatch(result.err, /nested/);
      assert.match(result.err, /"name" must be a string|must be a mapping/);
    });
  });
});

Deno.test("two YAML documents in one file, and a declared name without a value, get sockit's own messages", async () => {
  await withSpec("version: 1\nchecks: []\n---\nversion: 1\n", async (path) => {
    const result = await runSockit(["check", "--validate", path]);
    assert.equal(result.code, 2);
    assert.equal(
      result.err,
      `error: ${path}:3:1: a second YAML document starts here: a spec file holds one (give each its own file: check takes several)\n`,
    );
  });
  const spec =
    'version: 1\nsecrets: [PW]\nvars: { SOCKIT_T_USER: }\nchecks:\n  - name: a\n    tcp: { host: "${SOCKIT_T_USER}${PW}", port: 1 }\n';
  await withSpec(spec, async (path) => {
    for (
      const [env, secret] of [
        [{}, 'secret "PW" is not set in the environment'],
        [{ PW: "" }, 'secret "PW" is empty in the environment'],
      ] as const
    ) {
      const result = await runSockit(["check", "--validate", "--var", "SOCKIT_T_USER=x", path], {
        env,
      });
      assert.equal(result.code, 2);
      assert.equal(
        result.err,
        `error: ${path}:2:11: ${secret}\nerror: ${path}:6:35: ${secret} (declared at 2:11)\n`,
      );
      const unset = await runSockit(["check", "--validate", path], { env });
      assert.match(
        unset.err,
        /:3:24: variable "SOCKIT_T_USER" has no value: set it in the environment/,
      );
      assert.match(unset.err, /:6:19: variable "SOCKIT_T_USER" has no value \(declared at 3:9\)\n/);
      assert.doesNotMatch(unset.err, /undefined variable/);
    }
  });
});

Deno.test("a file that is not a spec is quoted as a short excerpt, never echoed whole, also in --json", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sockit-check-cli-" });
  try {
    const random = `${dir}/random.bin`;
    await Deno.writeFile(random, patternBytes(100_000));
    const big = "x".repeat(50_000);
    const token = Array.from(patternBytes(60, 7), (b) => "abcdefghijklmnopqrstuvwxyz"[b % 26])
      .join("");
    const valueSpec = `${dir}/values.yaml`;
    await Deno.writeTextFile(
      valueSpec,
      `version: 1\nsecrets: [TOKEN]\nchecks:\n  - name: a\n    tcp: { host: "${big} y", port: 1 }\n` +
        `  - name: b\n    tcp: { host: "\${TOKEN} ${big}", port: 1 }\n` +
        `  - name: c\n    dns: { name: x.test, type: "\\u001b[2J${big}" }\n`,
    );
    for (const json of [[], ["--json"]]) {
      const result = await runSockit(["check", "--validate", ...json, random]);
      assert.equal(result.code, 2);
      const lines = result.err.trimEnd().split("\n");
      assert.ok(lines.length >= 2 && lines.length <= 51, `${lines.length} lines`);
      for (const line of lines) assert.ok(line.length <= 300, `a line of ${line.length}`);
      assert.match(
        result.err,
        /random\.bin:\d+:\d+: [^"\n]*: "[^\n]{1,60}\.\.\."\n/,
      );
      if (json.length > 0) {
        const report = JSON.parse(result.out);
        assert.ok(result.out.length < 50_000, `--json of ${result.out.length} bytes`);
        for (const p of report.problems) assert.ok(p.message.length <= 240);
      }
      const values = await runSockit(["check", "--validate", ...json, valueSpec], {
        env: { TOKEN: token },
      });
      assert.equal(values.code, 2);
      assert.ok(values.err.length + values.out.length < 3000, values.err.slice(0, 2000));
      assert.match(
        values.err,
        /:5:18: invalid host "x{60}\.\.\.": expected a name or an IP address\n/,
      );
      // The cut would fall inside the secret: it is masked before it is cut.
      assert.match(values.err, /:7:18: invalid host "\*\*\* x{56}\.\.\."/);
      assert.match(values.err, /:9:32: unknown record type "\\u001b\[2Jx+\.\.\."/);
      for (let at = 0; at + 8 <= token.length; at++) {
        assert.ok(!values.err.includes(token.slice(at, at + 8)), "a piece of the secret");
        assert.ok(!values.out.includes(token.slice(at, at + 8)), "a piece of the secret");
      }
    }
    // A secret that quoting would escape (a quote, ESC) is masked before it is quoted.
    await Deno.writeTextFile(
      `${dir}/escaped.yaml`,
      'version: 1\nsecrets: [Q]\nchecks:\n  - name: a\n    tcp: { host: "${Q} x", port: 1 }\n',
    );
    for (const secret of ['pass"word', "pass\x1bword", "pass\u202eword"]) {
      const result = await runSockit(["check", "--validate", `${dir}/escaped.yaml`], {
        env: { Q: secret },
      });
      assert.equal(result.code, 2);
      assert.match(result.err, /:5:18: invalid host "\*\*\* x": expected a name/);
      assert.doesNotMatch(result.err, /pass/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
