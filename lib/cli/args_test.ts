import assert from "node:assert/strict";
import {
  MAX_DURATION_MS,
  parseCommand,
  parseDuration,
  parseInteger,
  renderHelp,
  suggest,
  UsageError,
  withCommon,
} from "./args.ts";
import type { CommandSpec } from "./args.ts";

const SPEC: CommandSpec = {
  name: "thing do",
  summary: "do a thing",
  usage: ["thing do [options] [NAME]"],
  options: withCommon([
    { name: "port", short: "p", type: "string", value: "PORT", default: "7", description: "Port" },
    { name: "header", short: "H", type: "string", multiple: true, description: "Header" },
  ]),
  positionals: { min: 0, max: 1, name: "NAME" },
  examples: [["Do it", "sockit thing do x"]],
};

Deno.test("parseDuration() reads ms, s, m, h and bare seconds", () => {
  assert.equal(parseDuration("500ms", "--t"), 500);
  assert.equal(parseDuration("5s", "--t"), 5000);
  assert.equal(parseDuration("2m", "--t"), 120_000);
  assert.equal(parseDuration("1h", "--t"), 3_600_000);
  assert.equal(parseDuration("0.25", "--t"), 250);
  assert.equal(parseDuration("1.5s", "--t"), 1500);
  assert.equal(parseDuration("1d", "--t"), 86_400_000);
  assert.equal(parseDuration("24d", "--t"), MAX_DURATION_MS);
});

Deno.test("parseDuration() refuses what one timer cannot hold, naming the longest accepted", () => {
  // 2147484 s is just past 2^31-1 ms: setTimeout would have fired at once.
  for (const text of ["2147484", "25d", "99999999", "99999999999h"]) {
    assert.throws(() => parseDuration(text, "--timeout"), /the longest accepted is 24d/, text);
  }
  assert.throws(() => parseDuration("-5", "--timeout"), /cannot be negative/);
});

Deno.test("parseCommand() reads a negative value as a value, so its check can say what is wrong", () => {
  const spec = {
    name: "x",
    summary: "",
    usage: [],
    examples: [],
    positionals: { min: 0, max: 0 },
    options: [{ name: "port", short: "p", type: "string" as const, description: "" }, {
      name: "timeout",
      type: "string" as const,
      description: "",
    }],
  };
  for (const argv of [["--port", "-5"], ["-p", "-5"]]) {
    const args = parseCommand(spec, argv);
    assert.throws(() => args.integer("port", 0, { max: 65535 }), /"-5" for --port: out of range/);
  }
  assert.throws(
    () => parseCommand(spec, ["--timeout", "-5"]).duration("timeout"),
    /"-5" for --timeout: a duration cannot be negative/,
  );
});

Deno.test("parseDuration() rejects negative, signed, empty and unit-less garbage", () => {
  for (const text of ["", "-1s", "+1s", "5 sec", "1e3", "ms", "5w", "0x10", "25d"]) {
    assert.throws(() => parseDuration(text, "--timeout"), UsageError, text);
  }
});

Deno.test("parseInteger() enforces whole numbers within the range", () => {
  assert.equal(parseInteger("42", "--n", { min: 1, max: 50 }), 42);
  assert.throws(() => parseInteger("0", "--n", { min: 1 }), /expected 1 or more/);
  assert.throws(() => parseInteger("4.5", "--n"), /expected a whole number/);
  assert.throws(() => parseInteger("-3", "--n"), /"-3" for --n: out of range, expected 0 or more/);
  assert.throws(
    () => parseInteger("70000", "--port", { max: 65535 }),
    /out of range, expected 0 to 65535/,
  );
});

Deno.test("suggest() finds typos, transpositions and prefixes but not strangers", () => {
  assert.equal(suggest("prot", ["port", "host"]), "port");
  assert.equal(suggest("hots", ["port", "host"]), "host");
  assert.equal(suggest("max-con", ["max-conns", "once"]), "max-conns");
  assert.equal(suggest("verbose", ["quiet"]), undefined);
});

Deno.test("parseCommand() collects repeatable options and short aliases", () => {
  const args = parseCommand(SPEC, ["-p", "9", "-H", "a: 1", "--header", "b: 2", "name"]);
  assert.equal(args.integer("port", 0, { max: 65535 }), 9);
  assert.deepEqual(args.strings("header"), ["a: 1", "b: 2"]);
  assert.deepEqual(args.positionals, ["name"]);
  assert.equal(args.flag("json"), false);
});

Deno.test("parseCommand() names the long option when a value is missing after its short alias", () => {
  assert.throws(
    () => parseCommand(SPEC, ["-p"]),
    new UsageError('Missing value for option "--port" of "sockit thing do"'),
  );
});

Deno.test("parseCommand() rejects a value given to a flag and extra positionals", () => {
  assert.throws(() => parseCommand(SPEC, ["--json=yes"]), /takes no value/);
  assert.throws(() => parseCommand(SPEC, ["a", "b"]), /Unexpected argument "b"/);
});

Deno.test("renderHelp() shows synopsis, each option with its default, common options and examples", () => {
  const help = renderHelp(SPEC);
  assert.match(
    help,
    /^sockit thing do: do a thing\n\nUsage:\n {2}sockit thing do \[options\] \[NAME\]\n/,
  );
  assert.match(help, /-p, --port PORT +Port \(default: 7\)\n/);
  assert.match(help, /-H, --header VALUE +Header \(repeatable\)\n/);
  assert.match(
    help,
    /Common options:\n(.*\n)*? {6}--json +Print machine-readable JSON on stdout\n/,
  );
  assert.match(help, /Examples:\n {2}# Do it\n {2}sockit thing do x\n$/);
});

const RELATED: CommandSpec = {
  name: "thing go",
  summary: "go",
  usage: ["thing go [options]"],
  options: withCommon([
    { name: "any", type: "boolean", conflicts: ["all"], description: "Any" },
    { name: "all", type: "boolean", description: "All" },
    {
      name: "ipv4",
      short: "4",
      label: "-4",
      type: "boolean",
      conflicts: ["ipv6"],
      description: "",
    },
    { name: "ipv6", short: "6", label: "-6", type: "boolean", description: "" },
    {
      name: "tls",
      type: "boolean",
      conflicts: [{ name: "udp", reason: "there is no DTLS" }],
      description: "TLS",
    },
    { name: "udp", type: "boolean", description: "UDP" },
    { name: "count", type: "string", value: "N", default: "4", description: "Count" },
    {
      name: "interval",
      type: "string",
      value: "DURATION",
      default: "1s",
      requires: ["count"],
      description: "Pause",
    },
    {
      name: "max-rate",
      type: "string",
      requires: [{ name: "udp", reason: "it limits datagrams" }],
      description: "Rate",
    },
  ]),
  positionals: { min: 0, max: 0 },
  examples: [],
};

Deno.test("parseCommand() refuses two options that declare a conflict, naming the declaring one first", () => {
  for (const argv of [["--any", "--all"], ["--all", "--any"]]) {
    assert.throws(
      () => parseCommand(RELATED, argv),
      new UsageError("Options --any and --all cannot be used together"),
    );
  }
  assert.throws(
    () => parseCommand(RELATED, ["-46"]),
    new UsageError("Options -4 and -6 cannot be used together"),
  );
  assert.throws(
    () => parseCommand(RELATED, ["--udp", "--tls"]),
    new UsageError("Options --tls and --udp cannot be used together: there is no DTLS"),
  );
  assert.equal(parseCommand(RELATED, ["--any"]).flag("any"), true);
});

Deno.test("parseCommand() refuses an option given without one it requires", () => {
  assert.throws(
    () => parseCommand(RELATED, ["--interval", "2s"]),
    new UsageError("Option --interval needs --count"),
  );
  assert.throws(
    () => parseCommand(RELATED, ["--max-rate", "5"]),
    new UsageError("Option --max-rate needs --udp: it limits datagrams"),
  );
  assert.equal(
    parseCommand(RELATED, ["--interval", "2s", "--count", "3"]).duration("interval"),
    2000,
  );
});

Deno.test("parseCommand() shows help even when the options given conflict", () => {
  assert.equal(parseCommand(RELATED, ["--any", "--all", "--help"]).flag("help"), true);
});

Deno.test("parseCommand() refuses a table whose relation names an option it lacks", () => {
  const spec = {
    ...RELATED,
    options: [{ name: "a", type: "boolean" as const, conflicts: ["b"], description: "" }],
  };
  assert.throws(() => parseCommand(spec, []), TypeError);
});

Deno.test("the typed getters return the declared default when the option is absent", () => {
  const args = parseCommand(RELATED, []);
  assert.equal(args.integer("count", { min: 1 }), 4);
  assert.equal(args.duration("interval"), 1000);
  assert.equal(args.defaultOf("interval"), "1s");
  assert.equal(args.string("interval"), undefined);
  assert.equal(args.given("interval"), false);
  assert.equal(args.duration("timeout"), undefined);
  assert.throws(() => args.integer("max-rate"), TypeError);
  // A fallback given by the caller still wins over the declaration.
  assert.equal(args.integer("count", 9), 9);
});

Deno.test("the typed getters check a given value against the range, not the default", () => {
  const args = parseCommand(RELATED, ["--count", "0", "--interval", "5x"]);
  assert.equal(args.given("count"), true);
  assert.throws(() => args.integer("count", { min: 1 }), /"0" for --count: out of range/);
  assert.throws(() => args.duration("interval"), /"5x" for --interval/);
});

Deno.test("renderHelp() shows the declared default once, after the description", () => {
  const help = renderHelp(RELATED);
  assert.match(help, / {4}--count N +Count \(default: 4\)\n/);
  assert.match(help, / {4}--interval DURATION +Pause \(default: 1s\)\n/);
});
