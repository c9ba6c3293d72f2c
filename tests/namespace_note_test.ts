// Where a message says the namespace of a target that names none came from.
import assert from "node:assert/strict";
import { defaultNamespaceNote, missingNamespaceFix } from "../src/cluster/namespace_note.ts";

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

Deno.test("missingNamespaceFix() says to fix what set a namespace that does not exist, or to name one in the target", () => {
  // Was "...so it comes from cluster.namespace: name the namespace in the target", as if the option were no fix.
  const options = { source: "cluster options", origin: { kind: "options" } } as const;
  assert.equal(
    missingNamespaceFix({ ...options, namespaceSource: "cluster.namespace" }, false),
    "the target names no namespace, so it comes from cluster.namespace: fix cluster.namespace, or name the namespace " +
      "in the target",
  );
  assert.equal(
    missingNamespaceFix({ ...options, namespaceSource: "POD_NAMESPACE" }, false),
    "the target names no namespace, so it comes from POD_NAMESPACE: fix POD_NAMESPACE, or name the namespace in the " +
      "target",
  );
  const source = 'kubeconfig /root/.kube/config (context "dev")';
  assert.equal(
    missingNamespaceFix({ ...options, namespaceSource: source }, false),
    `the target names no namespace, so it comes from ${source}: fix it, or name the namespace in the target`,
  );
  assert.equal(
    missingNamespaceFix(options, false),
    "the target names no namespace, and cluster.namespace is not set: name the namespace in the target",
  );
  assert.equal(missingNamespaceFix(options, true), "fix the target's namespace");
});
