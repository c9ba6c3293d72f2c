// The Service the CLI tests follow: echo in namespace e2e on the embedded fake API server, and a kubeconfig
// file for it.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";

/** The namespace of the Service that the CLI tests follow. */
export const NAMESPACE = "e2e";
/** The target the CLI tests give: port grpc of Service echo in {@linkcode NAMESPACE}. */
export const TARGET = `kubernetes:///echo.${NAMESPACE}:grpc`;

/**
 * The Service echo with `ready` ready pods, one terminating and one not ready; `trafficDistribution` gives the
 * ready ones the controller's hints.
 */
export function echoSlice(ready, trafficDistribution) {
  return endpointSlice({
    namespace: NAMESPACE,
    ...(trafficDistribution ? { trafficDistribution } : {}),
    service: "echo",
    port: { name: "grpc", port: 8080 },
    endpoints: [
      ...Array.from({ length: ready }, (_, i) => ({
        ip: `10.1.0.${i + 1}`,
        pod: `echo-${i}`,
        zone: i % 2 ? "b" : "a",
        nodeName: `node-${i % 2}`,
      })),
      {
        ip: "10.1.0.50",
        pod: "echo-old",
        ready: false,
        serving: true,
        terminating: true,
        zone: "a",
        nodeName: "node-0",
      },
      { ip: "10.1.0.51", pod: "echo-new", ready: false, serving: false, zone: "b", nodeName: "node-1" },
    ],
  });
}

/**
 * A fake API server with the echo Service, and a kubeconfig file for it in a folder of its own. `close()` stops
 * the server and removes the folder; `await using` does so however the test ends.
 */
export async function startCluster() {
  const cluster = await startFakeCluster();
  cluster.api.applySlice(echoSlice(3));
  return cluster;
}

/** Service echo in namespace shop, port grpc 50051: one ready pod per address (echo-0, echo-1, ...). */
export function shopEchoSlice(addresses) {
  return endpointSlice({
    namespace: "shop",
    service: "echo",
    port: { name: "grpc", port: 50051 },
    endpoints: addresses.map((ip, i) => ({ ip, pod: `echo-${i}` })),
  });
}

/**
 * A fake API server whose Service echo.shop has one ready pod (echo-0 at 10.0.0.1), as {@linkcode startFakeCluster}
 * gives it, with `args(...flags)`: the CLI's arguments for it, the flags, then its kubeconfig and target.
 */
export async function startShopCluster() {
  const cluster = await startFakeCluster();
  cluster.api.applySlice(shopEchoSlice(["10.0.0.1"]));
  const args = (...flags) => [...flags, "--kubeconfig", cluster.kubeconfig, "kubernetes:///echo.shop:grpc"];
  return Object.assign(cluster, { args });
}

/**
 * A fake API server with nothing in it, and a kubeconfig file for it at `file` (a path, its folders made) in a
 * folder of its own. `close()` stops the server and removes the folder; `await using` does so however the test ends.
 */
export async function startFakeCluster({ file = "kubeconfig.json" } = {}) {
  const api = await startFakeApiServer({ token: "cli-test-token" });
  const folder = await mkdtemp(join(tmpdir(), "kgr-cli-")).catch(async (error) => {
    await api.close();
    throw error;
  });
  const close = async () => {
    try {
      await api.close();
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  };
  const kubeconfig = join(folder, file);
  try {
    await mkdir(dirname(kubeconfig), { recursive: true });
    await writeFile(kubeconfig, JSON.stringify(api.kubeconfig()));
  } catch (error) {
    await close();
    throw error;
  }
  return { api, kubeconfig, close, [Symbol.asyncDispose]: close };
}
