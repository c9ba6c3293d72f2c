// Shared by the cluster-access tests: fake environments, a service account, a kubeconfig.
import { stringify } from "yaml";
import { readFileSync } from "node:fs";
import type { Environment } from "../src/cluster/types.ts";

/** A CA certificate that parses: cluster access refuses a CA of which none does. */
export const CA = readFileSync(new URL("./fixtures/ca.pem", import.meta.url), "utf8");
/** The folder in which a pod finds its service account's token, CA and namespace. */
export const SA = "/var/run/secrets/kubernetes.io/serviceaccount";

/** An environment with only the given variables and files; no home directory. */
export function fakeEnvironment(
  vars: Record<string, string>,
  files: Record<string, string>,
  extra: Partial<Environment> = {},
): Environment {
  return {
    env: (name) => vars[name],
    homeDirectory: () => undefined,
    readFile: (path) => Promise.resolve(files[path]),
    ...extra,
  };
}

/** The variables that the kubelet sets in every pod for the `kubernetes` Service. */
export const IN_CLUSTER_VARS = {
  KUBERNETES_SERVICE_HOST: "10.96.0.1",
  KUBERNETES_SERVICE_PORT: "443",
};
/** The service account files of a pod in namespace shop, for {@linkcode fakeEnvironment}. */
export const SA_FILES = {
  [`${SA}/token`]: "sa-token\n",
  [`${SA}/ca.crt`]: CA,
  [`${SA}/namespace`]: "shop\n",
};

/** A kubeconfig whose current context "dev" reaches `server` with a token. */
export function kubeconfigText(
  server: string,
  extra: { namespace?: string; token?: string } = {},
): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    "current-context": "dev",
    clusters: [{ name: "dev-cluster", cluster: { server } }],
    users: [{ name: "dev-user", user: { token: extra.token ?? "kube-token" } }],
    contexts: [{
      name: "dev",
      context: {
        cluster: "dev-cluster",
        user: "dev-user",
        ...(extra.namespace ? { namespace: extra.namespace } : {}),
      },
    }],
  });
}
