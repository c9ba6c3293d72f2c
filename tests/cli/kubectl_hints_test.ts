// The kubectl commands in why a Service has no usable pod, as the live table wraps them: each copies whole, with no
// parenthesis or ';' glued to it, and no prose after it that reads as more of the command.
import assert from "node:assert/strict";
import type { EndpointSlice } from "../../src/base/endpoint_slice.ts";
import type { ServiceView } from "../../src/cli/service_observer.ts";
import { noEndpointsReason } from "../../src/selection/no_endpoints_reason.ts";
import { wordWrap } from "../../src/cli/terminal.ts";
import { serviceViewOf, tableAt } from "./_service_view.ts";

const SELECTED = {
  type: "ClusterIP",
  externalName: "",
  selector: "app=echo",
  ports: [{ name: "grpc", port: 80, targetPort: 8080 }],
};

/** The view of `slices` whose snapshot says why none is usable in the words of the library's reason. */
function viewWhy(slices: EndpointSlice[]): ServiceView {
  const view = serviceViewOf(slices, {});
  const emptyReason = noEndpointsReason(slices, "grpc", "echo", "prod", { shape: SELECTED });
  return { ...view, snapshot: { ...view.snapshot!, emptyReason } };
}

/**
 * Each kubectl command on `lines`, up to the prose word after it or the line's end, with what is glued before it; a
 * command wider than the terminal as its lines run when copied (each but the last ends in ` \`).
 */
function commandsOn(lines: string[]): { before: string; command: string }[] {
  return lines.join("\n").replaceAll(" \\\n", " ").split("\n").flatMap((line) =>
    [...line.matchAll(/(\S*)(kubectl .*?)(?= (?:lists|shows|says)\b|$)/g)].map(([, before, command]) => ({
      before,
      command,
    }))
  );
}

Deno.test("renderTable() shows the kubectl commands of why no pod is ready each whole, to be copied", () => {
  // At 80 columns: '(kubectl get pods -n shop -l app=echo;' over 'kubectl describe pod names a failing readiness
  // probe)', whose second line read as a command.
  const notReady: EndpointSlice = {
    metadata: { name: "echo-x", namespace: "prod" },
    addressType: "IPv4",
    ports: [{ name: "grpc", port: 8080 }],
    endpoints: [{ addresses: ["10.1.0.1"], targetRef: { name: "echo-0" }, conditions: { ready: false } }],
  };
  for (const columns of [60, 80, 120]) {
    const lines = tableAt(viewWhy([notReady]), columns, { rows: 24 });
    assert.deepEqual(commandsOn(lines), [
      { before: "", command: "kubectl get pods -n prod -l app=echo" },
      { before: "", command: "kubectl describe pod POD -n prod" },
    ], `${columns} columns:\n${lines.join("\n")}`);
  }
});

Deno.test("renderTable() shows the kubectl commands of why a Service has no EndpointSlice each whole", () => {
  // At 80 columns: '(kubectl get service echo -n shop;' over 'kubectl get endpointslices -n shop -l
  // kubernetes.io/service-name=echo)'.
  for (const columns of [60, 80, 120]) {
    const lines = tableAt(viewWhy([]), columns, { rows: 24 });
    assert.deepEqual(commandsOn(lines), [
      { before: "", command: "kubectl get service echo -n prod" },
      { before: "", command: "kubectl get namespace prod" },
      { before: "", command: "kubectl get endpointslices -n prod -l kubernetes.io/service-name=echo" },
    ], `${columns} columns:\n${lines.join("\n")}`);
  }
});

Deno.test("wordWrap() wraps a sentence that names kubectl as prose, with no ' \\' at its lines' ends", () => {
  // Was, at 80 columns: '~/.kube/config (skipped because KUBECONFIG is set, as kubectl does): point \'; at 70:
  // 'kgr-resolver: Cannot use --context: it must not be empty (kubectl \' over 'reads an empty one as none given):
  // leave it out to use the \'.
  const noCluster = "kgr-resolver: Cannot find a Kubernetes cluster to talk to: tried KUBECONFIG=/tmp/nope.yaml (no " +
    "listed file exists); in-cluster (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set); " +
    "~/.kube/config (skipped because KUBECONFIG is set, as kubectl does): point KUBECONFIG at a kubeconfig that " +
    "exists (or unset it to use ~/.kube/config), pass --kubeconfig, or run in a pod with a service account token";
  const emptyContext = "kgr-resolver: Cannot use --context: it must not be empty (kubectl reads an empty one as none " +
    "given): leave it out to use the kubeconfig's current-context";
  for (const [text, columns] of [[noCluster, 80], [emptyContext, 70]] as const) {
    const lines = wordWrap(text, columns, { keepCommands: true });
    assert.deepEqual(lines, wordWrap(text, columns), lines.join("\n"));
  }
});

Deno.test("wordWrap() ends a kubectl command at a word that ends in ':'", () => {
  const text = "if it fails, run kubectl get pods -n prod -l app=echo: a pod not ready says why in its events";
  assert.deepEqual(wordWrap(text, 30, { keepCommands: true }), [
    "if it fails, run kubectl get \\",
    "pods -n prod -l app=echo: a",
    "pod not ready says why in its",
    "events",
  ]);
});
