/**
 * One `clusters[]` entry of a kubeconfig, checked and read: the server, its
 * CA (from `certificate-authority-data` or the file), verification,
 * `tls-server-name`, `proxy-url`, and what an exec plugin may be told about
 * the cluster.
 *
 * @module
 */

import { encodeBase64, isRecord } from "../base/_util.ts";
import { trace } from "../runtime/trace.ts";
import {
  decodePemData,
  kubeconfigError,
  optionalBoolean,
  optionalString,
  readKubeconfigPemFile,
} from "./_kubeconfig_fields.ts";
import { resolveAgainst } from "./_paths.ts";
import type { KubeconfigEntry } from "./kubeconfig_schema.ts";
import { proxyForDisplay, proxyUrlProblem } from "./proxy.ts";
import { hasScheme, normalizeServer } from "./server_url.ts";
import type { ReadFile } from "./types.ts";

/**
 * A kubeconfig cluster, read and checked.
 *
 * @example The cluster's TLS settings
 * ```ts
 * import type { KubeconfigClusterSettings } from "./kubeconfig_cluster.ts";
 * function verifies(cluster: KubeconfigClusterSettings): boolean {
 *   return !cluster.insecure;
 * }
 * ```
 */
export interface KubeconfigClusterSettings {
  /** The server URL, normalised (`https://` assumed without a scheme). */
  server: string;
  /** True when `server` was written without a scheme. */
  schemeAssumed: boolean;
  /** PEM of the CA, from `certificate-authority-data` or the file. */
  ca?: string;
  /** Names the CA in use, for messages. */
  caSource: string;
  /** The `certificate-authority` file `ca` was read from, when it was (not `-data`). */
  caFile?: string;
  /** `insecure-skip-tls-verify: true`. */
  insecure: boolean;
  /** `tls-server-name`. */
  tlsServerName?: string;
  /** `proxy-url`, checked. */
  proxyUrl?: string;
  /** `disable-compression: true`: no response is asked for compressed. */
  disableCompression?: true;
  /**
   * The cluster as `KUBERNETES_EXEC_INFO` describes it, for exec plugins with `provideClusterInfo`, before the cluster
   * options apply.
   */
  execInfo: Record<string, unknown>;
}

/**
 * Reads one cluster entry of a merged kubeconfig, and the CA file it names.
 *
 * @param name The cluster's name.
 * @param entry Its entry.
 * @param readFile Reads the CA file; `undefined` when it does not exist.
 * @returns The cluster's settings.
 * @throws {ConfigError} When a field is missing or malformed, with `file` and `field` of the fault.
 *
 * @example Reading a cluster
 * ```ts
 * import { readKubeconfigCluster } from "./kubeconfig_cluster.ts";
 * const entry = { value: { server: "10.0.0.1:6443" }, field: "clusters[0].cluster" };
 * const cluster = await readKubeconfigCluster("kind", entry, () => Promise.resolve(undefined));
 * console.log(cluster.server, cluster.schemeAssumed); // https://10.0.0.1:6443 true
 * ```
 */
export async function readKubeconfigCluster(
  name: string,
  entry: KubeconfigEntry,
  readFile: ReadFile,
): Promise<KubeconfigClusterSettings> {
  const { value, file, field } = entry;
  const serverText = optionalString(value, "server", entry);
  if (!serverText) {
    throw kubeconfigError(
      file,
      `${field}.server`,
      `${field}.server is not set: give cluster ${JSON.stringify(name)} its API server URL`,
    );
  }
  const server = normalizeServer(
    serverText,
    (problem) => kubeconfigError(file, `${field}.server`, `${field}.server ${problem}`),
  );
  const insecure = optionalBoolean(value, "insecure-skip-tls-verify", entry) === true;
  const tlsServerName = optionalString(value, "tls-server-name", entry);
  const proxyUrl = optionalString(value, "proxy-url", entry);
  const proxyProblem = proxyUrl ? proxyUrlProblem(proxyUrl) : undefined;
  if (proxyProblem) throw kubeconfigError(file, `${field}.proxy-url`, `${field}.proxy-url ${proxyProblem}`);

  let ca: string | undefined;
  let caSource = "the runtime's default CA roots";
  let caPath: string | undefined;
  const caData = optionalString(value, "certificate-authority-data", entry);
  const caFile = optionalString(value, "certificate-authority", entry);
  if (caData && caFile) {
    throw kubeconfigError(
      file,
      `${field}.certificate-authority`,
      `${field} sets both certificate-authority and certificate-authority-data: keep one (kubectl refuses this too)`,
    );
  }
  if (caData) {
    ca = decodePemData(
      caData,
      entry,
      "certificate-authority-data",
      "certificate-authority",
    );
    caSource = `certificate-authority-data of cluster ${JSON.stringify(name)}`;
  } else if (caFile) {
    const path = resolveAgainst(file, caFile);
    ca = await readKubeconfigPemFile(path, entry, "certificate-authority", readFile, caFile);
    caSource = `certificate-authority ${path}`;
    caPath = path;
  }
  if (insecure) {
    if (ca !== undefined) {
      throw kubeconfigError(
        file,
        `${field}.insecure-skip-tls-verify`,
        `${field} sets both insecure-skip-tls-verify and a certificate authority: ` +
          "remove one (kubectl refuses this too)",
      );
    }
    caSource = `no verification (insecure-skip-tls-verify of cluster ${JSON.stringify(name)})`;
    trace(
      `cluster ${JSON.stringify(name)} has insecure-skip-tls-verify: true: the server certificate is not checked`,
    );
  }

  // As client-go's ConfigToExecCluster: the server as written, and a `config` (null without the extension).
  const execInfo: Record<string, unknown> = { server: serverText };
  if (tlsServerName) execInfo["tls-server-name"] = tlsServerName;
  if (insecure) execInfo["insecure-skip-tls-verify"] = true;
  if (ca !== undefined) {
    execInfo["certificate-authority-data"] = encodeBase64(ca);
  }
  if (proxyUrl) execInfo["proxy-url"] = proxyUrl;
  const disableCompression = value["disable-compression"] === true;
  if (disableCompression) execInfo["disable-compression"] = true;
  execInfo.config = null;
  if (Array.isArray(value.extensions)) {
    for (const extension of value.extensions) {
      if (
        isRecord(extension) &&
        extension.name === "client.authentication.k8s.io/exec"
      ) {
        execInfo.config = extension.extension;
      }
    }
  }

  const cluster: KubeconfigClusterSettings = {
    server,
    schemeAssumed: !hasScheme(serverText),
    caSource,
    insecure,
    execInfo,
  };
  if (ca !== undefined) cluster.ca = ca;
  if (ca !== undefined && caPath !== undefined) cluster.caFile = caPath;
  if (tlsServerName) cluster.tlsServerName = tlsServerName;
  if (disableCompression) cluster.disableCompression = true;
  if (proxyUrl) {
    cluster.proxyUrl = proxyUrl;
    trace(`cluster ${JSON.stringify(name)} has proxy-url ${proxyForDisplay(proxyUrl)}`);
  }
  return cluster;
}
