/**
 * Test hosts for the data-path scenario: each is a network namespace created
 * by this test run, joined to the root namespace by a veth pair on a private
 * /24 of its own, running a pod-like echo backend on the same port as every
 * other host. Needs root (`ip netns`).
 *
 * @module
 */

import { type ChildProcess, execFile, spawn } from "node:child_process";
import process from "node:process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** One test host with its backend. */
export interface TestHost {
  /** Pod name, also the backend's name in echo answers. */
  readonly pod: string;
  /** The host's address, reachable from the root namespace. */
  readonly address: string;
  /** Sends SIGTERM: the backend shuts down gracefully (GOAWAY) and stays up. */
  terminate(): void;
  /** Kills the backend and starts a new one on the same address. */
  restart(): Promise<void>;
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

let created = 0;
const prefix = `kgr${process.pid % 100000}`;

/**
 * Creates a host in a new network namespace and starts an echo backend in it.
 *
 * @param pod The pod name.
 * @param port The port every backend listens on.
 * @returns The host, once its backend is listening.
 */
export async function createTestHost(pod: string, port: number): Promise<TestHost> {
  const index = ++created;
  if (index > 200) throw new Error("Cannot create more than 200 test hosts in one run");
  const namespace = `${prefix}-${index}`;
  const outside = `${prefix}h${index}`.slice(0, 15);
  const inside = `${prefix}p${index}`.slice(0, 15);
  const subnet = `10.213.${index}`;
  const address = `${subnet}.2`;
  await run("ip", ["netns", "add", namespace]);
  try {
    await run("ip", ["link", "add", outside, "type", "veth", "peer", "name", inside]);
    await run("ip", ["link", "set", inside, "netns", namespace]);
    await run("ip", ["addr", "add", `${subnet}.1/24`, "dev", outside]);
    await run("ip", ["link", "set", outside, "up"]);
    const inNamespace = (...args: string[]) => run("ip", ["netns", "exec", namespace, "ip", ...args]);
    await inNamespace("addr", "add", `${address}/24`, "dev", inside);
    await inNamespace("link", "set", inside, "up");
    await inNamespace("link", "set", "lo", "up");
  } catch (error) {
    await run("ip", ["netns", "delete", namespace]).catch(() => {});
    throw error;
  }
  const backendScript = new URL("../../scripts/echo_backend.mjs", import.meta.url).pathname;
  const startBackend = async (): Promise<ChildProcess> => {
    const child: ChildProcess = spawn(
      "ip",
      ["netns", "exec", namespace, "node", backendScript, pod, address, String(port)],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Backend ${pod} did not start within 10 s`)), 10_000);
      child.stdout!.once("data", () => {
        clearTimeout(timer);
        resolve();
      });
      child.once("exit", (code) => reject(new Error(`Backend ${pod} exited with ${code}`)));
    });
    return child;
  };
  let backend = await startBackend();
  let removed = false;
  return {
    pod,
    address,
    terminate: () => void backend.kill("SIGTERM"),
    async restart() {
      await killAndWait(backend.pid!);
      backend = await startBackend();
    },
    async remove() {
      if (removed) return;
      removed = true;
      await killAndWait(backend.pid!);
      // Deleting the namespace deletes the veth end inside it, and with it the pair.
      await run("ip", ["netns", "delete", namespace]).catch(() => {});
      await run("ip", ["link", "delete", outside]).catch(() => {});
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
