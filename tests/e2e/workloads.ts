/**
 * Pods, Nodes and selector Services for the real EndpointSlice controller:
 * Pods bound to Nodes by `spec.nodeName` and made Running and Ready by a
 * status patch (no kubelet runs), so that kube-controller-manager writes the
 * slices, hints included, as in users' clusters.
 *
 * @module
 */

import { type AdminFetch, ApiRequestError, kubeRequest, type ObjectMeta } from "./kube_objects.ts";

/** The zone label the controller and kube-proxy read. */
export const ZONE_LABEL = "topology.kubernetes.io/zone";

/**
 * Creates a Node in a zone (or updates its labels), with no kubelet behind it.
 *
 * @param fetch The admin fetch.
 * @param name The node's name.
 * @param zone Its `topology.kubernetes.io/zone`; `undefined`: none (a label set before is removed).
 */
export async function applyNode(fetch: AdminFetch, name: string, zone: string | undefined): Promise<void> {
  await kubeRequest(fetch, "PATCH", `/api/v1/nodes/${name}?fieldManager=kgr-e2e&force=true`, {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: { ...(zone === undefined ? {} : { [ZONE_LABEL]: zone }), "e2e.kgr-resolver/test": "true" },
    },
  }, "application/apply-patch+yaml");
}

/** What {@linkcode setNodeStatus} reports for a Node, as its kubelet would. */
export interface NodeStatusSpec {
  /** Its `InternalIP` (none that a test dials): kube-proxy waits up to 30 s for a Node to have one. */
  address: string;
  /**
   * Allocatable CPU, such as `"2"`; with it the Node is also `Ready`. The `topology-mode: Auto` hints need every
   * Ready Node to have a zone and CPU, and split endpoints between zones in proportion to it.
   */
  cpu?: string;
}

/**
 * Patches a Node's status (its addresses, and with `cpu` its allocatable CPU and `Ready` condition).
 *
 * @param fetch The admin fetch.
 * @param name The node's name.
 * @param spec Address and CPU.
 */
export async function setNodeStatus(fetch: AdminFetch, name: string, spec: NodeStatusSpec): Promise<void> {
  const status: Record<string, unknown> = { addresses: [{ type: "InternalIP", address: spec.address }] };
  if (spec.cpu) {
    const now = new Date().toISOString();
    Object.assign(status, {
      capacity: { cpu: spec.cpu },
      allocatable: { cpu: spec.cpu },
      conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", lastHeartbeatTime: now }],
    });
  }
  await kubeRequest(fetch, "PATCH", `/api/v1/nodes/${name}/status`, { status }, "application/merge-patch+json");
}

/**
 * Deletes a Node.
 *
 * @param fetch The admin fetch.
 * @param name The node's name.
 */
export async function deleteNode(fetch: AdminFetch, name: string): Promise<void> {
  const response = await fetch(`/api/v1/nodes/${name}`, { method: "DELETE" });
  await response.body?.cancel();
}

/** A Service that selects Pods by label, as in users' clusters. */
export interface SelectorServiceSpec {
  /** Its name; pods are selected by `app=<name>`. */
  name: string;
  /**
   * Its ports: `port` on the Service, `targetPort` on the pods (a number, or a container port's name), and the
   * protocol (TCP when absent).
   */
  ports: { name: string; port: number; targetPort: number | string; protocol?: "TCP" | "UDP" | "SCTP" }[];
  /** `spec.trafficDistribution`: `PreferSameZone`, `PreferSameNode`, `PreferClose`, or none. */
  trafficDistribution?: string;
  /** `spec.internalTrafficPolicy`: `Cluster` (the API server's default) or `Local`. */
  internalTrafficPolicy?: string;
  /** `spec.publishNotReadyAddresses`: the controller then writes every endpoint `ready`. */
  publishNotReadyAddresses?: boolean;
  /** Annotations, such as `service.kubernetes.io/topology-mode: Auto`. */
  annotations?: Record<string, string>;
}

/**
 * Creates or updates (server-side apply) a Service that selects `app=<name>`. Fields a previous apply set and
 * this one leaves out (traffic distribution, policy, annotations) are removed.
 *
 * @param fetch The admin fetch.
 * @param namespace Its namespace.
 * @param spec Name, ports, traffic distribution.
 * @returns Its metadata.
 */
export async function applySelectorService(
  fetch: AdminFetch,
  namespace: string,
  spec: SelectorServiceSpec,
): Promise<ObjectMeta> {
  const service = await kubeRequest<{ metadata: ObjectMeta }>(
    fetch,
    "PATCH",
    `/api/v1/namespaces/${namespace}/services/${spec.name}?fieldManager=kgr-e2e&force=true`,
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: spec.name, namespace, ...(spec.annotations ? { annotations: spec.annotations } : {}) },
      spec: {
        selector: { app: spec.name },
        ports: spec.ports.map((port) => ({ protocol: "TCP", ...port })),
        ...(spec.trafficDistribution ? { trafficDistribution: spec.trafficDistribution } : {}),
        ...(spec.internalTrafficPolicy ? { internalTrafficPolicy: spec.internalTrafficPolicy } : {}),
        ...(spec.publishNotReadyAddresses ? { publishNotReadyAddresses: true } : {}),
      },
    },
    "application/apply-patch+yaml",
  );
  return service.metadata;
}

/**
 * Removes `spec.trafficDistribution` from a Service (a JSON merge patch with null).
 *
 * @param fetch The admin fetch.
 * @param namespace Its namespace.
 * @param name Its name.
 */
export async function clearTrafficDistribution(fetch: AdminFetch, namespace: string, name: string): Promise<void> {
  await kubeRequest(
    fetch,
    "PATCH",
    `/api/v1/namespaces/${namespace}/services/${name}`,
    { spec: { trafficDistribution: null } },
    "application/merge-patch+json",
  );
}

/**
 * Sets an annotation on a Service (a JSON merge patch). The EndpointSlice controller syncs the Service at once on
 * any update, which also ends a wait in its retry backoff.
 *
 * @param fetch The admin fetch.
 * @param namespace Its namespace.
 * @param name Its name.
 * @param key The annotation's key.
 * @param value Its value.
 */
export async function annotateService(
  fetch: AdminFetch,
  namespace: string,
  name: string,
  key: string,
  value: string,
): Promise<void> {
  await kubeRequest(
    fetch,
    "PATCH",
    `/api/v1/namespaces/${namespace}/services/${name}`,
    { metadata: { annotations: { [key]: value } } },
    "application/merge-patch+json",
  );
}

/** A Pod of a selector Service, on a Node, at an address. */
export interface PodSpec {
  /** The pod's name. */
  name: string;
  /** The Service (label `app`) it belongs to. */
  app: string;
  /** The Node it runs on (`spec.nodeName`). */
  node: string;
  /** Its IP (`status.podIP`); must not be loopback (the API server rejects it in a slice). */
  ip: string;
  /** Its container ports, by name. */
  ports: { name: string; containerPort: number; protocol?: "TCP" | "UDP" | "SCTP" }[];
}

/**
 * Creates a Pod bound to a Node and reports it Running and Ready, as a kubelet would.
 *
 * @param fetch The admin fetch.
 * @param namespace Its namespace.
 * @param pod Name, app, node, IP and ports.
 */
export async function createReadyPod(fetch: AdminFetch, namespace: string, pod: PodSpec): Promise<void> {
  await createPod(fetch, namespace, pod);
  await setPodReady(fetch, namespace, pod.name, true, pod.ip);
}

/**
 * Creates a Pod bound to a Node and reports it Running but not Ready, as a kubelet does while its readiness probe
 * fails: its endpoint is neither ready nor serving, and a rollout that waits for it stalls.
 *
 * @param fetch The admin fetch.
 * @param namespace Its namespace.
 * @param pod Name, app, node, IP and ports.
 */
export async function createUnreadyPod(fetch: AdminFetch, namespace: string, pod: PodSpec): Promise<void> {
  await createPod(fetch, namespace, pod);
  await setPodReady(fetch, namespace, pod.name, false, pod.ip);
}

/** Creates the Pod object, with no status yet. */
async function createPod(fetch: AdminFetch, namespace: string, pod: PodSpec): Promise<void> {
  const create = () =>
    kubeRequest(fetch, "POST", `/api/v1/namespaces/${namespace}/pods`, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: pod.name, labels: { app: pod.app } },
      spec: {
        nodeName: pod.node,
        containers: [{ name: "app", image: "registry.invalid/never-pulled", ports: pod.ports }],
      },
    });
  // A new namespace's "default" service account comes from the controller a moment later.
  for (let attempt = 1;; attempt++) {
    try {
      await create();
      return;
    } catch (error) {
      const waiting = error instanceof ApiRequestError && error.status === 403 && /serviceaccount/.test(error.message);
      if (!waiting || attempt === 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/**
 * Patches a Pod's status: Running, with its IP, and the `Ready` condition.
 *
 * @param fetch The admin fetch.
 * @param namespace Its namespace.
 * @param name The pod.
 * @param ready The `Ready` condition.
 * @param ip Its IP (needed the first time).
 */
export async function setPodReady(
  fetch: AdminFetch,
  namespace: string,
  name: string,
  ready: boolean,
  ip?: string,
): Promise<void> {
  const now = new Date().toISOString();
  const status: Record<string, unknown> = {
    phase: "Running",
    conditions: [
      { type: "Ready", status: ready ? "True" : "False", lastTransitionTime: now },
      { type: "ContainersReady", status: ready ? "True" : "False", lastTransitionTime: now },
    ],
  };
  if (ip) Object.assign(status, { podIP: ip, podIPs: [{ ip }], hostIP: ip, startTime: now });
  await kubeRequest(
    fetch,
    "PATCH",
    `/api/v1/namespaces/${namespace}/pods/${name}/status`,
    { status },
    "application/merge-patch+json",
  );
}

/**
 * Deletes a Pod. Without a kubelet it stays Terminating (serving, not ready) until
 * {@linkcode forgetPod} removes it, as a rollout's old pod does during its grace period.
 *
 * @param fetch The admin fetch.
 * @param namespace Its namespace.
 * @param name The pod.
 */
export async function deletePod(fetch: AdminFetch, namespace: string, name: string): Promise<void> {
  const response = await fetch(`/api/v1/namespaces/${namespace}/pods/${name}`, { method: "DELETE" });
  await response.body?.cancel();
}

/**
 * Removes a Pod at once (grace period 0), as the kubelet does once its containers stopped.
 *
 * @param fetch The admin fetch.
 * @param namespace Its namespace.
 * @param name The pod.
 */
export async function forgetPod(fetch: AdminFetch, namespace: string, name: string): Promise<void> {
  const response = await fetch(`/api/v1/namespaces/${namespace}/pods/${name}?gracePeriodSeconds=0`, {
    method: "DELETE",
  });
  await response.body?.cancel();
}
