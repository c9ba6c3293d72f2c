// Our cluster access held to the real kubectl: the same kubeconfigs (KUBECONFIG lists, HOME) go to kubectl
// v1.36.3 and to resolveClusterAccess() + a LIST of a Service's EndpointSlices, against one local
// kube-apiserver v1.36.3 (both built by `bash scripts/control_plane/build.sh`); where the runtime's own HTTP
// client, TLS, files or processes are involved, to watchEndpoints() on Node and Bun too (`npm run build`
// first). For each situation all must pick the same server and namespace, and a LIST must succeed for all or
// fail for all, each error saying the same thing (ours may say more). Where we differ on purpose, the situation
// says so in `ours` and `why`, and the test checks that the difference is still exactly that. It always starts
// its own control plane (not E2E_KUBECONFIG's cluster): it uses the admin certificate and key files and the
// CA's files.
//
// Every client here dials loopback only: the API server, a TCP forwarder on 127.0.0.2, CONNECT proxies and a
// plain HTTP server, all started by this file, or loopback ports where nothing listens. Where kubectl would fall
// back to http://localhost:8080, it runs in a network namespace of its own, with nothing to dial.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer as createHttpServer } from "node:http";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import process from "node:process";
import { dirname, join } from "node:path";
import { resolveClusterAccess } from "../../src/cluster/resolve_cluster_access.ts";
import { createClusterHttpClient } from "../../src/api/cluster_http_client.ts";
import { createEndpointSliceApi } from "../../src/api/kube_api.ts";
import { RUNTIMES } from "./echo_clients.ts";
import {
  type ControlPlane,
  freePort,
  kubectlBinary,
  localControlPlaneSkipped,
  startControlPlane,
} from "./control_plane.ts";
import {
  applyEndpointSlice,
  bindEndpointSliceReader,
  createEndpointSliceReaderRole,
  createNamespace,
  createService,
  createServiceAccount,
  requestToken,
} from "./kube_objects.ts";
import { childEnv } from "../_child_env.mjs";
import { spawnTied } from "./lifeline.ts";

const log = (line: string) => console.log(`    [kubectl] ${line}`);
const ROOT = new URL("../../", import.meta.url).pathname;
/** Our side on Node and Bun (Deno runs it in this process). */
const CLIENT = join(ROOT, "tests/e2e/cluster_access_client.mjs");
/** Situations run at once: each runs kubectl twice, Node and Bun once, and us in this process. */
const PARALLEL = 6;
const SERVICE = "echo";

/** What a LIST of the Service's slices gave: the number of slices, or the error's text. */
type Listed = { slices: number } | { error: string };

/** What one client did with a kubeconfig. */
interface Outcome {
  /** The server it would talk to, as it reports it. */
  server?: string;
  /** The namespace it would use for a target without one. */
  namespace?: string;
  /** Why it could not say which server or namespace (kubectl `config view --minify`, our resolveClusterAccess()). */
  configError?: string;
  /** The LIST. */
  listed: Listed;
}

/** What a situation must give. */
interface Expected {
  /** Namespace; default: the test namespace. */
  namespace?: string;
  /** Slices the LIST finds; absent when it must fail. */
  slices?: number;
  /** When the LIST (or the configuration) must fail: what kubectl's error and ours say (the same fact). */
  fails?: { kubectl: RegExp; ours?: RegExp };
}

/** One kubeconfig situation. */
interface Situation {
  name: string;
  /** Files written in the situation's folder (`{{name}}` filled from the fixtures); `*.sh` are executable. */
  files: Record<string, string>;
  /** `KUBECONFIG`, files relative to the situation's folder; absent: unset (then `$HOME/.kube/config`). */
  kubeconfig?: string[];
  /** Other variables for both clients (HOME is always the situation's `home/` folder). */
  env?: Record<string, string>;
  /** What kubectl does, and we too unless `ours` says otherwise. */
  expect: Expected;
  /** What we do instead, where it differs. */
  ours?: Expected;
  /** Why we differ on purpose (with `ours`, or where both fail but not for the same reason). */
  why?: string;
  /**
   * The situation gets a CONNECT proxy of its own (`{{proxy}}`) that tunnels to the API server: every client must
   * go through it (true), or none (false).
   */
  proxied?: boolean;
  /**
   * In a pod: these files (`token`, `ca.crt`, `namespace`) are the mounted service account. kubectl runs in a mount
   * namespace of its own with them at /run/secrets/kubernetes.io/serviceaccount (/var/run is /run), we get their
   * folder as `serviceAccountDirectory`; skipped where unshare --mount is not allowed. Set KUBERNETES_SERVICE_HOST
   * and KUBERNETES_SERVICE_PORT in `env`.
   */
  serviceAccount?: Record<string, string>;
  /**
   * Our side also runs on Node and Bun (`cluster_access_client.mjs`, from the build): for what goes through each
   * runtime's own HTTP client, TLS, files or processes (TLS settings, client certificates, proxies, exec plugins,
   * the service account); the rest is the same code on every runtime.
   */
  runtimes?: boolean;
  /** A runtime that does not go through the situation's proxy, and why (the others must). */
  unproxied?: { runtime: string; why: string };
  /** More checks once both ran, given the situation's folder: what differs. */
  check?: (dir: string) => Promise<string[]>;
  /** Needs `{{hostName}}`, a name other than localhost that /etc/hosts maps to 127.0.0.1; skipped without one. */
  hostName?: boolean;
  /**
   * kubectl falls back to http://localhost:8080 here: it runs in a network namespace of its own (`unshare -n`,
   * loopback down), so that it dials nothing; skipped where unshare is not allowed.
   */
  isolated?: boolean;
  /**
   * No current-context, yet kubectl uses a context (the one without a name): `config view --minify` refuses that
   * ("current-context must exist in order to minify"), so kubectl's server and namespace are read from its LIST's
   * log, as in a pod.
   */
  noCurrentContext?: boolean;
}

/** A kubeconfig with one cluster, one user and one context. */
function kubeconfig(
  cluster: string,
  user: string,
  options: { namespace?: string; current?: string; context?: string } = {},
): string {
  const context = options.context ?? "main";
  const namespace = options.namespace === undefined ? "{{namespace}}" : options.namespace;
  return `apiVersion: v1
kind: Config
clusters:
  - name: c
    cluster:
${indent(cluster, 6)}
users:
  - name: u
    user:
${indent(user, 6)}
contexts:
  - name: ${context}
    context: { cluster: c, user: u${namespace ? `, namespace: ${namespace}` : ""} }
current-context: ${options.current ?? context}
`;
}

function indent(text: string, spaces: number): string {
  return text.split("\n").map((line) => (line ? " ".repeat(spaces) + line : line)).join("\n");
}

const CLUSTER = "server: {{server}}\ncertificate-authority: {{caFile}}";
const TOKEN_USER = "token: {{token}}";
const FORBIDDEN_PREFIX = /forbidden: User .* cannot get path .*\/prefix\/apis\/discovery\.k8s\.io/;
const LOCALHOST_8080 = /dial tcp 127\.0\.0\.1:8080/;
const UNAUTHORIZED = { kubectl: /You must be logged in to the server \(Unauthorized\)/, ours: /401|Unauthorized/ };

const situations: Situation[] = [
  {
    name: "one file: a token user and a context namespace",
    files: { "config": kubeconfig(CLUSTER, TOKEN_USER) },
    kubeconfig: ["config"],
    expect: { slices: 1 },
  },
  {
    name: "a context without a namespace uses default",
    files: {
      "config": kubeconfig(CLUSTER, "client-certificate: {{adminCert}}\nclient-key: {{adminKey}}", { namespace: "" }),
    },
    kubeconfig: ["config"],
    expect: { namespace: "default", slices: 0 },
  },
  {
    name: "~/.kube/config when KUBECONFIG is unset",
    files: { "home/.kube/config": kubeconfig(CLUSTER, TOKEN_USER) },
    expect: { slices: 1 },
  },
  {
    name: "KUBECONFIG list: first file wins per name, current-context from the first, paths relative to each file",
    files: {
      // The first file sets current-context and cluster c (CA relative to one/); it has no user u.
      "one/config": `apiVersion: v1
kind: Config
current-context: main
clusters:
  - name: c
    cluster: { server: "{{server}}", certificate-authority: ca.crt }
`,
      "one/ca.crt": "{{ca}}",
      // The second file's cluster c and current-context lose; its user u (tokenFile relative to two/) and context
      // main are the only ones.
      "two/config": `apiVersion: v1
kind: Config
current-context: other
clusters:
  - name: c
    cluster: { server: "{{closedServer}}", certificate-authority: missing-ca.crt }
users:
  - name: u
    user: { tokenFile: token }
contexts:
  - name: main
    context: { cluster: c, user: u, namespace: "{{namespace}}" }
  - name: other
    context: { cluster: c, user: u, namespace: kube-system }
`,
      "two/token": "{{token}}\n",
    },
    kubeconfig: ["one/config", "two/config"],
    expect: { slices: 1 },
  },
  {
    name: "KUBECONFIG list: a missing file, an empty entry and a repeated file are skipped",
    files: { "config": kubeconfig(CLUSTER, TOKEN_USER) },
    kubeconfig: ["missing/config", "", "config", "config"],
    expect: { slices: 1 },
  },
  {
    name: "token and tokenFile: the file's token is sent",
    files: { "config": kubeconfig(CLUSTER, "token: not-a-valid-token\ntokenFile: token"), "token": "{{token}}" },
    kubeconfig: ["config"],
    expect: { slices: 1 },
  },
  {
    name: "token and a tokenFile that does not exist: the token is sent",
    files: { "config": kubeconfig(CLUSTER, "token: {{token}}\ntokenFile: missing-token") },
    kubeconfig: ["config"],
    expect: { slices: 1 },
  },
  {
    name: "a tokenFile that does not exist",
    files: { "config": kubeconfig(CLUSTER, "tokenFile: missing-token") },
    kubeconfig: ["config"],
    expect: { fails: { kubectl: /missing-token: no such file or directory/, ours: /missing-token/ } },
  },
  {
    name: "client certificate and key files",
    runtimes: true,
    files: { "config": kubeconfig(CLUSTER, "client-certificate: {{adminCert}}\nclient-key: {{adminKey}}") },
    kubeconfig: ["config"],
    expect: { slices: 1 },
  },
  {
    name: "client certificate and key data, CA data",
    files: {
      "config": kubeconfig(
        "server: {{server}}\ncertificate-authority-data: {{caData}}",
        "client-certificate-data: {{adminCertData}}\nclient-key-data: {{adminKeyData}}",
      ),
    },
    kubeconfig: ["config"],
    expect: { slices: 1 },
  },
  {
    name: "username and password (kube-apiserver has no basic authentication)",
    files: { "config": kubeconfig(CLUSTER, "username: admin\npassword: not-a-password") },
    kubeconfig: ["config"],
    expect: { fails: UNAUTHORIZED },
  },
  {
    name: "an empty user",
    files: { "config": kubeconfig(CLUSTER, "{}") },
    kubeconfig: ["config"],
    expect: { fails: { kubectl: /Please enter Username: error: EOF/, ours: UNAUTHORIZED.ours } },
    why: "kubectl asks for a user name and password on stdin (here it reads the end of input); a resolver has " +
      "no terminal: it sends no credentials and reports the 401",
  },
  {
    name: "a context whose user is defined nowhere",
    files: {
      "config": kubeconfig(CLUSTER, TOKEN_USER).replace("user: u,", "user: ghost,"),
    },
    kubeconfig: ["config"],
    expect: { fails: { kubectl: /cannot locate user ghost/, ours: /names user "ghost", which is not defined/ } },
    why: "kubectl config view refuses it as we do, but kubectl get goes on without a user (and asks for a user " +
      "name and password): a name that matches no user is a mistake, we stop there",
  },
  {
    name: "an exec plugin (relative command) that prints a token",
    runtimes: true,
    files: {
      "config": kubeconfig(
        CLUSTER,
        "exec:\n  apiVersion: client.authentication.k8s.io/v1\n  command: ./plugin.sh\n  interactiveMode: Never",
      ),
      "plugin.sh": `#!/bin/sh
printf '%s' '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"{{token}}"}}'
`,
    },
    kubeconfig: ["config"],
    expect: { slices: 1 },
  },
  {
    name: "an exec plugin that prints a client certificate",
    runtimes: true,
    files: {
      "config": kubeconfig(
        CLUSTER,
        "exec:\n  apiVersion: client.authentication.k8s.io/v1\n  command: ./plugin.sh\n  interactiveMode: Never",
      ),
      "plugin.sh": `#!/bin/sh
printf '%s' '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",\
"status":{"clientCertificateData":{{adminCertJson}},"clientKeyData":{{adminKeyJson}}}}'
`,
    },
    kubeconfig: ["config"],
    expect: { slices: 1 },
  },
  {
    name: "an exec plugin with args, env and provideClusterInfo: the same KUBERNETES_EXEC_INFO",
    files: {
      "config": kubeconfig(
        `${CLUSTER}\ntls-server-name: kubernetes\nextensions:\n  - name: client.authentication.k8s.io/exec\n` +
          "    extension: { audience: e2e, nested: { a: 1 } }",
        "exec:\n  apiVersion: client.authentication.k8s.io/v1\n  command: ./plugin.sh\n  interactiveMode: Never\n" +
          "  args: [--first, second value]\n  env: [{ name: PLUGIN_MODE, value: e2e }]\n  provideClusterInfo: true",
      ),
      // Records what it got in a file named after its parent (kubectl, or the Deno process running us).
      "plugin.sh": `#!/bin/sh
who=$(cat /proc/$PPID/comm 2>/dev/null || echo unknown)
{ printf '%s|' "$@"; echo; echo "$PLUGIN_MODE"; printf '%s' "$KUBERNETES_EXEC_INFO"; } > "$(dirname "$0")/seen.$who"
printf '%s' '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"{{token}}"}}'
`,
    },
    kubeconfig: ["config"],
    expect: { slices: 1 },
    check: comparePluginInputs,
  },
  {
    name: "an exec plugin that fails",
    files: {
      "config": kubeconfig(
        CLUSTER,
        "exec:\n  apiVersion: client.authentication.k8s.io/v1\n  command: ./plugin.sh\n  interactiveMode: Never",
      ),
      "plugin.sh": "#!/bin/sh\necho 'cannot reach the identity provider' >&2\nexit 3\n",
    },
    kubeconfig: ["config"],
    expect: { fails: { kubectl: /plugin\.sh failed with exit code 3/, ours: /exit(ed with)? code 3|status 3/ } },
  },
  {
    name: "an exec plugin that is not installed, with an installHint",
    files: {
      "config": kubeconfig(
        CLUSTER,
        "exec:\n  apiVersion: client.authentication.k8s.io/v1\n  command: kgr-no-such-plugin\n" +
          "  interactiveMode: Never\n  installHint: Install it with the e2e package manager",
      ),
    },
    kubeconfig: ["config"],
    expect: {
      fails: {
        kubectl: /executable kgr-no-such-plugin not found[\s\S]*Install it with the e2e package manager/,
        ours: /kgr-no-such-plugin[\s\S]*Install it with the e2e package manager/,
      },
    },
  },
  {
    name: "an exec plugin of v1 without interactiveMode",
    files: {
      "config": kubeconfig(CLUSTER, "exec:\n  apiVersion: client.authentication.k8s.io/v1\n  command: ./plugin.sh"),
      "plugin.sh": `#!/bin/sh
printf '%s' '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"{{token}}"}}'
`,
    },
    kubeconfig: ["config"],
    expect: { fails: { kubectl: /interactiveMode must be specified for u to use exec authentication plugin/ } },
    ours: { slices: 1 },
    why: "client.authentication.k8s.io/v1 made interactiveMode required and kubectl refuses a stanza without it; " +
      "a resolver never has a terminal, so every mode but Always means the same to it and we run the plugin",
  },
  {
    name: "an exec plugin that answers with another apiVersion",
    files: {
      "config": kubeconfig(
        CLUSTER,
        "exec:\n  apiVersion: client.authentication.k8s.io/v1\n  command: ./plugin.sh\n  interactiveMode: Never",
      ),
      "plugin.sh": `#!/bin/sh
printf '%s' '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"{{token}}"}}'
`,
    },
    kubeconfig: ["config"],
    expect: {
      fails: {
        kubectl: /plugin returned version client\.authentication\.k8s\.io\/v1beta1/,
        ours: /client\.authentication\.k8s\.io\/v1beta1/,
      },
    },
  },
  {
    name: "an exec plugin that prints its ExecCredential as YAML, without kind",
    runtimes: true,
    files: {
      "config": kubeconfig(
        CLUSTER,
        "exec:\n  apiVersion: client.authentication.k8s.io/v1\n  command: ./plugin.sh\n  interactiveMode: Never",
      ),
      // As some cloud SDKs' plugins print it: kubectl decodes output that does not start with `{` as YAML.
      "plugin.sh": `#!/bin/sh
printf -- '---\\napiVersion: client.authentication.k8s.io/v1\\nstatus:\\n  token: %s\\n' '{{token}}'
`,
    },
    kubeconfig: ["config"],
    expect: { slices: 1 },
  },
  {
    name: "a client key that is not the certificate's",
    files: { "config": kubeconfig(CLUSTER, "client-certificate: {{adminCert}}\nclient-key: {{otherKey}}") },
    kubeconfig: ["config"],
    expect: {
      fails: {
        kubectl: /private key does not match public key/,
        ours: /client-key.*client-certificate|client-certificate.*client-key/,
      },
    },
  },
  {
    name: "a certificate-authority file that does not exist",
    files: { "config": kubeconfig("server: {{server}}\ncertificate-authority: missing-ca.crt", TOKEN_USER) },
    kubeconfig: ["config"],
    expect: { fails: { kubectl: /unable to read certificate-authority .*missing-ca\.crt/, ours: /missing-ca\.crt/ } },
  },
  {
    name: "certificate-authority-data that is not a certificate",
    files: { "config": kubeconfig("server: {{server}}\ncertificate-authority-data: {{notPemData}}", TOKEN_USER) },
    kubeconfig: ["config"],
    expect: { fails: { kubectl: /unable to load root certificates/, ours: /certificate-authority-data/ } },
  },
  {
    name: "a cluster name defined twice in one file",
    files: {
      "config": kubeconfig(CLUSTER, TOKEN_USER).replace(
        "users:",
        '  - name: c\n    cluster: { server: "{{closedServer}}" }\nusers:',
      ),
    },
    kubeconfig: ["config"],
    expect: { fails: { kubectl: /duplicate name "c"/, ours: /"c" is defined twice in clusters/ } },
  },
  {
    name: "an unused context and cluster without a name (a misspelt NAME:) are passed over",
    files: {
      "config": kubeconfig(CLUSTER, TOKEN_USER).replace(
        "users:",
        '  - NAME: other\n    cluster: { server: "{{closedServer}}" }\nusers:',
      ).replace("current-context:", "  - context: { cluster: c, user: u, namespace: other }\ncurrent-context:"),
    },
    kubeconfig: ["config"],
    expect: { slices: 1 },
  },
  {
    name: "300 contexts that merge one anchor (<<: *defaults)",
    files: {
      "config": kubeconfig(CLUSTER, TOKEN_USER).replace(
        "current-context:",
        Array.from({ length: 300 }, (_, i) => `  - name: more-${i}\n    context: { <<: *defaults, namespace: n${i} }\n`)
          .join("") + "current-context:",
      ).replace("contexts:", "x-defaults: &defaults { cluster: c, user: u }\ncontexts:"),
    },
    kubeconfig: ["config"],
    expect: { slices: 1 },
  },
  {
    name: "aliases that expand a billion times (a billion laughs)",
    files: {
      "config": kubeconfig(CLUSTER, TOKEN_USER) +
        [..."abcdefgh"].map((name, i) =>
          `${"bcdefghi"[i]}: &${"bcdefghi"[i]} [${Array(9).fill(`*${name}`).join(", ")}]`
        )
          .reduce((text, line) => `${text}${line}\n`, "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"),
    },
    kubeconfig: ["config"],
    expect: { fails: { kubectl: /document contains excessive aliasing/, ours: /excessive aliasing/ } },
  },
  {
    name: "a context without a user, and a user without a name: its token is sent",
    files: {
      "config": kubeconfig(CLUSTER, TOKEN_USER).replace("  - name: u\n    user:", "  - user:")
        .replace("user: u, ", ""),
    },
    kubeconfig: ["config"],
    expect: { slices: 1 },
  },
  {
    name: "no current-context, and a context without a name: it is used",
    noCurrentContext: true,
    files: {
      "config": kubeconfig(CLUSTER, TOKEN_USER, { current: '""' }).replace(
        "  - name: main\n    context:",
        "  - context:",
      ),
    },
    kubeconfig: ["config"],
    expect: { slices: 1 },
  },
  {
    name: "current-context names another, and the only context has no name: both refuse it",
    files: {
      "config": kubeconfig(CLUSTER, TOKEN_USER, { current: "other" }).replace(
        "  - name: main\n    context:",
        "  - context:",
      ),
    },
    kubeconfig: ["config"],
    expect: {
      fails: {
        kubectl: /context was not found for specified context: other/,
        ours: /current-context "other" names no context: the kubeconfig's only context has no name/,
      },
    },
  },
  {
    name: "an anchor whose value holds an alias to itself",
    files: { "config": kubeconfig(CLUSTER, TOKEN_USER) + "x-loop: &loop { again: *loop }\n" },
    kubeconfig: ["config"],
    expect: {
      fails: {
        kubectl: /anchor 'loop' value contains itself/,
        ours: /holds an alias to that anchor .*contains itself/,
      },
    },
  },
  {
    name: "two clusters without a name in one file",
    files: {
      "config": kubeconfig(CLUSTER, TOKEN_USER).replace(
        "users:",
        '  - cluster: { server: "{{closedServer}}" }\n  - name: ""\n    cluster: {}\nusers:',
      ),
    },
    kubeconfig: ["config"],
    expect: {
      fails: { kubectl: /duplicate name ""/, ours: /clusters\[2\]\.name is not set, nor is clusters\[1\]\.name/ },
    },
  },
  {
    name: "no CA: the system roots do not trust the cluster's",
    runtimes: true,
    files: { "config": kubeconfig("server: {{server}}", TOKEN_USER) },
    kubeconfig: ["config"],
    expect: {
      fails: { kubectl: /certificate signed by unknown authority/, ours: /certificate|unknown (issuer|authority)/i },
    },
  },
  {
    name: "insecure-skip-tls-verify without a CA",
    files: { "config": kubeconfig("server: {{server}}\ninsecure-skip-tls-verify: true", TOKEN_USER) },
    kubeconfig: ["config"],
    expect: { slices: 1 },
  },
  {
    name: "insecure-skip-tls-verify with a CA",
    files: { "config": kubeconfig(`${CLUSTER}\ninsecure-skip-tls-verify: true`, TOKEN_USER) },
    kubeconfig: ["config"],
    expect: {
      fails: {
        kubectl: /specifying a root certificates file with the insecure flag is not allowed/,
        ours: /insecure-skip-tls-verify and a certificate authority/,
      },
    },
  },
  {
    name: "an IP the serving certificate does not hold, with tls-server-name",
    runtimes: true,
    files: {
      "config": kubeconfig(
        "server: {{altServer}}\ncertificate-authority: {{caFile}}\ntls-server-name: kubernetes",
        TOKEN_USER,
      ),
    },
    kubeconfig: ["config"],
    expect: { slices: 1 },
  },
  {
    name: "an IP the serving certificate does not hold, without tls-server-name",
    files: { "config": kubeconfig("server: {{altServer}}\ncertificate-authority: {{caFile}}", TOKEN_USER) },
    kubeconfig: ["config"],
    expect: { fails: { kubectl: /not 127\.0\.0\.2/, ours: /127\.0\.0\.2/ } },
  },
  {
    name: "a server URL with a trailing slash",
    files: { "config": kubeconfig("server: {{server}}/\ncertificate-authority: {{caFile}}", TOKEN_USER) },
    kubeconfig: ["config"],
    expect: { slices: 1 },
  },
  {
    name: "a server URL with a path prefix",
    files: { "config": kubeconfig("server: {{server}}/prefix\ncertificate-authority: {{caFile}}", TOKEN_USER) },
    kubeconfig: ["config"],
    // Both send the prefix; kube-apiserver serves nothing under it (a proxy such as Rancher's would).
    expect: { fails: { kubectl: FORBIDDEN_PREFIX, ours: /serves no API under the path \/prefix of its URL/ } },
  },
  {
    name: "a server without a scheme, with a CA",
    files: { "config": kubeconfig("server: 127.0.0.1:{{port}}\ncertificate-authority: {{caFile}}", TOKEN_USER) },
    kubeconfig: ["config"],
    // kube-apiserver answers plain HTTP with 400 "Client sent an HTTP request to an HTTPS server".
    expect: { fails: { kubectl: /the server rejected our request for an unknown reason/ } },
    ours: { slices: 1 },
    why: "kubectl picks the scheme before it reads the cluster's TLS settings (clientcmd checks " +
      "rest.IsConfigTransportTLS on a config with only the host), so it sends plain HTTP to any server " +
      "written without a scheme; we take https:// when a CA, a client certificate or " +
      "insecure-skip-tls-verify applies (rest.DefaultServerUrlFor's rule), which is what such a kubeconfig means",
  },
  {
    name: "an http:// server URL for the API server's HTTPS port",
    files: { "config": kubeconfig("server: http://127.0.0.1:{{port}}", TOKEN_USER) },
    kubeconfig: ["config"],
    // kube-apiserver answers the plain HTTP request with 400 "Client sent an HTTP request to an HTTPS server." and
    // closes at once: the client gets the 400 (Node and Bun here) or a reset (undici on Deno).
    expect: {
      fails: {
        kubectl: /the server rejected our request for an unknown reason/,
        ours:
          /serves HTTPS on this port and answered 400 to plain HTTP: make the URL in .* start with https:\/\/|if this port serves HTTPS \(kube-apiserver's does\), make the URL in .* start with https:\/\//,
      },
    },
  },
  {
    name: "an http:// server and a token user",
    runtimes: true,
    files: { "config": kubeconfig("server: {{httpServer}}", TOKEN_USER) },
    kubeconfig: ["config"],
    // The plain HTTP server answers 401 to a request without the token, the slice list to one with it.
    expect: { fails: { kubectl: UNAUTHORIZED.kubectl } },
    ours: { slices: 1 },
    why: "kubectl reads a kubeconfig user only for an https:// server and sends no credentials over plain " +
      "HTTP; we send them over http:// to loopback only (the fake API server's kubeconfig, a token over " +
      "loopback http://, relies on it), never to another machine (tests/resolve_cluster_access_test.ts)",
  },
  {
    name: "a server without a scheme and without TLS settings: http://",
    files: { "config": kubeconfig("server: 127.0.0.1:{{httpPort}}", TOKEN_USER) },
    kubeconfig: ["config"],
    expect: { fails: { kubectl: UNAUTHORIZED.kubectl } },
    ours: { slices: 1 },
    why: "as for an http:// server: kubectl sends no credentials over plain HTTP, we send them to loopback",
  },
  {
    name: "proxy-url: a CONNECT proxy on loopback",
    runtimes: true,
    files: { "config": kubeconfig(`${CLUSTER}\nproxy-url: {{proxy}}`, TOKEN_USER) },
    kubeconfig: ["config"],
    expect: { slices: 1 },
    proxied: true,
  },
  {
    name: "HTTPS_PROXY for a server named by a host name",
    runtimes: true,
    files: {
      "config": kubeconfig(
        "server: https://{{hostName}}:{{port}}\ncertificate-authority: {{caFile}}\ntls-server-name: kubernetes",
        TOKEN_USER,
      ),
    },
    kubeconfig: ["config"],
    env: { HTTPS_PROXY: "{{proxy}}" },
    expect: { slices: 1 },
    proxied: true,
    hostName: true,
  },
  {
    name: "https_proxy (lower case) for a server named by a host name",
    files: {
      "config": kubeconfig(
        "server: https://{{hostName}}:{{port}}\ncertificate-authority: {{caFile}}\ntls-server-name: kubernetes",
        TOKEN_USER,
      ),
    },
    kubeconfig: ["config"],
    env: { https_proxy: "{{proxy}}" },
    expect: { slices: 1 },
    proxied: true,
    hostName: true,
  },
  {
    name: "HTTPS_PROXY, and NO_PROXY names the server",
    runtimes: true,
    files: {
      "config": kubeconfig(
        "server: https://{{hostName}}:{{port}}\ncertificate-authority: {{caFile}}\ntls-server-name: kubernetes",
        TOKEN_USER,
      ),
    },
    kubeconfig: ["config"],
    env: { HTTPS_PROXY: "{{proxy}}", NO_PROXY: "example.com,{{hostName}}" },
    expect: { slices: 1 },
    proxied: false,
    hostName: true,
  },
  {
    name: "HTTP_PROXY alone is not used for an https:// server",
    files: {
      "config": kubeconfig(
        "server: https://{{hostName}}:{{port}}\ncertificate-authority: {{caFile}}\ntls-server-name: kubernetes",
        TOKEN_USER,
      ),
    },
    kubeconfig: ["config"],
    env: { HTTP_PROXY: "{{proxy}}" },
    expect: { slices: 1 },
    proxied: false,
    hostName: true,
  },
  {
    name: "proxy-url wins over NO_PROXY",
    runtimes: true,
    unproxied: {
      runtime: "bun",
      why: "Bun's fetch, which we go through a proxy with on Bun, skips any proxy for a host that NO_PROXY names " +
        "(README, Cluster access: the one difference that remains on Bun)",
    },
    files: { "config": kubeconfig(`${CLUSTER}\nproxy-url: {{proxy}}`, TOKEN_USER) },
    kubeconfig: ["config"],
    env: { NO_PROXY: "*" },
    expect: { slices: 1 },
    proxied: true,
  },
  {
    name: "HTTPS_PROXY and https_proxy are not used for a loopback server",
    files: { "config": kubeconfig(CLUSTER, TOKEN_USER) },
    kubeconfig: ["config"],
    env: { HTTPS_PROXY: "{{closedServer}}", https_proxy: "{{closedServer}}" },
    expect: { slices: 1 },
  },
  {
    name: "a context without a namespace, POD_NAMESPACE set",
    files: {
      "config": kubeconfig(CLUSTER, "client-certificate: {{adminCert}}\nclient-key: {{adminKey}}", { namespace: "" }),
    },
    kubeconfig: ["config"],
    env: { POD_NAMESPACE: "{{namespace}}" },
    expect: { namespace: "default", slices: 0 },
    ours: { slices: 1 },
    why: "the README's order for a target without a namespace: the context's, else the pod's own (POD_NAMESPACE, " +
      "the service-account namespace file), else default; kubectl reads the pod's only when it runs in-cluster",
  },
  {
    name: "KUBERNETES_SERVICE_HOST set, no service-account token, and ~/.kube/config",
    files: { "home/.kube/config": kubeconfig(CLUSTER, TOKEN_USER) },
    env: { KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: "{{closedPort}}" },
    expect: { slices: 1 },
  },
  {
    name: "in a pod: the service account's token, CA and namespace",
    runtimes: true,
    files: {},
    serviceAccount: { token: "{{token}}", "ca.crt": "{{ca}}", namespace: "{{namespace}}" },
    env: { KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: "{{port}}" },
    expect: { slices: 1 },
  },
  {
    name: "in a pod: POD_NAMESPACE wins over the namespace file",
    files: {},
    serviceAccount: { token: "{{token}}", "ca.crt": "{{ca}}", namespace: "kube-system" },
    env: { KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: "{{port}}", POD_NAMESPACE: "{{namespace}}" },
    expect: { slices: 1 },
  },
  {
    name: "in a pod with KUBECONFIG set: the kubeconfig",
    files: {
      "config": kubeconfig(
        "server: {{server}}\ncertificate-authority: {{caFile}}",
        "client-certificate: {{adminCert}}\nclient-key: {{adminKey}}",
        { namespace: "" },
      ),
    },
    kubeconfig: ["config"],
    serviceAccount: { token: "{{token}}", "ca.crt": "{{ca}}", namespace: "{{namespace}}" },
    env: { KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: "{{port}}" },
    expect: { namespace: "default", slices: 0 },
    // The context has no namespace: the pod's is ours (see the POD_NAMESPACE situation above).
    ours: { slices: 1 },
    why: "for a target without a namespace we fall back on the pod's namespace after the context's; kubectl " +
      "reads it only when it uses the in-cluster config",
  },
  {
    name: "in a pod with a ~/.kube/config",
    files: {
      "home/.kube/config": kubeconfig(
        "server: {{server}}\ncertificate-authority: {{caFile}}",
        "client-certificate: {{adminCert}}\nclient-key: {{adminKey}}",
        { namespace: "default" },
      ),
    },
    serviceAccount: { token: "{{token}}", "ca.crt": "{{ca}}", namespace: "{{namespace}}" },
    env: { KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: "{{port}}" },
    expect: { namespace: "default", slices: 0 },
    ours: { slices: 1 },
    why: "README (Cluster access): in a pod, the pod's own service account wins over a ~/.kube/config that the " +
      "image happens to carry, as in controller-runtime's GetConfig; kubectl reads ~/.kube/config first",
  },
  {
    name: "no current-context",
    files: { "config": kubeconfig(CLUSTER, TOKEN_USER).replace(/^current-context: .*$/m, "") },
    kubeconfig: ["config"],
    isolated: true,
    expect: { fails: { kubectl: LOCALHOST_8080, ours: /current-context/ } },
    why: "kubectl falls back to http://localhost:8080 (the insecure port, gone since Kubernetes 1.20); we say " +
      "that no context is chosen",
  },
  {
    name: "KUBECONFIG lists only files that do not exist",
    files: {},
    kubeconfig: ["missing/config", "missing/other"],
    isolated: true,
    expect: { fails: { kubectl: LOCALHOST_8080, ours: /Cannot find a Kubernetes cluster.*no listed file exists/ } },
    why: "kubectl falls back to http://localhost:8080; we say what we tried",
  },
  {
    name: "a context whose cluster is defined nowhere",
    files: { "config": kubeconfig(CLUSTER, TOKEN_USER).replace("cluster: c,", "cluster: ghost,") },
    kubeconfig: ["config"],
    isolated: true,
    expect: { fails: { kubectl: LOCALHOST_8080, ours: /names cluster "ghost", which is not defined/ } },
    why: "kubectl falls back to http://localhost:8080; a name that matches no cluster is a mistake, we stop there",
  },
  {
    name: "current-context names a context that does not exist",
    files: { "config": kubeconfig(CLUSTER, TOKEN_USER, { current: "nope" }) },
    kubeconfig: ["config"],
    expect: { fails: { kubectl: /context was not found for specified context: nope/, ours: /"nope"/ } },
  },
];

/**
 * Runs a program with exactly this environment and no input (kubectl asks for a user name and password on
 * stdin when a user has no credentials: it then reads the end of input); never rejects.
 */
function runProgram(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawnTied(command, args, { env: childEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk) => stdout += chunk);
  child.stderr.setEncoding("utf8").on("data", (chunk) => stderr += chunk);
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  return new Promise((resolve) => {
    child.on("error", (error) => resolve({ code: -1, stdout, stderr: error.message }));
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

function slicesPath(namespace: string): string {
  return `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices?labelSelector=` +
    encodeURIComponent(`kubernetes.io/service-name=${SERVICE}`);
}

/** What kubectl does: the server and namespace of `config view --minify`, then `get --raw` of the LIST. */
async function kubectlOutcome(kubectl: string[], env: Record<string, string>, fromLog: boolean): Promise<Outcome> {
  const outcome: Outcome = { listed: { error: "" } };
  const [command, ...prefix] = kubectl;
  const run = (args: string[]) => runProgram(command, [...prefix, ...args], env);
  if (fromLog) return await inPodOutcome(run);
  const view = await run(["config", "view", "--minify", "-o", "json"]);
  let namespace = "default";
  if (view.code === 0) {
    const config = JSON.parse(view.stdout);
    outcome.server = config.clusters?.[0]?.cluster?.server;
    namespace = config.contexts?.[0]?.context?.namespace || "default";
    outcome.namespace = namespace;
  } else {
    outcome.configError = view.stderr.trim();
  }
  // No --request-timeout (runProgram kills it after 30 s): any flag that overrides the config makes kubectl 1.36 skip
  // its in-cluster config when there is no kubeconfig, and dial http://localhost:8080 instead (a merged config that
  // is not the default one is used as it is: clientcmd's DeferredLoadingClientConfig).
  const list = await run(["get", "--raw", slicesPath(namespace)]);
  outcome.listed = list.code === 0
    ? { slices: (JSON.parse(list.stdout).items ?? []).length }
    : { error: `${list.stdout}${list.stderr}`.trim() };
  return outcome;
}

/**
 * kubectl in a pod without a kubeconfig, or without a current-context: `config view --minify` shows nothing then,
 * so the namespace and server are those of the LIST that `kubectl get` (no -n) sends, read from its log (-v=6).
 */
async function inPodOutcome(
  run: (args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>,
): Promise<Outcome> {
  const list = await run([
    "get",
    "endpointslices.v1.discovery.k8s.io",
    "-l",
    `kubernetes.io/service-name=${SERVICE}`,
    "-o",
    "json",
    "-v=6",
  ]);
  const url = list.stderr.match(
    /url="(https?:\/\/[^/"]+)\/apis\/discovery\.k8s\.io\/v1\/namespaces\/([^/"]+)\/endpointslices/,
  );
  const outcome: Outcome = { listed: { error: "" } };
  if (url) [outcome.server, outcome.namespace] = [url[1], url[2]];
  outcome.listed = list.code === 0
    ? { slices: (JSON.parse(list.stdout).items ?? []).length }
    : { error: list.stderr.split("\n").filter((line) => !/^[IW]\d{4} /.test(line)).join("\n").trim() };
  return outcome;
}

/** What `cluster_access_client.mjs` printed: the first snapshot's namespace and endpoints (one per slice here). */
function runtimeOutcome(result: { code: number; stdout: string; stderr: string }): Outcome {
  let printed: { namespace?: string; endpoints?: number; error?: string };
  try {
    printed = JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "");
  } catch {
    return { listed: { error: `exited ${result.code} without a result: ${result.stderr.trim()}` } };
  }
  if (printed.error !== undefined || printed.endpoints === undefined) return { listed: { error: `${printed.error}` } };
  return { namespace: printed.namespace, listed: { slices: printed.endpoints } };
}

/** What we do: resolveClusterAccess() with the same variables, then a LIST as the resolver sends it. */
async function ourOutcome(env: Record<string, string>, serviceAccountDirectory: string): Promise<Outcome> {
  let access;
  try {
    access = await resolveClusterAccess({}, {
      env: (name) => env[name],
      homeDirectory: () => env.HOME,
      serviceAccountDirectory,
    });
  } catch (error) {
    const message = (error as Error).message;
    return { configError: message, listed: { error: message } };
  }
  const outcome: Outcome = { server: access.server, listed: { error: "" } };
  let namespace: string;
  try {
    namespace = access.namespace;
    outcome.namespace = namespace;
  } catch (error) {
    outcome.configError = (error as Error).message;
    namespace = "default";
  }
  const client = createClusterHttpClient(access);
  try {
    const list = await createEndpointSliceApi(access, client, namespace, SERVICE).list({
      signal: AbortSignal.timeout(10_000),
    });
    outcome.listed = { slices: list.items.length };
  } catch (error) {
    outcome.listed = { error: (error as Error).message };
  } finally {
    client.close();
  }
  return outcome;
}

/** Where `outcome` departs from `expected` (nothing when it matches). */
function departures(
  who: string,
  side: "kubectl" | "ours",
  outcome: Outcome,
  expected: Expected,
  defaultNamespace: string,
): string[] {
  const found: string[] = [];
  if (expected.fails) {
    const pattern = expected.fails[side] ?? /(?!)/;
    const text = "error" in outcome.listed ? `${outcome.configError ?? ""}\n${outcome.listed.error}` : undefined;
    if (text === undefined) found.push(`${who}: the LIST succeeded, expected an error matching ${pattern}`);
    else if (!pattern.test(text)) found.push(`${who}: the error does not match ${pattern}: ${text.trim()}`);
    return found;
  }
  const namespace = expected.namespace ?? defaultNamespace;
  if (outcome.namespace !== namespace) {
    found.push(`${who}: namespace ${outcome.namespace} (${outcome.configError ?? "no error"}), expected ${namespace}`);
  }
  if (!("slices" in outcome.listed)) found.push(`${who}: the LIST failed: ${outcome.listed.error}`);
  else if (outcome.listed.slices !== expected.slices) {
    found.push(`${who}: the LIST found ${outcome.listed.slices} slices, expected ${expected.slices}`);
  }
  return found;
}

/** The same server, spelled as each reports it (kubectl as written, we with a scheme and no trailing slash). */
function sameServer(kubectl: string, ours: string): boolean {
  const bare = (server: string) => server.replace(/^[a-z]+:\/\//, "").replace(/\/+$/, "");
  return kubectl.includes("://") ? kubectl.replace(/\/+$/, "") === ours : bare(kubectl) === bare(ours);
}

/** A TCP forwarder on `host` to the API server: a second address for it that its certificate does not hold. */
function forwarder(host: string, port: number): Promise<Server> {
  const server = tracked(createServer((socket) => {
    const upstream = connect(port, "127.0.0.1");
    socket.pipe(upstream).pipe(socket);
    socket.on("error", () => upstream.destroy());
    upstream.on("error", () => socket.destroy());
  }));
  return new Promise((resolve) => server.listen(0, host, () => resolve(server)));
}

/**
 * A CONNECT proxy on loopback that logs each request line and tunnels to the API server on 127.0.0.1 those whose
 * target is one of `allowed` (host:port); it answers 403 to anything else.
 */
function connectProxy(allowed: string[], apiPort: number, requests: string[]): Promise<Server> {
  const server = tracked(createServer((socket: Socket) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      socket.off("data", onData);
      const line = head.subarray(0, head.indexOf("\r\n")).toString();
      requests.push(line);
      const [method, target] = line.split(" ");
      if (method !== "CONNECT" || !allowed.includes(target)) {
        socket.end("HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n");
        return;
      }
      const upstream = connect(apiPort, "127.0.0.1", () => {
        socket.write("HTTP/1.1 200 Connection established\r\n\r\n");
        const rest = head.subarray(end + 4);
        if (rest.length > 0) upstream.write(rest);
        socket.pipe(upstream).pipe(socket);
      });
      upstream.on("error", () => socket.destroy());
      socket.on("error", () => upstream.destroy());
    };
    socket.on("data", onData);
  }));
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/** The one slice of the plain HTTP server. */
const SLICE = {
  metadata: { name: "echo-a", resourceVersion: "1", labels: { "kubernetes.io/service-name": SERVICE } },
  addressType: "IPv4",
  endpoints: [{ addresses: ["10.32.0.1"], conditions: {} }],
  ports: [{ name: "grpc", port: 50051, protocol: "TCP" }],
};

/**
 * A plain HTTP server on loopback standing for an API server reached over http://: the slice list for a request
 * with the token, a 401 Status for one without.
 */
function plainHttpServer(token: string): Promise<Server> {
  const server = tracked(createHttpServer((request, response) => {
    const authorized = request.headers.authorization === `Bearer ${token}`;
    response.writeHead(authorized ? 200 : 401, { "content-type": "application/json" });
    response.end(JSON.stringify(
      authorized
        ? {
          kind: "EndpointSliceList",
          apiVersion: "discovery.k8s.io/v1",
          metadata: { resourceVersion: "1" },
          items: [SLICE],
        }
        : {
          kind: "Status",
          apiVersion: "v1",
          status: "Failure",
          message: "Unauthorized",
          reason: "Unauthorized",
          code: 401,
        },
    ));
  }));
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/** Closes a server and every connection still open on it (a client's idle keep-alive one, a tunnel). */
function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const socket of openSockets.get(server) ?? []) socket.destroy();
  return closed;
}

/** The connections open on each server started here, so that closing it does not wait for them. */
const openSockets = new Map<Server, Set<Socket>>();

/** `server`, its connections tracked for {@linkcode closeServer}. */
function tracked<T extends Server>(server: T): T {
  const sockets = new Set<Socket>();
  openSockets.set(server, sockets);
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  return server;
}

function fill(text: string, values: Record<string, string>): string {
  return text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`Cannot fill {{${name}}}: no such fixture`);
    return value;
  });
}

Deno.test({
  name: "kubectl v1.36.3 and our cluster access agree on the same kubeconfigs against a real kube-apiserver",
  ignore: await localControlPlaneSkipped(log) !== undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const started = Date.now();
    const kubectl = await kubectlBinary();
    const controlPlane: ControlPlane = await startControlPlane({ log });
    const folder = await mkdtemp(join(tmpdir(), "kgr-kubectl-"));
    const servers: Server[] = [];
    try {
      const fetch = controlPlane.adminFetch;
      const namespace = await createNamespace(fetch, "e2e-kubectl");
      await createService(fetch, namespace, SERVICE);
      await applyEndpointSlice(fetch, namespace, SERVICE, {
        name: "echo-a",
        endpoints: [{ addresses: ["10.32.0.1"] }],
      });
      await createEndpointSliceReaderRole(fetch, namespace);
      await createServiceAccount(fetch, namespace, "reader");
      await bindEndpointSliceReader(fetch, namespace, "reader");
      const token = await requestToken(fetch, namespace, "reader");
      const port = new URL(controlPlane.server).port;
      const alt = await forwarder("127.0.0.2", Number(port));
      servers.push(alt);
      const hostName = await loopbackHostName();
      if (!hostName) log("no name but localhost maps to 127.0.0.1 in /etc/hosts: the env proxy situations are skipped");
      const allowed = [`127.0.0.1:${port}`, ...(hostName ? [`${hostName}:${port}`] : [])];
      const plain = await plainHttpServer(token);
      servers.push(plain);
      const httpPort = (plain.address() as { port: number }).port;
      const base64 = async (path: string) => btoa(await readFile(path, "utf8"));
      const closedPort = freePort();
      const values: Record<string, string> = {
        server: controlPlane.server,
        port,
        namespace,
        token,
        ca: controlPlane.ca,
        caFile: controlPlane.caFile,
        caData: btoa(controlPlane.ca),
        notPemData: btoa("not a certificate"),
        adminCert: join(controlPlane.dir, "admin.crt"),
        adminKey: join(controlPlane.dir, "admin.key"),
        adminCertData: await base64(join(controlPlane.dir, "admin.crt")),
        adminKeyData: await base64(join(controlPlane.dir, "admin.key")),
        adminCertJson: JSON.stringify(await readFile(join(controlPlane.dir, "admin.crt"), "utf8")),
        adminKeyJson: JSON.stringify(await readFile(join(controlPlane.dir, "admin.key"), "utf8")),
        altServer: `https://127.0.0.2:${(alt.address() as { port: number }).port}`,
        hostName: hostName ?? "",
        closedServer: `http://127.0.0.1:${closedPort}`,
        closedPort: String(closedPort),
        httpServer: `http://127.0.0.1:${httpPort}`,
        httpPort: String(httpPort),
        otherKey: join(controlPlane.dir, "ca.key"),
      };

      const unshare = await isolation();
      if (!unshare) {
        log("unshare -n is not allowed here: the situations where kubectl dials localhost:8080 are skipped");
      }
      const runtimes = Object.fromEntries(Object.entries(RUNTIMES).filter(([name]) => name !== "deno"));
      if (!existsSync(join(ROOT, "dist/mod.js"))) {
        throw new Error("Our side on Node and Bun needs the build: run `npm run build`");
      }
      const mounts = await canUnshareMounts();
      if (!mounts) log("unshare --mount is not allowed here: the in-cluster situations are skipped");
      const results = await inParallel(situations, PARALLEL, async (situation, index) => {
        if ((situation.isolated && !unshare) || (situation.hostName && !hostName)) return undefined;
        if (situation.serviceAccount && !mounts) return undefined;
        const began = Date.now();
        const proxyRequests: string[] = [];
        const filled = { ...values };
        if (situation.proxied !== undefined) {
          const proxy = await connectProxy(allowed, Number(port), proxyRequests);
          servers.push(proxy);
          filled.proxy = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
        }
        const dir = join(folder, String(index));
        await mkdir(join(dir, "home"), { recursive: true });
        for (const [name, text] of Object.entries(situation.files)) {
          const path = join(dir, name);
          await mkdir(dirname(path), { recursive: true });
          await writeFile(path, fill(text, filled));
          if (name.endsWith(".sh")) await chmod(path, 0o755);
        }
        const env: Record<string, string> = { PATH: "/usr/bin:/bin", HOME: join(dir, "home") };
        if (situation.kubeconfig) {
          env.KUBECONFIG = situation.kubeconfig.map((file) => (file ? join(dir, file) : "")).join(":");
        }
        for (const [name, value] of Object.entries(situation.env ?? {})) env[name] = fill(value, filled);
        const serviceAccount = join(dir, "serviceaccount");
        await mkdir(serviceAccount);
        for (const [name, text] of Object.entries(situation.serviceAccount ?? {})) {
          await writeFile(join(serviceAccount, name), fill(text, filled));
        }
        const command = situation.isolated
          ? [...unshare!, kubectl]
          : situation.serviceAccount
          ? [...inPod(serviceAccount), kubectl]
          : [kubectl];
        const onRuntimes = Promise.all(
          Object.entries(situation.runtimes ? runtimes : {}).map(async ([runtime, run]) => {
            const prefix = command.slice(0, -1);
            const all = [...prefix, ...run, CLIENT, `kubernetes:///${SERVICE}:50051`];
            return [runtime, runtimeOutcome(await runProgram(all[0], all.slice(1), env))] as const;
          }),
        );
        const [theirs, ours] = await Promise.all([
          kubectlOutcome(
            command,
            env,
            (!!situation.serviceAccount && !situation.kubeconfig) || !!situation.noCurrentContext,
          ),
          ourOutcome(env, serviceAccount),
        ]);
        const others = await onRuntimes;
        const ms = Date.now() - began;
        return { situation, ms, theirs, ours, others, proxyRequests, checked: await situation.check?.(dir) ?? [] };
      });

      const problems: string[] = [];
      for (const result of results) {
        if (!result) continue;
        const { situation, ms, theirs, ours, others, proxyRequests, checked } = result;
        const found = [
          ...checked,
          ...departures("kubectl", "kubectl", theirs, situation.expect, namespace),
          ...departures("ours", "ours", ours, situation.ours ?? situation.expect, namespace),
          ...others.flatMap(([runtime, outcome]) =>
            departures(`ours on ${runtime}`, "ours", outcome, situation.ours ?? situation.expect, namespace)
          ),
        ];
        // Where both fail, each error must say what kubectl's says; one pattern per side (they word it apart).
        if (situation.expect.fails && !situation.ours && !situation.expect.fails.ours) {
          found.push("expect.fails needs a pattern for our error");
        }
        if (situation.proxied !== undefined) {
          // kubectl and we on Deno make one connection each (one LIST), Node and Bun at least one (LIST, WATCH); a
          // CONNECT to anything but the API server is refused.
          const through = proxyRequests.filter((line) =>
            allowed.some((target) => line === `CONNECT ${target} HTTP/1.1`)
          );
          const clients = 2 + others.length - (situation.unproxied ? 1 : 0);
          if (
            through.length !== proxyRequests.length ||
            (situation.proxied ? through.length < clients : through.length !== 0)
          ) {
            found.push(
              `the proxy saw ${JSON.stringify(proxyRequests)}, expected ${situation.proxied ? clients : "no"} CONNECTs`,
            );
          }
        }
        if (theirs.server !== undefined && ours.server !== undefined && !sameServer(theirs.server, ours.server)) {
          found.push(`server: kubectl ${theirs.server}, ours ${ours.server}`);
        }
        for (const side of [theirs, ours, ...others.map(([, outcome]) => outcome)]) {
          const text = JSON.stringify(side);
          if (text.includes(token)) found.push("a message shows the token");
        }
        const summary = (outcome: Outcome) =>
          "slices" in outcome.listed ? `${outcome.listed.slices} slice(s) in ${outcome.namespace}` : "fails";
        const verdict = found.length
          ? "UNEXPECTED"
          : situation.why || situation.unproxied
          ? "intended  "
          : "same      ";
        const proxy = situation.proxied === undefined ? "" : `; ${proxyRequests.length} CONNECT(s) through the proxy`;
        const elsewhere = others.map(([runtime, outcome]) => `, on ${runtime} ${summary(outcome)}`).join("");
        log(
          `${verdict} ${situation.name}: kubectl ${summary(theirs)}, ours ${
            summary(ours)
          }${elsewhere}${proxy} (${ms} ms)`,
        );
        for (const [who, outcome] of [["kubectl", theirs], ["ours", ours]] as const) {
          if ("error" in outcome.listed) {
            log(`             ${who}: ${outcome.listed.error.replaceAll("\n", " ").slice(0, 400)}`);
          }
        }
        if (found.length) problems.push(`${situation.name}:\n      ${found.join("\n      ")}`);
      }
      assert.deepEqual(problems, [], `kubectl and we differ:\n  ${problems.join("\n  ")}`);
      log(`${situations.length} situations in ${Date.now() - started} ms (with the control plane's start)`);
    } catch (error) {
      console.log(await controlPlane.logs(20));
      throw error;
    } finally {
      for (const server of servers) await closeServer(server);
      await controlPlane.stop();
      if (!Deno.env.get("KGR_E2E_KEEP")) await rm(folder, { recursive: true, force: true });
    }
  },
});

/** What the exec plugin got from kubectl and from us (arguments, its env entry, KUBERNETES_EXEC_INFO): what differs. */
async function comparePluginInputs(dir: string): Promise<string[]> {
  const seen = (await readdir(dir)).filter((name) => name.startsWith("seen."));
  const kubectl = seen.filter((name) => name.startsWith("seen.kubectl"));
  const ours = seen.filter((name) => !name.startsWith("seen.kubectl"));
  if (kubectl.length !== 1 || ours.length === 0) return [`the plugin recorded ${JSON.stringify(seen)}`];
  const read = async (name: string) => {
    const [args, mode, info] = (await readFile(join(dir, name), "utf8")).split("\n");
    return { args, mode, info: JSON.parse(info) };
  };
  const theirs = await read(kubectl[0]);
  const found: string[] = [];
  for (const name of ours) {
    try {
      assert.deepEqual(await read(name), theirs);
    } catch (error) {
      found.push(`the plugin's input from ${name.slice("seen.".length)} differs: ${(error as Error).message}`);
    }
  }
  return found;
}

/**
 * A name other than localhost that /etc/hosts maps to 127.0.0.1 (often the machine's own name), read from the file
 * so that no DNS query is made: a server named by it goes through an environment proxy (only localhost and
 * loopback addresses are exempt, in Go as in ours), and a client that went around the proxy would still reach
 * loopback.
 */
async function loopbackHostName(): Promise<string | undefined> {
  const hosts = await readFile("/etc/hosts", "utf8").catch(() => "");
  for (const line of hosts.split("\n")) {
    const [address, ...names] = line.replace(/#.*/, "").trim().split(/\s+/);
    const name = names.find((name) => name !== "localhost" && /^[a-z0-9-]+$/i.test(name));
    if (address === "127.0.0.1" && name) return name;
  }
  return undefined;
}

/** Whether we may run a program in a mount namespace of its own (root and util-linux). */
async function canUnshareMounts(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  return (await runProgram("unshare", ["--mount", "true"], { PATH: "/usr/bin:/bin" })).code === 0;
}

/** The prefix that runs a program as in a pod: `folder` mounted where the kubelet mounts the service account. */
function inPod(folder: string): string[] {
  const mountPoint = "/run/secrets/kubernetes.io/serviceaccount";
  const script = `mount -t tmpfs tmpfs /run && mkdir -p ${mountPoint} && mount --bind "$1" ${mountPoint} && shift && ` +
    'exec "$@"';
  return ["unshare", "--mount", "sh", "-c", script, "sh", folder];
}

/** `run` on each item, at most `limit` at a time; the results in the items' order. */
async function inParallel<T, R>(items: T[], limit: number, run: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await run(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** How to run a program in a network namespace of its own (as root, or in a user namespace), if allowed. */
async function isolation(): Promise<string[] | undefined> {
  for (const unshare of [["unshare", "-n"], ["unshare", "-rn"]]) {
    const probe = await runProgram(unshare[0], [...unshare.slice(1), "true"], { PATH: "/usr/bin:/bin" });
    if (probe.code === 0) return unshare;
  }
  return undefined;
}
