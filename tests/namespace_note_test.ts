// Where a message says the namespace of a target that names none came from.
import assert from "node:assert/strict";
import { defaultNamespaceNote } from "../src/cluster/namespace_note.ts";

Deno.test("defaultNamespaceNote() names cluster.namespace when the cluster options set no namespace", () => {
  // Was "none is set in cluster options", which names no option to set.
  assert.equal(
    defaultNamespaceNote({ source: "cluster options", origin: { kind: "options" } }),
    "the target names no namespace, and cluster.namespace is not set",
  );
});

Deno.test("defaultNamespaceNote() names the kubeconfig and context that set no namespace", () => {
  assert.equal(
    defaultNamespaceNote({
      source: 'kubeconfig /root/.kube/config (context "dev")',
      origin: { kind: "kubeconfig", files: ["/root/.kube/config"], context: "dev" },
    }),
    'the target names no namespace, and none is set in kubeconfig /root/.kube/config (context "dev")',
  );
});

Deno.test("defaultNamespaceNote() names where the namespace came from when something set it", () => {
  assert.equal(
    defaultNamespaceNote({ source: "cluster options", origin: { kind: "options" }, namespaceSource: "POD_NAMESPACE" }),
    "the target names no namespace, so it comes from POD_NAMESPACE",
  );
});
