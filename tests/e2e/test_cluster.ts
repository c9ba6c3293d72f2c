/**
 * The cluster the end-to-end suite runs against: the one `E2E_KUBECONFIG`
 * points at (any cluster, e.g. kind; see `scripts/kind.sh`), or else a local
 * etcd + kube-apiserver started for the run (see `control_plane.ts`).
 *
 * @module
 */

import type { ClusterOptions } from "@kgr/resolver";
import { resolveClusterAccess } from "../../src/cluster/resolve_cluster_access.ts";
import { createHttpClient } from "../../src/runtime/http_client.ts";
import { type ControlPlane, startControlPlane } from "./control_plane.ts";
import {
  type AdminFetch,
  bindEndpointSliceReader,
  createEndpointSliceReaderRole,
  createNamespace,
  createService,
  createServiceAccount,
} from "./kube_objects.ts";

/** A cluster with an admin identity. */
export interface TestCluster {
  /** API server URL. */
  server: string;
  /** PEM of the CA to trust for `server`, when it is not a public one. */
  ca?: string;
  /** A kubeconfig with admin rights. */
  adminKubeconfigPath: string;
  /** Sends a request as the admin. */
  adminFetch: AdminFetch;
  /** The local control plane; absent for `E2E_KUBECONFIG` clusters (restart scenarios need it). */
  controlPlane?: ControlPlane;
  /** What this is, for the test output. */
  description: string;
  /** The API server's version, read once when the cluster was opened. */
  version: ServerVersion;
  /** Releases everything. */
  stop(): Promise<void>;
}

/** What `GET /version` says, for tests whose expectations differ between Kubernetes versions. */
export interface ServerVersion {
  /** As the server says it, e.g. `v1.33.13` or `v1.33.5-eks-1234`; `(unknown version)` when it does not. */
  gitVersion: string;
  /** The minor version of a 1.x server (`33`); `undefined` when neither `minor` nor `gitVersion` says it. */
  minor?: number;
}

/**
 * Reads a `/version` answer. Managed clusters write `minor` as `33+`; a server without `major`/`minor` is read from
 * its `gitVersion`.
 *
 * @param answer The JSON of `GET /version`.
 * @returns The version.
 */
function parseServerVersion(answer: { gitVersion?: string; major?: string; minor?: string }): ServerVersion {
  const gitVersion = answer.gitVersion || "(unknown version)";
  const fromGit = gitVersion.match(/^v?(\d+)\.(\d+)\./);
  const major = answer.major ? parseInt(answer.major, 10) : Number(fromGit?.[1]);
  const minor = answer.minor ? parseInt(answer.minor, 10) : Number(fromGit?.[2]);
  return major === 1 && Number.isInteger(minor) ? { gitVersion, minor } : { gitVersion };
}

/**
 * Whether the server is known to be older than Kubernetes 1.`minor`. A server whose version is unknown counts as
 * current: tests hold it to the newest behaviour.
 *
 * @param version The server's version.
 * @param minor The first minor version of 1.x that has what the caller needs.
 * @returns `true` when it is known to be older.
 */
export function olderThan(version: ServerVersion, minor: number): boolean {
  return version.minor !== undefined && version.minor < minor;
}

/**
 * Connects to `E2E_KUBECONFIG`, or starts the local control plane.
 *
 * @param log Receives progress lines.
 * @returns The cluster.
 * @throws {Error} When the control-plane binaries are not built (saying how to build them).
 */
export async function openTestCluster(log: (line: string) => void): Promise<TestCluster> {
  const kubeconfig = Deno.env.get("E2E_KUBECONFIG");
  if (!kubeconfig) {
    const controlPlane = await startControlPlane({ log });
    return {
      server: controlPlane.server,
      ca: controlPlane.ca,
      adminKubeconfigPath: controlPlane.adminKubeconfigPath,
      adminFetch: controlPlane.adminFetch,
      controlPlane,
      description: `local kube-apiserver ${controlPlane.version} at ${controlPlane.server}`,
      version: parseServerVersion({ gitVersion: controlPlane.version }),
      stop: () => controlPlane.stop(),
    };
  }
  // Our HTTP client and exec plugins hold no process open (a resolver must not keep a script alive), so the
  // admin requests would leave the test's event loop empty: the cluster holds it until stopped, as the local
  // control plane's processes do.
  const hold = setInterval(() => {}, 60_000);
  try {
    // Any cluster: reuse our own kubeconfig support (exec plugins, client certificates, tokens).
    const access = await resolveClusterAccess({ kubeconfig });
    const client = await createHttpClient({ tls: access.tls, proxyUrl: access.proxyUrl });
    const adminFetch: AdminFetch = async (path, init = {}) => {
      const headers = new Headers(init.headers);
      const authorization = await access.credentials.authorization();
      if (authorization) headers.set("authorization", authorization);
      return (await client.fetch(`${access.server}${path}`, { ...init, headers })).response;
    };
    const version = parseServerVersion(await (await adminFetch("/version")).json());
    return {
      server: access.server,
      ca: access.tls.ca,
      adminKubeconfigPath: kubeconfig,
      adminFetch,
      description: `E2E_KUBECONFIG cluster ${version.gitVersion} at ${access.server}`,
      version,
      stop() {
        clearInterval(hold);
        client.close();
        return Promise.resolve();
      },
    };
  } catch (error) {
    clearInterval(hold);
    throw error;
  }
}

/** A namespace with a Service, the reader Role and a bound reader ServiceAccount. */
export async function readerSetup(cluster: TestCluster, prefix: string, service = "echo") {
  const fetch = cluster.adminFetch;
  const namespace = await createNamespace(fetch, prefix);
  await createService(fetch, namespace, service);
  await createEndpointSliceReaderRole(fetch, namespace);
  await createServiceAccount(fetch, namespace, "reader");
  await bindEndpointSliceReader(fetch, namespace, "reader");
  return { namespace, username: `system:serviceaccount:${namespace}:reader` };
}

/** Cluster options for the test cluster's server and CA with these credentials. */
export function tokenCluster(
  cluster: TestCluster,
  credentials: Pick<ClusterOptions, "token" | "tokenFile">,
): ClusterOptions {
  return { server: cluster.server, ca: cluster.ca, ...credentials };
}
