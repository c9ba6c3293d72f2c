// A project with neither Node's types nor a lib newer than es2022 (`"lib": ["es2022"]`, `"types": []`), as a library
// for every runtime is compiled, using the core and the fake API server (no grpc-js, whose declarations bring Node's
// types). tests/declarations_test.ts and scripts/pack_check.sh type-check it with skipLibCheck false, so that our
// declarations name no global such a lib lacks (`AsyncDisposable`, `Symbol.asyncDispose`, `AbortSignal`) and import
// no `node:` module. tests/types/esnext_consumer.ts is the same project with lib esnext. It is never run.
import { type EndpointSnapshot, parseTarget, watchEndpoints, type WatchEndpointsOptions } from "@kgr/resolver";
import { endpointSlice, type FakeApiServer, startFakeApiServer } from "@kgr/resolver/testing";

/** Follows a Service of the fake API server until it has pods; returns their addresses. */
export async function firstAddresses(): Promise<string[]> {
  const api: FakeApiServer = await startFakeApiServer({ token: "test" });
  try {
    api.applySlice(endpointSlice({
      namespace: "shop",
      service: "cart",
      port: { name: "grpc", port: 50051 },
      endpoints: [{ ip: "127.0.0.2", pod: "cart-0" }],
    }));
    // No AbortSignal in this lib: the loop is left by `break`.
    const options: WatchEndpointsOptions = { cluster: { kubeconfig: api.kubeconfig({ namespace: "shop" }) } };
    for await (const snapshot of watchEndpoints(parseTarget("kubernetes:///cart:grpc"), options)) {
      const first: EndpointSnapshot = snapshot;
      if (first.endpoints.length > 0) return first.endpoints.map((endpoint) => endpoint.addresses[0]?.host ?? "?");
    }
    return [];
  } finally {
    await api.close();
  }
}
