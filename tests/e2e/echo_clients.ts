/**
 * Users' gRPC clients for the data-path scenarios: tests/e2e/echo_client.mjs run
 * as a child process on Node, Bun or Deno, dialing a `kubernetes:` target with a
 * kubeconfig of its own.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  bindEndpointSliceReader,
  createEndpointSliceReaderRole,
  createServiceAccount,
  requestToken,
} from "./kube_objects.ts";
import type { TestCluster } from "./test_cluster.ts";
import { childEnv } from "../_child_env.mjs";
import { spawnTied } from "./lifeline.ts";

const root = new URL("../../", import.meta.url).pathname;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The three runtimes, each with the command that runs a script. */
export const RUNTIMES: Record<string, string[]> = {
  node: ["node"],
  bun: [join(root, "node_modules/.bin/bun")],
  deno: [join(root, "node_modules/.bin/deno"), "run", "-A"],
};

/** What a client reports when it stops. */
export interface ClientResult {
  calls: number;
  failures: string[];
  byBackend: Record<string, number>;
}

/** How to start a client. */
export interface ClientOptions {
  /** Extra environment, such as `ZONE` or `NODE_NAME` (the Downward API's job in a pod). */
  env?: Record<string, string>;
  /** Each call's deadline. */
  deadlineMs?: number;
  /** The gRPC library: `grpc-js` (the default, with `register()`) or `nice-grpc` (its `createChannel()`). */
  library?: "grpc-js" | "nice-grpc";
}

/** A running client. */
export interface EchoClient {
  runtime: string;
  /** The runtime, and the library when it is not grpc-js (`node nice-grpc`): names it in logs and results. */
  label: string;
  /** Resolves after its first successful call. */
  ready: Promise<void>;
  /** The answers per backend since the last take. */
  take(): Promise<Record<string, number>>;
  /** Stops it and returns its totals. */
  stop(): Promise<ClientResult>;
  kill(): void;
}

/**
 * Starts a client that calls echo every 10 ms.
 *
 * @param runtime `node`, `bun` or `deno`.
 * @param target The target, e.g. `kubernetes:///echo.ns:grpc`.
 * @param kubeconfig The path of its kubeconfig.
 * @param options Environment and deadline.
 * @returns The client.
 */
export function startClient(
  runtime: string,
  target: string,
  kubeconfig: string,
  options: ClientOptions = {},
): EchoClient {
  const [command, ...args] = RUNTIMES[runtime];
  const script = join(root, "tests/e2e/echo_client.mjs");
  const child: ChildProcess = spawnTied(
    command,
    [...args, script, target, kubeconfig, String(options.deadlineMs ?? 5000), options.library ?? "grpc-js"],
    {
      cwd: root,
      stdio: ["pipe", "pipe", "inherit"],
      env: childEnv({ ...Deno.env.toObject(), ...options.env }),
    },
  );
  let output = "";
  const waiters: ((line: string) => void)[] = [];
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (text: string) => {
    output += text;
    for (const line of text.split("\n")) if (line.startsWith('{"take"')) waiters.shift()?.(line);
  });
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${runtime} client not ready in 30 s: ${output}`)), 30_000);
    child.stdout!.on("data", () => {
      if (!output.includes("ready\n")) return;
      clearTimeout(timer);
      resolve();
    });
    child.once("exit", (code) => reject(new Error(`${runtime} client exited with ${code}: ${output}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  return {
    runtime,
    label: options.library === "nice-grpc" ? `${runtime} nice-grpc` : runtime,
    ready,
    take() {
      const answer = new Promise<string>((resolve) => waiters.push(resolve));
      child.stdin!.write("take\n");
      return answer.then((line) => JSON.parse(line).take as Record<string, number>);
    },
    async stop() {
      child.stdin!.write("stop\n");
      const code = await Promise.race([exited, sleep(15_000).then(() => "timeout")]);
      if (code === "timeout") child.kill("SIGKILL");
      const line = output.split("\n").find((text) => text.startsWith('{"calls"'));
      assert.ok(line, `${runtime} client printed no result (exit ${code}): ${output}`);
      return JSON.parse(line) as ClientResult;
    },
    kill: () => void child.kill("SIGKILL"),
  };
}

/**
 * A kubeconfig object for a client with a bearer token.
 *
 * @param server The API server.
 * @param ca Its CA, when not a public one.
 * @param token The client's token.
 * @param namespace The default namespace.
 * @returns The kubeconfig, to write as JSON.
 */
export function clientKubeconfig(server: string, ca: string | undefined, token: string, namespace: string) {
  const cluster: Record<string, string> = { server };
  if (ca) cluster["certificate-authority-data"] = btoa(ca);
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "e2e", cluster }],
    users: [{ name: "echo-client", user: { token } }],
    contexts: [{ name: "e2e", context: { cluster: "e2e", user: "echo-client", namespace } }],
    "current-context": "e2e",
  };
}

/**
 * Writes the kubeconfig of a least-privilege client in `namespace`: a ServiceAccount
 * `echo-client` that may list and watch EndpointSlices there, with a TokenRequest token.
 *
 * @param cluster The cluster.
 * @param namespace The client's namespace.
 * @param directory Where to write `kubeconfig.json`.
 * @returns The kubeconfig's path.
 */
export async function writeReaderKubeconfig(cluster: TestCluster, namespace: string, directory: string) {
  const fetch = cluster.adminFetch;
  await createServiceAccount(fetch, namespace, "echo-client");
  await createEndpointSliceReaderRole(fetch, namespace);
  await bindEndpointSliceReader(fetch, namespace, "echo-client");
  const token = await requestToken(fetch, namespace, "echo-client", { expirationSeconds: 3600 });
  const path = join(directory, "kubeconfig.json");
  await writeFile(path, JSON.stringify(clientKubeconfig(cluster.server, cluster.ca, token, namespace)));
  return path;
}

/**
 * Stops every client, logs what each did, and checks that no call failed.
 *
 * @param clients The running clients.
 * @param log Receives one line per client.
 * @param excuse Says why a failure is not the product's (the machine stalled the backend), or undefined: excused
 *   failures are logged with their reason, and only the others fail the test.
 * @returns Each client's totals, by label (its runtime, and its library when not grpc-js).
 */
export async function stopClients(
  clients: EchoClient[],
  log: (line: string) => void,
  excuse: (failure: string) => string | undefined = () => undefined,
): Promise<Record<string, ClientResult>> {
  const results: Record<string, ClientResult> = {};
  for (const client of clients) {
    const result = await client.stop();
    const { calls, failures, byBackend } = result;
    log(`${client.label}: ${calls} calls, ${failures.length} failed, ${JSON.stringify(byBackend)}`);
    const excused = failures.map((failure) => [failure, excuse(failure)] as const).filter(([, reason]) => reason);
    for (const [failure, reason] of excused) log(`${client.label}: excused, ${reason}: ${failure}`);
    const unexcused = failures.filter((failure) => !excused.some(([excusedFailure]) => excusedFailure === failure));
    assert.deepEqual(unexcused, [], `${client.label} had failed calls`);
    results[client.label] = result;
  }
  return results;
}
