/**
 * The cluster options (`cluster` of `register()` and `watchEndpoints()`): their
 * checks, the source they make when `cluster.server` comes alone, and how they
 * override what another source found, as kubectl's flags override a
 * kubeconfig.
 *
 * @module
 */

import { currentValue, encodeBase64, isOptionsObject, typeName, unknownField } from "../base/_util.ts";
import { ConfigError } from "../base/errors.ts";
import { nearestName } from "../base/_nearest_name.ts";
import { checkClientKeyPair } from "../runtime/client_key_pair.ts";
import { trace } from "../runtime/trace.ts";
import { USER_AGENT_MAX_LENGTH, userAgentProblem } from "../runtime/user_agent.ts";
import { fingerprint, tokenPathKey } from "./_fingerprint.ts";
import { readOrFail } from "./_read_config_file.ts";
import { checkPemFile, isPem } from "./_pem.ts";
import { contentsInsteadOfPath, contentsProblem, pathForError } from "./_contents_instead_of_path.ts";
import { noCredentials, staticTokenCredentials, tokenFileCredentials } from "./credentials.ts";
import { hasScheme, normalizeServer } from "./server_url.ts";
import { createTlsSettings } from "./tls_settings.ts";
import type { ClusterOptions, Environment, SourceAccess, TlsSettings } from "./types.ts";

const STRING_OPTIONS = [
  "context",
  "server",
  "token",
  "tokenFile",
  "ca",
  "caFile",
  "cert",
  "key",
  "certFile",
  "keyFile",
  "tlsServerName",
  "namespace",
  "userAgent",
] as const;

/** Every field of {@linkcode ClusterOptions}, in the README's order; the type makes the list whole. */
export const CLUSTER_OPTIONS: readonly string[] = Object.keys(
  {
    kubeconfig: true,
    context: true,
    server: true,
    token: true,
    tokenFile: true,
    ca: true,
    caFile: true,
    cert: true,
    certFile: true,
    key: true,
    keyFile: true,
    tlsServerName: true,
    insecureSkipTlsVerify: true,
    namespace: true,
    userAgent: true,
    http2: true,
  } satisfies Record<keyof ClusterOptions, true>,
);

/**
 * Checks the fields, types and combinations of cluster options before anything is read.
 *
 * @param options The options.
 * @throws {ConfigError} When the options are no object of options (a list, a `Map`), an option is unknown (a misspelt one would leave access to the next source, another
 * cluster maybe), has the wrong type (`null` included: one left out, or `undefined`, keeps the source's), or two
 * exclude each other, a certificate comes without its key, `server` is no API server URL, `ca`, `cert` or `key`
 * no PEM text, or `userAgent` no printable ASCII line; `field` names it (`cluster.caFile`). Values are never
 * quoted, they may be secrets, except `userAgent`'s.
 *
 * @example A token and a token file
 * ```ts
 * import { checkClusterOptions } from "./cluster_options.ts";
 * try {
 *   checkClusterOptions({ token: "abc", tokenFile: "/run/token" });
 * } catch (error) {
 *   console.log((error as Error).message); // ... cluster.token and cluster.tokenFile are both set: keep one
 * }
 * ```
 */
export function checkClusterOptions(options: ClusterOptions): void {
  if (!isOptionsObject(options as unknown)) {
    throw new ConfigError(
      "Cannot resolve cluster access: options must be an object such as { kubeconfig, context }: current " +
        (options === null
          ? "value is null (leave cluster out for the default access)"
          : `type is ${typeName(options)}`),
    );
  }
  const unknown = unknownField(options, CLUSTER_OPTIONS);
  const fields = options as Record<string, unknown>;
  // Was: 'cluster has no option "apiVersion"', for cluster: api.kubeconfig() in place of { kubeconfig: ... }.
  if (unknown !== undefined && (fields.kind === "Config" || Array.isArray(fields.clusters))) {
    throw new ConfigError(
      "Cannot resolve cluster access: cluster is a kubeconfig object, not cluster options: pass it as " +
        "cluster: { kubeconfig }",
      { field: "cluster" },
    );
  }
  if (unknown !== undefined) {
    // Its value is never quoted: a misspelt token option holds a secret.
    const meant = nearestName(unknown, CLUSTER_OPTIONS);
    throw new ConfigError(
      `Cannot resolve cluster access: cluster has no option ${JSON.stringify(unknown)}: ` +
        (meant ? `use ${meant}` : `use one of ${CLUSTER_OPTIONS.join(", ")}`),
      { field: `cluster.${unknown}` },
    );
  }
  for (const name of STRING_OPTIONS) {
    const value = options[name];
    if (value !== undefined && (typeof value !== "string" || value === "")) {
      throw new ConfigError(
        `Cannot resolve cluster access: cluster.${name} must be a non-empty string: ${currentKind(value)}`,
        { field: `cluster.${name}` },
      );
    }
  }
  for (const name of ["insecureSkipTlsVerify", "http2"] as const) {
    const value = options[name];
    if (value !== undefined && typeof value !== "boolean") {
      throw new ConfigError(
        `Cannot resolve cluster access: cluster.${name} must be true or false: ${currentKind(value)}`,
        {
          field: `cluster.${name}`,
        },
      );
    }
  }
  const kubeconfig = options.kubeconfig;
  if (
    kubeconfig !== undefined &&
    !(typeof kubeconfig === "string" && kubeconfig !== "") &&
    !isOptionsObject(kubeconfig as unknown)
  ) {
    throw new ConfigError(
      `Cannot resolve cluster access: cluster.kubeconfig must be a file path or a kubeconfig object: ${
        currentKind(kubeconfig)
      }${
        // The fake API server's method passed as is, which returns the object.
        typeof kubeconfig === "function"
          ? " (pass what the function returns, such as the fake's api.kubeconfig(), not the function)"
          : ""}`,
      { field: "cluster.kubeconfig" },
    );
  }
  // The fake API server itself: a kubeconfig without contexts, which failed later at every call's resolution.
  if (typeof (kubeconfig as { kubeconfig?: unknown } | undefined)?.kubeconfig === "function") {
    throw new ConfigError(
      "Cannot resolve cluster access: cluster.kubeconfig is an object with a kubeconfig() method, such as the fake " +
        "API server, not a kubeconfig: pass what that method returns (api.kubeconfig())",
      { field: "cluster.kubeconfig" },
    );
  }
  const pathOptions = [
    ["kubeconfig", "pass the file's path, or the kubeconfig as an object (parse its YAML or JSON first)"],
    ["tokenFile", "pass the token as cluster.token instead, or the path of its file here"],
    ["caFile", "pass the PEM as cluster.ca instead, or the path of its file here"],
    ["certFile", "pass the PEM as cluster.cert instead, or the path of its file here"],
    ["keyFile", "pass the PEM as cluster.key instead, or the path of its file here"],
  ] as const;
  for (const [name, fix] of pathOptions) {
    const value = options[name];
    const pasted = typeof value === "string" ? contentsInsteadOfPath(value) : undefined;
    if (pasted) {
      throw new ConfigError(`Cannot resolve cluster access: ${contentsProblem(`cluster.${name}`, pasted, fix)}`, {
        field: `cluster.${name}`,
      });
    }
  }
  const pairs = [
    ["token", "tokenFile"],
    ["ca", "caFile"],
    ["cert", "certFile"],
    ["key", "keyFile"],
  ] as const;
  for (const [inline, file] of pairs) {
    if (options[inline] !== undefined && options[file] !== undefined) {
      throw new ConfigError(
        `Cannot resolve cluster access: cluster.${inline} and cluster.${file} are both set: keep one`,
        {
          field: `cluster.${file}`,
        },
      );
    }
  }
  if (
    options.insecureSkipTlsVerify === true &&
    (options.ca !== undefined || options.caFile !== undefined)
  ) {
    throw new ConfigError(
      "Cannot resolve cluster access: cluster.insecureSkipTlsVerify and a CA (cluster.ca or cluster.caFile) are both set: keep one",
      { field: "cluster.insecureSkipTlsVerify" },
    );
  }
  // What needs no file is checked here too, at the call, rather than at the watch's first step.
  const hasCert = options.cert !== undefined || options.certFile !== undefined;
  const hasKey = options.key !== undefined || options.keyFile !== undefined;
  if (hasCert !== hasKey) throw halfClientCertificate(hasCert);
  if (options.server !== undefined) normalizeServer(options.server, serverProblem, SERVER_OPTION);
  const userAgentUnfit = options.userAgent === undefined ? undefined : userAgentProblem(options.userAgent);
  if (userAgentUnfit !== undefined) {
    // Quoted as JSON: a name, never a secret, and its line break shows as \n; one too long, by its length.
    const value = options.userAgent!;
    throw new ConfigError(
      `Cannot resolve cluster access: cluster.userAgent ${userAgentUnfit}: name the application in printable ASCII ` +
        `on one line, such as "orders/1.4.0": ` +
        (value.length > USER_AGENT_MAX_LENGTH
          ? `current length is ${value.length}`
          : `current value is ${JSON.stringify(value)}`),
      { field: "cluster.userAgent" },
    );
  }
  for (const name of ["ca", "cert", "key"] as const) {
    const value = options[name];
    if (value !== undefined) checkPem(value, `cluster.${name}`);
  }
}

/** What a bad cluster option is, never its value (it may be a token): `current type is number`, `current value is null`. */
function currentKind(value: unknown): string {
  if (value === null) return currentValue(null);
  return value === "" ? "current value is empty" : `current type is ${typeName(value)}`;
}

/** Where credentials go instead of `cluster.server`'s URL: the options that carry them. */
const SERVER_OPTION = {
  credentialsAdvice: "pass a token as cluster.token (or its file as cluster.tokenFile), or a client certificate as " +
    "cluster.cert and cluster.key (or cluster.certFile and cluster.keyFile)",
};

/** The error for `cluster.server` that cannot be an API server URL; the URL is quoted only where it holds no secret. */
function serverProblem(problem: string): ConfigError {
  return new ConfigError(`Cannot resolve cluster access: cluster.server ${problem}`, { field: "cluster.server" });
}

/** The error for a client certificate without its key (`hasCert`), or a key without its certificate. */
function halfClientCertificate(hasCert: boolean): ConfigError {
  return new ConfigError(
    `Cannot resolve cluster access: a client certificate needs both cert and key: set cluster.${
      hasCert ? "key or cluster.keyFile" : "cert or cluster.certFile"
    }`,
    { field: hasCert ? "cluster.key" : "cluster.cert" },
  );
}

/**
 * The source that `cluster.server` alone makes (without `cluster.kubeconfig`
 * or `cluster.context`): nothing but the runtime's default CA roots and no
 * credentials, for the other options to fill in.
 *
 * @returns The empty access that the options complete.
 *
 * @example Where it says access came from
 * ```ts
 * import { serverOptionAccess } from "./cluster_options.ts";
 * console.log(serverOptionAccess().source); // cluster options
 * ```
 */
export function serverOptionAccess(): SourceAccess {
  return {
    server: "",
    tls: createTlsSettings({ caSource: "the runtime's default CA roots" }),
    credentials: noCredentials(),
    user: "anonymous",
    source: "cluster options",
    origin: { kind: "options" },
  };
}

/**
 * What {@linkcode applyClusterOptions} settles: the source's server, TLS
 * settings, credentials, user and source, with the options applied. The
 * namespace and the proxy are settled later, from the source itself.
 *
 * @example Printing the user
 * ```ts
 * import type { OptionsApplied } from "./cluster_options.ts";
 * function describe(applied: OptionsApplied): string {
 *   return `${applied.user} from ${applied.source}`;
 * }
 * ```
 */
export interface OptionsApplied
  extends Omit<SourceAccess, "namespace" | "proxyUrl" | "disableCompression" | "impersonate"> {
  /** Set when `server` is the `cluster.server` option's, not the source's (see `ClusterAccess.serverFromOption`). */
  serverFromOption?: true;
}

/**
 * Lets the options override what a source found: server, CA, verification,
 * server name, client certificate and credentials. The source says which
 * options overrode it (`... with cluster.server`); `user` joins the parts of
 * the identity (`token hmac-sha256:... + client certificate hmac-sha256:...`). A server
 * written without a scheme stays `https://` here, with `serverSchemeAssumed`.
 *
 * @param found What the source found.
 * @param options The options, already checked with {@linkcode checkClusterOptions}.
 * @param env Reads the option files; the clock for `cluster.tokenFile`.
 * @returns The source with the options applied.
 * @throws {ConfigError} When an option's value or file is unusable.
 *
 * @example A server and a token
 * ```ts
 * import { applyClusterOptions, serverOptionAccess } from "./cluster_options.ts";
 * const applied = await applyClusterOptions(serverOptionAccess(), { server: "https://10.0.0.1:6443", token: "abc" }, {
 *   readFile: () => Promise.resolve(undefined),
 *   now: Date.now,
 * });
 * console.log(await applied.credentials.authorization()); // Bearer abc
 * ```
 */
export async function applyClusterOptions(
  found: SourceAccess,
  options: ClusterOptions,
  env: Pick<Required<Environment>, "readFile" | "now">,
): Promise<OptionsApplied> {
  const overridden: string[] = [];
  let server = found.server;
  let schemeAssumed = found.serverSchemeAssumed === true;
  if (options.server !== undefined) {
    schemeAssumed = !hasScheme(options.server);
    server = normalizeServer(options.server, serverProblem, SERVER_OPTION);
    if (found.origin.kind !== "options") overridden.push("server");
  }

  const tls = found.tls;
  let ca = tls.ca;
  let caSource = tls.caSource;
  let caFile = found.caFile;
  let insecure = tls.insecureSkipVerify === true;
  if (options.ca !== undefined) {
    ca = checkPem(options.ca, "cluster.ca");
    caSource = "cluster.ca";
    caFile = undefined;
    insecure = false;
    overridden.push("ca");
  } else if (options.caFile !== undefined) {
    ca = await readPemOption(env, options.caFile, "caFile");
    caSource = `cluster.caFile ${options.caFile}`;
    caFile = options.caFile;
    insecure = false;
    overridden.push("caFile");
  }
  if (options.insecureSkipTlsVerify === true) {
    // As kubectl's --insecure-skip-tls-verify: the kubeconfig's CA no longer applies.
    ca = undefined;
    caFile = undefined;
    insecure = true;
    caSource = "no verification (cluster.insecureSkipTlsVerify)";
    overridden.push("insecureSkipTlsVerify");
    trace(
      "cluster.insecureSkipTlsVerify is true: the server certificate is not checked",
    );
  } else if (options.insecureSkipTlsVerify === false && insecure) {
    insecure = false;
    caSource = "the runtime's default CA roots";
    overridden.push("insecureSkipTlsVerify");
  }
  let serverName = tls.serverName;
  if (options.tlsServerName !== undefined) {
    serverName = options.tlsServerName;
    overridden.push("tlsServerName");
  } else if (options.server !== undefined && serverName !== undefined) {
    // As kubectl's --server: the source's tls-server-name named its own server's certificate, not this one's.
    serverName = undefined;
    trace("cluster.server replaces the kubeconfig's server: its tls-server-name no longer applies, as with kubectl");
  }

  let cert = tls.cert;
  let key = tls.key;
  let certFiles = found.certFiles;
  const userParts = [found.user];
  const certOption = options.cert !== undefined
    ? checkPem(options.cert, "cluster.cert")
    : options.certFile !== undefined
    ? await readPemOption(env, options.certFile, "certFile")
    : undefined;
  const keyOption = options.key !== undefined
    ? checkPem(options.key, "cluster.key")
    : options.keyFile !== undefined
    ? await readPemOption(env, options.keyFile, "keyFile")
    : undefined;
  if ((certOption === undefined) !== (keyOption === undefined)) throw halfClientCertificate(certOption !== undefined);
  if (certOption !== undefined && keyOption !== undefined) {
    const certName = options.cert !== undefined ? "cert" : "certFile";
    const keyName = options.key !== undefined ? "key" : "keyFile";
    const unusable = checkClientKeyPair(certOption, keyOption, {
      cert: options.cert !== undefined ? "cluster.cert" : `cluster.certFile ${options.certFile}`,
      key: options.key !== undefined ? "cluster.key" : `cluster.keyFile ${options.keyFile}`,
    });
    if (unusable) {
      throw new ConfigError(`Cannot resolve cluster access: ${unusable.problem}`, {
        field: `cluster.${unusable.part === "cert" ? certName : keyName}`,
      });
    }
    cert = certOption;
    key = keyOption;
    certFiles = options.certFile !== undefined && options.keyFile !== undefined
      ? { cert: options.certFile, key: options.keyFile }
      : undefined;
    overridden.push(certName, keyName);
    userParts.push(`client certificate ${await fingerprint(certOption)}`);
  }

  let credentials = found.credentials;
  if (found.execCluster !== undefined) {
    // As client-go's ConfigToExecCluster, the plugin is told about the cluster the options made, not the source's.
    const { info, credentials: forCluster } = found.execCluster;
    credentials = forCluster(execClusterInfo(info, { server: options.server, serverName, insecure, ca }));
  }
  if (options.token !== undefined) {
    credentials = staticTokenCredentials(options.token, env.now);
    userParts[0] = `token ${await fingerprint(options.token)}`;
    overridden.push("token");
  } else if (options.tokenFile !== undefined) {
    credentials = tokenFileCredentials(options.tokenFile, {
      readFile: env.readFile,
      now: env.now,
      label: "cluster.tokenFile",
      field: "cluster.tokenFile",
      pastedTokenAdvice: "pass the token as cluster.token instead, or the path of its file here",
    });
    userParts[0] = `token file ${await tokenPathKey(options.tokenFile)}`;
    overridden.push("tokenFile");
  }
  if (userParts[0] === "anonymous" && userParts.length > 1) userParts.shift();

  // The namespace itself is settled after these, by resolveClusterAccess().
  if (options.namespace !== undefined) overridden.push("namespace");

  const tlsInit: TlsSettings = { caSource };
  // The options that chose the CA or the name verified are the ones to check when verification fails.
  const tlsOptions = ["ca", "caFile", "insecureSkipTlsVerify", "tlsServerName"];
  if (found.origin.kind === "options" || overridden.some((name) => tlsOptions.includes(name))) {
    tlsInit.caSettings = "cluster.ca, cluster.caFile and cluster.tlsServerName";
  } else if (tls.caSettings !== undefined) tlsInit.caSettings = tls.caSettings;
  if (ca !== undefined) tlsInit.ca = ca;
  if (cert !== undefined && key !== undefined) {
    tlsInit.cert = cert;
    tlsInit.key = key;
  }
  if (serverName !== undefined) tlsInit.serverName = serverName;
  if (insecure) tlsInit.insecureSkipVerify = true;

  const source = overridden.length > 0 && found.origin.kind !== "options"
    ? `${found.source} with ${overridden.map((name) => `cluster.${name}`).join(", ")}`
    : found.source;
  const applied: OptionsApplied = {
    server,
    tls: createTlsSettings(tlsInit),
    credentials,
    user: userParts.join(" + "),
    source,
    origin: found.origin,
  };
  if (schemeAssumed) applied.serverSchemeAssumed = true;
  if (options.server !== undefined) applied.serverFromOption = true;
  if (certFiles !== undefined) applied.certFiles = certFiles;
  if (caFile !== undefined && ca !== undefined) applied.caFile = caFile;
  return applied;
}

/**
 * The `spec.cluster` of `KUBERNETES_EXEC_INFO` once the options applied: the server as written, the server name,
 * verification and CA in use; proxy, compression and the plugin's `config` stay the source's.
 */
function execClusterInfo(
  source: Record<string, unknown>,
  final: { server: string | undefined; serverName: string | undefined; insecure: boolean; ca: string | undefined },
): Record<string, unknown> {
  const { server, "proxy-url": proxyUrl, "disable-compression": disableCompression, config } = source;
  const info: Record<string, unknown> = { server: final.server ?? server };
  if (final.serverName !== undefined) info["tls-server-name"] = final.serverName;
  if (final.insecure) info["insecure-skip-tls-verify"] = true;
  if (final.ca !== undefined) info["certificate-authority-data"] = encodeBase64(final.ca);
  if (proxyUrl !== undefined) info["proxy-url"] = proxyUrl;
  if (disableCompression !== undefined) info["disable-compression"] = disableCompression;
  info.config = config;
  return info;
}

function checkPem(text: string, name: string): string {
  if (!isPem(text)) {
    throw new ConfigError(
      `Cannot resolve cluster access: ${name} must be PEM text (-----BEGIN ...): pass the file content, not base64`,
      {
        field: name,
      },
    );
  }
  return text;
}

async function readPemOption(
  env: Pick<Required<Environment>, "readFile">,
  path: string,
  name: string,
): Promise<string> {
  const field = `cluster.${name}`;
  const text = await readOrFail(env.readFile, path, field);
  const named = pathForError(path, text !== undefined);
  return checkPemFile(
    text,
    (problem) =>
      new ConfigError(`Cannot resolve cluster access: ${field} ${named.text} ${problem}`, { ...named.fields, field }),
  );
}
