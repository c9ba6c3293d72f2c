// `kgr-resolver check` run in this process against the fake API server, for what it asks the server.
import assert from "node:assert/strict";
import { runCli } from "../../src/cli/main.ts";
import { wordWrap } from "../../src/cli/terminal.ts";
import type { CliOutput, CliProcess } from "../../src/runtime/cli_process.ts";
import { parseAllDocuments } from "yaml";
import { endpointSlice } from "../../testing.ts";
import { startCluster, startFakeCluster } from "./_cluster.mjs";
import { createServer } from "node:http";
import { readFile, writeFile } from "node:fs/promises";

/** A colour's escape sequence. */
const COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/**
 * `kgr-resolver check` on `target` (after `flags`) in this process, with what it wrote on standard output: a pipe, or
 * a terminal `columns` wide.
 */
async function check(
  kubeconfig: string,
  target: string,
  flags: string[] = [],
  columns?: number,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const output = (write: (text: string) => void): CliOutput => ({
    write,
    isTTY: columns !== undefined,
    size: () => columns === undefined ? undefined : { columns, rows: 50 },
  });
  const cli: CliProcess = {
    args: ["check", "--kubeconfig", kubeconfig, ...flags, target],
    env: (name) => env[name],
    stdout: output((text) => stdout += text),
    stderr: output((text) => stderr += text),
    onInterrupt: () => () => {},
    exit: () => Promise.reject(new Error("not in tests")),
  };
  return { code: await runCli(cli), stdout, stderr };
}

Deno.test("check on a target that resolves reads only the Service beyond its slices, whatever the Service is", async () => {
  await using cluster = await startFakeCluster();
  const { api, kubeconfig } = cluster;
  for (const service of ["selected", "unselected", "absent"]) {
    api.applySlice(endpointSlice({
      namespace: "shop",
      service,
      port: { name: "grpc", port: 8080 },
      endpoints: [{ ip: "10.1.0.1", pod: `${service}-0` }],
    }));
  }
  const ports = [{ name: "grpc", port: 80 }];
  api.applyService({ metadata: { namespace: "shop", name: "selected" }, spec: { ports, selector: { app: "a" } } });
  api.applyService({ metadata: { namespace: "shop", name: "unselected" }, spec: { ports } });
  for (const service of ["selected", "unselected", "absent"]) {
    const before = api.requests.length;
    const { code, stdout } = await check(kubeconfig, `kubernetes:///${service}.shop:grpc`);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /\nok: \S+ resolves with these credentials\n$/);
    // The ExternalName doubt needs the Service's type: no pods, Endpoints object or list of Services.
    const read = api.requests.slice(before).filter(({ path }) => path.startsWith("/api/v1/"));
    // Was: GET .../pods?limit=1&labelSelector=app=a, GET .../endpoints/unselected, GET .../services?limit=500.
    // Once: the resolver's read of its internalTrafficPolicy answers the ExternalName question too (it was read
    // twice, again by the check itself).
    assert.deepEqual(read.map(({ method, path }) => `${method} ${path}`), [
      `GET /api/v1/namespaces/shop/services/${service}`,
    ]);
  }
});

Deno.test("check lists three doubts as a list, not joined by 'and' twice", async () => {
  await using cluster = await startFakeCluster();
  const { api, kubeconfig } = cluster;
  // Slices left from before the Service turned ExternalName (service), a port number they lack (port), and a client
  // that says its zone while the Service asks for no topology (topology).
  api.applySlice(endpointSlice({
    namespace: "shop",
    service: "moved",
    port: { name: "grpc", port: 8080 },
    endpoints: [{ ip: "10.1.0.1", pod: "moved-0", zone: "a" }],
  }));
  // A Service turned ExternalName, as the fake stores it.
  api.applyService({
    metadata: { namespace: "shop", name: "moved" },
    spec: { type: "ExternalName", externalName: "moved.example.com", ports: [{ name: "grpc", port: 80 }] },
  });
  const { code, stdout } = await check(kubeconfig, "kubernetes:///moved.shop:9090", ["--zone", "a"]);
  assert.equal(code, 0, stdout);
  assert.match(stdout, /\nunknown +service +service moved is of type ExternalName /);
  // Was: "see the port and service and topology steps above".
  assert.match(
    stdout,
    /\nok: \S+ resolves with these credentials; see the port, service and topology steps above\n$/,
  );
});

Deno.test("check on a terminal names the flags where a wrapped line breaks before the option's name", async () => {
  await using cluster = await startFakeCluster();
  const { api, kubeconfig } = cluster;
  api.applySlice(endpointSlice({
    namespace: "shop",
    service: "cart",
    port: { name: "grpc", port: 8080 },
    endpoints: [{ ip: "10.1.0.1", pod: "cart-0" }],
  }));
  // The cluster step says where the access came from, "... (context "fake-api-server") with --namespace": at some
  // of these widths its line breaks after "with". Was, at 94 columns: "with\n   cluster.namespace".
  for (let columns = 60; columns <= 130; columns++) {
    const { code, stdout } = await check(kubeconfig, "kubernetes:///cart:grpc", ["-n", "shop"], columns);
    assert.equal(code, 0, stdout);
    assert.doesNotMatch(stdout, /cluster\.namespace/, `${columns} columns:\n${stdout}`);
    assert.match(
      stdout.replace(/\n */g, " "),
      /\(context "fake-api-server"\) with --namespace/,
      `${columns} columns`,
    );
  }
});

Deno.test("check names the first ten used pods and counts the rest as its other lists do, without a comma before 'and'", async () => {
  await using cluster = await startFakeCluster();
  const { api, kubeconfig } = cluster;
  const endpoints = Array.from({ length: 12 }, (_, i) => ({ ip: `10.1.0.${i + 1}`, pod: `web-${i}` }));
  api.applySlice(endpointSlice({ namespace: "shop", service: "web", port: { name: "grpc", port: 8080 }, endpoints }));
  api.applyService({ metadata: { namespace: "shop", name: "web" }, spec: { ports: [{ name: "grpc", port: 80 }] } });
  const { code, stdout } = await check(kubeconfig, "kubernetes:///web.shop:grpc");
  assert.equal(code, 0, stdout);
  // Was "web-6, web-7, and 2 more", where a zone's and a reason's lists read "a, b and 2 more".
  assert.match(stdout, /12 pods used \((web-\d+, ){9}web-\d+ and 2 more\)/);
});

Deno.test('check says a pod lacks the Service\'s port, not a port named "", for a target without a port on an unnamed one', async () => {
  await using cluster = await startFakeCluster();
  const { api, kubeconfig } = cluster;
  api.applyService({ metadata: { namespace: "shop", name: "echo" }, spec: { ports: [{ port: 50051 }] } });
  api.applySlice(endpointSlice({
    namespace: "shop",
    service: "echo",
    port: { name: "", port: 50051 },
    endpoints: [{ ip: "10.1.0.1", pod: "echo-0" }],
  }));
  api.applySlice(endpointSlice({
    namespace: "shop",
    service: "echo",
    name: "echo-admin",
    port: { name: "admin", port: 9000 },
    endpoints: [{ ip: "10.1.0.2", pod: "echo-1" }],
  }));
  const { code, stdout } = await check(kubeconfig, "kubernetes:///echo.shop");
  assert.equal(code, 0, stdout);
  // Was '1 not used (1 in an EndpointSlice with no port named "": echo-1)'.
  assert.match(
    stdout,
    /resolve +1 pod used \(echo-0\), 1 not used \(1 in an EndpointSlice with no port for the Service's port: echo-1\)/,
  );
});

Deno.test("check asks who the user is once more after resolving when the first answer was a 403, as a restarting server gives", async () => {
  await using cluster = await startFakeCluster();
  const { api, kubeconfig } = cluster;
  api.applySlice(endpointSlice({
    namespace: "shop",
    service: "cart",
    port: { name: "grpc", port: 8080 },
    endpoints: [{ ip: "10.1.0.1", pod: "cart-0" }],
  }));
  // kube-apiserver v1.36.3 answers a SelfSubjectReview 403 for a few seconds after it starts listening, until its
  // RBAC caches are filled. Was: "unknown  user  Cannot create a SelfSubjectReview: forbidden (403) ...: grant
  // "create" on "selfsubjectreviews" ... with a ClusterRole and ClusterRoleBinding", a grant every user has.
  api.failNext(1, { status: 403, reason: "Forbidden", message: "selfsubjectreviews is forbidden" });
  const before = api.requests.length;
  const { code, stdout } = await check(kubeconfig, "kubernetes:///cart.shop:grpc");
  assert.equal(code, 0, stdout);
  assert.match(stdout, /\nok {7}user {6}\S+\n/, stdout);
  assert.doesNotMatch(stdout, /selfsubjectreviews/);
  const reviews = api.requests.slice(before).filter(({ path }) => path.endsWith("/selfsubjectreviews"));
  assert.deepEqual(reviews.map(({ status }) => status), [403, 201]);
});

Deno.test("check says a SelfSubjectReview is refused when it is refused again after resolving", async () => {
  await using cluster = await startFakeCluster();
  const { api, kubeconfig } = cluster;
  // Every request refused: the resolver reports its repeated 403 after one backoff.
  api.failNext(1000, { status: 403, reason: "Forbidden", message: "refused" });
  const before = api.requests.length;
  const { code, stdout } = await check(kubeconfig, "kubernetes:///cart.shop:grpc");
  assert.equal(code, 1, stdout);
  assert.match(stdout, /\nunknown +user +Cannot create a SelfSubjectReview: forbidden \(403\)/);
  const reviews = api.requests.slice(before).filter(({ path }) => path.endsWith("/selfsubjectreviews"));
  assert.deepEqual(reviews.map(({ status }) => status), [403, 403]);
});

Deno.test("check on a narrow terminal breaks no word and keeps a kubectl command on one line", async () => {
  await using cluster = await startFakeCluster({ file: "configs/staging-eu-west-1/platform-team-admin.kubeconfig" });
  const { api, kubeconfig } = cluster;
  api.applySlice(endpointSlice({
    namespace: "shop",
    service: "cart",
    port: { name: "grpc", port: 8080 },
    endpoints: [{ ip: "10.1.0.1", pod: "cart-checkout-api-7d9f8b6c5d-ax2z4" }],
  }));
  const words = (text: string) => text.split(/\s+/).filter(Boolean).sort();
  for (const target of ["kubernetes:///cart.shop:grpc", "kubernetes:///nosuch.shop:grpc"]) {
    const piped = await check(kubeconfig, target);
    for (const columns of [30, 40, 50, 60, 80]) {
      // Without colours: their escapes take no cells.
      const stdout = (await check(kubeconfig, target, [], columns)).stdout.replace(COLOUR, "");
      const where = `${target} at ${columns} columns:\n${stdout}`;
      // Was, at 40: "ok       list      endpointslices.discovery.k8s.io", which the terminal broke after "discov".
      // Only a word wider than the terminal itself (the kubeconfig's path at 30) is left for it to wrap: a kubectl
      // command wider than it wraps too, after a backslash.
      for (const line of stdout.split("\n")) {
        if (line.length > columns) assert.equal(wordWrap(line.trim(), 1).length, 1, where);
      }
      // Read as a shell reads it pasted: a line that ends in a backslash goes on the next.
      assert.deepEqual(words(stdout.replace(/ \\\n */g, " ")), words(piped.stdout), where);
      // Was, at 40: "(kubectl get services\n                   -n shop lists those there are)".
      if (target.includes("nosuch") && columns > 30) assert.match(stdout, /\(kubectl get services -n shop\s/, where);
    }
  }
});

/** Service cart.shop with one ready pod, on node n1. */
const cartOnNode = endpointSlice({
  namespace: "shop",
  service: "cart",
  port: { name: "grpc", port: 8080 },
  endpoints: [{ ip: "10.1.0.1", pod: "cart-0", nodeName: "n1" }],
});

/** The rules of the resolver's Role: list and watch the slices, get the Service. */
const GRANTS = {
  slices: { verbs: ["list", "watch"], apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"] },
  services: { verbs: ["get"], apiGroups: [""], resources: ["services"] },
};

Deno.test("check says that running clients see a grant of get on nodes within 5 minutes, without a restart", async () => {
  await using cluster = await startFakeCluster();
  const { api, kubeconfig } = cluster;
  api.applySlice(cartOnNode);
  const { slices, services } = GRANTS;
  api.setAccess({ username: "client", rules: [slices, services] });
  const { code, stdout } = await check(kubeconfig, "kubernetes:///cart.shop:grpc", ["--node", "n1"]);
  assert.equal(code, 0, stdout);
  // A client reads its Node again every 5 minutes after a 403 (as its warning says): the ClusterRole reaches the
  // clients that ran when it was applied without a restart.
  assert.match(
    stdout,
    /\nMISSING +get +nodes \(cluster-wide\) \(optional: .*; running clients read the Node again within 5 minutes of the grant\)\n/,
  );
  assert.match(
    stdout,
    /\n {2}# optional: [^]*?running clients read the\s+# Node again within 5 minutes of the grant\n {2}- apiGroups: \[ "" \]\n {4}resources: \[ nodes \]/,
  );
});

Deno.test("check --node with only get on nodes missing prints only the ClusterRole and its binding", async () => {
  // Seen on v1.36.3: the granted Role and RoleBinding were printed too, under "leave out the ClusterRole and
  // ClusterRoleBinding: they are optional", though the ClusterRole was all that was missing.
  await using cluster = await startFakeCluster();
  const { api, kubeconfig } = cluster;
  api.applySlice(cartOnNode);
  const { slices, services } = GRANTS;
  api.setAccess({ username: "system:serviceaccount:shop:checkout", rules: [slices, services] });
  const report = await check(kubeconfig, "kubernetes:///cart.shop:grpc", ["--node", "n1"]);
  assert.match(
    report.stdout,
    /\nTo grant what is missing, apply this as someone who may create ClusterRoles, or not at all if topology-aware routing may stay off \(with --yaml/,
  );
  const yamlOnly = await check(kubeconfig, "kubernetes:///cart.shop:grpc", ["--node", "n1", "--yaml"]);
  const kinds = parseAllDocuments(yamlOnly.stdout).map((document) => document.toJS().kind);
  assert.deepEqual(kinds, ["ClusterRole", "ClusterRoleBinding"]);
  // Nodes granted, services not: the Role and its binding alone.
  api.setAccess({
    username: "system:serviceaccount:shop:checkout",
    rules: [slices, { ...services, resources: ["nodes"] }],
  });
  const namespaced = await check(kubeconfig, "kubernetes:///cart.shop:grpc", ["--node", "n1", "--yaml"]);
  const objects = parseAllDocuments(namespaced.stdout).map((document) => document.toJS());
  assert.deepEqual(objects.map((object) => object.kind), ["Role", "RoleBinding"]);
  assert.deepEqual(objects[0].rules.map((rule: { resources: string[] }) => rule.resources[0]), [
    "endpointslices",
    "services",
  ]);
});

Deno.test("check on a narrow terminal wraps a kubectl command wider than it so that its lines, copied, run as one command", async () => {
  await using cluster = await startFakeCluster();
  const { api, kubeconfig } = cluster;
  api.applySlice(
    endpointSlice({ namespace: "shop", service: "cart", port: { name: "grpc", port: 8080 }, endpoints: [] }),
  );
  const target = "kubernetes:///cart.shop:grpc";
  const commands = (await check(kubeconfig, target)).stdout.match(/kubectl .+?(?= says| lists| shows|\))/g) ?? [];
  assert.deepEqual(commands, [
    "kubectl get namespace shop",
    "kubectl get endpointslices -n shop -l kubernetes.io/service-name=cart",
  ]);
  for (const columns of [40, 50, 60]) {
    // Without colours: their escapes take no cells.
    const stdout = (await check(kubeconfig, target, [], columns)).stdout.replace(COLOUR, "");
    // The lines as a shell reads them when pasted: a line that ends in a backslash goes on the next.
    const pasted = stdout.replace(/ \\\n */g, " ");
    // Was, before 0abfa82, at 60: '  shop says (kubectl get endpointslices -n shop -l kubernetes.io/service-name=cart)',
    // 82 cells, which the terminal broke where it fell; then '(kubectl get' / 'endpointslices -n shop -l
    // kubernetes.io/service-name=cart)', two commands when pasted, and at 40 'deleted, which kubectl get' / 'namespace
    // shop says (kubectl get', though that command fits in 38 cells: as the other did not, all were wrapped as words.
    for (const command of commands) assert.ok(pasted.includes(command), `${command} at ${columns} columns:\n${stdout}`);
    // Only a single word wider than the terminal may stay too wide: the kubeconfig's path under a long TMPDIR.
    assert.deepEqual(
      stdout.split("\n").filter((line) => line.length > columns && wordWrap(line.trim(), 1).length > 1),
      [],
      `${columns} columns:\n${stdout}`,
    );
  }
});

Deno.test("check on a target without a namespace says where the namespace it reads came from", async () => {
  // Was "target    service echo in namespace default", whatever gave it: the target, or the kubeconfig's lack of one.
  await using cluster = await startFakeCluster();
  const { stdout } = await check(cluster.kubeconfig, "kubernetes:///echo:grpc");
  const flat = stdout.replace(/\s+/g, " ");
  assert.match(
    flat,
    /target service echo in namespace default \(the target names no namespace, and none is set in kubeconfig \S+kubeconfig\.json \(context "fake-api-server"\)\)/,
  );
  const named = await check(cluster.kubeconfig, "kubernetes:///echo.default:grpc");
  assert.match(named.stdout.replace(/\s+/g, " "), /target service echo in namespace default ok /);
});

Deno.test("check with --namespace and a target without one says the namespace comes from --namespace", async () => {
  await using cluster = await startFakeCluster();
  const { stdout } = await check(cluster.kubeconfig, "kubernetes:///cart:grpc", ["-n", "shop"]);
  assert.match(
    stdout.replace(/\s+/g, " "),
    /target service cart in namespace shop \(the target names no namespace, so it comes from --namespace\)/,
  );
});

Deno.test("check notes that a ServiceAccount of another namespace than the target's may be the wrong identity", async () => {
  // Was "ok user system:serviceaccount:other:foreign" and a RoleBinding for it, without a word on the namespaces.
  await using cluster = await startFakeCluster();
  const { api, kubeconfig } = cluster;
  api.applySlice(endpointSlice({
    namespace: "shop",
    service: "cart",
    port: { name: "grpc", port: 8080 },
    endpoints: [{ ip: "10.1.0.1", pod: "cart-0" }],
  }));
  api.setAccess({ username: "system:serviceaccount:other:foreign", rules: [] });
  const { code, stdout } = await check(kubeconfig, "kubernetes:///cart.shop:grpc");
  assert.equal(code, 1, stdout);
  assert.match(
    stdout,
    /\nok +user +system:serviceaccount:other:foreign \(a ServiceAccount of namespace other, not shop: if the client runs in shop, it may use the wrong identity; .*\)\n/,
  );
  // The RoleBinding stays valid for it.
  assert.match(stdout, /\n {2}- kind: ServiceAccount\n {4}name: foreign\n {4}namespace: other\n/);
  api.setAccess({ username: "system:serviceaccount:shop:checkout", rules: [] });
  assert.match((await check(kubeconfig, "kubernetes:///cart.shop:grpc")).stdout, /\nok +user +\S+checkout\n/);
});

Deno.test("check --yaml writes only the Role and RoleBinding on standard output, for kubectl apply -f -", async () => {
  // Was: "apply this (kubectl apply -f -)" above YAML that shared standard output with the report, so that
  // `check TARGET | kubectl apply -f -` failed with "error converting YAML to JSON: yaml: line 8: mapping values are
  // not allowed in this context".
  await using cluster = await startFakeCluster();
  const { api, kubeconfig } = cluster;
  api.applySlice(endpointSlice({
    namespace: "shop",
    service: "cart",
    port: { name: "grpc", port: 8080 },
    endpoints: [{ ip: "10.1.0.1", pod: "cart-0" }],
  }));
  api.setAccess({ username: "system:serviceaccount:shop:checkout", rules: [] });
  const report = await check(kubeconfig, "kubernetes:///cart.shop:grpc");
  assert.match(
    report.stdout,
    /\nTo grant what is missing, apply this as someone who may create Roles in namespace shop \(with --yaml, check prints only the YAML, for kubectl apply -f -\):\n/,
  );
  const yamlOnly = await check(kubeconfig, "kubernetes:///cart.shop:grpc", ["--yaml"]);
  assert.equal(yamlOnly.code, 1);
  const objects = parseAllDocuments(yamlOnly.stdout).map((document) => {
    assert.deepEqual(document.errors, []);
    return document.toJS();
  });
  assert.deepEqual(objects.map((object) => `${object.kind} ${object.metadata.namespace}`), [
    "Role shop",
    "RoleBinding shop",
  ]);
  assert.deepEqual(objects[1].subjects, [{ kind: "ServiceAccount", name: "checkout", namespace: "shop" }]);
  // The report on standard error, whole, without the YAML or its introduction.
  assert.match(yamlOnly.stderr, /^Checking kubernetes:\/\/\/cart\.shop:grpc\n/);
  assert.match(yamlOnly.stderr, /\nMISSING +list +endpointslices/);
  assert.match(yamlOnly.stderr, /\nFAILED: kubernetes:\/\/\/cart\.shop:grpc does not resolve with these credentials/);
  assert.doesNotMatch(yamlOnly.stderr, /apiVersion:|To grant/);
  // Nothing missing: nothing to apply.
  api.setAccess({ username: "system:serviceaccount:shop:checkout", rules: objects[0].rules });
  const granted = await check(kubeconfig, "kubernetes:///cart.shop:grpc", ["--yaml"]);
  assert.equal(granted.code, 0, granted.stderr);
  assert.equal(granted.stdout, "");
  // kubectl apply -f - given nothing says "error: no objects passed to apply" and exits 1: the report says why first.
  assert.match(
    granted.stderr,
    /\nok: kubernetes:\/\/\/cart\.shop:grpc resolves with these credentials\nNothing to apply: no grant is missing, so standard output is empty \(kubectl apply -f - then says "error: no objects passed to apply" and exits 1\)\n$/,
  );
});

// Through a proxy that asked for a login, check printed its 407 five times: for the user, each grant and resolve.
Deno.test("check through a proxy that refuses its login says so once, at the server step, and asks nothing more", async () => {
  await using cluster = await startCluster();
  let requests = 0;
  const refusal = 'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="corp"\r\n' +
    "Content-Length: 0\r\nConnection: close\r\n\r\n";
  const proxy = createServer((_request, response) => {
    requests++;
    response.writeHead(407, { "proxy-authenticate": 'Basic realm="corp"', connection: "close" }).end();
  });
  proxy.on("connect", (_request, socket) => {
    requests++;
    socket.end(refusal);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  try {
    const config = JSON.parse(await readFile(cluster.kubeconfig, "utf8"));
    config.clusters[0].cluster["proxy-url"] = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    const kubeconfig = `${cluster.kubeconfig}.refusing-proxy.json`;
    await writeFile(kubeconfig, JSON.stringify(config));
    const { code, stdout } = await check(kubeconfig, "kubernetes:///echo.e2e:grpc", ["--timeout", "5"]);
    assert.equal(code, 1, stdout);
    assert.equal(stdout.match(/the proxy asks for a login/g)?.length, 1, stdout);
    assert.match(
      stdout,
      /\nFAILED {3}server {4}Cannot create a SelfSubjectReview: .* the proxy asks for a login \(407\)/,
    );
    assert.match(stdout, /\nFAILED: the proxy to the API server refuses its login; fix the step marked above\n$/);
    assert.equal(requests, 1);
  } finally {
    proxy.closeAllConnections();
    await new Promise((resolve) => proxy.close(resolve));
  }
});

// With https_proxy set, a grpc-js channel to a target with a port number went to the proxy, past the resolver, while
// check said "ok: ... resolves".
Deno.test("check doubts a target with a port number that grpc-js would send to the environment's proxy", async () => {
  await using cluster = await startFakeCluster();
  cluster.api.applySlice(endpointSlice({
    namespace: "e2e",
    service: "echo",
    port: { name: "grpc", port: 50051 },
    endpoints: [{ ip: "10.1.0.1", pod: "echo-0" }],
  }));
  const env = { https_proxy: "http://user:s3cret@127.0.0.1:9" };
  const numeric = await check(cluster.kubeconfig, "kubernetes:///echo.e2e:50051", [], undefined, env);
  assert.equal(numeric.code, 0, numeric.stdout);
  assert.match(
    numeric.stdout,
    /\nunknown +proxy +https_proxy is set: grpc-js sends a channel to kubernetes:\/\/\/echo\.e2e:50051 /,
  );
  assert.match(numeric.stdout, /resolves with these credentials; see the proxy step above\n/);
  assert.doesNotMatch(numeric.stdout, /s3cret/);
  const named = await check(cluster.kubeconfig, "kubernetes:///echo.e2e:grpc", [], undefined, env);
  assert.doesNotMatch(named.stdout, /proxy/);
});
