// Rollouts of other shapes than one Deployment's RollingUpdate, through the resolver and through the real
// kube-proxy's ClusterIP rules on the same slices (kube-controller-manager writes them; pods are network namespaces
// with echo backends; see cluster_ip_node.ts): blue/green by switching the Service's selector, a canary scaled
// 0 -> 1 -> 0, a scale to zero and back, a node drain (four pods terminating at once), maxSurge 0 with
// maxUnavailable 1, and a named targetPort that the new pods give another number (two port groups in two slices).
// A call loop on Node dials each path through the whole shape: kubernetes:///echo.<ns>:grpc with register(), one
// channel; and the ClusterIP, eight channels (each one connection, which kube-proxy sends to one pod). The
// resolver's path must never fail more calls than kube-proxy's, must fail none while a pod is ready (but for a few
// refused by pods stopping together, see REFUSED), and must reach new pods; with no pod, its calls fail at once with
// the reason and recover without a restart.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { type CallBucket, type CallLoop, type ClusterIpNode, startClusterIpNode } from "./cluster_ip_node.ts";
import { createNamespace, deleteNamespace, kubeRequest } from "./kube_objects.ts";
import { kubeProxyTest } from "./kube_proxy_case.ts";
import {
  applyNode,
  createReadyPod,
  createUnreadyPod,
  deleteNode,
  deletePod,
  forgetPod,
  setNodeStatus,
  setPodReady,
} from "./workloads.ts";

const log = (line: string) => console.log(`    [rollout shapes] ${line}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const NODES = ["kgr-shapes-n1", "kgr-shapes-n2"];
/** A call refused by a pod's server as it stops (HTTP/2 REFUSED_STREAM), and refused again on grpc-js's retry. */
const REFUSED = "14 Stream refused by server";

/** What a shape does to its Service, given the tools of {@linkcode Shape}. */
interface ShapeContext {
  /** Marks the start of a phase of the shape (the results are told per phase). */
  mark(what: string): void;
  /** Starts a pod's backend and creates its Pod (Ready unless `ready: false`), app `blue` unless told. */
  pod(name: string, options?: { app?: string; ready?: boolean; node?: string; port?: number }): Promise<void>;
  /** Retires a pod as the kubelet does: deleted, SIGTERM, not ready 300 ms later, gone after `graceMs`. */
  retire(name: string, graceMs?: number): Promise<void>;
  setReady(name: string, ready: boolean): Promise<void>;
  /** Merge-patches the Service's spec. */
  patchService(spec: Record<string, unknown>): Promise<void>;
}

/** A shape: what it does, and what the resolver's path must show beyond failing no more than kube-proxy's. */
interface Shape {
  name: string;
  drive(context: ShapeContext): Promise<void>;
  /** Whether a pod is ready throughout: the resolver's path must then fail no call. */
  alwaysReady: boolean;
  /** Pods the resolver's path must reach, by phase. */
  reaches: Record<string, string[]>;
}

const SHAPES: Shape[] = [
  {
    name: "blue/green",
    alwaysReady: true,
    reaches: { "selector switched to green": ["green-1", "green-2"] },
    async drive({ mark, pod, retire, patchService }) {
      await pod("green-1", { app: "green" });
      await pod("green-2", { app: "green" });
      await sleep(2000);
      mark("selector switched to green");
      await patchService({ selector: { app: "green" } });
      await sleep(4000);
      mark("blue scaled to zero");
      await Promise.all(["blue-1", "blue-2"].map((name) => retire(name)));
      await sleep(3000);
    },
  },
  {
    name: "canary 0 -> 1 -> 0",
    alwaysReady: true,
    reaches: { "canary 0 -> 1": ["canary-1", "blue-1", "blue-2"] },
    async drive({ mark, pod, retire }) {
      await sleep(1000);
      mark("canary 0 -> 1");
      await pod("canary-1");
      await sleep(4000);
      mark("canary 1 -> 0");
      await retire("canary-1");
      await sleep(3000);
    },
  },
  {
    name: "scale to zero and back",
    alwaysReady: false,
    reaches: { "new pods ready": ["blue-3", "blue-4"] },
    async drive({ mark, pod, retire, setReady }) {
      await sleep(1000);
      mark("scaled to zero");
      await Promise.all(["blue-1", "blue-2"].map((name) => retire(name)));
      await sleep(3000);
      mark("scaled to two, not ready yet");
      await pod("blue-3", { ready: false });
      await pod("blue-4", { ready: false });
      await sleep(1000);
      mark("new pods ready");
      await setReady("blue-3", true);
      await setReady("blue-4", true);
      await sleep(5000);
    },
  },
  {
    name: "node drain",
    alwaysReady: true,
    reaches: { "replacements ready": ["blue-5", "blue-6", "blue-7", "blue-8", "blue-9"] },
    async drive({ mark, pod, retire, setReady }) {
      await pod("blue-3");
      await pod("blue-4");
      await pod("blue-5", { node: NODES[1] });
      await sleep(2000);
      mark("four pods of node 1 evicted at once");
      const evicted = Promise.all(["blue-1", "blue-2", "blue-3", "blue-4"].map((name) => retire(name, 3000)));
      const replacements = ["blue-6", "blue-7", "blue-8", "blue-9"];
      for (const name of replacements) await pod(name, { ready: false, node: NODES[1] });
      mark("replacements ready");
      for (const name of replacements) await setReady(name, true);
      await evicted;
      await sleep(3000);
    },
  },
  {
    name: "maxSurge 0, maxUnavailable 1",
    alwaysReady: true,
    reaches: { "last new pod ready": ["new-1", "new-2", "new-3"] },
    async drive({ mark, pod, retire, setReady }) {
      await pod("blue-3");
      await sleep(1000);
      for (const [old, fresh] of [["blue-1", "new-1"], ["blue-2", "new-2"], ["blue-3", "new-3"]]) {
        mark(`${old} deleted, ${fresh} created`);
        const retiring = retire(old, 2000);
        await pod(fresh, { ready: false });
        await sleep(1000);
        if (fresh === "new-3") mark("last new pod ready");
        await setReady(fresh, true);
        await retiring;
      }
      await sleep(3000);
    },
  },
  {
    name: "a named targetPort on another number in the new pods",
    alwaysReady: true,
    reaches: { "blue-2 retired": ["new-1", "new-2"] },
    async drive({ mark, pod, retire }) {
      await sleep(1000);
      for (const [old, fresh] of [["blue-1", "new-1"], ["blue-2", "new-2"]]) {
        mark(`${fresh} created, its "grpc" on 50052`);
        await pod(fresh, { port: 50052 });
        await sleep(1500);
        mark(`${old} retired`);
        await retire(old);
      }
      await sleep(3000);
    },
  },
];

/** A loop's answers, failures and first answer per pod between two times. */
function tally(buckets: CallBucket[], from: number, to: number) {
  const ok: Record<string, number> = {};
  const fail: Record<string, number> = {};
  const first: Record<string, number> = {};
  for (const bucket of buckets) {
    if (bucket.t <= from || bucket.t > to) continue;
    for (const [pod, count] of Object.entries(bucket.ok)) {
      ok[pod] = (ok[pod] ?? 0) + count;
      first[pod] ??= bucket.t - from;
    }
    for (const [key, count] of Object.entries(bucket.fail)) fail[key] = (fail[key] ?? 0) + count;
  }
  const failed = Object.values(fail).reduce((sum, count) => sum + count, 0);
  return { ok, fail, first, failed };
}

await kubeProxyTest(
  "rollout shapes: the resolver's calls fail no more than kube-proxy's ClusterIP path's, none while a pod is ready, and reach new pods",
  log,
  async (t, cluster, controlPlane) => {
    const dist = new URL("../../dist/mod.js", import.meta.url);
    assert.ok(existsSync(dist), "the call loops need the build: run `npm run build`");
    const fetch = cluster.adminFetch;
    let node: ClusterIpNode | undefined;
    try {
      for (const [index, name] of NODES.entries()) {
        await applyNode(fetch, name, "zone-a");
        await setNodeStatus(fetch, name, { address: `10.251.0.${index + 2}` });
      }
      const running = await startClusterIpNode(controlPlane, NODES[0], log);
      node = running;
      for (const shape of SHAPES) {
        await t.step(shape.name, async () => {
          const namespace = await createNamespace(fetch, "e2e-shapes");
          const hosts = new Map<string, Awaited<ReturnType<typeof running.addPod>>>();
          const loops: CallLoop[] = [];
          try {
            await kubeRequest(fetch, "POST", `/api/v1/namespaces/${namespace}/services`, {
              apiVersion: "v1",
              kind: "Service",
              metadata: { name: "echo" },
              spec: { selector: { app: "blue" }, ports: [{ name: "grpc", port: 80, targetPort: "grpc" }] },
            });
            const marks: { t: number; what: string }[] = [];
            const context: ShapeContext = {
              mark: (what) => void marks.push({ t: Date.now(), what }),
              async pod(name, { app = "blue", ready = true, node = NODES[0], port = 50051 } = {}) {
                const host = await running.addPod(name, port);
                hosts.set(name, host);
                await (ready ? createReadyPod : createUnreadyPod)(fetch, namespace, {
                  name,
                  app,
                  node,
                  ip: host.address,
                  ports: [{ name: "grpc", containerPort: port }],
                });
              },
              async retire(name, graceMs = 2000) {
                await deletePod(fetch, namespace, name);
                hosts.get(name)!.terminate();
                await sleep(300);
                await setPodReady(fetch, namespace, name, false);
                await sleep(graceMs);
                await forgetPod(fetch, namespace, name);
                await hosts.get(name)!.remove();
              },
              setReady: (name, ready) => setPodReady(fetch, namespace, name, ready),
              async patchService(spec) {
                const path = `/api/v1/namespaces/${namespace}/services/echo`;
                await kubeRequest(fetch, "PATCH", path, { spec }, "application/merge-patch+json");
              },
            };
            await context.pod("blue-1");
            await context.pod("blue-2");
            const { spec } = await kubeRequest<{ spec: { clusterIP: string } }>(
              fetch,
              "GET",
              `/api/v1/namespaces/${namespace}/services/echo`,
            );
            for (let wait = 0; (await running.kubeProxy.destinations(spec.clusterIP, 80))?.length !== 2; wait++) {
              assert.ok(wait < 150, "kube-proxy programs the Service within 30 s");
              await sleep(200);
            }
            const options = { kubeconfig: cluster.adminKubeconfigPath, seconds: 60, deadlineMs: 5000 };
            const ours = running.startCallLoop("resolver", `kubernetes:///echo.${namespace}:grpc`, options);
            const kubeProxy = running.startCallLoop("kube-proxy", `${spec.clusterIP}:80`, { ...options, channels: 8 });
            loops.push(ours, kubeProxy);
            for (let wait = 0; !loops.every((loop) => loop.buckets.some((b) => Object.keys(b.ok).length)); wait++) {
              assert.ok(wait < 150, "both call loops answered within 30 s");
              await sleep(200);
            }
            context.mark("start");
            await shape.drive(context);
            context.mark("end");
            await Promise.all(loops.map((loop) => loop.stop()));

            const whole = (loop: CallLoop) => tally(loop.buckets, marks[0].t, Date.now());
            for (const loop of loops) {
              const { ok, fail, failed } = whole(loop);
              const calls = failed + Object.values(ok).reduce((sum, count) => sum + count, 0);
              log(`${shape.name}: ${loop.label}: ${calls} calls, ${failed} failed ${JSON.stringify(fail)}`);
              for (let i = 0; i < marks.length - 1; i++) {
                const phase = tally(loop.buckets, marks[i].t, marks[i + 1].t);
                log(
                  `  [${marks[i].what}] ${JSON.stringify(phase.ok)}, first answers after ms ` +
                    `${JSON.stringify(phase.first)}${phase.failed ? `, ${phase.failed} failed` : ""}`,
                );
              }
            }
            const resolver = whole(ours);
            // Pods stopped in the same instant (a drain's, a scale to zero's) can cost a call that one refused, whose
            // retry, which grpc-js makes at once, reaches another whose GOAWAY is not read yet: README, "Abrupt
            // failures" (1 call in 8 drains on Node here). Allowed, a few, and told; the other failures are compared.
            const { [REFUSED]: refused = 0, ...others } = resolver.fail;
            if (refused > 0) log(`${shape.name}: ${refused} refused by pods stopping together (Abrupt failures)`);
            assert.ok(refused <= 3, `${refused} calls refused by stopping pods`);
            assert.ok(
              resolver.failed - refused <= whole(kubeProxy).failed,
              `the resolver failed ${resolver.failed} calls, kube-proxy's path ${whole(kubeProxy).failed}`,
            );
            if (shape.alwaysReady) assert.deepEqual(others, {}, "no failed call while a pod is ready");
            // UNAVAILABLE at once, not at the deadline; with no pod listed, the reason says so.
            for (const failure of Object.keys(resolver.fail)) assert.match(failure, /^14 /);
            if (!shape.alwaysReady) {
              // The Service's read names its selector; without that read, the slices' words.
              const noPod =
                /^14 Cannot route the call: no ready endpoints for service echo .*: (its EndpointSlices list no pod|its selector \S+ matches no pod)/;
              assert.ok(Object.keys(resolver.fail).some((failure) => noPod.test(failure)), "the reason says no pod");
            }
            for (const [phase, pods] of Object.entries(shape.reaches)) {
              const index = marks.findIndex(({ what }) => what === phase);
              const { first } = tally(ours.buckets, marks[index].t, marks[index + 1].t);
              for (const pod of pods) assert.ok(first[pod] !== undefined, `the resolver reached ${pod} (${phase})`);
              assert.ok(Math.max(...pods.map((pod) => first[pod])) < 5000, `within 5 s: ${JSON.stringify(first)}`);
            }
          } finally {
            for (const loop of loops) await loop.stop();
            for (const host of hosts.values()) await host.remove();
            await deleteNamespace(fetch, namespace).catch(() => {});
          }
        });
      }
    } finally {
      await node?.stop();
      for (const name of NODES) await deleteNode(fetch, name).catch(() => {});
    }
  },
);
