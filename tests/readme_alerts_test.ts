// The README's "Alerts we would use", run through Prometheus's own rule evaluator: `promtool check rules` on them,
// then `promtool test rules` on series shaped as @opentelemetry/exporter-prometheus prints ours (the labels of a real
// scrape, plus the `job` and `instance` that Prometheus adds), in the situations each alert's comment names. It runs
// PROMTOOL when set, else the promtool that `bash scripts/control_plane/build.sh` builds (versions.env's
// PROMETHEUS_VERSION, cached beside kube-apiserver; `npm test` builds it first), else promtool on PATH. Without any,
// the test is ignored and says how to build it; under CI (CI set, as CI services do) it fails instead, as the
// end-to-end tests fail without their control plane.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binaryCacheDirectory } from "./e2e/control_plane.ts";
import { childEnv } from "./_child_env.mjs";

/** Where `scripts/control_plane/build.sh` puts promtool: `<cache>/promtool-<PROMETHEUS_VERSION>`. */
async function cachedPromtool(): Promise<string> {
  const versions = await Deno.readTextFile(new URL("../scripts/control_plane/versions.env", import.meta.url));
  const version = /^PROMETHEUS_VERSION=(\S+)/m.exec(versions)?.[1];
  assert.ok(version, "scripts/control_plane/versions.env sets PROMETHEUS_VERSION");
  return join(binaryCacheDirectory(), `promtool-${version}`);
}
const CACHED_PROMTOOL = await cachedPromtool();
const PROMTOOL = Deno.env.get("PROMTOOL") || (existsSync(CACHED_PROMTOOL) ? CACHED_PROMTOOL : "promtool");

/** promtool's output, or undefined when it cannot be run. */
function run(args: string[], cwd?: string): Promise<{ code: number; output: string } | undefined> {
  return new Promise((resolve) => {
    execFile(PROMTOOL, args, { env: childEnv(), cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      if ((error as { code?: unknown } | null)?.code === "ENOENT") resolve(undefined);
      else resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr });
    });
  });
}
const promtoolFound = (await run(["--version"]))?.code === 0;
/** Why promtool cannot be run, and what to do. */
const PROMTOOL_MISSING = Deno.env.get("PROMTOOL")
  ? `PROMTOOL=${PROMTOOL} does not run (\`--version\` failed): point it at a working promtool, or unset it to use ` +
    "the one `bash scripts/control_plane/build.sh` builds"
  : `promtool not found (${CACHED_PROMTOOL} not built, none on PATH): build it with ` +
    "`bash scripts/control_plane/build.sh` (`npm test` does), or set PROMTOOL to one";
/** CI services set CI (to `true`); there a missing promtool fails the test rather than skipping it. */
const IN_CI = !["", "0", "false"].includes((Deno.env.get("CI") ?? "").toLowerCase());

/** One alert of the README: its PromQL (comments included, as a user pastes it) and its `# for:` duration. */
interface ReadmeAlert {
  expr: string;
  for: string;
}

/** The alerts of the README's Metrics section: its `promql` block, one alert per paragraph of it. */
async function readmeAlerts(): Promise<ReadmeAlert[]> {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const section = readme.slice(readme.indexOf("## Metrics (OpenTelemetry)"));
  const block = /```promql\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, "the README's Metrics section has a promql block");
  return block.trim().split(/\n\s*\n/).map((expr) => {
    const duration = /# for: (\w+)\s*$/.exec(expr)?.[1];
    assert.ok(duration, `each alert ends in "# for: <duration>": ${expr}`);
    return { expr, for: duration };
  });
}

/** The labels the exporter prints on every series of one Service watched by one client process. */
function service(instance: string, version = "0.1.0", name = "echo"): Record<string, string> {
  return {
    job: "app",
    instance,
    k8s_namespace_name: "prod",
    k8s_service_name: name,
    server_address: "10.96.0.1",
    server_port: "443",
    otel_scope_name: "@kgr/resolver",
    otel_scope_version: version,
  };
}
/** The labels an alert keeps: those its `by` names. */
const ALERT_LABELS = {
  k8s_namespace_name: "prod",
  k8s_service_name: "echo",
  server_address: "10.96.0.1",
  server_port: "443",
};
/** One input series of promtool: our metric `name` with `labels`, its values one a minute (`3x10`, `_` for none). */
function series(name: string, labels: Record<string, string>, values: string) {
  const text = Object.entries(labels).map(([key, value]) => `${key}=${JSON.stringify(value)}`).join(",");
  return { series: `grpc_resolver_kubernetes_${name}{${text}}`, values };
}
/** A client process's watches gauge of echo, and its endpoints gauge of each of `ports` (values as in `series`). */
function watching(instance: string, ports: Record<string, string>, watches: string, version?: string) {
  return [
    series("watches", service(instance, version), watches),
    ...Object.entries(ports).map(([port, values]) =>
      series("endpoints", { ...service(instance, version), port }, values)
    ),
  ];
}

const WATCH_FAILING = "WatchFailing";
const NO_ENDPOINTS = "NoEndpoints";
const NEVER_RESOLVED = "NeverResolved";
/** Series over ten minutes, and which alerts fire at which minute: what each alert's comment promises. */
const SCENARIOS: { what: string; input: ReturnType<typeof series>[]; alerts: [number, string, object[]][] }[] = [
  {
    what: "a watch that fails for 5 minutes fires; one that failed for 3 minutes does not",
    input: [
      series("watch_failing", service("a:9464"), "0 1x9"),
      series("watch_failing", service("b:9464", "0.1.0", "cart"), "0 1x2 0x6"),
    ],
    alerts: [[4, WATCH_FAILING, []], [7, WATCH_FAILING, [ALERT_LABELS]]],
  },
  {
    what: "a watch that goes on failing across an upgrade (otel_scope_version changes) fires as one alert",
    input: [
      series("watch_failing", service("a:9464", "0.1.0"), "1x3"),
      series("watch_failing", service("a2:9464", "0.2.0"), "_x3 1x6"),
    ],
    alerts: [[7, WATCH_FAILING, [ALERT_LABELS]]],
  },
  {
    what: "several client processes whose watches work: no alert",
    input: [series("watch_failing", service("a:9464"), "0x10"), series("watch_failing", service("b:9464"), "0x10")],
    alerts: [[10, WATCH_FAILING, []], [10, NO_ENDPOINTS, []], [10, NEVER_RESOLVED, []]],
  },
  {
    // Measured: a client started during an API outage exports watches 1 and watch_failing 1, no endpoints series,
    // while every call fails; the first alert fired only after its 5 minutes, the second never.
    what: "a process that never had the Service's endpoints fires after 1 minute, before the first alert's 5",
    input: [series("watches", service("a:9464"), "1x10"), series("watch_failing", service("a:9464"), "1x10")],
    alerts: [
      [0, NEVER_RESOLVED, []],
      [2, NEVER_RESOLVED, [ALERT_LABELS]],
      [2, WATCH_FAILING, []],
      [10, NO_ENDPOINTS, []],
    ],
  },
  {
    what: "a process that had the endpoints, whose watch then fails: the first alert's, not the third's",
    input: [...watching("a:9464", { grpc: "3x10" }, "1x10"), series("watch_failing", service("a:9464"), "0 1x9")],
    alerts: [[7, NEVER_RESOLVED, []], [7, WATCH_FAILING, [ALERT_LABELS]]],
  },
  {
    what: "one process never had the endpoints while another has them: it fires, for the one whose calls fail",
    input: [
      ...watching("a:9464", { grpc: "3x10" }, "1x10"),
      series("watch_failing", service("a:9464"), "0x10"),
      series("watches", service("b:9464"), "1x10"),
      series("watch_failing", service("b:9464"), "1x10"),
    ],
    alerts: [[3, NEVER_RESOLVED, [ALERT_LABELS]]],
  },
  {
    what: "a process that gets the endpoints once the outage ends: the third alert clears",
    input: [
      ...watching("a:9464", { grpc: "_x3 3x7" }, "1x10"),
      series("watch_failing", service("a:9464"), "1x3 0x7"),
    ],
    alerts: [[2, NEVER_RESOLVED, [ALERT_LABELS]], [5, NEVER_RESOLVED, []]],
  },
  {
    what: "a Service scaled to zero while watched fires after 2 minutes",
    input: watching("a:9464", { grpc: "3 0x9" }, "1x10"),
    alerts: [[2, NO_ENDPOINTS, []], [4, NO_ENDPOINTS, [{ ...ALERT_LABELS, port: "grpc" }]]],
  },
  {
    what: "under topology, no preferred endpoint but others: no alert; neither: it fires",
    input: [
      series("watches", service("a:9464"), "1x10"),
      series("endpoints", { ...service("a:9464"), port: "grpc", preferred: "true" }, "0x10"),
      series("endpoints", { ...service("a:9464"), port: "grpc", preferred: "false" }, "3x4 0x5"),
    ],
    alerts: [[4, NO_ENDPOINTS, []], [9, NO_ENDPOINTS, [{ ...ALERT_LABELS, port: "grpc" }]]],
  },
  {
    what: "a Service no longer watched (its gauges stay at 0): no alert",
    input: watching("a:9464", { grpc: "3 0x9" }, "1 0x9"),
    alerts: [[10, NO_ENDPOINTS, []]],
  },
  {
    what: "several processes, one of which closed its channel to the Service: no alert",
    input: [...watching("a:9464", { grpc: "3x10" }, "1x10"), ...watching("b:9464", { grpc: "3 0x9" }, "1 0x9")],
    alerts: [[10, NO_ENDPOINTS, []]],
  },
  {
    what: "one process closed its channel to one port while another watches the Service for another: no alert",
    input: [...watching("a:9464", { grpc: "3x10" }, "1x10"), ...watching("b:9464", { admin: "3 0x9" }, "1 0x9")],
    alerts: [[10, NO_ENDPOINTS, []]],
  },
  {
    what: "a rolling upgrade of the client (otel_scope_version changes): no alert",
    input: [
      ...watching("a:9464", { grpc: "3x5" }, "1x5", "0.1.0"),
      ...watching("a2:9464", { grpc: "_x3 3x7" }, "_x3 1x7", "0.2.0"),
    ],
    alerts: [[10, NO_ENDPOINTS, []], [10, WATCH_FAILING, []]],
  },
  {
    what: "as the README says, a port no target names any more while the process watches the Service for another fires",
    input: watching("a:9464", { grpc: "3x10", admin: "3 0x9" }, "1x10"),
    alerts: [[10, NO_ENDPOINTS, [{ ...ALERT_LABELS, port: "admin" }]]],
  },
];

Deno.test({
  name: promtoolFound || IN_CI
    ? "README's alerts fire in the situations their comments name, and only there (promtool test rules)"
    : `README's alerts: ignored, ${PROMTOOL_MISSING}`,
  ignore: !promtoolFound && !IN_CI,
  async fn() {
    assert.ok(promtoolFound, `${PROMTOOL_MISSING} (CI is set: CI must run this test)`);
    const [watchFailing, noEndpoints, neverResolved, ...others] = await readmeAlerts();
    assert.ok(neverResolved, "the README has three alerts");
    assert.equal(others.length, 0, "the README has three alerts");
    const dir = await mkdtemp(join(tmpdir(), "kgr-readme-alerts-"));
    try {
      const rules = {
        groups: [{
          name: "kgr-resolver",
          rules: [
            { alert: WATCH_FAILING, ...watchFailing },
            { alert: NO_ENDPOINTS, ...noEndpoints },
            { alert: NEVER_RESOLVED, ...neverResolved },
          ],
        }],
      };
      await writeFile(join(dir, "rules.json"), JSON.stringify(rules, null, 1));
      const check = await run(["check", "rules", "rules.json"], dir);
      assert.equal(check?.code, 0, check?.output);
      const tests = SCENARIOS.map(({ what, input, alerts }) => ({
        name: what,
        interval: "1m",
        input_series: input,
        alert_rule_test: alerts.map(([minute, alertname, expected]) => ({
          eval_time: `${minute}m`,
          alertname,
          exp_alerts: expected.map((labels) => ({ exp_labels: labels })),
        })),
      }));
      await writeFile(join(dir, "tests.json"), JSON.stringify({ rule_files: ["rules.json"], tests }, null, 1));
      const test = await run(["test", "rules", "tests.json"], dir);
      assert.equal(test?.code, 0, test?.output);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
});
