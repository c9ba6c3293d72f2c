import { endpointSlice, type FakeApiServer } from "@kgr/resolver/testing";

/**
 * Applies the Service echo in namespace prod to `api` as the EndpointSlice controller would leave it with one pod:
 * selector app=echo, port grpc (80, to the pods' 50051), and one slice, echo-x1, that lists one ready pod at 10.1.0.1.
 */
export function applyEchoWithOnePod(api: FakeApiServer): void {
  api.applyService({
    metadata: { namespace: "prod", name: "echo" },
    spec: { selector: { app: "echo" }, ports: [{ name: "grpc", port: 80, targetPort: 50051 }] },
  });
  api.applySlice(endpointSlice({
    namespace: "prod",
    service: "echo",
    name: "echo-x1",
    port: { name: "grpc", port: 50051 },
    endpoints: [{ ip: "10.1.0.1" }],
  }));
}

/** The GETs of the Service echo (of {@linkcode applyEchoWithOnePod}) that `api` has answered so far. */
export function echoServiceReads(api: FakeApiServer): FakeApiServer["requests"] {
  return api.requests.filter(({ kind, path }) => kind === "get" && path.endsWith("/services/echo"));
}
