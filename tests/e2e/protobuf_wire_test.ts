// The resolver reads EndpointSlices from a real kube-apiserver in protobuf, as kube-proxy does: its LISTs, watches
// and streaming lists ask for protobuf with JSON as fallback, and the server's answers (their Content-Type, seen by a
// recording HTTP client under the resolver's own calls) are protobuf, from which the resolver follows a change. With
// `protobuf: false` it asks for JSON only, gets JSON, and follows the same change. Runs on E2E_KUBECONFIG clusters
// too.
import assert from "node:assert/strict";
import { resolveClusterAccess } from "../../src/cluster/resolve_cluster_access.ts";
import { createClusterHttpClient } from "../../src/api/cluster_http_client.ts";
import { createEndpointSliceApi, type WatchEncoding } from "../../src/api/kube_api.ts";
import type { HttpClient } from "../../src/runtime/http_client.ts";
import { runReflector, type SliceState } from "../../src/watch/reflector.ts";
import { recordEndpoints } from "./endpoint_recorder.ts";
import { applyEndpointSlice, deleteNamespace, type EndpointSpec, requestToken } from "./kube_objects.ts";
import { openTestCluster, readerSetup, type TestCluster, tokenCluster } from "./test_cluster.ts";

const log = (line: string) => console.log(`    [e2e] ${line}`);

function endpoints(count: number, subnet: string): EndpointSpec[] {
  return Array.from(
    { length: count },
    (_, i) => ({ addresses: [`${subnet}.${i + 1}`], pod: `p-${subnet.replaceAll(".", "-")}-${i}` }),
  );
}

/** An HTTP client that records each EndpointSlice answer's kind (list, watch, streaming), Content-Type and Accept. */
function recording(client: HttpClient) {
  const answers: { kind: string; accept: string; contentType: string | null }[] = [];
  const recorder: HttpClient = {
    ...client,
    async fetch(url, init) {
      const answer = await client.fetch(url, init);
      const query = new URL(url).searchParams;
      const kind = query.get("sendInitialEvents") ? "streaming" : query.get("watch") ? "watch" : "list";
      const headers = init?.headers as [string, string][];
      const accept = headers.find(([name]) => name.toLowerCase() === "accept")?.[1] ?? "";
      answers.push({ kind, accept, contentType: answer.response.headers.get("content-type") });
      return answer;
    },
    close: () => client.close(),
  };
  return { recorder, answers };
}

/** Follows `echo` in `namespace` with the resolver's reflector, reading as `ask` says; records the answers. */
async function follow(cluster: TestCluster, namespace: string, token: string, ask: WatchEncoding, streaming: boolean) {
  const access = await resolveClusterAccess(tokenCluster(cluster, { token }));
  const { recorder, answers } = recording(createClusterHttpClient(access));
  const controller = new AbortController();
  let state: SliceState | undefined;
  let wake: (() => void) | undefined;
  const running = runReflector(createEndpointSliceApi(access, recorder, namespace, "echo", ask), {
    signal: controller.signal,
    ...(streaming ? { watchList: { refused: false } } : {}),
    onState(next) {
      state = next;
      wake?.();
    },
    onError: (error) => log(`reflector: ${error.message}`),
  });
  const hosts = () =>
    [...(state?.slices.values() ?? [])].flatMap((slice) => slice.endpoints ?? []).map((e) => e.addresses[0]).sort();
  return {
    answers,
    async waitFor(count: number) {
      const deadline = Date.now() + 20_000;
      while (hosts().length !== count) {
        assert.ok(Date.now() < deadline, `waited 20 s for ${count} endpoints: ${hosts()}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 200);
        });
      }
      return hosts();
    },
    async stop() {
      controller.abort();
      await running;
      recorder.close();
    },
  };
}

const PROTOBUF = "application/vnd.kubernetes.protobuf";

for (const ask of ["protobuf", "json"] as const) {
  Deno.test(`the resolver asks for ${ask === "protobuf" ? "protobuf, gets it" : "JSON only, gets it"} from kube-apiserver, and follows a change`, async () => {
    const cluster = await openTestCluster(log);
    let namespace: string | undefined;
    try {
      log(cluster.description);
      ({ namespace } = await readerSetup(cluster, `kgr-${ask}-wire`));
      await applyEndpointSlice(cluster.adminFetch, namespace, "echo", {
        name: "echo-a",
        endpoints: endpoints(3, "10.41.0"),
      });
      const token = await requestToken(cluster.adminFetch, namespace, "reader");
      for (const streaming of [false, true]) {
        const followed = await follow(cluster, namespace, token, ask, streaming);
        try {
          if (!streaming) {
            assert.deepEqual(await followed.waitFor(3), ["10.41.0.1", "10.41.0.2", "10.41.0.3"]);
            await applyEndpointSlice(cluster.adminFetch, namespace, "echo", {
              name: "echo-a",
              endpoints: endpoints(4, "10.41.0"),
            });
            await applyEndpointSlice(cluster.adminFetch, namespace, "echo", {
              name: "echo-b",
              endpoints: endpoints(2, "10.41.1"),
            });
            assert.equal((await followed.waitFor(6)).length, 6);
          } else {
            assert.equal((await followed.waitFor(6)).length, 6);
            await applyEndpointSlice(cluster.adminFetch, namespace, "echo", {
              name: "echo-c",
              endpoints: endpoints(1, "10.41.2"),
            });
            assert.ok((await followed.waitFor(7)).includes("10.41.2.1"));
          }
        } finally {
          await followed.stop();
        }
        const kinds = followed.answers.map(({ kind }) => kind);
        assert.deepEqual(kinds.slice(0, 2), streaming ? ["streaming"] : ["list", "watch"], kinds.join());
        for (const { kind, accept, contentType } of followed.answers) {
          log(`${kind}: Accept ${accept} -> Content-Type ${contentType}`);
          if (ask === "protobuf") {
            assert.equal(accept, `${PROTOBUF},application/json`);
            assert.equal(contentType, kind === "list" ? PROTOBUF : `${PROTOBUF};stream=watch`);
          } else {
            assert.equal(accept, "application/json");
            assert.match(contentType ?? "", /^application\/json/);
          }
        }
      }
      // And through the public API, with the setting as a user gives it.
      const recorder = recordEndpoints(`kubernetes:///echo.${namespace}:grpc`, {
        cluster: tokenCluster(cluster, { token }),
        ...(ask === "json" ? { protobuf: false } : {}),
      });
      try {
        await recorder.waitFor("7 endpoints", (snapshot) => snapshot.endpoints.length === 7);
        await applyEndpointSlice(cluster.adminFetch, namespace, "echo", {
          name: "echo-d",
          endpoints: endpoints(1, "10.41.3"),
        });
        await recorder.waitFor("8 endpoints", (snapshot) => snapshot.endpoints.length === 8);
        assert.deepEqual(recorder.errors, []);
      } finally {
        await recorder.stop();
      }
    } finally {
      if (namespace) await deleteNamespace(cluster.adminFetch, namespace).catch(() => {});
      await cluster.stop();
    }
  });
}
