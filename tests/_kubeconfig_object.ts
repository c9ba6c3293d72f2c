// Shared by the kubeconfig tests.
import type { KubeconfigObject } from "../src/cluster/kubeconfig_schema.ts";
import type { ExecPluginRequest } from "../src/runtime/exec_plugin.ts";

/** A kubeconfig whose context "ctx" uses cluster "c" (with `cluster` added) and, when given, user "u". */
export function config(
  cluster: Record<string, unknown>,
  user?: Record<string, unknown>,
  context: Record<string, unknown> = {},
): KubeconfigObject {
  return {
    apiVersion: "v1",
    kind: "Config",
    "current-context": "ctx",
    clusters: [{
      name: "c",
      cluster: { server: "https://k.example:6443", ...cluster },
    }],
    users: user ? [{ name: "u", user }] : [],
    contexts: [{
      name: "ctx",
      context: { cluster: "c", ...(user ? { user: "u" } : {}), ...context },
    }],
  };
}

/** An exec plugin runner for tests that run none. */
export const noExec = (_: ExecPluginRequest) => Promise.reject(new Error("no exec in this test"));
