// The metrics of one watch whose subscribers are at two localities: a topology-aware channel beside one with
// `locality: {}` (or a `watchEndpoints()` loop) in one process.
import assert from "node:assert/strict";
import { watchEndpoints } from "../mod.ts";
import type { Locality } from "../mod.ts";
import { endpointSlice, startFakeApiServer } from "../testing.ts";
import { type Attributes, installFakeMeter } from "./_fake_meter.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("subscribers of one watch at two localities count a change once, and the endpoints gauge keeps the topology-aware split while its subscriber stays", async () => {
  const meter = installFakeMeter();
  await using api = await startFakeApiServer();
  // Pods alternate between zones a and b; the controller hints each for its own zone.
  const slice = (pods: number) =>
    endpointSlice({
      namespace: "zoned",
      service: "echo",
      name: "echo-a",
      port: { name: "grpc", port: 50051 },
      trafficDistribution: "PreferSameZone",
      endpoints: Array.from({ length: pods }, (_, i) => ({ ip: `10.1.0.${i + 1}`, zone: i % 2 ? "b" : "a" })),
    });
  api.applySlice(slice(3));
  const controller = new AbortController();
  const closing = new AbortController();
  const seen: Record<string, number> = {};
  const follow = (name: string, locality: Locality, signal = controller.signal) =>
    (async () => {
      const snapshots = watchEndpoints("kubernetes:///echo.zoned:grpc", {
        cluster: { kubeconfig: api.kubeconfig() },
        locality,
        signal: AbortSignal.any([signal, controller.signal]),
      });
      for await (const snapshot of snapshots) seen[name] = snapshot.endpoints.length;
    })();
  const ours = ({ attributes }: { attributes?: Attributes }) => attributes?.["k8s.namespace.name"] === "zoned";
  const gauge = () =>
    Object.fromEntries(
      meter.observe("grpc.resolver.kubernetes.endpoints").filter(ours).map((
        { value, attributes },
      ) => [String(attributes?.preferred ?? "all"), value]),
    );
  const updates = () =>
    meter.added.filter((added) => added.name === "grpc.resolver.kubernetes.updates" && ours(added)).length;
  const until = async (pods: number) => {
    for (const end = Date.now() + 5_000; Date.now() < end; await sleep(10)) {
      if (seen["zone a"] === pods && seen["no locality"] === pods) return;
    }
    assert.fail(`snapshots of ${pods} pods: ${JSON.stringify(seen)}`);
  };
  const watching = [follow("zone a", { zone: "a" }, closing.signal)];
  try {
    for (const end = Date.now() + 5_000; seen["zone a"] !== 3 && Date.now() < end;) await sleep(10);
    assert.deepEqual(gauge(), { true: 2, false: 1 });
    assert.equal(updates(), 1);
    // Joins the watch: the Service did not change.
    watching.push(follow("no locality", {}));
    await until(3);
    assert.equal(updates(), 1, "a subscriber at another locality is no change of the Service");
    assert.deepEqual(gauge(), { true: 2, false: 1 }, "the split stays");
    api.applySlice(slice(5));
    await until(5);
    assert.equal(updates(), 2, "one scale-up, one update, whichever subscribers see it");
    assert.deepEqual(gauge(), { true: 3, false: 2 }, "no series without the split");
    // The topology-aware subscriber leaves: no channel prefers any pod now (its split stayed until the next change).
    closing.abort();
    await watching[0];
    assert.deepEqual(gauge(), { all: 5, true: 0, false: 0 }, "no split once no subscriber uses topology");
    assert.equal(updates(), 2, "a subscriber leaving is no change of the Service");
  } finally {
    controller.abort();
    await Promise.allSettled(watching);
    meter.remove();
  }
});
