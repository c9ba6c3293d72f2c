/**
 * An embedded fake of the Kubernetes EndpointSlice API, for testing gRPC
 * clients that use `@kgr/resolver` without a cluster: list and watch with
 * resourceVersions, pagination, selectors, bookmarks, 410 after compaction
 * or a watch cache window, bearer tokens, discovery, injected errors, and
 * methods to change slices and Services; held to a real kube-apiserver by a
 * differential test.
 *
 * @example A Service with two pods, served to the resolver
 * ```ts ignore
 * import * as grpc from "@grpc/grpc-js";
 * import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
 * import { register } from "@kgr/resolver";
 *
 * const api = await startFakeApiServer();
 * api.applySlice(endpointSlice({
 *   namespace: "shop",
 *   service: "cart",
 *   port: { name: "grpc", port: 50051 },
 *   endpoints: [{ ip: "127.0.0.2", pod: "cart-0" }, { ip: "127.0.0.3", pod: "cart-1" }],
 * }));
 * register({ grpc, cluster: { kubeconfig: api.kubeconfig({ namespace: "shop" }) } });
 * ```
 *
 * @module
 */

export { endpointSlice } from "./src/testing/endpoint_slice.ts";
export type { EndpointParams, EndpointSliceParams } from "./src/testing/endpoint_slice.ts";
export { startFakeApiServer } from "./src/testing/fake_api_server.ts";
export type {
  AccessRule,
  FakeAccess,
  FakeApiServer,
  FakeApiServerOptions,
  InjectedFailure,
  KubeconfigOptions,
  RecordedRequest,
} from "./src/testing/server_types.ts";
export type {
  AddressType,
  Endpoint,
  EndpointConditions,
  EndpointPort,
  EndpointSlice,
  EndpointSliceInput,
  Node,
  NodeInput,
  ObjectReference,
  Service,
  ServiceInput,
  ServicePort,
} from "./src/testing/types.ts";
