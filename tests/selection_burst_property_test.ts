// Selection with a memo skips the per-pod look-ups of a slice whose probes (8 of its endpoints) are all new pods,
// and makes a burst's fresh entries the whole list when every previous one left. Those paths need slices of 16
// endpoints or more, which endpoint_reuse_equivalence_test.ts's small slices never reach: here random histories of
// larger slices (bursts of new pods, bursts that keep some old ones, moved, repeated and changed pods) must select
// what a fresh selection selects, and keep the object of each pod that one slice lists once and that did not change.
import assert from "node:assert/strict";
import type { EndpointSlice, SliceEndpoint } from "../src/base/endpoint_slice.ts";
import type { ResolvedEndpoint } from "../src/selection/resolved_endpoint.ts";
import { createSelectionMemo, selectEndpoints, selectLocalEndpoints } from "../src/selection/endpoint_selection.ts";
import { seededRandom } from "./_seeded_random.ts";

/** Hosts that are one address to a person but not one string, and IPv6 ones, beside the usual ones. */
const ODD_HOSTS = ["10.9.0.1", "010.9.0.1", "10.9.0.1 ", "::ffff:10.9.0.1", "fd00::1", "fd00::01"];

/** A random history of up to five slices, each step changing one to three of them. */
function history(next: () => number) {
  const pick = <T>(values: T[]): T => values[Math.floor(next() * values.length)];
  let pods = 0;
  const host = (pod: number) => next() < 0.1 ? pick(ODD_HOSTS) : next() < 0.1 ? `fd00::${pod}` : `10.1.0.${pod}`;
  const endpoint = (pod = Math.floor(next() * (pods + 1))): SliceEndpoint => {
    const result: SliceEndpoint = {
      addresses: next() < 0.1 ? [host(pod), host(pod + 1)] : [host(pod)],
      conditions: next() < 0.3 ? {} : { ready: next() < 0.8, serving: next() < 0.9, terminating: next() < 0.15 },
      targetRef: { kind: "Pod", name: `p${pod}`, namespace: "prod" },
    };
    if (next() < 0.5) Object.assign(result, { zone: pick(["z1", "z2"]), nodeName: pick(["n1", "n2"]) });
    if (next() < 0.2) result.hints = { forZones: [{ name: pick(["z1", "z2"]) }] };
    return result;
  };
  const newPods = (count: number) => Array.from({ length: count }, () => endpoint(pods++));
  const slice = (name: string, endpoints: SliceEndpoint[]): EndpointSlice => ({
    metadata: { name, namespace: "prod" },
    addressType: "IPv4",
    ports: [{ name: "grpc", port: 80, protocol: "TCP" }],
    endpoints,
  });
  const names = ["s0", "s1", "s2", "s3", "s4"].slice(0, 1 + Math.floor(next() * 5));
  const first = new Map(names.map((name) => [name, slice(name, newPods(Math.floor(next() * 40)))]));
  const change = (state: Map<string, EndpointSlice>) => {
    const changed = new Map(state);
    for (let count = 1 + Math.floor(next() * 3); count > 0; count--) {
      const name = pick(names);
      const endpoints = [...changed.get(name)?.endpoints ?? []];
      const at = Math.floor(next() * endpoints.length);
      const kind = Math.floor(next() * 10);
      if (kind === 0) {
        changed.delete(name);
        continue;
      }
      if (kind === 1) endpoints.length = 0;
      else if (kind === 2) endpoints.splice(0, endpoints.length, ...newPods(Math.floor(next() * 60)));
      else if (kind === 3) {
        // A burst that keeps some of the old pods, as the same objects or as copies.
        const old = endpoints.splice(0);
        for (let i = old.length + Math.floor(next() * 30); i > 0; i--) {
          const kept = old.length > 0 && next() < 0.2 ? pick(old) : undefined;
          endpoints.push(kept === undefined ? endpoint(pods++) : next() < 0.5 ? kept : structuredClone(kept));
        }
      } else if (kind === 4 && endpoints.length) {
        endpoints[at] = { ...endpoints[at], conditions: { ready: next() < 0.5, terminating: next() < 0.5 } };
      } else if (kind === 5 && endpoints.length) {
        const [moved] = endpoints.splice(at, 1);
        const to = pick(names);
        const other = changed.get(to);
        if (other && to !== name) changed.set(to, slice(to, [...other.endpoints ?? [], moved]));
      } else if (kind === 6) endpoints.splice(at, 0, endpoint());
      else if (kind === 7 && endpoints.length) endpoints.splice(at, 1);
      else if (kind === 8) endpoints.reverse();
      else if (kind === 9 && endpoints.length) endpoints[at] = structuredClone(endpoints[at]);
      changed.set(name, slice(name, endpoints));
    }
    return changed;
  };
  return { first, change };
}

/**
 * The selected endpoints of pods that one slice lists once, with all of their addresses (none dropped as another
 * pod's too), by pod and slice: those keep their object while they do not change.
 */
function singlyListed(state: Map<string, EndpointSlice>, selected: ResolvedEndpoint[]): Map<string, ResolvedEndpoint> {
  const listed = new Map<string, { slice: string; addresses: number } | undefined>();
  for (const [name, slice] of state) {
    for (const endpoint of slice.endpoints ?? []) {
      const pod = endpoint.targetRef!.name!;
      listed.set(pod, listed.has(pod) ? undefined : { slice: name, addresses: endpoint.addresses.length });
    }
  }
  const result = new Map<string, ResolvedEndpoint>();
  for (const endpoint of selected) {
    const place = listed.get(endpoint.podName!);
    if (place?.addresses === endpoint.addresses.length) result.set(`${endpoint.podName} ${place.slice}`, endpoint);
  }
  return result;
}

for (const seed of [1, 2, 3]) {
  Deno.test(`selectEndpoints() with a memo selects as without one, and keeps unchanged pods' objects, through bursts (seed ${seed})`, () => {
    const next = seededRandom(seed * 2654435761 >>> 0);
    for (let run = 0; run < 100; run++) {
      const { first, change } = history(next);
      const memo = createSelectionMemo();
      let state = first;
      let before = new Map<string, ResolvedEndpoint>();
      for (let step = 0; step < 20; step++) {
        const where = `run ${run}, step ${step}`;
        const selected = selectEndpoints(state.values(), "grpc", { memo });
        const fresh = createSelectionMemo();
        assert.deepEqual(selected, selectEndpoints(state.values(), "grpc", { memo: fresh }), where);
        assert.deepEqual(selectLocalEndpoints(memo, "n1"), selectLocalEndpoints(fresh, "n1"), `${where}, node n1`);
        const now = singlyListed(state, selected);
        for (const [pod, endpoint] of now) {
          const previous = before.get(pod);
          if (previous !== undefined && previous !== endpoint) {
            assert.notDeepEqual(endpoint, previous, `${where}, ${pod}`);
          }
        }
        before = now;
        state = change(state);
      }
    }
  });
}
