import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import { rbacYaml, subjectOf } from "../../src/cli/rbac_yaml.ts";

const SLICES = { verbs: ["list", "watch"], group: "discovery.k8s.io", resource: "endpointslices", namespace: "prod" };

Deno.test("subjectOf() binds a ServiceAccount as one, anyone else as a User, and an unknown user as a placeholder", () => {
  assert.deepEqual(subjectOf("system:serviceaccount:prod:my-client"), {
    kind: "ServiceAccount",
    name: "my-client",
    namespace: "prod",
  });
  assert.deepEqual(subjectOf("alice@example.com"), { kind: "User", name: "alice@example.com", placeholder: false });
  assert.deepEqual(subjectOf(undefined), { kind: "User", name: "REPLACE-WITH-YOUR-USER", placeholder: true });
});

Deno.test("rbacYaml() writes a Role and a RoleBinding for the namespace, and a ClusterRole for nodes", () => {
  const yaml = rbacYaml([
    SLICES,
    { verbs: ["get"], group: "", resource: "services", namespace: "prod", optional: "for targets without a port" },
    { verbs: ["get"], group: "", resource: "nodes", optional: "for the zone of NODE_NAME" },
  ], subjectOf("Alice@Example.com"));
  const objects = parseAllDocuments(yaml).map((document) => document.toJS());
  assert.deepEqual(
    objects.map((object) => `${object.kind} ${object.metadata.name} ${object.metadata.namespace ?? "-"}`),
    [
      "Role grpc-endpoint-reader prod",
      "RoleBinding grpc-endpoint-reader-alice-example.com prod",
      "ClusterRole grpc-node-reader -",
      "ClusterRoleBinding grpc-node-reader-alice-example.com -",
    ],
  );
  assert.deepEqual(objects[0].rules, [
    { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
    { apiGroups: [""], resources: ["services"], verbs: ["get"] },
  ]);
  assert.deepEqual(objects[1].subjects, [{
    kind: "User",
    apiGroup: "rbac.authorization.k8s.io",
    name: "Alice@Example.com",
  }]);
  assert.deepEqual(objects[1].roleRef, {
    apiGroup: "rbac.authorization.k8s.io",
    kind: "Role",
    name: "grpc-endpoint-reader",
  });
  assert.match(
    yaml,
    /# optional: for targets without a port\n {2}- apiGroups: \[ "" \]\n {4}resources: \[ services \]/,
  );
});

Deno.test("rbacYaml() says what to replace when the user is unknown", () => {
  const yaml = rbacYaml([SLICES], subjectOf(undefined));
  assert.match(
    yaml,
    /^# The API server did not say who you are: replace REPLACE-WITH-YOUR-USER with your user name,$/m,
  );
  assert.equal(parseAllDocuments(yaml)[1].toJS().subjects[0].name, "REPLACE-WITH-YOUR-USER");
});
