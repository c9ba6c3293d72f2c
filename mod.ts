/**
 * A Kubernetes-native gRPC name resolver for Deno, Bun and Node: dial
 * `kubernetes:///service.namespace:port` and get client-side round-robin over
 * every ready pod of the Service, following scale-ups, rollouts and
 * scale-downs live through the EndpointSlice API.
 *
 * @example Dialing a Service with grpc-js
 * ```ts ignore
 * import * as grpc from "@grpc/grpc-js";
 * import { register } from "@kgr/resolver";
 *
 * register({ grpc });
 * const client = new grpc.Client("kubernetes:///echo.prod:grpc", grpc.credentials.createInsecure());
 * ```
 *
 * @module
 */

export { register } from "./src/adapters/grpc_js.ts";
export { withResolverOptions } from "./src/adapters/with_resolver_options.ts";
export type { GrpcModule, RegisterOptions } from "./src/adapters/grpc_js.ts";
export type { BalancedEndpoint } from "./src/adapters/grpc_js_balancer.ts";
export type { BalancerGrpc } from "./src/adapters/balancer_grpc.ts";
export type { Locality, TopologyHints, TopologyMode } from "./src/selection/topology.ts";
export { defaultAuthority, formatTarget, parseTarget } from "./src/base/target.ts";
export type { Target } from "./src/base/target.ts";
export { watchEndpoints } from "./src/watch_endpoints.ts";
export type { WatchEndpointsOptions } from "./src/watch_endpoints.ts";
export type { EndpointSnapshot } from "./src/endpoint_subscription.ts";
export type { WatchSettings } from "./src/watch_settings.ts";
export type { EndpointAddress, ResolvedEndpoint } from "./src/selection/resolved_endpoint.ts";
export type { ClusterOptions } from "./src/cluster/types.ts";
export type {
  KubeconfigCluster,
  KubeconfigContext,
  KubeconfigExec,
  KubeconfigObject,
  KubeconfigUser,
  NamedKubeconfigCluster,
  NamedKubeconfigContext,
  NamedKubeconfigUser,
} from "./src/cluster/kubeconfig_schema.ts";
export type { BackoffOptions } from "./src/base/backoff.ts";
export type { AbortSignalWhereDeclared, AsyncDisposableWhereDeclared } from "./src/base/optional_globals.ts";
export { ConfigError, KubeApiError, ResolverError, TargetError } from "./src/base/errors.ts";
