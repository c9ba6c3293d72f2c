// The kubectl commands in why a Service has no usable pod, as the live table wraps them: each copies whole, with no
// parenthesis or ';' glued to it, and no prose after it that reads as more of the command.
import assert from "node:assert/strict";
import type { EndpointSlice } from "../../src/base/endpoint_slice.ts";
import type { ServiceView } from "../../src/cli/service_observer.ts";
import { noEndpointsReason } from "../../src/selection/no_endpoints_reason.ts";
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
      { before: "", command: "kubectl get endpointslices -n prod -l kubernetes.io/service-name=echo" },
    ], `${columns} columns:\n${lines.join("\n")}`);
  }
});
