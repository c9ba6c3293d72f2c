/**
 * One Node's network, to hold the resolver's data path to kube-proxy's: the real kube-proxy (see
 * {@link ./kube_proxy.ts}) in a network namespace this run creates, pods as network namespaces of their own joined
 * to it by veth pairs (each running `scripts/echo_backend.mjs`), and call loops ({@link ./call_loop.mjs}) run
 * inside it, as on a pod of that Node: a call to a Service's ClusterIP goes through kube-proxy's nftables DNAT to
 * a pod, a call through the resolver straight to the pods' addresses. Nothing leaves these namespaces: the API
 * server is reached through kube_proxy.ts's socket bridge on the namespace's loopback, and a ClusterIP that
 * kube-proxy has not programmed is routed to a veth pair that goes nowhere.
 *
 * Needs what kube-proxy needs (root, `ip`, `nft`), and Node.
 *
 * @module
 */

import { type ChildProcess, execFile } from "node:child_process";
import process from "node:process";
import { promisify } from "node:util";
import type { ControlPlane } from "./control_plane.ts";
import { type KubeProxy, startKubeProxies } from "./kube_proxy.ts";
import { addNamespace, spawnTied } from "./lifeline.ts";
import { childEnv } from "../_child_env.mjs";

const run = promisify(execFile);
const root = new URL("../../", import.meta.url).pathname;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A pod: a network namespace with an echo backend that answers with the pod's name. */
export interface PodHost {
  readonly name: string;
  /** Its address, reachable from the Node's namespace only. */
  readonly address: string;
  /** SIGTERM, as the kubelet sends it: the backend sends GOAWAY, refuses new connections, and stays up. */
  terminate(): void;
  /** Kills the backend and deletes the namespace. */
  remove(): Promise<void>;
}

/** What a call loop saw in 100 ms: answers per pod, and failures by `code details`. */
export interface CallBucket {
  /** The end of the 100 ms, in `Date.now()` time. */
  t: number;
  ok: Record<string, number>;
  fail: Record<string, number>;
}

/** A call loop running in the Node's namespace. */
export interface CallLoop {
  readonly label: string;
  /** Its buckets so far, oldest first. */
  readonly buckets: CallBucket[];
  /** Stops it and waits for its last bucket. */
  stop(): Promise<void>;
}

/** The Node: its kube-proxy, and how to add pods and call loops. */
export interface ClusterIpNode {
  readonly kubeProxy: KubeProxy;
  /**
   * Starts a pod's backend, listening on `port`.
   *
   * @param name The pod's name, which the backend answers with.
   * @param port The port it listens on.
   */
  addPod(name: string, port: number): Promise<PodHost>;
  /**
   * Starts a call loop on Node: a call every 10 ms for at most `seconds`.
   *
   * @param label Its name in results.
   * @param target `kubernetes:///...` (through the resolver, registered with `kubeconfig`) or `IP:port`.
   * @param options The kubeconfig, the call deadline, and the number of channels the calls take turns on (each
   * with its own connection: through a ClusterIP, kube-proxy sends each to one pod).
   */
  startCallLoop(
    label: string,
    target: string,
    options: { kubeconfig: string; seconds: number; deadlineMs: number; channels?: number },
  ): CallLoop;
  /** Stops every loop, pod and process, and deletes the namespaces (safe to call twice). */
  stop(): Promise<void>;
}

/**
 * Starts kube-proxy as `node` and prepares its namespace for pods and call loops.
 *
 * @param controlPlane The local control plane, its controller manager started.
 * @param node The Node kube-proxy runs as; it should exist with an address.
 * @param log Receives progress lines.
 * @returns The Node; call `stop()` when done, also on failure.
 */
export async function startClusterIpNode(
  controlPlane: ControlPlane,
  node: string,
  log: (line: string) => void,
): Promise<ClusterIpNode> {
  const proxies = await startKubeProxies(controlPlane, [node], log);
  const kubeProxy = proxies.proxies[0];
  const namespace = kubeProxy.namespace;
  const pods = new Set<PodHost>();
  const loops: ChildProcess[] = [];
  let count = 0;
  const ip = (...args: string[]) => run("ip", args);
  try {
    // A default route, to a veth pair inside the namespace that goes nowhere: connections to a ClusterIP need a
    // route before kube-proxy's output hook rewrites their destination.
    await ip("-n", namespace, "link", "add", "nowhere0", "type", "veth", "peer", "name", "nowhere1");
    await ip("-n", namespace, "addr", "add", "10.251.0.1/32", "dev", "nowhere0");
    await ip("-n", namespace, "link", "set", "nowhere0", "up");
    await ip("-n", namespace, "link", "set", "nowhere1", "up");
    await ip("-n", namespace, "route", "add", "default", "dev", "nowhere0");
  } catch (error) {
    await proxies.stop();
    throw error;
  }
  return {
    kubeProxy,
    async addPod(name, port) {
      const index = ++count;
      const podNamespace = `kgr-pod-${process.pid}-${index}`;
      const address = `10.251.${index}.2`;
      const { remove } = await addNamespace(podNamespace);
      let backend: ChildProcess | undefined;
      try {
        await ip(
          "-n",
          namespace,
          "link",
          "add",
          `pod${index}`,
          "type",
          "veth",
          "peer",
          "name",
          "eth0",
          "netns",
          podNamespace,
        );
        await ip("-n", namespace, "addr", "add", `10.251.${index}.1/24`, "dev", `pod${index}`);
        await ip("-n", namespace, "link", "set", `pod${index}`, "up");
        await ip("-n", podNamespace, "addr", "add", `${address}/24`, "dev", "eth0");
        await ip("-n", podNamespace, "link", "set", "eth0", "up");
        await ip("-n", podNamespace, "link", "set", "lo", "up");
        await ip("-n", podNamespace, "route", "add", "default", "via", `10.251.${index}.1`);
        const started = spawnTied(
          "ip",
          ["netns", "exec", podNamespace, "node", `${root}scripts/echo_backend.mjs`, name, address, String(port)],
          { env: childEnv(), stdio: ["ignore", "pipe", "inherit"] },
        );
        backend = started;
        await new Promise<void>((resolve, reject) => {
          started.stdout!.once("data", () => resolve());
          started.once("exit", (code) => reject(new Error(`Backend ${name} exited with ${code}`)));
        });
      } catch (error) {
        backend?.kill("SIGKILL");
        await remove();
        throw error;
      }
      const pod: PodHost = {
        name,
        address,
        terminate: () => void backend!.kill("SIGTERM"),
        async remove() {
          pods.delete(pod);
          backend!.kill("SIGKILL");
          await remove();
        },
      };
      pods.add(pod);
      return pod;
    },
    startCallLoop(label, target, { kubeconfig, seconds, deadlineMs, channels = 1 }) {
      const child = spawnTied(
        "ip",
        [
          "netns",
          "exec",
          namespace,
          "node",
          `${root}tests/e2e/call_loop.mjs`,
          target,
          kubeconfig,
          String(seconds),
          String(deadlineMs),
          String(channels),
        ],
        { env: childEnv(), cwd: root, stdio: ["pipe", "pipe", "inherit"] },
      );
      loops.push(child);
      const buckets: CallBucket[] = [];
      let buffer = "";
      child.stdout!.setEncoding("utf8");
      child.stdout!.on("data", (text: string) => {
        buffer += text;
        for (let end = buffer.indexOf("\n"); end >= 0; end = buffer.indexOf("\n")) {
          buckets.push(JSON.parse(buffer.slice(0, end)));
          buffer = buffer.slice(end + 1);
        }
      });
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.stdin!.on("error", () => {}); // A loop that ended by itself: nothing to tell it.
      let stopping: Promise<unknown> | undefined;
      return {
        label,
        buckets,
        stop() {
          if (!stopping) {
            child.stdin!.end("stop\n");
            stopping = Promise.race([exited, sleep(10_000)]);
          }
          return stopping.then(() => {});
        },
      };
    },
    async stop() {
      for (const loop of loops) loop.kill("SIGKILL");
      for (const pod of [...pods]) await pod.remove();
      await proxies.stop();
    },
  };
}
