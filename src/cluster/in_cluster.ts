/**
 * The in-cluster source, as client-go's `rest.InClusterConfig`: the API
 * server from `KUBERNETES_SERVICE_HOST` and `KUBERNETES_SERVICE_PORT`, the
 * service account's CA and its token (re-read, as the kubelet rotates it),
 * and the pod's namespace (`POD_NAMESPACE`, else the service account's
 * `namespace` file).
 *
 * @module
 */

import { ConfigError } from "../base/errors.ts";
import { type ReadGrant, readRefusal } from "../runtime/files.ts";
import { trace } from "../runtime/trace.ts";
import { readConfigFile, readOrFail } from "./_read_config_file.ts";
import { joinPath } from "./_paths.ts";
import { holdsCertificates } from "./_pem.ts";
import { checkNamespace } from "./_check_namespace.ts";
import { tokenFileCredentials } from "./credentials.ts";
import { normalizeServer } from "./server_url.ts";
import { createTlsSettings } from "./tls_settings.ts";
import type { Environment, SourceAccess } from "./types.ts";
import { denoHolder, refusedEnvAdvice } from "../runtime/deno_permission_advice.ts";

/**
 * Where the in-cluster service account is mounted.
 *
 * @example The token path
 * ```ts
 * import { SERVICE_ACCOUNT_DIRECTORY } from "./in_cluster.ts";
 * console.log(`${SERVICE_ACCOUNT_DIRECTORY}/token`);
 * ```
 */
export const SERVICE_ACCOUNT_DIRECTORY = "/var/run/secrets/kubernetes.io/serviceaccount";

/**
 * What Deno's `--allow-read` advice names for a refused file of the service account: its folder, as written, which
 * holds the token, ca.crt and namespace files read one after the other (one run tells the whole grant).
 */
function serviceAccountGrant(directory: string): ReadGrant {
  return { path: directory, what: "the service account's folder" };
}

/** The `source` of in-cluster access, worded to follow "from" or "in" in a message (code reads `origin`). */
const IN_CLUSTER_SOURCE = "the in-cluster service account";

/**
 * Where credentials go instead of the server URL, for a `KUBERNETES_SERVICE_HOST` that holds a user name or password
 * before an `@` (set by the pod's spec or image: the kubelet sets the address alone).
 */
const IN_CLUSTER_SERVER = {
  credentialsAdvice: "the kubelet sets KUBERNETES_SERVICE_HOST to the API server's address alone, and in a pod the " +
    "service account's token is the credential: remove what sets the variable in the pod's spec or image, or set " +
    "it to the API server's IP address or DNS name",
};

/**
 * What the in-cluster service account gives, when this runs in a pod: both
 * variables set and the token file present. Otherwise, says why not in
 * `tried`.
 *
 * @param env The environment, files and clock.
 * @param tried Where to say why this source does not apply.
 * @param unknown What an error says when, on Deno, whether this runs in a pod cannot be told: what the service
 * account would be used instead of, and the options that make the question moot.
 * @returns The access, or `undefined` when not in a pod.
 * @throws {ConfigError} When `KUBERNETES_SERVICE_PORT` is not a port, the host makes no URL or holds an `@` (never
 * shown: it may be a password), the token or CA file cannot be read, or on Deno the variables may not be read (and
 * neither is known to be unset).
 *
 * @example A fake pod
 * ```ts
 * import { inClusterAccess } from "./in_cluster.ts";
 * const files: Record<string, string> = { "/sa/token": "abc" };
 * const vars: Record<string, string> = { KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "443" };
 * const found = await inClusterAccess({
 *   env: (name) => vars[name],
 *   serviceAccountDirectory: "/sa",
 *   readFile: (path) => Promise.resolve(files[path]),
 *   now: Date.now,
 *   refused: () => false,
 * }, []);
 * console.log(found?.server); // https://[fd00::1]:443
 * ```
 */
export async function inClusterAccess(
  env: Pick<Required<Environment>, "env" | "serviceAccountDirectory" | "readFile" | "now" | "refused">,
  tried: string[],
  unknown: { instead: string; options: string } = {
    instead: "before ~/.kube/config",
    options: "cluster.kubeconfig or cluster.server",
  },
): Promise<SourceAccess | undefined> {
  const host = env.env("KUBERNETES_SERVICE_HOST")?.trim();
  const port = env.env("KUBERNETES_SERVICE_PORT")?.trim();
  if (!host || !port) {
    const unset = [host ? undefined : "KUBERNETES_SERVICE_HOST", port ? undefined : "KUBERNETES_SERVICE_PORT"]
      .filter((name) => name !== undefined);
    const refused = unset.filter(env.refused);
    const notSet = unset.filter((name) => !refused.includes(name));
    // Only a variable known to be unset rules the pod out: a refused one may be set, and the pod's service
    // account would then win over ~/.kube/config.
    if (refused.length > 0 && notSet.length === 0) {
      const [names, decide, them] = refused.length > 1
        ? [refused.join(" and "), "decide", "them"]
        : [refused[0], "decides", "it"];
      const fix = refusedEnvAdvice(refused, them, true);
      throw new ConfigError(
        `Cannot tell whether this process runs in a pod: ${denoHolder()} may not read ${names}, which ${decide} ` +
          `whether the in-cluster service account is used (${unknown.instead}): ${fix}, or pass ${unknown.options}`,
        { field: refused[0] },
      );
    }
    const reasons = [
      ...(notSet.length > 0 ? [`${notSet.join(" and ")} ${notSet.length > 1 ? "are" : "is"} not set`] : []),
      ...(refused.length > 0
        ? [
          `${denoHolder()} may not read ${refused.join(" and ")}: ` +
          refusedEnvAdvice(refused, refused.length > 1 ? "them" : "it"),
        ]
        : []),
    ];
    tried.push(`in-cluster (${reasons.join(", and ")})`);
    return undefined;
  }
  const directory = env.serviceAccountDirectory;
  const grant = serviceAccountGrant(directory);
  const tokenPath = joinPath(directory, "token");
  const token = await readConfigFile(env.readFile, tokenPath, ({ problem, fix, code, cause }) =>
    new ConfigError(
      `Cannot read the in-cluster service account token: ${tokenPath} ${problem}: ` +
        // With the pod's fsGroup, the kubelet gives a projected volume's files to that group (0640 for mode 0600).
        (code === "EACCES" || code === "EPERM"
          ? "this process's user may not read it: set the pod's securityContext.fsGroup, and the kubelet makes " +
            "the file readable by that group"
          : fix),
      { file: tokenPath, cause },
    ), { grant });
  if (token === undefined) {
    tried.push(
      `in-cluster (${tokenPath} does not exist: the pod mounts no service account token: set ` +
        "automountServiceAccountToken: true in the pod's spec, which overrides its ServiceAccount's, or on the " +
        "ServiceAccount when the pod's spec leaves it out)",
    );
    return undefined;
  }
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    throw new ConfigError(
      `Cannot use the in-cluster service account: KUBERNETES_SERVICE_PORT must be a port number 1-65535: current value is ${
        JSON.stringify(port)
      }`,
      { field: "KUBERNETES_SERVICE_PORT" },
    );
  }
  const bracketed = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  const server = normalizeServer(
    `https://${bracketed}:${port}`,
    (problem) =>
      new ConfigError(
        `Cannot use the in-cluster service account: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT make a server URL that ${problem}`,
        { field: "KUBERNETES_SERVICE_HOST" },
      ),
    IN_CLUSTER_SERVER,
  );
  const caPath = joinPath(directory, "ca.crt");
  const caText = await readOrFail(env.readFile, caPath, "the in-cluster CA", grant);
  // As client-go: a ca.crt missing, or without a certificate, leaves the runtime's default CA roots (and is not read again).
  const ca = caText !== undefined && holdsCertificates(caText) ? caText : undefined;
  // No kubeconfig fields here: the server and the CA come from the pod's environment and its service account.
  const caSettings = "KUBERNETES_SERVICE_HOST and the service account's ca.crt";
  const unusable = `${caPath} ${caText === undefined ? "does not exist" : "holds no whole PEM certificate"}`;
  const tls = ca !== undefined ? createTlsSettings({ ca, caSource: caPath, caSettings }) : createTlsSettings({
    caSource: `the runtime's default CA roots (${unusable})`,
    caSettings,
  });
  if (ca === undefined) trace(`in-cluster CA ${unusable}: using the runtime's default CA roots`);
  trace(`using the in-cluster service account: server ${server}`);
  return {
    ...(ca !== undefined ? { caFile: caPath } : {}),
    server,
    tls,
    credentials: tokenFileCredentials(tokenPath, {
      readFile: env.readFile,
      now: env.now,
      label: "the in-cluster service account",
      renewal: `the kubelet writes the pod's service account token into ${tokenPath}, read again every minute ` +
        "and at once after a 401: check that the pod's ServiceAccount exists and was not deleted or recreated " +
        "since the pod started (kubectl get serviceaccount -n <namespace>); a restarted pod gets a new token",
    }),
    user: `service account token ${tokenPath}`,
    source: IN_CLUSTER_SOURCE,
    origin: { kind: "in-cluster" },
  };
}

/**
 * The pod's namespace: `POD_NAMESPACE` (set through the downward API), else
 * the service account's `namespace` file, which is read only in a pod
 * (`KUBERNETES_SERVICE_HOST` and `KUBERNETES_SERVICE_PORT` set), as client-go
 * reads it: elsewhere Deno would ask for it. A file that cannot be read is
 * traced and skipped, as client-go does, except one that the runtime may not
 * read (Deno, Node's permission model): in a pod it exists, and what it holds
 * cannot be told. So, in a pod, is a `POD_NAMESPACE` that Deno may not read.
 *
 * @param env The environment and files.
 * @returns The namespace, or `undefined` when neither is set.
 * @throws {ConfigError} When the namespace found is not an RFC 1123 label, or
 * when the runtime (Deno, Node's permission model) may not read the file, or
 * when, in a pod, Deno may not read `POD_NAMESPACE`.
 *
 * @example The namespace from the downward API
 * ```ts
 * import { inClusterNamespace } from "./in_cluster.ts";
 * const env = { env: () => "shop", serviceAccountDirectory: "/sa", readFile: () => Promise.resolve(undefined) };
 * console.log(await inClusterNamespace(env)); // shop
 * ```
 */
export async function inClusterNamespace(
  env: Pick<Required<Environment>, "env" | "serviceAccountDirectory" | "readFile"> & Pick<Environment, "refused">,
): Promise<string | undefined> {
  const podNamespace = env.env("POD_NAMESPACE")?.trim();
  if (podNamespace) return checkNamespace(podNamespace, "POD_NAMESPACE");
  // Both are set wherever the in-cluster source was found, so this covers it, and a KUBECONFIG used in a pod.
  const inPod = env.env("KUBERNETES_SERVICE_HOST")?.trim() && env.env("KUBERNETES_SERVICE_PORT")?.trim();
  if (!inPod) return undefined;
  const path = joinPath(env.serviceAccountDirectory, "namespace");
  // client-go reads it before the file, and it may name another namespace than the pod's.
  if (env.refused?.("POD_NAMESPACE")) {
    // Named in --deny-env, it is refused with --allow-env too, in the same words: "run it with --allow-env" would not do.
    const fix = refusedEnvAdvice(["POD_NAMESPACE"], "it", true);
    throw new ConfigError(
      `Cannot tell the pod's namespace: ${denoHolder()} may not read POD_NAMESPACE, which names it before ${path}: ${fix}`,
      { field: "POD_NAMESPACE" },
    );
  }
  const text = await readConfigFile(env.readFile, path, ({ problem, fix, cause }) => {
    // In a pod the file exists: "default" would watch another namespace's Service of that name (kubectl takes the
    // pod's namespace, with a kubeconfig too), and send the user to grant access in the wrong namespace.
    if (readRefusal(cause)) {
      // Outside a pod, or in one that mounts no service account, the variables alone make it look like one: kubectl
      // then takes "default", which a process refused the file cannot tell apart.
      return new ConfigError(
        `Cannot read the pod's namespace: ${path} ${problem}: ${fix} (KUBERNETES_SERVICE_HOST and ` +
          'KUBERNETES_SERVICE_PORT are set, as in a pod; where no service account is mounted, the namespace is then "default")',
        { file: path, cause },
      );
    }
    trace(`${path} ${problem} (${fix}): using namespace "default"`);
    return undefined;
  }, { grant: serviceAccountGrant(env.serviceAccountDirectory) });
  const fromFile = text?.trim();
  return fromFile ? checkNamespace(fromFile, path) : undefined;
}
