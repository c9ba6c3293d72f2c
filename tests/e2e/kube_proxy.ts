/**
 * The real kube-proxy (v1.36.3, built by `scripts/control_plane/build.sh`) in nftables
 * mode, one per Node, each in a network namespace this run creates: its rules never touch
 * the host's, and nothing is sent through them. It reaches the local API server through
 * {@link ./socket_bridge.mjs} (loopback in its namespace → a Unix socket → loopback of the
 * root namespace), with the admin kubeconfig as it is. `destinations()` reads its ruleset
 * (`nft -j list table ip kube-proxy` in the namespace) and says where it would DNAT a new
 * connection to a ClusterIP and port (each endpoint's IP and port: a named targetPort can give each pod its own).
 *
 * Needs root, `ip` (iproute2) and `nft` (Debian's `nftables`; `.ci/run` installs it).
 *
 * @module
 */

import { type ChildProcess, execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { isIPv4 } from "node:net";
import { join } from "node:path";
import process from "node:process";
import { promisify } from "node:util";
import { type ControlPlane, findBinaries, isRunning, startProcess, stopProcess } from "./control_plane.ts";
import { addNamespace } from "./lifeline.ts";

const run = promisify(execFile);
const BRIDGE = new URL("./socket_bridge.mjs", import.meta.url).pathname;

/** One kube-proxy, running as one Node. */
export interface KubeProxy {
  /** The Node it runs as (`--hostname-override`): it reads the zone label there. */
  readonly node: string;
  /** The network namespace it runs in. */
  readonly namespace: string;
  /**
   * Where it sends a new TCP connection to `clusterIP:port`: the endpoints as `ip:port`, sorted; `[]` when it
   * rejects the connection (no usable endpoint); `undefined` when it has not programmed the Service (yet).
   */
  destinations(clusterIP: string, port: number): Promise<string[] | undefined>;
  /** The tail of its log, for failure reports. */
  logs(lines?: number): Promise<string>;
}

/** The running kube-proxies, and how to stop them. */
export interface KubeProxies {
  /** One per node, in the order asked for. */
  readonly proxies: KubeProxy[];
  /** Stops every process and deletes the network namespaces (safe to call twice). */
  stop(): Promise<void>;
}

/**
 * Why kube-proxy cannot run here, or `undefined` when it can: root, `ip netns`, `nft` and nf_tables in the kernel.
 *
 * @returns The reason, with what to install.
 */
export async function kubeProxyUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return "network namespaces need root";
  try {
    await run("ip", ["netns", "list"]);
  } catch (error) {
    return `\`ip netns\` does not work: ${(error as Error).message}: install iproute2`;
  }
  try {
    await run("nft", ["--version"]);
  } catch {
    return "`nft` is not installed: install nftables (`apt-get install -y nftables`, as .ci/run does)";
  }
  return undefined;
}

/**
 * Starts one kube-proxy per node, each in a network namespace of its own, against the local control plane.
 *
 * @param controlPlane The local control plane (its admin kubeconfig and API server port are used as they are).
 * @param nodes The Nodes to run as; they should exist and have an address (else kube-proxy waits 30 s for one) and a
 * zone label (each kube-proxy is started again until it logs that its rules have the zone).
 * @param log Receives progress lines.
 * @returns The running kube-proxies; call `stop()` when done, also on failure.
 * @throws {Error} When kube-proxy is not built or a process does not come up (with its log).
 */
export async function startKubeProxies(
  controlPlane: ControlPlane,
  nodes: string[],
  log: (line: string) => void,
): Promise<KubeProxies> {
  const binaries = await findBinaries();
  if (!existsSync(binaries.kubeProxy)) {
    throw new Error(
      `Cannot start kube-proxy: ${binaries.kubeProxy} not built: run \`bash scripts/control_plane/build.sh\``,
    );
  }
  const begin = Date.now();
  const port = new URL(controlPlane.server).port;
  const socket = join(controlPlane.dir, "api-server.sock");
  const children: ChildProcess[] = [];
  const namespaces: { remove(): Promise<void> }[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const child of children.reverse()) await stopProcess(child, 2000);
    for (const namespace of namespaces) await namespace.remove();
    await rm(socket, { force: true });
  };
  try {
    const bridgeLog = join(controlPlane.dir, "socket-bridge.log");
    // Through env: Deno's child_process would run a bare "node" as Deno.
    children.push(await startProcess("env", ["node", BRIDGE, `unix:${socket}`, `tcp:${port}`], bridgeLog));
    await waitForLine(children.at(-1)!, bridgeLog, "\nready\n", 10_000);
    const proxies = await Promise.all(nodes.map(async (node, index): Promise<KubeProxy> => {
      // Unique per run: two runs at once (two checkouts, parallel CI jobs) must not share one.
      const namespace = `kgr-kp-${process.pid}-${index}`;
      namespaces.push(await addNamespace(namespace));
      await run("ip", ["-n", namespace, "link", "set", "lo", "up"]);
      const inNamespace = (...args: string[]) => ["netns", "exec", namespace, ...args];
      const nodeBridgeLog = join(controlPlane.dir, `socket-bridge-${node}.log`);
      const bridge = await startProcess(
        "ip",
        inNamespace("node", BRIDGE, `tcp:${port}`, `unix:${socket}`),
        nodeBridgeLog,
      );
      children.push(bridge);
      await waitForLine(bridge, nodeBridgeLog, "\nready\n", 10_000);
      const launch = async (proxyLog: string) => {
        const proxy = await startProcess(
          "ip",
          inNamespace(
            binaries.kubeProxy,
            `--kubeconfig=${controlPlane.adminKubeconfigPath}`,
            "--proxy-mode=nftables",
            `--hostname-override=${node}`,
            // Leave every conntrack sysctl as it is (most are per namespace, nf_conntrack_max is not).
            "--conntrack-max-per-core=0",
            "--conntrack-tcp-timeout-established=0",
            "--conntrack-tcp-timeout-close-wait=0",
            "--oom-score-adj=0",
            // No servers: nothing listens, not even in its namespace.
            "--metrics-bind-address=",
            "--healthz-bind-address=",
            // 4 for the line that says its rules got the Node's zone (below).
            "--v=4",
          ),
          proxyLog,
        );
        children.push(proxy);
        // Its first sync writes the table (IPv4 first).
        await waitForLine(proxy, proxyLog, '"SyncProxyRules complete" ipFamily="IPv4"', 30_000);
        return proxy;
      };
      // kube-proxy hands its Node's zone to its rules from an informer event that can come before the rules' handler
      // is registered, and then only when the zone changes (seen in CI: one kube-proxy ignored every zone hint for
      // its whole run). One that does not log the handover within 5 s (here 1 start in 28) is started again, twice
      // at most: a third that still misses it fails the comparisons, with its log.
      let proxyLog = join(controlPlane.dir, `kube-proxy-${node}.log`);
      let proxy = await launch(proxyLog);
      for (let attempt = 2; attempt <= 3 && !(await logsLine(proxy, proxyLog, TOPOLOGY_HANDOVER, 5000)); attempt++) {
        log(`kube-proxy for ${node} did not take its Node's zone label: starting it again`);
        children.splice(children.indexOf(proxy), 1);
        await stopProcess(proxy, 2000);
        proxyLog = join(controlPlane.dir, `kube-proxy-${node}-${attempt}.log`);
        proxy = await launch(proxyLog);
      }
      const tail = async (lines = 40) =>
        `----- ${proxyLog} (last ${lines} lines)\n${
          (await readFile(proxyLog, "utf8").catch(() => "")).split("\n").slice(-lines - 1).join("\n")
        }`;
      return {
        node,
        namespace,
        async destinations(clusterIP, servicePort) {
          if (!isRunning(proxy)) throw new Error(`kube-proxy of ${node} exited\n${await tail()}`);
          let stdout: string;
          try {
            ({ stdout } = await run("ip", inNamespace("nft", "-j", "list", "table", "ip", "kube-proxy"), {
              maxBuffer: 64 * 1024 * 1024,
            }));
          } catch {
            return undefined; // No table yet.
          }
          return nftDestinations(JSON.parse(stdout), clusterIP, servicePort);
        },
        logs: tail,
      };
    }));
    log(`kube-proxy (nftables) for ${nodes.join(", ")} synced ${Date.now() - begin} ms after start`);
    return { proxies, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Waits until `file` (a process's log) has a line containing `text`, or the process exits. */
/** What kube-proxy logs (at `--v=4`) when its rules get its Node's topology labels. */
const TOPOLOGY_HANDOVER = '"Updated proxier node topology labels"';

/** Whether `file`, the log of `child`, holds `text` within `timeoutMs`. */
async function logsLine(child: ChildProcess, file: string, text: string, timeoutMs: number): Promise<boolean> {
  return await waitForLine(child, file, text, timeoutMs).then(() => true, () => false);
}

async function waitForLine(child: ChildProcess, file: string, text: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const content = await readFile(file, "utf8").catch(() => "");
    if (content.includes(text)) return;
    if (!isRunning(child) || Date.now() > end) {
      const why = isRunning(child) ? `not within ${timeoutMs} ms` : "it exited";
      throw new Error(`Cannot start ${child.spawnargs.join(" ")}: no "${text}" (${why})\n${content.slice(-4000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** An object of `nft -j` output; only the fields we read. */
type NftObject = Record<string, unknown>;

/**
 * Where kube-proxy's nftables rules send a new TCP connection to `clusterIP:port`: the `service-ips` verdict map
 * sends it to a service chain, whose `dnat` picks one endpoint (`numgen random mod N map { i : ip . port }`, or
 * through per-endpoint chains with session affinity); a Service with no usable endpoint is in
 * `no-endpoint-services` instead (reject).
 *
 * @param ruleset `nft -j list table ip kube-proxy`, parsed.
 * @param clusterIP The Service's ClusterIP.
 * @param port The Service port.
 * @returns The endpoints as `ip:port`, sorted; `[]` when rejected; `undefined` when the Service is in neither map.
 */
export function nftDestinations(
  ruleset: { nftables: NftObject[] },
  clusterIP: string,
  port: number,
): string[] | undefined {
  const items = ruleset.nftables;
  const get = (value: unknown, key: string): unknown =>
    value !== null && typeof value === "object" ? (value as NftObject)[key] : undefined;
  const elements = (name: string): [unknown, unknown][] =>
    items.flatMap((item) => get(get(item, "map"), "name") === name ? (get(item.map, "elem") as [] ?? []) : []);
  // A key is `{concat: [ip, "tcp", port]}`, wrapped in `{elem: {val, comment}}` when it has a comment.
  const isOurs = ([key]: [unknown, unknown]) => {
    const concat = get(get(get(key, "elem"), "val") ?? key, "concat");
    return Array.isArray(concat) && concat[0] === clusterIP && concat[1] === "tcp" && concat[2] === port;
  };
  const entry = elements("service-ips").find(isOurs);
  if (!entry) return elements("no-endpoint-services").some(isOurs) ? [] : undefined;
  const found = new Set<string>();
  const visited = new Set<string>();
  const visit = (chain: string) => {
    if (visited.has(chain)) return;
    visited.add(chain);
    for (const item of items) {
      if (get(get(item, "rule"), "chain") === chain) walk(get(item.rule, "expr"));
    }
  };
  // Follows goto/jump verdicts to the dnat rules: `dnat to ip:port` (an endpoint's chain), or a numgen map whose
  // values are `ip . port` concats. A dnat without a port would keep the Service port.
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const child of node) walk(child);
    } else if (node !== null && typeof node === "object") {
      for (const [key, value] of Object.entries(node)) {
        const target = get(value, "target");
        if ((key === "goto" || key === "jump") && typeof target === "string") visit(target);
        else if (key === "dnat") dnat(get(value, "addr"), get(value, "port") ?? port);
        else walk(value);
      }
    }
  };
  const dnat = (addr: unknown, to: unknown): void => {
    const concat = get(addr, "concat");
    if (typeof addr === "string" && isIPv4(addr)) found.add(`${addr}:${to}`);
    else if (Array.isArray(concat) && typeof concat[0] === "string" && isIPv4(concat[0])) {
      found.add(`${concat[0]}:${concat[1]}`);
    } else if (Array.isArray(addr)) { for (const child of addr) dnat(child, to); }
    else if (addr !== null && typeof addr === "object") { for (const child of Object.values(addr)) dnat(child, to); }
  };
  walk(entry[1]);
  return [...found].sort();
}
