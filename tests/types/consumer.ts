// A TypeScript project's use of every entry point of the package, type-checked by
// scripts/pack_check.sh against the installed tarball under the module resolutions
// projects use (node10 with CommonJS, nodenext, bundler). It is never run.
import * as grpc from "@grpc/grpc-js";
import {
  type ClusterOptions,
  type EndpointSnapshot,
  KubeApiError,
  parseTarget,
  register,
  type ResolvedEndpoint,
  watchEndpoints,
} from "@kgr/resolver";
import { createChannel } from "@kgr/resolver/nice-grpc";
import { endpointSlice, type FakeApiServer, startFakeApiServer } from "@kgr/resolver/testing";

export async function useEveryEntryPoint(): Promise<void> {
  const api: FakeApiServer = await startFakeApiServer({ token: "test" });
  api.applySlice(endpointSlice({
    namespace: "shop",
    service: "cart",
    port: { name: "grpc", port: 50051 },
    endpoints: [{ ip: "127.0.0.2", pod: "cart-0" }],
  }));
  const cluster: ClusterOptions = { kubeconfig: api.kubeconfig({ namespace: "shop" }) };
  register({ grpc, cluster });
  const channel = createChannel("kubernetes:///cart:grpc", undefined, { resolver: { cluster } });
  channel.close();
  const target = parseTarget("kubernetes:///cart.shop:grpc");
  const controller = new AbortController();
  try {
    for await (const snapshot of watchEndpoints(target, { cluster, signal: controller.signal })) {
      const first: EndpointSnapshot = snapshot;
      const hosts = first.endpoints.map((endpoint: ResolvedEndpoint) => endpoint.addresses[0].host);
      if (hosts.length > 0) controller.abort();
    }
  } catch (error) {
    if (!(error instanceof KubeApiError)) throw error;
  }
  await api.close();
}
