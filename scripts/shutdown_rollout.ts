/**
 * Rolls a Service's pods on the real control plane (kube-apiserver and the EndpointSlice controller of
 * tests/e2e) while clients call it, with pod servers that shut down one way each (scripts/shutdown_pod.mjs):
 *
 * ```sh
 * TMPDIR=/tmp/shutdown-cp MODES=exit,try,prestop,age,drain deno run -A scripts/shutdown_rollout.ts
 * ```
 *
 * Needs root: the pods are addresses of one network namespace (`shutdown-pods`, 10.215.1.0/24) that it creates and
 * deletes. Each rollout replaces PODS (4) pods one at a time, as a Deployment with maxSurge 1 and maxUnavailable 0
 * does: the new pod is created and made Ready, then the old pod is deleted (its endpoint turns terminating) and its
 * server gets SIGTERM at the same moment, as a kubelet sends it without a preStop hook (SIGTERM_FIRST_MS: that long
 * before the delete instead); once the server exits (30 s at most) the pod is removed. CLIENTS (node:grpc-js,node:static,node:nice-grpc,bun:grpc-js,deno:grpc-js) run
 * through the rollout (scripts/shutdown_client.mjs); `static` dials an `ipv4:` list of every old and new pod with
 * round_robin. Prints one JSON line per mode and client. The clients take INTERVAL_MS (20 here), MAX_CALLS,
 * KEEPALIVE_MS and PERMIT_WITHOUT_CALLS from the environment. MODES=keepalive runs grpc-go pods instead
 * (scripts/shutdown_pod_go, its binary in GO_POD, MIN_PING_MS), for a client with KEEPALIVE_MS below it.
 *
 * @module
 */

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { startControlPlane } from "../tests/e2e/control_plane.ts";
import { createNamespace } from "../tests/e2e/kube_objects.ts";
import { RUNTIMES } from "../tests/e2e/echo_clients.ts";
import { applyNode, applySelectorService, createReadyPod, deletePod, forgetPod } from "../tests/e2e/workloads.ts";
import { childEnv } from "../tests/_child_env.mjs";

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const root = new URL("../", import.meta.url).pathname;
const env = Deno.env.toObject();
const PORT = 50051;
const NETNS = "shutdown-pods";
const podCount = Number(env.PODS ?? 4);
const modes = (env.MODES ?? "exit,try,prestop,age,drain").split(",");
/** SIGTERM_FIRST_MS: SIGTERM that long before the delete, as when clients learn of it late (default: after). */
const sigtermFirstMs = Number(env.SIGTERM_FIRST_MS ?? -1);
const clientSpecs = (env.CLIENTS ?? "node:grpc-js,node:static,node:nice-grpc,bun:grpc-js,deno:grpc-js").split(",");

async function createNetns() {
  const { stdout } = await run("ip", ["-4", "-o", "addr", "show"]);
  if (stdout.includes("10.215.1.")) throw new Error("10.215.1.0/24 is taken on this machine");
  await run("ip", ["netns", "add", NETNS]);
  await run("ip", ["link", "add", "shutdownh", "type", "veth", "peer", "name", "shutdownp"]);
  await run("ip", ["link", "set", "shutdownp", "netns", NETNS]);
  await run("ip", ["addr", "add", "10.215.1.1/24", "dev", "shutdownh"]);
  await run("ip", ["link", "set", "shutdownh", "up"]);
  await run("ip", ["netns", "exec", NETNS, "ip", "link", "set", "shutdownp", "up"], { env: childEnv() });
  await run("ip", ["netns", "exec", NETNS, "ip", "link", "set", "lo", "up"], { env: childEnv() });
  for (let host = 10; host < 10 + 2 * podCount * modes.length + 2; host++) {
    await run("ip", ["netns", "exec", NETNS, "ip", "addr", "add", `10.215.1.${host}/24`, "dev", "shutdownp"], {
      env: childEnv(),
    });
  }
}

async function deleteNetns() {
  await run("ip", ["netns", "delete", NETNS]).catch(() => {});
  await run("ip", ["link", "delete", "shutdownh"]).catch(() => {});
}

interface Pod {
  name: string;
  ip: string;
  child: ChildProcess;
  exited: Promise<void>;
}

async function startPod(name: string, ip: string, mode: string): Promise<Pod> {
  // GO_POD: a grpc-go server (same methods) that enforces keepalive: pings less than MIN_PING_MS (10000) apart
  // get a GOAWAY "too_many_pings"; SIGTERM: GracefulStop().
  const command = mode === "keepalive"
    ? [env.GO_POD, name, `${ip}:${PORT}`, env.MIN_PING_MS ?? "10000"]
    : ["node", `${root}scripts/shutdown_pod.mjs`, name, ip, `${PORT}`, mode];
  const child = spawn("ip", ["netns", "exec", NETNS, ...command], {
    env: childEnv(),
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`pod ${name} exited with ${code}`)));
  });
  return { name, ip, child, exited };
}

function startClient(spec: string, target: string, staticTarget: string, kubeconfig: string) {
  const [runtime, library] = spec.split(":");
  const [command, ...args] = RUNTIMES[runtime];
  const child = spawn(command, [
    ...args,
    `${root}scripts/shutdown_client.mjs`,
    library === "static" ? staticTarget : target,
    kubeconfig,
    library,
  ], {
    stdio: ["pipe", "pipe", "inherit"],
    cwd: root,
    env: childEnv({ ...env, INTERVAL_MS: env.INTERVAL_MS ?? "20" }),
  });
  let output = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (text: string) => output += text);
  const ready = (async () => {
    for (let waited = 0; !output.includes("ready"); waited += 50) {
      if (waited > 30_000 || output.includes("error")) throw new Error(`${spec}: ${output}`);
      await sleep(50);
    }
  })();
  const stop = async () => {
    child.stdin!.write("stop\n");
    for (let waited = 0; !output.includes('{"calls"'); waited += 50) {
      if (waited > 20_000) {
        child.kill("SIGKILL");
        return { spec, error: `no result: ${output}` };
      }
      await sleep(50);
    }
    return { spec, ...JSON.parse(output.slice(output.indexOf('{"calls"'))) };
  };
  return { ready, stop, kill: () => child.kill("SIGKILL") };
}

const controlPlane = await startControlPlane({ log: () => {} });
let nextHost = 10;
const pods: Pod[] = [];
try {
  await controlPlane.startControllerManager();
  await createNetns();
  await applyNode(controlPlane.adminFetch, "shutdown-node", undefined);
  for (const mode of modes) {
    const namespace = await createNamespace(controlPlane.adminFetch, "shutdown");
    await applySelectorService(controlPlane.adminFetch, namespace, {
      name: "echo",
      ports: [{ name: "grpc", port: 80, targetPort: "grpc" }],
    });
    const make = async (name: string) => {
      const pod = await startPod(name, `10.215.1.${nextHost++}`, mode);
      pods.push(pod);
      return pod;
    };
    const spec = (pod: Pod) => ({
      name: pod.name,
      app: "echo",
      node: "shutdown-node",
      ip: pod.ip,
      ports: [{ name: "grpc", containerPort: PORT }],
    });
    const old: Pod[] = [];
    const fresh: Pod[] = [];
    for (let i = 0; i < podCount; i++) old.push(await make(`old-${i}`));
    for (let i = 0; i < podCount; i++) fresh.push(await make(`new-${i}`));
    for (const pod of old) await createReadyPod(controlPlane.adminFetch, namespace, spec(pod));
    await sleep(2000);
    const staticTarget = `ipv4:${[...old, ...fresh].map((pod) => `${pod.ip}:${PORT}`).join(",")}`;
    const clients = clientSpecs.map((client) =>
      startClient(client, `kubernetes:///echo.${namespace}:grpc`, staticTarget, controlPlane.adminKubeconfigPath)
    );
    await Promise.all(clients.map((client) => client.ready));
    await sleep(2000);
    const started = Date.now();
    for (let i = 0; i < podCount; i++) {
      await createReadyPod(controlPlane.adminFetch, namespace, spec(fresh[i]));
      await sleep(1500);
      if (sigtermFirstMs >= 0) {
        old[i].child.kill("SIGTERM");
        await sleep(sigtermFirstMs);
      }
      await deletePod(controlPlane.adminFetch, namespace, old[i].name);
      if (sigtermFirstMs < 0) old[i].child.kill("SIGTERM");
      await Promise.race([old[i].exited, sleep(30_000)]);
      await forgetPod(controlPlane.adminFetch, namespace, old[i].name);
      await sleep(1000);
    }
    const rolloutS = (Date.now() - started) / 1000;
    await sleep(2000);
    for (const result of await Promise.all(clients.map((client) => client.stop()))) {
      console.log(JSON.stringify({ mode, rolloutS, ...result }));
    }
    for (const pod of [...old, ...fresh]) pod.child.kill("SIGKILL");
  }
} finally {
  for (const pod of pods) pod.child.kill("SIGKILL");
  await sleep(200);
  await deleteNetns();
  await controlPlane.stop();
}
