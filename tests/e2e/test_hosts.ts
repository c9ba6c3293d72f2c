/**
 * Test hosts for the data-path scenario: each is a network namespace created
 * by this test run, joined to the root namespace by a veth pair on a private
 * /24 of its own, running a pod-like echo backend on the same port as every
 * other host. Needs root (`ip netns`).
 *
 * @module
 */

import { type ChildProcess, execFile } from "node:child_process";
import process from "node:process";
import { promisify } from "node:util";
import { childEnv } from "../_child_env.mjs";
import { addNamespace, spawnTied } from "./lifeline.ts";

const run = promisify(execFile);

/** A span of wall time in which a backend's event loop stood still, as scripts/echo_backend.mjs reports it. */
export interface Stall {
  /** When it began and ended, in ms since the epoch. */
  readonly from: number;
  readonly to: number;
  /** The CPU time the backend used meanwhile: much less than `to - from` means the machine did not run it. */
  readonly cpuMs: number;
}

/** One test host with its backend. */
export interface TestHost {
  /** Pod name, also the backend's name in echo answers. */
  readonly pod: string;
  /** The host's address, reachable from the root namespace. */
  readonly address: string;
  /** Every stall of its backend (over 500 ms) so far, across restarts. */
  readonly stalls: readonly Stall[];
  /** Sends SIGTERM: the backend shuts down gracefully (GOAWAY) and stays up. */
  terminate(): void;
  /** Kills the backend and starts a new one on the same address. */
  restart(): Promise<void>;
  /**
   * Kills the backend and keeps the host: its address refuses connections until `remove()`. grpc-js may dial a
   * departed pod's address once more, and a removed host's address would be routed off this machine.
   */
  kill(): Promise<void>;
  /** Kills the backend and deletes the namespace and its veth pair. */
  remove(): Promise<void>;
}

/** Whether this machine lets us create network namespaces (root and iproute2). */
export async function canCreateTestHosts(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  try {
    await run("ip", ["netns", "list"]);
    return true;
  } catch {
    return false;
  }
}

/** The /24s under 10.213.0.0/16 that hosts may take: 10.213.200.0 and up are addresses of pods no test dials. */
const SUBNETS = 199;

/**
 * Claims a /24 for a new host, free across every process on this machine: none of its addresses is on an
 * interface (another run's host, of this code or older), and the network namespace named after it, which
 * `ip netns add` creates only once, is ours. Two runs at the same time (two checkouts, parallel CI jobs) that
 * shared a subnet sent one run's calls to the other's backends. The namespace and the host's veth go when this
 * process ends, however it ends (lifeline.ts).
 */
async function claimSubnet(): Promise<{ namespace: string; index: number; remove(): Promise<void> }> {
  const { stdout } = await run("ip", ["-4", "-o", "addr", "show"]);
  const taken = new Set([...stdout.matchAll(/ inet 10\.213\.(\d+)\./g)].map((match) => Number(match[1])));
  for (let index = 1; index <= SUBNETS; index++) {
    if (taken.has(index)) continue;
    const namespace = `kgr-net-${index}`;
    try {
      const { remove } = await addNamespace(namespace, [`kgrnet${index}h`]);
      return { namespace, index, remove };
    } catch {
      continue; // Another run's host, or one a killed run left behind.
    }
  }
  throw new Error(`Cannot create a test host: all ${SUBNETS} subnets of 10.213.0.0/16 are taken (ip netns list)`);
}

/**
 * Creates a host in a new network namespace and starts an echo backend in it.
 *
 * @param pod The pod name.
 * @param port The port every backend listens on.
 * @returns The host, once its backend is listening.
 */
export async function createTestHost(pod: string, port: number): Promise<TestHost> {
  const { namespace, index, remove: removeNamespace } = await claimSubnet();
  const outside = `kgrnet${index}h`;
  const inside = `kgrnet${index}p`;
  const subnet = `10.213.${index}`;
  const address = `${subnet}.2`;
  try {
    await run("ip", ["link", "add", outside, "type", "veth", "peer", "name", inside]);
    await run("ip", ["link", "set", inside, "netns", namespace]);
    await run("ip", ["addr", "add", `${subnet}.1/24`, "dev", outside]);
    await run("ip", ["link", "set", outside, "up"]);
    const inNamespace = (...args: string[]) =>
      run("ip", ["netns", "exec", namespace, "ip", ...args], { env: childEnv() });
    await inNamespace("addr", "add", `${address}/24`, "dev", inside);
    await inNamespace("link", "set", inside, "up");
    await inNamespace("link", "set", "lo", "up");
  } catch (error) {
    await removeNamespace();
    throw error;
  }
  const backendScript = new URL("../../scripts/echo_backend.mjs", import.meta.url).pathname;
  const stalls: Stall[] = [];
  const startBackend = async (): Promise<ChildProcess> => {
    const child: ChildProcess = spawnTied(
      "ip",
      ["netns", "exec", namespace, "node", backendScript, pod, address, String(port)],
      { env: childEnv(), stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        // As long as a client is given to get ready (echo_clients.ts): a Node process that loads grpc-js while three
        // clients call at 100 a second took more than 10 s on a loaded machine (new-0 of the data path, load 15-22).
        const timer = setTimeout(() => reject(new Error(`Backend ${pod} did not start within 30 s`)), 30_000);
        let pending = "";
        child.stdout!.setEncoding("utf8");
        child.stdout!.on("data", (text: string) => {
          const lines = (pending + text).split("\n");
          pending = lines.pop()!;
          for (const line of lines) {
            if (line === "ready") clearTimeout(timer);
            if (line === "ready") resolve();
            if (line.startsWith('{"stall"')) stalls.push(JSON.parse(line).stall);
          }
        });
        child.once("exit", (code) => reject(new Error(`Backend ${pod} exited with ${code}`)));
      });
    } catch (error) {
      if (child.pid !== undefined) await killAndWait(child.pid);
      throw error;
    }
    return child;
  };
  let backend: ChildProcess;
  try {
    backend = await startBackend();
  } catch (error) {
    // A host whose backend never started is nobody's to remove: its namespace and link go now.
    await removeNamespace();
    throw error;
  }
  let removed = false;
  return {
    pod,
    address,
    stalls,
    terminate: () => void backend.kill("SIGTERM"),
    async restart() {
      await killAndWait(backend.pid!);
      backend = await startBackend();
    },
    kill: () => killAndWait(backend.pid!),
    async remove() {
      if (removed) return;
      removed = true;
      await killAndWait(backend.pid!);
      // Deleting the namespace deletes the veth end inside it, and with it the pair.
      await removeNamespace();
    },
  };
}

/** SIGKILLs a process and waits (at most 5 s) until it is gone. Not ChildProcess.kill(): on Deno a second call does nothing, and its "exit" event is not reliable here. */
async function killAndWait(pid: number): Promise<void> {
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (alive()) process.kill(pid, "SIGKILL");
  for (let waited = 0; alive() && waited < 5000; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
