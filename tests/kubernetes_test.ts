/**
 * The Kubernetes manifests (deploy/kubernetes/), checked offline: `kubectl kustomize` builds the
 * base and every overlay, every object is valid against the Kubernetes API schemas
 * (kubernetes-models), every container is hardened and runs the image pinned once, the monitors
 * are probed where they listen, and every workload's arguments, with the spec from its rendered
 * ConfigMap, are a command line the real CLI accepts.
 */
import assert from "node:assert/strict";
import { parse, parseAllDocuments } from "yaml";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Service } from "kubernetes-models/v1/Service";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import { DaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { CronJob } from "kubernetes-models/batch/v1/CronJob";
import { Job } from "kubernetes-models/batch/v1/Job";
import { PodMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor";
import { hasProgram, runSockit } from "./_helpers.ts";
import { MonitorProcess } from "./_monitor.ts";

const ROOT = new URL("../deploy/kubernetes/", import.meta.url).pathname;

/**
 * Whether `kubectl kustomize` can build the manifests: their components and replacements need
 * kustomize v5 (kubectl 1.27 or later; tested with 1.32's v5.5.0). Debian bookworm's
 * kubernetes-client is kubectl 1.20, with kustomize v2.0.3: it says so and the tests skip.
 */
function kustomizeUsable(): boolean {
  if (!hasProgram("kubectl")) return false;
  const out = new Deno.Command("kubectl", {
    args: ["version", "--client"],
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  const version = /Kustomize Version: (v[\d.]+)/.exec(new TextDecoder().decode(out.stdout))?.[1];
  const usable = Number(version?.slice(1).split(".")[0] ?? 0) >= 5;
  if (!usable) {
    // deno-lint-ignore no-console
    console.error(
      `note: kubectl's kustomize is ${version ?? "too old to say"}; the manifests need v5 ` +
        "(kubectl 1.27 or later), so the Kubernetes tests are skipped",
    );
  }
  return usable;
}

const kubectl = kustomizeUsable();

/** A rendered object: what `kubectl kustomize` printed, as parsed YAML. */
type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };

/** The model class of every kind the manifests may hold; another kind fails the schema test. */
// deno-lint-ignore no-explicit-any
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  "v1/Namespace": Namespace,
  "v1/ConfigMap": ConfigMap,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "apps/v1/DaemonSet": DaemonSet,
  "batch/v1/CronJob": CronJob,
  "batch/v1/Job": Job,
  "monitoring.coreos.com/v1/PodMonitor": PodMonitor,
};

/** The base and every folder under overlays/, so that a new overlay is checked too. */
function kustomizations(): string[] {
  const overlays = [...Deno.readDirSync(`${ROOT}overlays`)]
    .filter((entry) => entry.isDirectory)
    .map((entry) => `overlays/${entry.name}`)
    .sort();
  return ["base", ...overlays];
}

let builds: Promise<Map<string, Obj[]>> | undefined;

/** `kubectl kustomize` of the base and of every overlay (once for the file), parsed. */
function rendered(): Promise<Map<string, Obj[]>> {
  builds ??= (async () => {
    const out = new Map<string, Obj[]>();
    for (const dir of kustomizations()) {
      const result = await new Deno.Command("kubectl", {
        args: ["kustomize", `${ROOT}${dir}`],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const err = new TextDecoder().decode(result.stderr);
      assert.equal(result.code, 0, `kubectl kustomize ${dir} failed: ${err}`);
      const docs = parseAllDocuments(new TextDecoder().decode(result.stdout));
      out.set(dir, docs.map((doc) => doc.toJS() as Obj));
    }
    return out;
  })();
  return builds;
}

/** One workload: its build, object, pod spec and the sockit container. */
interface Workload {
  build: string;
  obj: Obj;
  pod: IPodSpec;
  container: IContainer;
}

const WORKLOAD_KINDS = ["Deployment", "DaemonSet", "Job", "CronJob"];

/** The pod spec of a workload object. */
function podSpec(obj: Obj): IPodSpec {
  // deno-lint-ignore no-explicit-any
  const spec = (obj as any).spec;
  const pod = obj.kind === "CronJob"
    ? spec?.jobTemplate?.spec?.template?.spec
    : spec?.template?.spec;
  assert.ok(pod, `${obj.kind}/${obj.metadata.name} has no pod template`);
  return pod as IPodSpec;
}

/** Every workload of every build, with its containers (init containers included). */
async function workloads(): Promise<Workload[]> {
  const out: Workload[] = [];
  for (const [build, objs] of await rendered()) {
    for (const obj of objs.filter((o) => WORKLOAD_KINDS.includes(o.kind))) {
      const pod = podSpec(obj);
      for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
        out.push({ build, obj, pod, container });
      }
    }
  }
  return out;
}

function where(w: Workload): string {
  return `${w.build}: ${w.obj.kind}/${w.obj.metadata.name} container ${w.container.name}`;
}

/** The image and tag that base/kustomization.yaml's `images:` pins. */
function pinnedImage(): string {
  const kustomization = parse(Deno.readTextFileSync(`${ROOT}base/kustomization.yaml`));
  const images = kustomization.images as { name: string; newName?: string; newTag?: string }[];
  assert.equal(images.length, 1, "the base pins exactly one image");
  const [image] = images;
  assert.ok(image?.newTag, "the base pins the image by a tag");
  return `${image.newName ?? image.name}:${image.newTag}`;
}

/**
 * Throws unless a container and its pod are locked down: not root (a numeric user), a read-only
 * root filesystem, no privilege escalation, every capability dropped, the runtime's default
 * seccomp profile, requests and limits for CPU and memory, and no service account token.
 */
function assertHardened(w: Workload): void {
  const at = where(w);
  const sc = w.container.securityContext ?? {};
  const pod = w.pod.securityContext ?? {};
  assert.equal(sc.runAsNonRoot ?? pod.runAsNonRoot, true, `${at}: runAsNonRoot`);
  const user = sc.runAsUser ?? pod.runAsUser;
  assert.ok(typeof user === "number" && user > 0, `${at}: runAsUser is a numeric non-root user`);
  assert.equal(sc.readOnlyRootFilesystem, true, `${at}: readOnlyRootFilesystem`);
  assert.equal(sc.allowPrivilegeEscalation, false, `${at}: allowPrivilegeEscalation`);
  assert.deepEqual(sc.capabilities?.drop, ["ALL"], `${at}: capabilities drop ALL`);
  assert.equal(sc.capabilities?.add, undefined, `${at}: no capability added`);
  assert.equal(
    (sc.seccompProfile ?? pod.seccompProfile)?.type,
    "RuntimeDefault",
    `${at}: seccompProfile`,
  );
  assert.notEqual(sc.privileged, true, `${at}: not privileged`);
  for (const kind of ["requests", "limits"] as const) {
    for (const resource of ["cpu", "memory"]) {
      assert.ok(w.container.resources?.[kind]?.[resource], `${at}: ${kind}.${resource}`);
    }
  }
  assert.equal(w.pod.automountServiceAccountToken, false, `${at}: automountServiceAccountToken`);
  assert.notEqual(w.pod.hostNetwork, true, `${at}: no host network`);
}

/** The value after `flag` in args, or undefined. */
function flagValue(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
}

/** A container port by its name or number. */
function containerPort(container: IContainer, port: string | number | undefined): number {
  const found = typeof port === "number"
    ? container.ports?.find((p) => p.containerPort === port)
    : container.ports?.find((p) => p.name === port);
  assert.ok(found, `container ${container.name} has no port ${port}`);
  return found.containerPort;
}

/** Seconds in a duration as the CLI writes them (30s, 4m, 1h). */
function seconds(duration: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(duration);
  assert.ok(m, `a duration: ${duration}`);
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] as "ms" | "s" | "m" | "h"];
}

Deno.test("kubectl kustomize builds the base and every overlay", {
  ignore: !kubectl,
}, async () => {
  const builds = await rendered();
  assert.deepEqual([...builds.keys()], kustomizations());
  const kinds = new Set<string>();
  for (const [build, objs] of builds) {
    assert.ok(objs.some((o) => o.kind === "Namespace" && o.metadata.name === "sockit"), build);
    assert.ok(objs.some((o) => o.kind === "ConfigMap"), `${build} has the spec's ConfigMap`);
    for (const obj of objs) {
      kinds.add(obj.kind);
      if (obj.kind !== "Namespace") assert.equal(obj.metadata.namespace, "sockit", build);
    }
  }
  for (const kind of [...WORKLOAD_KINDS, "Service", "PodMonitor"]) {
    assert.ok(kinds.has(kind), `some build has a ${kind}`);
  }
});

Deno.test("every object of every build is valid against the Kubernetes API schemas", {
  ignore: !kubectl,
}, async () => {
  for (const [build, objs] of await rendered()) {
    for (const obj of objs) {
      const model = MODELS[`${obj.apiVersion}/${obj.kind}`];
      assert.ok(model, `${build}: no schema for ${obj.apiVersion} ${obj.kind}`);
      new model(obj).validate();
    }
  }
});

Deno.test("the schema validation rejects a manifest with a wrongly typed field", {
  ignore: !kubectl,
}, async () => {
  const base = (await rendered()).get("base")!;
  const deployment = structuredClone(base.find((o) => o.kind === "Deployment")!);
  podSpec(deployment).containers[0]!.securityContext!.readOnlyRootFilesystem =
    "true" as unknown as boolean;
  assert.throws(
    () => new Deployment(deployment).validate(),
    /readOnlyRootFilesystem must be boolean/,
  );
});

Deno.test("every container is non-root, read-only, unprivileged and has requests and limits", {
  ignore: !kubectl,
}, async () => {
  const all = await workloads();
  assert.ok(all.length >= 5, "the builds have workloads");
  for (const w of all) assertHardened(w);
});

Deno.test("the hardening check fails a container that may write its root filesystem", {
  ignore: !kubectl,
}, async () => {
  const [w] = await workloads();
  assert.ok(w);
  const copy = structuredClone(w);
  delete copy.container.securityContext!.readOnlyRootFilesystem;
  assert.throws(() => assertHardened(copy), /readOnlyRootFilesystem/);
  copy.container.securityContext!.readOnlyRootFilesystem = false;
  assert.throws(() => assertHardened(copy), /readOnlyRootFilesystem/);
});

Deno.test("every container runs the image pinned in the base's kustomization.yaml", {
  ignore: !kubectl,
}, async () => {
  const image = pinnedImage();
  const version = JSON.parse(Deno.readTextFileSync(new URL("../deno.json", import.meta.url)))
    .version;
  assert.ok(image.endsWith(`:v${version}`), `${image} is the release of deno.json's ${version}`);
  for (const w of await workloads()) assert.equal(w.container.image, image, where(w));
});

Deno.test("the monitors are ready on /healthz and alive on /livez, on the port they listen on", {
  ignore: !kubectl,
}, async () => {
  const monitors = (await workloads()).filter((w) => w.container.args?.includes("--every"));
  assert.deepEqual(
    [...new Set(monitors.map((w) => w.obj.kind))].sort(),
    ["DaemonSet", "Deployment"],
  );
  for (const w of monitors) {
    const at = where(w);
    const args = w.container.args!;
    const listen = flagValue(args, "--listen");
    assert.match(listen ?? "", /^:\d+$/, `${at}: --listen :PORT (every interface)`);
    const port = Number(listen!.slice(1));
    const ready = w.container.readinessProbe?.httpGet;
    const live = w.container.livenessProbe?.httpGet;
    assert.equal(ready?.path, "/healthz", `${at}: readiness`);
    assert.equal(live?.path, "/livez", `${at}: liveness`);
    assert.equal(containerPort(w.container, ready.port), port, `${at}: readiness port`);
    assert.equal(containerPort(w.container, live.port), port, `${at}: liveness port`);
    const template = w.obj.kind === "Deployment" || w.obj.kind === "DaemonSet"
      // deno-lint-ignore no-explicit-any
      ? (w.obj as any).spec.template.metadata
      : undefined;
    assert.deepEqual(template?.annotations, {
      "prometheus.io/scrape": "true",
      "prometheus.io/port": String(port),
      "prometheus.io/path": "/metrics",
    }, `${at}: scrape annotations`);
  }
});

Deno.test("the Service and the PodMonitor reach the monitor's port", {
  ignore: !kubectl,
}, async () => {
  const builds = await rendered();
  const base = builds.get("base")!;
  const deployment = base.find((o) => o.kind === "Deployment")! as unknown as Deployment;
  const container = deployment.spec!.template.spec!.containers[0]!;
  const labels = deployment.spec!.template.metadata!.labels!;
  const service = base.find((o) => o.kind === "Service")! as unknown as Service;
  for (const [key, value] of Object.entries(service.spec!.selector!)) {
    assert.equal(labels[key], value, `the Service selects the monitor: ${key}`);
  }
  for (const port of service.spec!.ports!) {
    assert.equal(containerPort(container, port.targetPort), 9115);
  }
  const monitor = [...builds.values()].flat().find((o) => o.kind === "PodMonitor")! as
    & Obj
    & { spec: PodMonitor["spec"] };
  for (const [key, value] of Object.entries(monitor.spec.selector.matchLabels ?? {})) {
    assert.equal(labels[key], value, `the PodMonitor selects the monitor: ${key}`);
  }
  for (const endpoint of monitor.spec.podMetricsEndpoints ?? []) {
    assert.equal(containerPort(container, endpoint.port), 9115);
    assert.equal(endpoint.path, "/metrics");
  }
});

Deno.test("every workload mounts the spec's ConfigMap where its args read it", {
  ignore: !kubectl,
}, async () => {
  const builds = await rendered();
  for (const w of await workloads()) {
    const at = where(w);
    const file = w.container.args?.at(-1) ?? "";
    const dir = file.slice(0, file.lastIndexOf("/"));
    const key = file.slice(file.lastIndexOf("/") + 1);
    const mount = w.container.volumeMounts?.find((m) => m.mountPath === dir);
    assert.ok(mount, `${at}: ${dir} is mounted`);
    assert.equal(mount.readOnly, true, `${at}: the spec is mounted read-only`);
    assert.equal(mount.subPath, undefined, `${at}: no subPath (a ConfigMap change must reach it)`);
    const volume = w.pod.volumes?.find((v) => v.name === mount.name);
    const name = volume?.configMap?.name;
    const configMap = builds.get(w.build)!.find((o) =>
      o.kind === "ConfigMap" && o.metadata.name === name
    ) as (Obj & { data?: Record<string, string> }) | undefined;
    assert.ok(configMap, `${at}: the volume is the build's ConfigMap (${name})`);
    assert.match(name!, /^sockit-spec-[a-z0-9]+$/, `${at}: the generated name, with its hash`);
    assert.ok(configMap.data?.[key], `${at}: the ConfigMap has ${key}`);
  }
});

Deno.test("the DaemonSet's vantage point is its node's name", {
  ignore: !kubectl,
}, async () => {
  const nodes = (await workloads()).filter((w) => w.obj.kind === "DaemonSet");
  assert.ok(nodes.length > 0);
  for (const w of nodes) {
    const env = w.container.env?.find((e) => e.name === "SOCKIT_VANTAGE");
    assert.equal(env?.valueFrom?.fieldRef?.fieldPath, "spec.nodeName", where(w));
    assert.equal(flagValue(w.container.args!, "--vantage"), "$(SOCKIT_VANTAGE)", where(w));
  }
});

Deno.test(
  "the other workloads take a fixed vantage point from one ConfigMap, never their pod's name",
  {
    ignore: !kubectl,
  },
  async () => {
    const built = await rendered();
    const others = (await workloads()).filter((w) => w.obj.kind !== "DaemonSet");
    assert.ok(others.length >= 3, "the Deployment, the CronJob and the Job");
    for (const w of others) {
      assert.equal(w.container.env?.find((e) => e.name === "SOCKIT_VANTAGE"), undefined, where(w));
      const from = w.container.envFrom?.map((e) => e.configMapRef?.name) ?? [];
      const maps = built.get(w.build)!.filter((o) => o.kind === "ConfigMap") as Array<
        Obj & { data?: Record<string, string> }
      >;
      const vantage = maps.find((m) => from.includes(m.metadata.name))?.data?.SOCKIT_VANTAGE;
      assert.equal(vantage, "cluster", where(w));
      assert.equal(flagValue(w.container.args!, "--vantage"), undefined, where(w));
    }
  },
);

Deno.test("the one-shot runs are bounded: --timeout under the Job's deadline, retries capped", {
  ignore: !kubectl,
}, async () => {
  const runs = (await workloads()).filter((w) => w.obj.kind === "Job" || w.obj.kind === "CronJob");
  assert.ok(runs.length >= 2);
  for (const w of runs) {
    // deno-lint-ignore no-explicit-any
    const spec = (w.obj as any).spec;
    const job = w.obj.kind === "CronJob" ? spec.jobTemplate.spec : spec;
    assert.equal(typeof job.backoffLimit, "number", `${where(w)}: backoffLimit`);
    assert.equal(typeof job.activeDeadlineSeconds, "number", `${where(w)}: activeDeadlineSeconds`);
    const timeout = flagValue(w.container.args!, "--timeout");
    assert.ok(timeout, `${where(w)}: --timeout`);
    assert.ok(seconds(timeout) < job.activeDeadlineSeconds, `${where(w)}: ${timeout} < deadline`);
    assert.equal(w.pod.restartPolicy, "Never", where(w));
    if (w.obj.kind === "CronJob") {
      assert.equal(spec.concurrencyPolicy, "Forbid", where(w));
      assert.ok(w.container.args!.includes("--json"), `${where(w)}: prints the JSON report`);
    }
  }
});

/** Whether this sockit knows `--vantage` yet (it arrives with the vantage points). */
async function knowsVantage(): Promise<boolean> {
  const help = await runSockit(["check", "--help"]);
  return help.out.includes("--vantage");
}

Deno.test(
  "every workload's args, with the spec from its ConfigMap, are a valid check command line",
  {
    ignore: !kubectl,
  },
  async () => {
    const builds = await rendered();
    const vantage = await knowsVantage();
    const dir = await Deno.makeTempDir({ prefix: "sockit-kubernetes-" });
    try {
      for (const w of await workloads()) {
        const at = where(w);
        const args = [...w.container.args!];
        assert.equal(w.container.command, undefined, `${at}: the image's entrypoint runs`);
        assert.equal(args[0], "check", at);
        // The spec as the pod sees it, from the rendered ConfigMap.
        const file = args.at(-1)!;
        const mount = w.container.volumeMounts!.find((m) => file.startsWith(`${m.mountPath}/`))!;
        const name = w.pod.volumes!.find((v) => v.name === mount.name)!.configMap!.name;
        const configMap = builds.get(w.build)!.find((o) =>
          o.kind === "ConfigMap" && o.metadata.name === name
        ) as Obj & { data: Record<string, string> };
        const local = `${dir}/${w.build.replaceAll("/", "-")}-${w.obj.metadata.name}.yaml`;
        await Deno.writeTextFile(local, configMap.data[file.slice(mount.mountPath.length + 1)]!);
        args[args.length - 1] = local;
        // $(VAR) as the kubelet expands it; the downward API's node name as a sample.
        for (const [i, arg] of args.entries()) {
          args[i] = arg.replace(/\$\((\w+)\)/g, (_, env: string) => {
            const source = w.container.env?.find((e) => e.name === env);
            assert.ok(source, `${at}: $(${env}) is set in env`);
            return source.value ?? (source.valueFrom?.fieldRef ? "node-a" : "");
          });
        }
        if (!vantage && args.includes("--vantage")) {
          // deno-lint-ignore no-console
          console.error(`note: this sockit has no --vantage yet; ${at} is checked without it`);
          args.splice(args.indexOf("--vantage"), 2);
        }
        // A monitor's own flags are refused with --validate: check their values, then drop them.
        const every = flagValue(args, "--every");
        if (every !== undefined) {
          assert.ok(seconds(every) >= 1, `${at}: --every ${every}`);
          assert.ok(args.includes("--listen"), `${at}: a monitor listens`);
          args.splice(args.indexOf("--every"), 2);
          args.splice(args.indexOf("--listen"), 2);
        }
        const run = await runSockit([...args, "--validate"]);
        assert.equal(run.code, 0, `${at}: sockit ${args.join(" ")} --validate: ${run.err}`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(
  "the Deployment's monitor on the sample spec is alive on /livez while /healthz is not ready",
  {
    ignore: !kubectl,
  },
  async () => {
    // Here no check of the sample can pass (no cluster): the pod must be unready, never restarted.
    const base = (await rendered()).get("base")!;
    const deployment = base.find((o) => o.kind === "Deployment")!;
    const configMap = base.find((o) => o.kind === "ConfigMap") as Obj & {
      data: Record<string, string>;
    };
    const args = [...podSpec(deployment).containers[0]!.args!];
    const dir = await Deno.makeTempDir({ prefix: "sockit-kubernetes-" });
    try {
      const spec = `${dir}/sockit.yaml`;
      await Deno.writeTextFile(spec, configMap.data["sockit.yaml"]!);
      // The manifest's args but the file, and --every and --listen, which the harness sets.
      args.splice(args.indexOf("--every"), 2);
      args.splice(args.indexOf("--listen"), 2);
      assert.deepEqual(args, ["check", "/etc/sockit/sockit.yaml"]);
      await using monitor = await MonitorProcess.start([spec], { every: "30s" });
      monitor.drain();
      const live = await monitor.get("/livez");
      const ready = await monitor.get("/healthz");
      assert.equal(live.status, 200, live.body);
      assert.equal(ready.status, 503, ready.body);
      assert.equal((await monitor.stop()).code, 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
