// A Deployment-like rollout of 300 pods (three slices and more) through the real
// EndpointSlice controller, held snapshot by snapshot to the slices as the API
// server had them: every snapshot of watchEndpoints() (streaming lists on and off,
// and a client in zone a of a PreferClose Service) must be exactly the usable set of
// the slices at its resourceVersion, read by a raw watch of this test. The rollout
// goes in batches (new pods made Ready, old ones terminating, some first not Ready,
// then gone), the Service's targetPort changes mid-rollout (the controller rewrites
// the slices, moving pods between them, and lists some in two for a moment), the API
// server restarts mid-rollout (the watch resumes, and relists only after a 410),
// and finally every pod terminates (the serving-terminating fallback). Only
// watches: the pods' addresses are never dialed.
import assert from "node:assert/strict";
import { setTraceSink } from "../../src/runtime/trace.ts";
import { type EndpointRecorder, recordEndpoints } from "./endpoint_recorder.ts";
import { type AdminFetch, createNamespace, deleteNamespace, kubeRequest } from "./kube_objects.ts";
import { openTestCluster } from "./test_cluster.ts";
import {
  annotateService,
  applyNode,
  applySelectorService,
  createReadyPod,
  deleteNode,
  deletePod,
  forgetPod,
  type PodSpec,
  setPodReady,
} from "./workloads.ts";

const log = (line: string) => console.log(`    [rollout] ${line}`);
const PODS = 300;
const BATCH = 100;
const ZONES = ["zone-a", "zone-b", "zone-c"];
const NODES = Array.from({ length: 6 }, (_, i) => ({ name: `kgr-rollout-n${i}`, zone: ZONES[i % 3] }));

const traceLines: string[] = [];
setTraceSink((line) => void traceLines.push(line));

/** The fields of a slice the comparison reads. */
interface Slice {
  metadata: { name: string; resourceVersion: string };
  ports?: { name?: string; port?: number }[] | null;
  endpoints?: {
    addresses: string[];
    conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
    targetRef?: { name?: string };
    hints?: { forZones?: { name: string }[] };
  }[] | null;
}

/** The slices after each change the raw watch saw, oldest first. */
interface SliceHistory {
  states: { rv: number; slices: Map<string, Slice> }[];
  /**
   * The resourceVersions this watch did not see, each between the last one it saw and the list it made after a
   * 410: what the slices were then is unknown here.
   */
  gaps: { after: number; before: number }[];
  stop(): Promise<void>;
}

/** Lists and watches a Service's slices as the admin, resuming after failures (relisting after a 410). */
function recordSlices(fetch: AdminFetch, namespace: string, service: string): SliceHistory {
  const controller = new AbortController();
  const states: SliceHistory["states"] = [];
  const gaps: SliceHistory["gaps"] = [];
  /** The last resourceVersion seen, bookmarks included. */
  let seen = 0;
  const path = `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices?labelSelector=` +
    encodeURIComponent(`kubernetes.io/service-name=${service}`);
  let rv = "";
  const push = (slices: Map<string, Slice>) => states.push({ rv: Number(rv), slices });
  const relist = async () => {
    const list = await kubeRequest<{ items: Slice[]; metadata: { resourceVersion: string } }>(fetch, "GET", path);
    rv = list.metadata.resourceVersion;
    if (seen > 0) gaps.push({ after: seen, before: Number(rv) });
    seen = Number(rv);
    push(new Map(list.items.map((slice) => [slice.metadata.name, slice])));
  };
  const done = (async () => {
    while (!controller.signal.aborted) {
      try {
        if (rv === "") await relist();
        const response = await fetch(`${path}&watch=1&allowWatchBookmarks=true&resourceVersion=${rv}`, {
          signal: controller.signal,
        });
        if (response.status !== 200) throw new Error(`watch answered ${response.status}`);
        let buffer = "";
        for await (const text of response.body!.pipeThrough(new TextDecoderStream())) {
          buffer += text;
          for (let end = buffer.indexOf("\n"); end >= 0; end = buffer.indexOf("\n")) {
            const event = JSON.parse(buffer.slice(0, end)) as { type: string; object: Slice & { code?: number } };
            buffer = buffer.slice(end + 1);
            if (event.type === "ERROR") {
              if (event.object.code === 410) rv = "";
              throw new Error(`watch ERROR ${event.object.code}`);
            }
            rv = event.object.metadata.resourceVersion;
            seen = Number(rv);
            if (event.type === "BOOKMARK") continue;
            const slices = new Map(states.at(-1)?.slices);
            if (event.type === "DELETED") slices.delete(event.object.metadata.name);
            else slices.set(event.object.metadata.name, event.object);
            push(slices);
          }
        }
      } catch {
        // The API server restarted, or the watch expired: resume (or relist) after a moment.
      }
      if (!controller.signal.aborted) await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  return {
    states,
    gaps,
    async stop() {
      controller.abort();
      await done;
    },
  };
}

/**
 * What a client should have from these slices, written plainly: one endpoint per pod (ready only when every slice
 * listing it says so, terminating when any does, its addresses on each slice's port in slice-name order), the ready
 * ones, else the serving-terminating ones; with a zone, preferred as the hints say when every usable endpoint has
 * hints and one is for that zone. As `pod addresses flags` lines, sorted.
 */
function expectedEndpoints(slices: Map<string, Slice>, zone?: string): string[] {
  const pods = new Map<
    string,
    { hosts: string[]; ready: boolean; serving: boolean; terminating: boolean; zones: string[] }
  >();
  for (const slice of [...slices.values()].sort((a, b) => a.metadata.name < b.metadata.name ? -1 : 1)) {
    const port = slice.ports?.find((p) => p.name === "grpc")?.port;
    if (port === undefined) continue;
    for (const endpoint of slice.endpoints ?? []) {
      const name = endpoint.targetRef?.name ?? "";
      const hosts = endpoint.addresses.map((address) => `${address}:${port}`);
      const { ready = true, serving = true, terminating = false } = endpoint.conditions ?? {};
      const zones = (endpoint.hints?.forZones ?? []).map((z) => z.name);
      const pod = pods.get(name);
      if (!pod) pods.set(name, { hosts, ready, serving, terminating, zones });
      else {
        pod.ready &&= ready;
        pod.serving &&= serving;
        pod.terminating ||= terminating;
        for (const host of hosts) if (!pod.hosts.includes(host)) pod.hosts.push(host);
      }
    }
  }
  let usable = [...pods].filter(([, pod]) => pod.ready);
  const anyReady = usable.length > 0;
  if (!anyReady) usable = [...pods].filter(([, pod]) => pod.serving && pod.terminating);
  const byZone = zone !== undefined && anyReady && usable.every(([, pod]) => pod.zones.length > 0) &&
    usable.some(([, pod]) => pod.zones.includes(zone));
  return usable.map(([name, pod]) => line(name, pod.hosts, pod, !byZone || pod.zones.includes(zone!))).sort();
}

function line(
  name: string,
  hosts: string[],
  conditions: { ready: boolean; serving: boolean; terminating: boolean },
  preferred: boolean,
): string {
  const flags = (conditions.ready ? "r" : "") + (conditions.serving ? "s" : "") +
    (conditions.terminating ? "t" : "") + (preferred ? "p" : "");
  return `${name} ${hosts.join(",")} ${flags}`;
}

function snapshotLines(recorder: EndpointRecorder, index: number): string[] {
  return recorder.snapshots[index].snapshot.endpoints.map((e) =>
    line(e.podName ?? "", e.addresses.map((a) => `${a.host}:${a.port}`), e, e.preferred)
  ).sort();
}

/** The slices as the raw watch last saw them at or before `rv`. */
function slicesAt(history: SliceHistory, rv: number): Map<string, Slice> | undefined {
  let found: Map<string, Slice> | undefined;
  for (const state of history.states) {
    if (state.rv > rv) break;
    found = state.slices;
  }
  return found;
}

async function pool<T>(items: T[], run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < items.length) await run(items[next++]);
  }));
}

Deno.test({
  name:
    "controller rollout: every snapshot of a 300-pod rollout is the slices' usable set at its resourceVersion, across slice moves and an API server restart",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await openTestCluster(log);
    const fetch = cluster.adminFetch;
    const recorders: { name: string; zone?: string; recorder: EndpointRecorder }[] = [];
    let history: SliceHistory | undefined;
    let namespace: string | undefined;
    // What differs from the slices: collected, and checked once the rollout is over.
    const problems: string[] = [];
    try {
      await cluster.controlPlane?.startControllerManager();
      for (const node of NODES) await applyNode(fetch, node.name, node.zone);
      namespace = await createNamespace(fetch, "e2e-rollout");
      const ns = namespace;
      const service = (targetPort: number) =>
        applySelectorService(fetch, ns, {
          name: "roll",
          ports: [{ name: "grpc", port: 80, targetPort }],
          trafficDistribution: "PreferClose",
        });
      await service(50051);
      const pod = (wave: number, i: number): PodSpec => ({
        name: `roll-v${wave}-${String(i).padStart(3, "0")}`,
        app: "roll",
        node: NODES[i % NODES.length].name,
        ip: `10.215.${wave * 2 + Math.floor(i / 200)}.${(i % 200) + 1}`,
        ports: [{ name: "grpc", containerPort: 50051 }],
      });
      let live = Array.from({ length: PODS }, (_, i) => pod(0, i));
      await pool(live, (p) => createReadyPod(fetch, ns, p));
      history = recordSlices(fetch, ns, "roll");
      const slices = history;
      const target = `kubernetes:///roll.${ns}:grpc`;
      const kubeconfig = cluster.adminKubeconfigPath;
      const backoff = { initialMs: 300, maxMs: 1000 };
      recorders.push(
        { name: "streaming lists", recorder: recordEndpoints(target, { cluster: { kubeconfig }, backoff }) },
        {
          name: "LIST+WATCH",
          recorder: recordEndpoints(target, { cluster: { kubeconfig }, backoff, watchList: false }),
        },
        {
          name: "zone a",
          zone: "zone-a",
          recorder: recordEndpoints(target, { cluster: { kubeconfig }, backoff, locality: { zone: "zone-a" } }),
        },
      );
      /**
       * Waits until the slices list exactly `pods` on `port`, all ready (else all serving-terminating), and then until
       * every recorder has what they give (a recorder that does not is a problem, reported with the others).
       */
      const converged = async (what: string, pods: PodSpec[], port: number, ready: boolean) => {
        const end = Date.now() + 30_000;
        const wanted = pods.map((p) =>
          line(p.name, [`${p.ip}:${port}`], { ready, serving: true, terminating: !ready }, true)
        ).sort();
        const want = wanted.join();
        const slicesListed = () => {
          const latest = slices.states.at(-1)?.slices;
          return latest !== undefined && expectedEndpoints(latest).join() === want;
        };
        // The controller retries a failed sync of the Service (mostly "EndpointSlice informer cache is out of
        // date", which the rollout's pace causes) after 1, 2, 4, 8 s and so on, up to 1000 s, without another
        // change to wake it. A change to the Service syncs it at once: nudge it after each 5 s without the pods.
        let nudges = 0;
        let nextNudge = Date.now() + 5000;
        while (!slicesListed()) {
          if (Date.now() > nextNudge) {
            await annotateService(fetch, ns, "roll", "kgr-e2e/nudge", String(++nudges));
            nextNudge = Date.now() + 5000;
          }
          if (Date.now() > end) {
            const latest = slices.states.at(-1);
            const listed = latest ? expectedEndpoints(latest.slices) : [];
            const missing = wanted.filter((l) => !listed.includes(l));
            const extra = listed.filter((l) => !wanted.includes(l));
            throw new Error(
              `Timed out waiting for the slices to list the pods ${what}: at resourceVersion ${latest?.rv} ` +
                `(${slices.states.length} states) they list ${missing.length} fewer (${missing.slice(0, 2)}) and ` +
                `${extra.length} more (${extra.slice(0, 2)})`,
            );
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        for (const { name, zone, recorder } of recorders) {
          for (;;) {
            const latest = slices.states.at(-1)?.slices;
            const expected = latest && expectedEndpoints(latest, zone);
            const last = recorder.snapshots.length - 1;
            if (expected && last >= 0 && snapshotLines(recorder, last).join() === expected.join()) break;
            if (Date.now() > end) {
              problems.push(`${name} did not converge ${what}: ${recorder.current().length} endpoints`);
              break;
            }
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
        const nudged = nudges > 0 ? ` (the controller after ${nudges} nudges of the Service)` : "";
        log(
          `${what}: every client has the slices' ${expectedEndpoints(slices.states.at(-1)!.slices).length} pods` +
            nudged,
        );
      };
      await converged("at first", live, 50051, true);

      let restarted = false;
      for (let wave = 1; wave <= 2; wave++) {
        let terminating: PodSpec[] = [];
        for (let batch = 0; batch < PODS / BATCH; batch++) {
          const fresh = Array.from({ length: BATCH }, (_, i) => pod(wave, batch * BATCH + i));
          const old = live.slice(0, BATCH);
          await pool(fresh, (p) => createReadyPod(fetch, ns, p));
          live = [...live.slice(BATCH), ...fresh];
          // Half the batches fail their readiness before the delete, as pods whose preStop hook takes a while.
          if (batch % 2 === 1) await pool(old, (p) => setPodReady(fetch, ns, p.name, false));
          await pool(old, (p) => deletePod(fetch, ns, p.name));
          await pool(terminating, (p) => forgetPod(fetch, ns, p.name));
          terminating = old;
          if (batch === 1 && wave === 1) {
            // The controller writes the pods into new slices (another port) and deletes the old ones.
            await service(50052);
            log("targetPort changed mid-rollout");
          }
          if (batch === 1 && wave === 2 && cluster.controlPlane) {
            await cluster.controlPlane.stopApiServer(1000);
            await cluster.controlPlane.startApiServer();
            restarted = true;
          }
        }
        await pool(terminating, (p) => forgetPod(fetch, ns, p.name));
        await converged(`after wave ${wave}`, live, 50052, true);
      }
      // Every pod terminating: clients fall back to the serving-terminating ones, as kube-proxy does.
      await pool(live, (p) => deletePod(fetch, ns, p.name));
      await converged("with every pod terminating", live, 50052, false);

      // The controller did move pods between slices (and may list one in two slices for a moment).
      let moved = 0;
      let twice = 0;
      const home = new Map<string, string>();
      for (const { slices: state } of slices.states) {
        const seen = new Map<string, string>();
        for (const slice of state.values()) {
          for (const endpoint of slice.endpoints ?? []) {
            const pod = endpoint.targetRef?.name ?? "";
            if (seen.has(pod)) twice++;
            seen.set(pod, slice.metadata.name);
          }
        }
        for (const [pod, slice] of seen) {
          if (home.has(pod) && home.get(pod) !== slice) moved++;
          home.set(pod, slice);
        }
      }
      log(
        `${slices.states.length} slice states; pods moved to another slice ${moved} times, listed twice ${twice} times`,
      );
      assert.ok(moved > 0, "the targetPort change moves pods to other slices");

      // Snapshots at a resourceVersion that the raw watch skipped (it relisted after a 410) are not compared.
      let unknown = 0;
      for (const { name, zone, recorder } of recorders) {
        let withPreference = 0;
        recorder.snapshots.forEach(({ snapshot }, index) => {
          const rv = Number(snapshot.resourceVersion);
          const state = slicesAt(slices, rv);
          const got = snapshotLines(recorder, index);
          const hosts = snapshot.endpoints.flatMap((e) => e.addresses.map((a) => `${a.host}:${a.port}`));
          if (new Set(hosts).size < hosts.length) problems.push(`${name} #${index}: an address twice`);
          if (got.length === 0) problems.push(`${name} #${index} at ${rv}: no endpoint`);
          if (snapshot.endpoints.some((e) => !e.preferred)) withPreference++;
          if (!state) return; // Before the raw watch's first list.
          if (slices.gaps.some(({ after, before }) => rv > after && rv < before)) {
            unknown++;
            return;
          }
          const expected = expectedEndpoints(state, zone);
          if (got.join() !== expected.join()) {
            const missing = expected.filter((l) => !got.includes(l));
            const extra = got.filter((l) => !expected.includes(l));
            problems.push(
              `${name} #${index} at resourceVersion ${rv}: ${missing.length} missing (${missing.slice(0, 2)}), ` +
                `${extra.length} extra (${extra.slice(0, 2)})`,
            );
          }
        });
        const preferences = zone ? `, ${withPreference} preferring ${zone}` : "";
        log(`${name}: ${recorder.snapshots.length} snapshots${preferences}`);
        if (zone) assert.ok(withPreference > 0, "the zone-a client saw the controller's hints");
      }
      const gaps = slices.gaps.map(({ after, before }) => `${after}-${before}`).join(", ");
      if (unknown > 0) log(`${unknown} snapshots not compared: this test's watch relisted over ${gaps}`);
      assert.deepEqual(problems.slice(0, 10), [], `${problems.length} snapshots differ from the slices`);
      if (restarted) {
        // After the restart each watch resumes from its resourceVersion; only a 410 may make it list again.
        const relists = traceLines.filter((l) => l.includes("relisting"));
        log(`after the API server restart: ${relists.length} relists (${relists.map((l) => l.replace(/.*: /, ""))})`);
        for (const relist of relists) assert.match(relist, /resourceVersion expired: relisting from "\d+"/);
      }
    } finally {
      await Promise.all(recorders.map(({ recorder }) => recorder.stop()));
      await history?.stop();
      if (namespace) await deleteNamespace(fetch, namespace).catch(() => {});
      for (const node of NODES) await deleteNode(fetch, node.name).catch(() => {});
      await cluster.stop();
    }
  },
});
