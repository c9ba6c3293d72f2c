// A TypeScript project's use of every entry point of the package, type-checked by
// scripts/pack_check.sh against the installed tarball under the module resolutions
// projects use (node10 with CommonJS, nodenext, bundler), with strict and
// exactOptionalPropertyTypes. It is never run.
import * as grpc from "@grpc/grpc-js";
import {
  type ClusterOptions,
  ConfigError,
  type EndpointSnapshot,
  KubeApiError,
  parseTarget,
  register,
  type RegisterOptions,
  type ResolvedEndpoint,
  ResolverError,
  TargetError,
  watchEndpoints,
  type WatchEndpointsOptions,
} from "@kgr/resolver";
import { createChannel, type CreateChannelOptions } from "@kgr/resolver/nice-grpc";
import {
  endpointSlice,
  type FakeApiServer,
  type FakeApiServerOptions,
  startFakeApiServer,
} from "@kgr/resolver/testing";

export async function useEveryEntryPoint(): Promise<string[]> {
  const serverOptions: FakeApiServerOptions = { token: "test", bookmarkIntervalMs: 100 };
  const api: FakeApiServer = await startFakeApiServer(serverOptions);
  api.applySlice(endpointSlice({
    namespace: "shop",
    service: "cart",
    port: { name: "grpc", port: 50051 },
    endpoints: [{ ip: "127.0.0.2", pod: "cart-0" }],
  }));
  const cluster: ClusterOptions = { kubeconfig: api.kubeconfig({ namespace: "shop" }) };
  const registerOptions: RegisterOptions = { grpc, cluster, loadBalancing: "round_robin", stallTimeoutMs: 30_000 };
  register(registerOptions);
  const channelOptions: CreateChannelOptions = { resolver: { cluster }, "grpc.keepalive_time_ms": 10_000 };
  const channel = createChannel("kubernetes:///cart:grpc", undefined, channelOptions);
  channel.close();
  const target = parseTarget("kubernetes:///cart.shop:grpc");
  const controller = new AbortController();
  const watchOptions: WatchEndpointsOptions = { cluster, signal: controller.signal };
  const seen: string[] = [];
  try {
    for await (const snapshot of watchEndpoints(target, watchOptions)) {
      const first: EndpointSnapshot = snapshot;
      seen.push(...first.endpoints.map((endpoint: ResolvedEndpoint) => endpoint.addresses[0].host));
      if (seen.length > 0) controller.abort();
    }
  } catch (error) {
    if (error instanceof KubeApiError) seen.push(`${error.status ?? "network"} ${error.reason ?? ""}`);
    else if (error instanceof ConfigError) seen.push(error.field ?? error.file ?? error.message);
    else if (error instanceof TargetError) seen.push(error.target);
    else if (error instanceof ResolverError) seen.push(error.message);
    else throw error;
  }
  await api.close();
  return seen;
}
