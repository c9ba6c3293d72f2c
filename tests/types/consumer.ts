// A TypeScript project's use of every entry point of the package, type-checked by
// scripts/pack_check.sh against the installed tarball under the module resolutions
// projects use (node10 with CommonJS, nodenext, bundler), and by
// tests/declarations_test.ts against fresh declarations, with strict,
// exactOptionalPropertyTypes and noUncheckedIndexedAccess: every optional field of the
// options a user writes, and of what the package hands back and a user's tests build
// (snapshots, endpoints, the fake server's objects), accepts a value that may be
// undefined (forwardMaybeUndefined() forwards some, buildMaybeUndefined() builds some,
// and UserInputs lists every such type, new fields included). It is never run.
import * as grpc from "@grpc/grpc-js";
import {
  type BackoffOptions,
  type BalancedEndpoint,
  type ClusterOptions,
  ConfigError,
  type EndpointAddress,
  type EndpointSnapshot,
  formatTarget,
  KubeApiError,
  type KubeconfigCluster,
  type KubeconfigContext,
  type KubeconfigExec,
  type KubeconfigObject,
  type KubeconfigUser,
  type Locality,
  parseTarget,
  register,
  type RegisterOptions,
  type ResolvedEndpoint,
  ResolverError,
  type Target,
  TargetError,
  type TopologyHints,
  watchEndpoints,
  type WatchEndpointsOptions,
} from "@kgr/resolver";
import { createChannel, type CreateChannelOptions } from "@kgr/resolver/nice-grpc";
import {
  type AccessRule,
  type AddressType,
  type Endpoint,
  type EndpointConditions,
  type EndpointParams,
  type EndpointPort,
  type EndpointSlice,
  endpointSlice,
  type EndpointSliceInput,
  type EndpointSliceParams,
  type FakeAccess,
  type FakeApiServer,
  type FakeApiServerOptions,
  type InjectedFailure,
  type KubeconfigOptions,
  type Node,
  type NodeInput,
  type ObjectReference,
  type RecordedRequest,
  type Service,
  type ServiceInput,
  type ServicePort,
  startFakeApiServer,
} from "@kgr/resolver/testing";

/**
 * Every type a user writes as input (the nested object types too), and every one the package hands back that a
 * user's tests and fakes build (a snapshot for a consumer of watchEndpoints(), the fake server's objects), by name.
 */
interface UserInputs {
  RegisterOptions: RegisterOptions;
  WatchEndpointsOptions: WatchEndpointsOptions;
  CreateChannelOptions: CreateChannelOptions;
  ClusterOptions: ClusterOptions;
  BackoffOptions: BackoffOptions;
  Locality: Locality;
  Target: Target;
  KubeconfigObject: KubeconfigObject;
  KubeconfigCluster: KubeconfigCluster;
  KubeconfigUser: KubeconfigUser;
  KubeconfigExec: KubeconfigExec;
  KubeconfigContext: KubeconfigContext;
  ConfigErrorOptions: NonNullable<ConstructorParameters<typeof ConfigError>[1]>;
  KubeApiErrorOptions: NonNullable<ConstructorParameters<typeof KubeApiError>[1]>;
  FakeApiServerOptions: FakeApiServerOptions;
  KubeconfigOptions: KubeconfigOptions;
  InjectedFailure: InjectedFailure;
  FakeAccess: FakeAccess;
  AccessRule: AccessRule;
  EndpointSliceParams: EndpointSliceParams;
  "EndpointSliceParams.port": NonNullable<EndpointSliceParams["port"]>;
  EndpointParams: EndpointParams;
  EndpointSliceInput: EndpointSliceInput;
  "EndpointSliceInput.metadata": EndpointSliceInput["metadata"];
  "EndpointSliceInput.endpoints[]": NonNullable<EndpointSliceInput["endpoints"]>[number];
  EndpointConditions: EndpointConditions;
  ObjectReference: ObjectReference;
  "Endpoint.hints": NonNullable<Endpoint["hints"]>;
  EndpointPort: EndpointPort;
  "ServiceInput.metadata": ServiceInput["metadata"];
  "ServiceInput.spec": ServiceInput["spec"];
  "ServiceInput.spec.ports[]": ServiceInput["spec"]["ports"][number];
  "NodeInput.metadata": NodeInput["metadata"];
  EndpointSnapshot: EndpointSnapshot;
  ResolvedEndpoint: ResolvedEndpoint;
  EndpointAddress: EndpointAddress;
  TopologyHints: TopologyHints;
  "EndpointSlice.metadata": EndpointSlice["metadata"];
  "Service.metadata": Service["metadata"];
  "Service.spec": Service["spec"];
  ServicePort: ServicePort;
  "Node.metadata": Node["metadata"];
  RecordedRequest: RecordedRequest;
  BalancedEndpoint: BalancedEndpoint;
}

/** The named fields of T, without an index signature's `string`. */
type NamedKeys<T> = keyof { [K in keyof T as string extends K ? never : K]: 0 };
/** The optional fields of T. */
type OptionalKeys<T> = { [K in NamedKeys<T>]-?: Record<never, never> extends Pick<T, K> ? K : never }[NamedKeys<T>];
/** The optional fields of T that refuse `undefined` under exactOptionalPropertyTypes (a `?:` without `| undefined`). */
type RefusingUndefined<T> = {
  [K in OptionalKeys<T>]-?: { [P in K]: undefined } extends Pick<T, K> ? never : K;
}[OptionalKeys<T>];
/** The input types with a field that refuses `undefined`, and those fields. */
type Refusals = {
  [Name in keyof UserInputs as [RefusingUndefined<UserInputs[Name]>] extends [never] ? never : Name]: RefusingUndefined<
    UserInputs[Name]
  >;
};
// A type named in an error here ("Property 'X' is missing") has an optional field without `| undefined`.
export const refusals: Refusals = {};

/** Uses every entry point with options typed as a user would type them; returns what it saw. */
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
  // @ts-expect-error: `signal` is the global AbortSignal (from lib dom or Node's types), not any object
  watchEndpoints(target, { signal: controller });
  const seen: string[] = [];
  try {
    // Under lib es2022 (no esnext.disposable), with and without dom, with Node's types, as on Node 20.
    await using snapshots = watchEndpoints(target, watchOptions);
    for await (const snapshot of snapshots) {
      const first: EndpointSnapshot = snapshot;
      seen.push(...first.endpoints.map((endpoint: ResolvedEndpoint) => endpoint.addresses[0]?.host ?? "?"));
      // The tier under PreferSameNode: the node's pods, then the client's zone's (`sameZone`), then the rest.
      const tiers = first.endpoints.map(({ preferred, sameZone }) => preferred ? "node" : sameZone ? "zone" : "rest");
      seen.push(...tiers);
      // The list is the caller's own; the endpoints in it are shared with the Service's other callers and channels.
      first.endpoints.sort((a, b) => (a.podName ?? "").localeCompare(b.podName ?? ""));
      const endpoint = first.endpoints[0];
      // @ts-expect-error: an endpoint's addresses are shared (a channel dials them in their order)
      endpoint?.addresses.sort((a, b) => a.host.localeCompare(b.host));
      // @ts-expect-error: and so are its fields
      if (endpoint) endpoint.ready = false;
      // @ts-expect-error: and its hints
      endpoint?.hints?.forZones.push("eu-west-1a");
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

/** Settings as a user's own config gives them: each may be undefined. */
export interface MaybeSettings {
  text: string | undefined;
  count: number | undefined;
  flag: boolean | undefined;
  signal: AbortSignal | undefined;
  labels: Record<string, string> | undefined;
  strings: string[] | undefined;
}

/** Forwards possibly-undefined values into every optional field of the options a user writes. */
export async function forwardMaybeUndefined(maybe: MaybeSettings): Promise<void> {
  const { text, count, flag, signal, labels, strings } = maybe;
  const kubeconfig: KubeconfigObject = {
    apiVersion: text,
    kind: text,
    "current-context": text,
    clusters: [{
      name: "c",
      cluster: {
        server: text,
        "certificate-authority": text,
        "certificate-authority-data": text,
        "insecure-skip-tls-verify": flag,
        "tls-server-name": text,
        "proxy-url": text,
        extensions: undefined,
      },
    }],
    users: [{
      name: "u",
      user: {
        token: text,
        tokenFile: text,
        "client-certificate": text,
        "client-certificate-data": text,
        "client-key": text,
        "client-key-data": text,
        username: text,
        password: text,
        exec: {
          apiVersion: text,
          command: text,
          args: strings,
          env: undefined,
          interactiveMode: text,
          provideClusterInfo: flag,
          installHint: text,
        },
      },
    }],
    contexts: [{ name: "x", context: { cluster: text, user: text, namespace: text } }],
  };
  const cluster: ClusterOptions = {
    kubeconfig: text ?? kubeconfig,
    context: text,
    server: text,
    token: text,
    tokenFile: text,
    ca: text,
    caFile: text,
    cert: text,
    key: text,
    certFile: text,
    keyFile: text,
    tlsServerName: text,
    insecureSkipTlsVerify: flag,
    namespace: text,
  };
  const backoff: BackoffOptions = { initialMs: count, maxMs: count };
  const locality: Locality = { zone: text, node: text };
  const settings = { cluster, stallTimeoutMs: count, backoff, watchList: flag, locality };
  register({ ...settings, scheme: text, grpc, loadBalancing: text, subsetSize: count, subsetSeed: count });
  createChannel("kubernetes:///cart:grpc", undefined, {
    resolver: flag ? { ...settings, subsetSize: count } : undefined,
  })
    .close();
  const target = formatTarget({ scheme: "kubernetes", service: "cart", namespace: text, port: text ?? count });
  const onError = flag ? (error: ResolverError) => console.error(error.message) : undefined;
  const onRecovered = flag ? () => console.error("watching again") : undefined;
  for await (const _ of watchEndpoints(target, { ...settings, signal, onError, onRecovered })) break;

  const api = await startFakeApiServer({
    token: text,
    tls: text === undefined ? undefined : { cert: text, key: text },
    hostname: text,
    port: count,
    bookmarkIntervalMs: count,
    watchCacheSize: count,
    historyLimit: count,
    maxChunkBytes: count,
    watchList: flag,
  });
  api.kubeconfig({ namespace: text, ca: text });
  const addressType: AddressType | undefined = flag ? "IPv6" : undefined;
  api.applySlice(endpointSlice({
    namespace: "shop",
    service: "cart",
    name: text,
    addressType,
    port: { name: "grpc", port: 50051, appProtocol: text },
    trafficDistribution: flag ? "PreferSameZone" : undefined,
    endpoints: [{
      ip: "127.0.0.2",
      pod: text,
      ready: flag,
      serving: flag,
      terminating: flag,
      zone: text,
      nodeName: text,
      hostname: text,
    }],
  }));
  const slice: EndpointSliceInput = {
    kind: text,
    apiVersion: text,
    metadata: {
      namespace: "shop",
      name: text,
      generateName: text,
      labels,
      annotations: labels,
      ownerReferences: undefined,
    },
    addressType: "IPv4",
    endpoints: [{
      addresses: ["127.0.0.3"],
      conditions: { ready: flag, serving: flag, terminating: flag },
      hostname: text,
      targetRef: {
        kind: text,
        namespace: text,
        name: text,
        uid: text,
        apiVersion: text,
        resourceVersion: text,
        fieldPath: text,
      },
      nodeName: text,
      zone: text,
      hints: { forZones: undefined, forNodes: undefined },
    }, { addresses: ["127.0.0.4"], conditions: undefined, hints: undefined, targetRef: undefined }],
    ports: [{ name: text, protocol: text, port: count, appProtocol: text }],
  };
  api.applySlice(slice);
  const service: ServiceInput = {
    metadata: { namespace: "shop", name: "cart", labels },
    spec: {
      ports: [{ name: text, protocol: text, appProtocol: text, port: 80, targetPort: text ?? count }],
      selector: labels,
    },
  };
  api.applyService(service);
  api.applyNode({ metadata: { name: "node-1", labels } });
  const failure: InjectedFailure = {
    status: 503,
    reason: text,
    message: text,
    retryAfterSeconds: count,
    path: flag ? "watch" : undefined,
  };
  api.failNext(1, failure);
  api.setAccess({
    username: "dev",
    groups: strings,
    rules: [{ verbs: ["list"], apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], namespace: text }],
  });
  await api.close();
  // A test of an onError callback builds the errors it hands over.
  const errors = [
    new ConfigError("Cannot load kubeconfig", { file: text, field: text, cause: undefined }),
    new KubeApiError("Cannot list", {
      status: count,
      reason: text,
      causes: strings,
      retryAfterSeconds: count,
      contentType: text,
    }),
  ];
  console.log(errors.map((error) => error.message));
}

/** Builds what the package hands back from values that may be undefined, as a fake for a user's own tests does. */
export function buildMaybeUndefined(maybe: MaybeSettings): EndpointSnapshot {
  const { text, labels } = maybe;
  const endpoint: ResolvedEndpoint = {
    addresses: [{ host: "10.0.0.1", port: 50051 }],
    ready: true,
    serving: true,
    terminating: false,
    zone: text,
    nodeName: text,
    podName: text,
    hints: text === undefined ? undefined : { forZones: [text], forNodes: [] },
    preferred: true,
    sameZone: text === undefined ? undefined : true,
  };
  const port: ServicePort = { name: text, protocol: "TCP", appProtocol: text, port: 80, targetPort: 50051 };
  const service: Service["metadata"] = {
    name: "cart",
    namespace: "shop",
    uid: "1",
    resourceVersion: "1",
    creationTimestamp: "",
    labels,
  };
  console.log(port, service);
  const snapshot: EndpointSnapshot = {
    endpoints: [endpoint],
    resourceVersion: "1",
    namespace: "shop",
    service: "cart",
    topology: "none",
    emptyReason: text,
    portNote: text,
  };
  // A copy with one field changed, as a fake's next snapshot.
  return { ...snapshot, endpoints: [], emptyReason: snapshot.emptyReason ?? "no pod" };
}
