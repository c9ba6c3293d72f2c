/**
 * The two API servers the benchmarks write EndpointSlices to: the embedded
 * fake (in this process) and the local control plane (etcd + kube-apiserver
 * from `tests/e2e/control_plane.ts`). A write returns the wall-clock time at
 * which the server accepted it.
 *
 * @module
 */

import { endpointSlice, type FakeApiServer, startFakeApiServer } from "../../testing.ts";
import { type ControlPlane, startControlPlane } from "../../tests/e2e/control_plane.ts";
import {
  bindEndpointSliceReader,
  createEndpointSliceReaderRole,
  createNamespace,
  createServiceAccount,
  requestToken,
} from "../../tests/e2e/kube_objects.ts";

/** Milliseconds since the epoch, with sub-millisecond precision; the clock every client uses too. */
const now = (): number => performance.timeOrigin + performance.now();

/** One endpoint of a benchmark slice; always explicitly ready (the Go original skips unset `ready`). */
export interface BenchEndpoint {
  ip: string;
  pod: string;
}

/** When a write was sent and when the server's answer arrived, in ms since the epoch; the slice's new resourceVersion. */
export interface WriteTimes {
  sent: number;
  accepted: number;
  resourceVersion: string;
}

/** An API server the benchmark writes to. */
export interface Backend {
  readonly kind: "fake" | "real";
  readonly server: string;
  readonly namespace: string;
  readonly caFile?: string;
  readonly fake?: FakeApiServer;
  readonly controlPlane?: ControlPlane;
  /**
   * Creates or replaces a slice; resolves with the time the server accepted it (its response
   * arrived); `sent` is when the request left (the same time for the in-process fake).
   */
  writeSlice(service: string, name: string, endpoints: BenchEndpoint[]): Promise<WriteTimes>;
  /** A token of a least-privilege reader named `name` (undefined for the fake server). */
  readerToken(name: string): Promise<string | undefined>;
  stop(): Promise<void>;
}

/** Starts the embedded fake API server (plain HTTP on 127.0.0.1). */
export async function startFakeBackend(): Promise<Backend> {
  const fake = await startFakeApiServer();
  const namespace = "bench";
  return {
    kind: "fake",
    server: fake.url,
    namespace,
    fake,
    writeSlice(service, name, endpoints) {
      const written = fake.applySlice(endpointSlice({
        namespace,
        service,
        name,
        port: { name: "grpc", port: 50051 },
        endpoints: endpoints.map(({ ip, pod }) => ({ ip, pod, ready: true })),
      }));
      const at = now();
      return Promise.resolve({ sent: at, accepted: at, resourceVersion: written.metadata.resourceVersion });
    },
    readerToken: () => Promise.resolve(undefined),
    stop: () => fake.close(),
  };
}

/** Starts etcd + kube-apiserver on loopback and a namespace with an EndpointSlice reader role. */
export async function startRealBackend(log: (line: string) => void): Promise<Backend> {
  const controlPlane = await startControlPlane({ log });
  try {
    const admin = controlPlane.adminFetch;
    const namespace = await createNamespace(admin, "bench");
    await createEndpointSliceReaderRole(admin, namespace);
    return {
      kind: "real",
      server: controlPlane.server,
      namespace,
      caFile: controlPlane.caFile,
      controlPlane,
      async writeSlice(service, name, endpoints) {
        const body = {
          apiVersion: "discovery.k8s.io/v1",
          kind: "EndpointSlice",
          metadata: {
            name,
            labels: {
              "kubernetes.io/service-name": service,
              "endpointslice.kubernetes.io/managed-by": "bench.kgr-resolver",
            },
          },
          addressType: "IPv4",
          ports: [{ name: "grpc", port: 50051, protocol: "TCP" }],
          endpoints: endpoints.map(({ ip, pod }) => ({
            addresses: [ip],
            conditions: { ready: true },
            targetRef: { kind: "Pod", namespace, name: pod },
          })),
        };
        const sent = now();
        const response = await admin(
          `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices/${name}?fieldManager=kgr-bench&force=true`,
          {
            method: "PATCH",
            headers: { "content-type": "application/apply-patch+yaml" },
            body: JSON.stringify(body),
          },
        );
        const at = now();
        const text = await response.text();
        if (!response.ok) throw new Error(`Cannot write EndpointSlice ${name}: ${response.status} ${text}`);
        return { sent, accepted: at, resourceVersion: JSON.parse(text).metadata.resourceVersion };
      },
      async readerToken(name) {
        await createServiceAccount(admin, namespace, name);
        await bindEndpointSliceReader(admin, namespace, name);
        return await requestToken(admin, namespace, name, { expirationSeconds: 7200 });
      },
      stop: () => controlPlane.stop(),
    };
  } catch (error) {
    await controlPlane.stop();
    throw error;
  }
}
