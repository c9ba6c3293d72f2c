/**
 * Starts and stops a real Kubernetes control plane for the end-to-end tests:
 * etcd and kube-apiserver built by `scripts/control_plane/build.sh`, on
 * 127.0.0.1 with random free ports, TLS from a CA generated for the run, RBAC,
 * service-account tokens and an audit log of every EndpointSlice request.
 *
 * Test code: uses `node:child_process` and `Deno.*` freely. Every process is
 * started in its own process group and killed on `stop()`, on `unload` and on
 * SIGINT/SIGTERM, even when a test fails.
 *
 * @module
 */

import { type ChildProcess, execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { appendFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { childEnv } from "../_child_env.mjs";
import { onExit, spawnTied } from "./lifeline.ts";

/** Versions of the binaries; kept in step with `scripts/control_plane/versions.env`. */
const VERSIONS_FILE = new URL("../../scripts/control_plane/versions.env", import.meta.url);

/** Where `build.sh` puts the binaries. */
export function binaryCacheDirectory(): string {
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  return join(xdg ? xdg : join(Deno.env.get("HOME") ?? homedir(), ".cache"), "kgr-resolver");
}

/**
 * The kubectl that `build.sh` builds, at the pinned Kubernetes version.
 *
 * @returns Its path.
 * @throws {Error} When it is not built, saying how to build it.
 */
export async function kubectlBinary(): Promise<string> {
  const versions = await readFile(VERSIONS_FILE, "utf8");
  const path = join(binaryCacheDirectory(), `kubectl-${versions.match(/^KUBERNETES_VERSION=(\S+)/m)?.[1]}`);
  if (!existsSync(path)) {
    throw new Error(`Cannot run kubectl: ${path} is not built: run \`bash scripts/control_plane/build.sh\``);
  }
  return path;
}

/** Paths of the pinned etcd, kube-apiserver and kube-controller-manager binaries, and their versions. */
export interface Binaries {
  etcd: string;
  kubeApiServer: string;
  kubeControllerManager: string;
  /** Only `kube_proxy.ts` needs it, and checks that it is there. */
  kubeProxy: string;
  etcdVersion: string;
  kubernetesVersion: string;
}

/**
 * Why a test that starts a control plane of its own is skipped, logged with `log`: on an `E2E_KUBECONFIG` run (kind,
 * a user's own cluster) where the binaries are not built, as such scenarios run only on the local control plane.
 * `undefined` when they are built, or without `E2E_KUBECONFIG`, where missing binaries fail the test, saying how to
 * build them.
 *
 * @param log Receives the reason.
 * @returns The reason, or `undefined` to run the test.
 */
export async function localControlPlaneSkipped(log: (line: string) => void): Promise<string | undefined> {
  if (!Deno.env.get("E2E_KUBECONFIG")) return undefined;
  try {
    await findBinaries();
    return undefined;
  } catch {
    const reason = "skipped: it needs the local control plane, whose binaries are not built (E2E_KUBECONFIG is " +
      "set): run `bash scripts/control_plane/build.sh` to run it too";
    log(reason);
    return reason;
  }
}

/**
 * Finds the binaries built by `scripts/control_plane/build.sh`.
 *
 * @returns Their paths.
 * @throws {Error} When one of them is not built, saying how to build it.
 */
export async function findBinaries(): Promise<Binaries> {
  const versions = await readFile(VERSIONS_FILE, "utf8");
  const get = (name: string) => {
    const value = versions.match(new RegExp(`^${name}=(\\S+)`, "m"))?.[1];
    if (!value) throw new Error(`Cannot read ${name} from ${VERSIONS_FILE.pathname}`);
    return value;
  };
  const dir = binaryCacheDirectory();
  const binaries = {
    etcd: join(dir, `etcd-${get("ETCD_VERSION")}`),
    kubeApiServer: join(dir, `kube-apiserver-${get("KUBERNETES_VERSION")}`),
    kubeControllerManager: join(dir, `kube-controller-manager-${get("KUBERNETES_VERSION")}`),
    kubeProxy: join(dir, `kube-proxy-${get("KUBERNETES_VERSION")}`),
    etcdVersion: get("ETCD_VERSION"),
    kubernetesVersion: get("KUBERNETES_VERSION"),
  };
  const missing = [binaries.etcd, binaries.kubeApiServer, binaries.kubeControllerManager].filter((path) =>
    !existsSync(path)
  );
  if (missing.length > 0) {
    throw new Error(
      `Cannot start the local control plane: ${missing.join(" and ")} not built: ` +
        "run `bash scripts/control_plane/build.sh` (a cold build takes several minutes), " +
        "or set E2E_KUBECONFIG to the kubeconfig of a cluster to test against",
    );
  }
  return binaries;
}

/** Options of {@linkcode startApiServer}. */
export interface ApiServerOptions {
  /**
   * Serve LIST and WATCH from the watch cache; `false` sends every watch to etcd,
   * so that a compacted etcd revision makes a resume fail with 410.
   * @default {true}
   */
  watchCache?: boolean;
  /** `--feature-gates`, such as `WatchList=false`. */
  featureGates?: string;
  /**
   * `--anonymous-auth`: `true` lets requests without credentials in as `system:anonymous`, as a
   * kube-apiserver does by default (RBAC then answers them 403, except the public info paths).
   * @default {false}
   */
  anonymousAuth?: boolean;
  /** The etcd to use (another one started by `startEtcd`, or a proxy in front of it); default: the cluster's. */
  etcdUrl?: string;
  /** `--goaway-chance`: the chance that a request's HTTP/2 connection is sent GOAWAY after it (0 to 0.02). */
  goawayChance?: number;
}

/** One audit event (the fields we read) of an EndpointSlice request. */
export interface AuditEvent {
  auditID: string;
  stage: string;
  verb: string;
  requestURI: string;
  user: { username: string };
  /** The request's User-Agent header, as the server logged it; absent when the request had none. */
  userAgent?: string;
  responseStatus?: { code?: number };
  requestReceivedTimestamp: string;
}

/** A running etcd + kube-apiserver. */
export interface ControlPlane {
  /** `https://127.0.0.1:<port>`; the same across API server restarts. */
  server: string;
  /** PEM of the CA that signed the serving certificate. */
  ca: string;
  /** Path of the CA file. */
  caFile: string;
  /** Kubeconfig of a `system:masters` client certificate user. */
  adminKubeconfigPath: string;
  /** The run's temp directory (certificates, data, logs). */
  dir: string;
  /** Kubernetes version of the binary. */
  version: string;
  /** Sends a request to the API server as the admin user; `path` starts with `/`. */
  adminFetch(path: string, init?: RequestInit): Promise<Response>;
  /** Starts kube-apiserver again on the same port (with the same etcd, unless `etcdUrl`) and waits for /readyz. */
  startApiServer(options?: ApiServerOptions): Promise<void>;
  /**
   * Stops kube-apiserver with SIGTERM, then SIGKILL after `graceMs`. Open watches are not
   * drained on shutdown, so with one open the process only exits after its shutdown timeout
   * (`--request-timeout`, 60 s): hence the short default grace.
   */
  stopApiServer(graceMs?: number): Promise<void>;
  /** Kills kube-apiserver at once (SIGKILL of its process group). */
  killApiServer(): Promise<void>;
  /**
   * Freezes kube-apiserver (SIGSTOP; SIGCONT with `false`): the kernel still accepts connections, and nothing
   * answers on them, as with a hung process or a network that drops packets.
   */
  freezeApiServer(frozen: boolean): void;
  /** Whether kube-apiserver is running. */
  apiServerRunning(): boolean;
  /** etcd's client URL (`http://127.0.0.1:<port>`). */
  etcdUrl: string;
  /**
   * Starts another kube-apiserver of the same cluster, as in an HA control plane: the same etcd (or `etcdUrl`, a
   * proxy in front of it), CA, serving certificate and service-account keys, on a port of its own, with its own
   * audit log; stopped by `stop()`.
   */
  addApiServer(options?: ApiServerOptions): Promise<ExtraApiServer>;
  /**
   * Starts another etcd, empty, with a data directory of its own, as after a disaster (a restore from an older snapshot
   * has a history shorter than the lost one too); returns its client URL, for `startApiServer({ etcdUrl })`. Stopped
   * by `stop()`.
   */
  startEtcd(): Promise<string>;
  /**
   * Starts kube-controller-manager with the EndpointSlice controller, the garbage collector and the namespace
   * controller (as the admin user), so that slices come from Pods, and go with their Service, and a deleted
   * namespace's objects go with it, as in users' clusters; stopped by `stop()`.
   * `kubeconfigPath` (default: the admin kubeconfig) may point it at a load balancer in front of several servers.
   */
  startControllerManager(kubeconfigPath?: string): Promise<void>;
  /** The current etcd revision (the newest resourceVersion). */
  etcdRevision(): Promise<number>;
  /** Compacts etcd's history up to `revision` (default: the current one); returns it. */
  compactEtcd(revision?: number): Promise<number>;
  /** Keys in etcd under a prefix, such as `/registry/endpointslices/<namespace>/`. */
  etcdKeys(prefix: string): Promise<string[]>;
  /** Writes a key in etcd directly (behind the API server's back); returns the new revision. */
  putEtcdKey(key: string, value: string): Promise<number>;
  /** Deletes a key in etcd directly (behind the API server's back); returns the new revision. */
  deleteEtcdKey(key: string): Promise<number>;
  /** EndpointSlice requests from the audit log, oldest first. */
  auditEvents(): Promise<AuditEvent[]>;
  /** The tails of the binaries' logs, for failure reports. */
  logs(lines?: number): Promise<string>;
  /** Stops everything and removes the temp directory (kept when `KGR_E2E_KEEP` is set). */
  stop(): Promise<void>;
}

/** A second (or third) kube-apiserver of a control plane: see `ControlPlane.addApiServer`. */
export interface ExtraApiServer {
  /** `https://127.0.0.1:<port>`. */
  server: string;
  /** SIGKILL at once. */
  kill(): Promise<void>;
}

/** Options of {@linkcode startControlPlane}. */
export interface ControlPlaneOptions {
  /** Binaries to run; default: {@linkcode findBinaries}. */
  binaries?: Binaries;
  /** Options of the first kube-apiserver. */
  apiServer?: ApiServerOptions;
  /** Called with progress lines; default: none. */
  log?: (line: string) => void;
}

/** Every process group we started that still runs. */
const live = new Set<ChildProcess>();
const signalHandlers = new Map<Deno.Signal, () => void>();
/** Temp directories of running control planes, removed on exit. */
const liveDirectories = new Set<string>();

/** Kills every process group we started and removes their directories, synchronously (for unload and signals). */
function killAllSync(): void {
  for (const child of live) killGroup(child, "SIGKILL");
  live.clear();
  if (Deno.env.get("KGR_E2E_KEEP")) return;
  for (const dir of liveDirectories) {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // Best effort.
    }
  }
  liveDirectories.clear();
}

function installExitHooks(): void {
  if (signalHandlers.size > 0) return;
  globalThis.addEventListener("unload", killAllSync);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const handler = () => {
      killAllSync();
      Deno.exit(130);
    };
    Deno.addSignalListener(signal, handler);
    signalHandlers.set(signal, handler);
  }
}

function removeExitHooksWhenIdle(): void {
  if (live.size > 0) return;
  globalThis.removeEventListener("unload", killAllSync);
  for (const [signal, handler] of signalHandlers) Deno.removeSignalListener(signal, handler);
  signalHandlers.clear();
}

function killGroup(child: ChildProcess, signal: "SIGTERM" | "SIGKILL" | "SIGSTOP" | "SIGCONT"): void {
  if (child.pid === undefined || !isRunning(child)) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // Already gone.
    }
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (!isRunning(child)) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Stops a process group started by {@linkcode startProcess}: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(child: ChildProcess | undefined, graceMs: number): Promise<void> {
  if (!child) return;
  if (graceMs > 0) {
    killGroup(child, "SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => timer = setTimeout(resolve, graceMs));
    await Promise.race([exited(child), timeout]);
    clearTimeout(timer);
  }
  killGroup(child, "SIGKILL");
  await exited(child);
}

/**
 * Starts a binary in its own process group, stdout and stderr appended to `logFile`, tied to this process from its
 * start (lifeline `spawnTied()`): should this process die without cleaning up (SIGKILL, a crash, `deno test`'s own
 * Ctrl-C handling), even before this function returns, the group is killed.
 */
export async function startProcess(path: string, args: string[], logFile: string): Promise<ChildProcess> {
  installExitHooks();
  await appendFile(logFile, `\n===== ${new Date().toISOString()} ${path} ${args.join(" ")}\n`);
  const log = await Deno.open(logFile, { append: true, create: true });
  const child = spawnTied(path, args, { env: childEnv(), stdio: ["ignore", "pipe", "pipe"] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", reject);
    });
  } catch (error) {
    log.close();
    removeExitHooksWhenIdle();
    throw error;
  }
  live.add(child);
  // FsFile.write, not its writable: Deno 2.9's file writable buffers until it is closed, so `logs()` and a
  // test waiting for a line saw nothing of a running process.
  const writeAll = async (chunk: Uint8Array) => {
    for (let at = 0; at < chunk.length;) at += await log.write(chunk.subarray(at));
  };
  let pending = Promise.resolve();
  const write = (chunk: Uint8Array) => pending = pending.then(() => writeAll(chunk)).catch(() => {});
  child.stdout!.on("data", write);
  child.stderr!.on("data", write);
  child.once("exit", () => {
    live.delete(child);
    removeExitHooksWhenIdle();
    pending.then(() => log.close()).catch(() => {});
  });
  return child;
}

/** The ports that `freePort()` handed out: never twice, since their servers may not have bound them yet. */
const portsGiven = new Set<number>();

/**
 * A free TCP port on 127.0.0.1, for a server started right after. It is picked at random from 20000-25999, below
 * Linux's ephemeral range (32768-60999 by default), where the kernel never hands out a port on its own: an outgoing
 * connection or a `port: 0` listener of a test running beside this one cannot take it between this check and the
 * server's bind, as they could take a port the kernel picked. The echo service's `freePort()`
 * (scripts/echo_service.mjs) picks from 26000-31999, so neither takes a port the other has picked but not bound yet.
 */
export function freePort(): number {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 6000);
    // Not bound yet, maybe: etcd's client and peer ports are picked back to back.
    if (portsGiven.has(port)) continue;
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      portsGiven.add(port);
      return port;
    } catch (error) {
      if (!(error instanceof Deno.errors.AddrInUse)) throw error;
    }
  }
  throw new Error(
    "Cannot find a free port on 127.0.0.1 between 20000 and 25999 in 100 tries: stop servers that hold ports there, or run fewer tests at once",
  );
}

function run(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env: childEnv(), cwd }, (error, stdout, stderr) => {
      if (error) reject(new Error(`Cannot run ${command} ${args.join(" ")}: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

/** Generates the CA, serving and admin certificates and the service-account keys with openssl. */
async function generatePki(dir: string): Promise<void> {
  const openssl = (...args: string[]) => run("openssl", args, dir);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  await openssl(
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "2",
    "-subj",
    "/CN=kgr-resolver e2e CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  );
  const leaf = async (name: string, subject: string, extensions: string) => {
    await writeFile(join(dir, `${name}.ext`), `[v3]\nbasicConstraints=critical,CA:FALSE\n${extensions}\n`);
    await openssl("req", "-new", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject);
    await openssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "2",
      "-out",
      `${name}.crt`,
      "-extfile",
      `${name}.ext`,
      "-extensions",
      "v3",
    );
  };
  await leaf(
    "apiserver",
    "/CN=kube-apiserver",
    "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n" +
      "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default.svc",
  );
  await leaf(
    "admin",
    "/O=system:masters/CN=kgr-e2e-admin",
    "keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth",
  );
  await openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "sa.key");
  await openssl("pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub");
}

const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
    resources: [{ group: "discovery.k8s.io", resources: ["endpointslices"] }]
  - level: None
`;

async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  alive: () => boolean,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    if (!alive()) throw new Error(`Cannot start the control plane: ${what} exited`);
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`Cannot start the control plane: ${what} not ready after ${timeoutMs} ms (${last ?? "no answer"})`);
}

/**
 * Starts etcd and kube-apiserver on 127.0.0.1 and waits until /readyz answers.
 *
 * @param options Binaries, API server options, progress log.
 * @returns The running control plane; call `stop()` when done.
 * @throws {Error} When the binaries are not built or a process does not come up (the logs are in the message).
 */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const binaries = options.binaries ?? await findBinaries();
  const log = options.log ?? (() => {});
  const dir = await mkdtemp(join(tmpdir(), "kgr-e2e-"));
  liveDirectories.add(dir);
  // Removed once this process is gone, however it ends, until stop() removed it: it holds the CA's and the admin's
  // keys from the start. The signal handler's removal alone lost the race with deno test's own exit on SIGINT, and
  // etcd's watchdog removed it only while etcd ran. A second's wait lets the watchdogs' SIGKILLs land first.
  const folderTie = Deno.env.get("KGR_E2E_KEEP") ? undefined : onExit('sleep 1; rm -rf -- "$1"', [dir]);
  const etcdLog = join(dir, "etcd.log");
  const apiServerLog = join(dir, "kube-apiserver.log");
  const controllerManagerLog = join(dir, "kube-controller-manager.log");
  const auditLog = join(dir, "audit.log");
  let etcd: ChildProcess | undefined;
  let apiServer: ChildProcess | undefined;
  let controllerManager: ChildProcess | undefined;
  // API servers started by `addApiServer`, and their logs.
  const extraApiServers: { child?: ChildProcess; log: string }[] = [];
  // etcds started by `startEtcd`, and their logs.
  const extraEtcds: { child?: ChildProcess; log: string }[] = [];
  let client: Deno.HttpClient | undefined;
  const started = Date.now();

  const tails = async (lines = 40) => {
    const parts: string[] = [];
    const extraLogs = [...extraEtcds, ...extraApiServers].map((extra) => extra.log);
    for (const file of [etcdLog, apiServerLog, ...extraLogs, ...(controllerManager ? [controllerManagerLog] : [])]) {
      const text = await readFile(file, "utf8").catch(() => "");
      parts.push(`----- ${file} (last ${lines} lines)\n${text.split("\n").slice(-lines - 1).join("\n")}`);
    }
    return parts.join("\n");
  };
  const stop = async () => {
    await stopProcess(controllerManager, 2000);
    controllerManager = undefined;
    for (const extra of extraApiServers.splice(0)) await stopProcess(extra.child, 5000);
    await stopProcess(apiServer, 5000);
    await stopProcess(etcd, 5000);
    for (const extra of extraEtcds.splice(0)) await stopProcess(extra.child, 5000);
    apiServer = etcd = undefined;
    client?.close();
    client = undefined;
    liveDirectories.delete(dir);
    if (!Deno.env.get("KGR_E2E_KEEP")) await rm(dir, { recursive: true, force: true });
    else log(`kept ${dir}`);
    folderTie?.untie();
  };

  try {
    await generatePki(dir);
    await writeFile(join(dir, "audit-policy.yaml"), AUDIT_POLICY);
    const ca = await readFile(join(dir, "ca.crt"), "utf8");
    const adminCert = await readFile(join(dir, "admin.crt"), "utf8");
    const adminKey = await readFile(join(dir, "admin.key"), "utf8");

    /** Starts one etcd (plain HTTP, loopback only) with its data in `dataDir`, and waits until it is healthy. */
    const launchEtcd = async (dataDir: string, logFile: string, spawned: (child: ChildProcess) => void) => {
      const url = `http://127.0.0.1:${freePort()}`;
      const peerUrl = `http://127.0.0.1:${freePort()}`;
      const child = await startProcess(
        binaries.etcd,
        [
          "--name=e2e",
          `--data-dir=${join(dir, dataDir)}`,
          `--listen-client-urls=${url}`,
          `--advertise-client-urls=${url}`,
          `--listen-peer-urls=${peerUrl}`,
          `--initial-advertise-peer-urls=${peerUrl}`,
          `--initial-cluster=e2e=${peerUrl}`,
          "--listen-metrics-urls=",
          "--unsafe-no-fsync",
          "--log-level=warn",
        ],
        logFile,
      );
      spawned(child);
      await waitFor("etcd", async () => (await fetch(`${url}/health`)).ok, 30_000, () => isRunning(child));
      log(`etcd ${binaries.etcdVersion} ready at ${url} after ${Date.now() - started} ms`);
      return url;
    };
    const etcdUrl = await launchEtcd("etcd-data", etcdLog, (child) => etcd = child);
    const startEtcd = () => {
      const index = extraEtcds.length + 2;
      const entry: { child?: ChildProcess; log: string } = { log: join(dir, `etcd-${index}.log`) };
      extraEtcds.push(entry);
      return launchEtcd(`etcd-data-${index}`, entry.log, (child) => entry.child = child);
    };

    const port = freePort();
    const server = `https://127.0.0.1:${port}`;
    client = Deno.createHttpClient({ caCerts: [ca], cert: adminCert, key: adminKey });
    const adminFetch = (path: string, init: RequestInit = {}) => fetch(`${server}${path}`, { ...init, client });

    /** Starts one kube-apiserver of this cluster on `apiPort` and waits until its /readyz answers. */
    const launchApiServer = async (
      apiPort: number,
      apiOptions: ApiServerOptions,
      files: { log: string; audit: string; certDir: string },
      spawned: (child: ChildProcess) => void,
    ) => {
      const begin = Date.now();
      const pki = (name: string) => join(dir, name);
      const child = await startProcess(binaries.kubeApiServer, [
        "--bind-address=127.0.0.1",
        `--secure-port=${apiPort}`,
        // The address the API server advertises to clients (the `kubernetes` Service's endpoints).
        // With --endpoint-reconciler-type=none nothing is published or dialed; loopback is accepted.
        "--advertise-address=127.0.0.1",
        "--endpoint-reconciler-type=none",
        `--tls-cert-file=${pki("apiserver.crt")}`,
        `--tls-private-key-file=${pki("apiserver.key")}`,
        `--client-ca-file=${pki("ca.crt")}`,
        "--authorization-mode=RBAC",
        `--anonymous-auth=${apiOptions.anonymousAuth ?? false}`,
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--service-account-key-file=${pki("sa.pub")}`,
        `--service-account-signing-key-file=${pki("sa.key")}`,
        `--etcd-servers=${apiOptions.etcdUrl ?? etcdUrl}`,
        // Compaction is the test's business (compactEtcd); the default would run every 5 minutes.
        "--etcd-compaction-interval=0",
        "--service-cluster-ip-range=10.96.0.0/16",
        `--watch-cache=${apiOptions.watchCache ?? true}`,
        ...(apiOptions.featureGates ? [`--feature-gates=${apiOptions.featureGates}`] : []),
        ...(apiOptions.goawayChance ? [`--goaway-chance=${apiOptions.goawayChance}`] : []),
        `--audit-policy-file=${pki("audit-policy.yaml")}`,
        `--audit-log-path=${files.audit}`,
        "--audit-log-mode=blocking",
        "--profiling=false",
        `--cert-dir=${files.certDir}`,
        "--v=1",
      ], files.log);
      spawned(child);
      await waitFor(
        "kube-apiserver",
        async () => {
          const response = await fetch(`https://127.0.0.1:${apiPort}/readyz`, { client });
          await response.body?.cancel();
          return response.ok;
        },
        90_000,
        () => isRunning(child),
      );
      log(`kube-apiserver ready at https://127.0.0.1:${apiPort} after ${Date.now() - begin} ms`);
    };
    const startApiServer = async (apiOptions: ApiServerOptions = {}) => {
      if (apiServer && isRunning(apiServer)) throw new Error("Cannot start kube-apiserver: it is already running");
      const files = { log: apiServerLog, audit: auditLog, certDir: join(dir, "apiserver-certs") };
      // Kept as soon as it runs, so that `stop()` ends one that never gets ready.
      await launchApiServer(port, apiOptions, files, (child) => apiServer = child);
    };
    const addApiServer = async (extraOptions: ApiServerOptions = {}) => {
      const index = extraApiServers.length + 2;
      const extraPort = freePort();
      const files = {
        log: join(dir, `kube-apiserver-${index}.log`),
        audit: join(dir, `audit-${index}.log`),
        certDir: join(dir, `apiserver-certs-${index}`),
      };
      const entry: { child?: ChildProcess; log: string } = { log: files.log };
      extraApiServers.push(entry);
      await launchApiServer(extraPort, extraOptions, files, (child) => entry.child = child);
      const extra: ExtraApiServer = {
        server: `https://127.0.0.1:${extraPort}`,
        async kill() {
          await stopProcess(entry.child, 0);
          entry.child = undefined;
          log(`kube-apiserver ${index} killed (SIGKILL)`);
        },
      };
      return extra;
    };
    await startApiServer(options.apiServer);
    const adminKubeconfigPath = join(dir, "admin.kubeconfig");
    await writeFile(adminKubeconfigPath, adminKubeconfig(server, dir));
    const version = await (await adminFetch("/version")).json() as { gitVersion: string };
    log(`control plane ${version.gitVersion} up in ${Date.now() - started} ms (${dir})`);

    // etcd's JSON gateway (/v3/...): keys and values are base64.
    const etcdCall = async <T>(path: string, body: unknown): Promise<T & { header: { revision: string } }> => {
      const response = await fetch(`${etcdUrl}/v3/${path}`, { method: "POST", body: JSON.stringify(body) });
      const text = await response.text();
      if (!response.ok) throw new Error(`Cannot call etcd ${path}: ${response.status} ${text}`);
      return JSON.parse(text);
    };
    const bytes = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));
    const etcdRevision = async () =>
      Number((await etcdCall("kv/range", { key: bytes("\u0000"), count_only: true })).header.revision);
    const rangeEnd = (prefix: string) => {
      const end = new TextEncoder().encode(prefix);
      end[end.length - 1]++;
      return btoa(String.fromCharCode(...end));
    };

    return {
      server,
      ca,
      caFile: join(dir, "ca.crt"),
      adminKubeconfigPath,
      dir,
      version: version.gitVersion,
      adminFetch,
      startApiServer,
      async stopApiServer(graceMs = 3000) {
        const begin = Date.now();
        await stopProcess(apiServer, graceMs);
        apiServer = undefined;
        log(`kube-apiserver stopped (SIGTERM) in ${Date.now() - begin} ms`);
      },
      async killApiServer() {
        await stopProcess(apiServer, 0);
        apiServer = undefined;
        log("kube-apiserver killed (SIGKILL)");
      },
      freezeApiServer(frozen) {
        if (apiServer) killGroup(apiServer, frozen ? "SIGSTOP" : "SIGCONT");
        log(`kube-apiserver ${frozen ? "frozen (SIGSTOP)" : "thawed (SIGCONT)"}`);
      },
      apiServerRunning: () => apiServer !== undefined && isRunning(apiServer),
      etcdUrl,
      addApiServer,
      startEtcd,
      async startControllerManager(kubeconfigPath = adminKubeconfigPath) {
        if (controllerManager && isRunning(controllerManager)) return;
        const begin = Date.now();
        controllerManager = await startProcess(binaries.kubeControllerManager, [
          `--kubeconfig=${kubeconfigPath}`,
          // The service account controller creates each namespace's "default" account, which Pods need; the
          // garbage collector deletes a deleted Service's slices (their owner), as in users' clusters; the
          // mirroring controller turns the Endpoints object of a Service without a selector into slices; the
          // namespace controller empties a deleted namespace (Terminating until then) and then removes it.
          "--controllers=endpointslice-controller,endpointslice-mirroring-controller,serviceaccount-controller," +
          "garbage-collector-controller,namespace-controller",
          "--leader-elect=false",
          "--bind-address=127.0.0.1",
          "--secure-port=0",
          "--v=1",
        ], controllerManagerLog);
        // It has no health endpoint here (--secure-port=0): alive after a moment means its flags were accepted.
        await new Promise((resolve) => setTimeout(resolve, 500));
        if (!isRunning(controllerManager)) {
          throw new Error(`Cannot start kube-controller-manager: it exited\n${await tails(40)}`);
        }
        log(`kube-controller-manager (endpointslice-controller) started in ${Date.now() - begin} ms`);
      },
      etcdRevision,
      async compactEtcd(revision) {
        const target = revision ?? await etcdRevision();
        await etcdCall("kv/compaction", { revision: String(target), physical: true });
        return target;
      },
      async etcdKeys(prefix) {
        const answer = await etcdCall<{ kvs?: { key: string }[] }>("kv/range", {
          key: bytes(prefix),
          range_end: rangeEnd(prefix),
          keys_only: true,
        });
        return (answer.kvs ?? []).map((kv) =>
          new TextDecoder().decode(Uint8Array.from(atob(kv.key), (c) => c.charCodeAt(0)))
        );
      },
      async putEtcdKey(key, value) {
        return Number((await etcdCall("kv/put", { key: bytes(key), value: bytes(value) })).header.revision);
      },
      async deleteEtcdKey(key) {
        const answer = await etcdCall<{ deleted?: string }>("kv/deleterange", { key: bytes(key) });
        if (answer.deleted !== "1") throw new Error(`Cannot delete ${key} from etcd: no such key`);
        return Number(answer.header.revision);
      },
      auditEvents: () => readAuditLog(auditLog),
      logs: tails,
      stop,
    };
  } catch (error) {
    const logs = await tails(60);
    await stop();
    throw new Error(`${(error as Error).message}\n${logs}`, { cause: error });
  }
}

/** The EndpointSlice requests of an audit log, oldest first. */
async function readAuditLog(file: string): Promise<AuditEvent[]> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text.split("\n").filter((line) => line.trim()).map((line) => JSON.parse(line) as AuditEvent);
}

/** Whether a process has neither exited nor been killed. */
export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function adminKubeconfig(server: string, dir: string): string {
  return `apiVersion: v1
kind: Config
clusters:
  - name: e2e
    cluster:
      server: ${server}
      certificate-authority: ${join(dir, "ca.crt")}
users:
  - name: admin
    user:
      client-certificate: ${join(dir, "admin.crt")}
      client-key: ${join(dir, "admin.key")}
contexts:
  - name: e2e
    context: { cluster: e2e, user: admin, namespace: default }
current-context: e2e
`;
}
