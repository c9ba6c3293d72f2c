import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import { grantsToApply, rbacApplier, rbacYaml, subjectOf } from "../../src/cli/rbac_yaml.ts";

const SERVICES = {
  verbs: ["get"],
  group: "",
  resource: "services",
  namespace: "prod",
  optional: "for targets without a port",
};
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

Deno.test("rbacYaml() writes a Role and a RoleBinding for the namespace, and a ClusterRole for nodes", async () => {
  const yaml = await rbacYaml([
    SLICES,
    SERVICES,
    { verbs: ["get"], group: "", resource: "nodes", optional: "for the zone of NODE_NAME" },
  ], subjectOf("Alice@Example.com"));
  const objects = parseAllDocuments(yaml).map((document) => document.toJS());
  assert.deepEqual(
    objects.map((object) => `${object.kind} ${object.metadata.name} ${object.metadata.namespace ?? "-"}`),
    [
      "Role grpc-endpoint-reader-services prod",
      // The name had to change: a hash of it keeps "alice@example.com" and "alice-example.com" apart.
      "RoleBinding grpc-endpoint-reader-services.alice-example.com-ef11c2c6 prod",
      "ClusterRole grpc-node-reader -",
      "ClusterRoleBinding grpc-node-reader.alice-example.com-ef11c2c6 -",
    ],
  );
  assert.deepEqual(objects[0].rules, [
    { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
    { apiGroups: [""], resources: ["services"], verbs: ["get"] },
  ]);
  const bindingOf = async (user: string) =>
    parseAllDocuments(await rbacYaml([SLICES], subjectOf(user)))[1].toJS().metadata.name;
  const names = await Promise.all(
    ["alice", "Alice", "alice@example.com", "alice-example.com", "system:serviceaccount:prod:api"].map(bindingOf),
  );
  assert.equal(new Set(names).size, names.length, names.join(" "));
  assert.equal(names[0], "grpc-endpoint-reader.alice", "a name that is one already stays as it is");
  assert.deepEqual(objects[1].subjects, [{
    kind: "User",
    apiGroup: "rbac.authorization.k8s.io",
    name: "Alice@Example.com",
  }]);
  assert.deepEqual(objects[1].roleRef, {
    apiGroup: "rbac.authorization.k8s.io",
    kind: "Role",
    name: "grpc-endpoint-reader-services",
  });
  assert.match(
    yaml,
    /# optional: for targets without a port\n {2}- apiGroups: \[ "" \]\n {4}resources: \[ services \]/,
  );
  // A grant that only some targets need says why this one needs it.
  const required = await rbacYaml(
    [SLICES, { ...SERVICES, optional: undefined, required: "its slices have several ports" }],
    subjectOf("alice"),
  );
  assert.match(
    required,
    /# required: its slices have several ports\n {2}- apiGroups: \[ "" \]\n {4}resources: \[ services \]/,
  );
});

Deno.test("rbacYaml() says what to replace when the user is unknown", async () => {
  const yaml = await rbacYaml([SLICES], subjectOf(undefined));
  assert.match(
    yaml,
    /^# The API server did not say who you are: replace REPLACE-WITH-YOUR-USER with\b/m,
  );
  assert.equal(parseAllDocuments(yaml)[1].toJS().subjects[0].name, "REPLACE-WITH-YOUR-USER");
});

Deno.test("rbacYaml() keeps every comment line within 80 cells, or the width asked, each line a comment", async () => {
  // check's longest reason: on one line it took 209 cells, which a terminal wraps; copied from tmux's copy mode, the
  // wrapped part is a line without its '#', and the YAML no longer parses.
  const services = {
    ...SERVICES,
    optional: "a target without a port reads the Service when its slices have several ports, and its " +
      "internalTrafficPolicy; without it, a Service with internalTrafficPolicy: Local is used as Cluster (every pod)",
  };
  const nodes = { verbs: ["get"], group: "", resource: "nodes", optional: services.optional };
  for (const width of [undefined, 60, 40]) {
    const yaml = await rbacYaml([SLICES, services, nodes], subjectOf(undefined), width === undefined ? {} : { width });
    const comments = yaml.split("\n").filter((line) => line.trimStart().startsWith("#"));
    assert.deepEqual(comments.filter((line) => line.length > (width ?? 80)), [], `width ${width}`);
    // The same words as before, in the same order, once the lines are joined.
    assert.ok(comments.map((line) => line.trim().slice(2)).join(" ").includes(`optional: ${services.optional}`), yaml);
    assert.deepEqual(parseAllDocuments(yaml)[0].toJS().rules[1], {
      apiGroups: [""],
      resources: ["services"],
      verbs: ["get"],
    });
  }
});

/** What `kubectl apply` leaves after each YAML in turn (an object replaces the one of the same kind, namespace and name), as the verbs the subject then holds: `verb resource namespace`. */
function grantedAfterApplying(yamls: string[]): Set<string> {
  interface RbacObject {
    kind: string;
    metadata: { name: string; namespace?: string };
    rules?: { resources: string[]; verbs: string[] }[];
    roleRef?: { kind: string; name: string };
  }
  const objects = new Map<string, RbacObject>();
  for (const yaml of yamls) {
    for (const object of parseAllDocuments(yaml).map((document) => document.toJS())) {
      objects.set(`${object.kind} ${object.metadata.namespace} ${object.metadata.name}`, object);
    }
  }
  const granted = new Set<string>();
  for (const binding of objects.values()) {
    if (binding.kind !== "RoleBinding" || !binding.roleRef) continue;
    const role = objects.get(`${binding.roleRef.kind} ${binding.metadata.namespace} ${binding.roleRef.name}`);
    for (const rule of role?.rules ?? []) {
      for (const verb of rule.verbs) granted.add(`${verb} ${rule.resources[0]} ${binding.metadata.namespace}`);
    }
  }
  return granted;
}

Deno.test("rbacYaml() of two targets in one namespace never takes away what the other granted, in either order", async () => {
  const subject = subjectOf("system:serviceaccount:prod:my-client");
  const withPort = await rbacYaml([SLICES], subject);
  const withoutPort = await rbacYaml([SLICES, SERVICES], subject);
  const all = ["list endpointslices prod", "watch endpointslices prod", "get services prod"];
  assert.deepEqual([...grantedAfterApplying([withoutPort, withPort])].sort(), [...all].sort());
  assert.deepEqual([...grantedAfterApplying([withPort, withoutPort])].sort(), [...all].sort());
  // The same grants, the same names: applying a YAML twice adds nothing.
  assert.equal((await rbacYaml([SLICES], subjectOf("alice"))).match(/name: grpc-endpoint-reader$/gm)?.length, 2);
});

Deno.test("rbacApplier() asks for the right to create ClusterRoles when the YAML holds one", () => {
  assert.equal(rbacApplier([SLICES, SERVICES]), "someone who may create Roles in namespace prod");
  // check --node without get on nodes: a namespace's admin may apply the Role but not the optional ClusterRole.
  const nodes = { verbs: ["get"], group: "", resource: "nodes", optional: "for the zone of NODE_NAME" };
  assert.equal(
    rbacApplier([SLICES, nodes]),
    // Without brackets: check's intro follows these words with "(with --yaml, ...)".
    "someone who may create Roles in namespace prod and ClusterRoles, or without that right leave out the " +
      "ClusterRole and ClusterRoleBinding, which are optional",
  );
  assert.equal(
    rbacApplier([SLICES, { ...nodes, optional: undefined }]),
    "someone who may create Roles in namespace prod and ClusterRoles",
  );
});

Deno.test("grantsToApply() keeps a namespace's grants only when one is missing there, and nodes only when missing", () => {
  const nodes = { verbs: ["get"], group: "", resource: "nodes", optional: "for the zone of NODE_NAME" };
  const all = [SLICES, SERVICES, nodes];
  // check --node when only get on nodes is missing printed the granted Role and RoleBinding too.
  assert.deepEqual(grantsToApply(all, new Set([nodes])), [nodes]);
  // The Role keeps every grant of its namespace: applying it replaces one of the same name.
  assert.deepEqual(grantsToApply(all, new Set([SERVICES])), [SLICES, SERVICES]);
  assert.deepEqual(grantsToApply(all, new Set([SLICES, nodes])), all);
});

Deno.test("rbacApplier() of the ClusterRole alone says it is optional without asking to leave it out", () => {
  // Was: "(without that right, leave out the ClusterRole and ClusterRoleBinding: they are optional)", where they were
  // all there was to apply, and topology stays off without them. Then "(optional: ...)", which check's intro followed
  // with its own "(with --yaml, ...)": two parentheses in a row.
  const nodes = { verbs: ["get"], group: "", resource: "nodes", optional: "for the zone of NODE_NAME" };
  assert.equal(
    rbacApplier([nodes]),
    "someone who may create ClusterRoles, or not at all if topology-aware routing may stay off",
  );
});
