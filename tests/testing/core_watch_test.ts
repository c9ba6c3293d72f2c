// Lists and watches of Services and Nodes on the fake API server, as kube-apiserver v1.36.3 answers them (measured
// on it with curl and kubectl: the list kinds, BOOKMARK objects, a Table watch's BOOKMARK row, a 410 for a resume
// point compaction removed). Until they were served, `kubectl get svc -w` printed the rows, then failed with
// `Unable to list "/v1, Resource=services": the server could not find the requested resource`.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { endpointSlice, type FakeApiServer } from "@kgr/resolver/testing";
import { childEnv } from "../_child_env.mjs";
import { getJson, type Json, watch, withServer } from "./_helpers.ts";
import { type Event, EVENT_PRINTER } from "../../src/testing/_core_tables.ts";

const TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io";

function addService(server: FakeApiServer, namespace: string, name: string, labels?: Record<string, string>) {
  return server.applyService({ metadata: { namespace, name, labels }, spec: { ports: [{ name: "grpc", port: 80 }] } });
}

Deno.test("the fake lists Services of a namespace and of all namespaces, with label and field selectors", async () => {
  await withServer({}, async (server) => {
    addService(server, "shop", "echo", { app: "echo" });
    addService(server, "shop", "cart");
    addService(server, "ops", "echo", { app: "echo" });
    const names = (list: Json) => list.items.map((item: Json) => `${item.metadata.namespace}/${item.metadata.name}`);
    const shop = await getJson(`${server.url}/api/v1/namespaces/shop/services`);
    assert.equal(shop.status, 200);
    assert.equal(shop.body.kind, "ServiceList");
    assert.equal(shop.body.apiVersion, "v1");
    assert.deepEqual(shop.body.metadata, { resourceVersion: server.resourceVersion });
    assert.deepEqual(names(shop.body), ["shop/cart", "shop/echo"]);
    // Like the real server's, list items carry no kind or apiVersion.
    assert.equal(shop.body.items[0].kind, undefined);
    const labelled = await getJson(`${server.url}/api/v1/services?labelSelector=app%3Decho`);
    assert.deepEqual(names(labelled.body), ["ops/echo", "shop/echo"]);
    const named = await getJson(`${server.url}/api/v1/services?fieldSelector=metadata.name%3Decho`);
    assert.deepEqual(names(named.body), ["ops/echo", "shop/echo"]);
  });
});

Deno.test("the fake lists Nodes with a label selector", async () => {
  await withServer({}, async (server) => {
    server.applyNode({ metadata: { name: "a", labels: { "topology.kubernetes.io/zone": "z1" } } });
    server.applyNode({ metadata: { name: "b", labels: { "topology.kubernetes.io/zone": "z2" } } });
    const list = await getJson(`${server.url}/api/v1/nodes?labelSelector=topology.kubernetes.io%2Fzone%3Dz2`);
    assert.equal(list.status, 200);
    assert.equal(list.body.kind, "NodeList");
    assert.deepEqual(list.body.items.map((item: Json) => item.metadata.name), ["b"]);
  });
});

Deno.test("Services and Nodes are selected by the fields kube-apiserver selects them by, and refuse others in its words", async () => {
  await withServer({}, async (server) => {
    addService(server, "shop", "echo");
    server.applyNode({ metadata: { name: "a" } });
    const read = async (path: string) => {
      const { status, body } = await getJson(`${server.url}${path}`);
      return status === 200 ? body.items.map((item: Json) => item.metadata.name) : `${status} ${body.message}`;
    };
    // As kube-apiserver v1.36.3 answers them (measured), for a fake Service without a cluster IP.
    // The `kubernetes` Service in `default`, there from the start as on every cluster, is one too.
    assert.deepEqual(await read("/api/v1/services?fieldSelector=spec.type%3DClusterIP"), ["kubernetes", "echo"]);
    assert.deepEqual(await read("/api/v1/services?fieldSelector=spec.type%3DNodePort"), []);
    // The `kubernetes` Service has the first address of the service range, as on the test control plane.
    assert.deepEqual(await read("/api/v1/services?fieldSelector=spec.clusterIP%3D10.96.0.1"), ["kubernetes"]);
    assert.equal(await read("/api/v1/services?fieldSelector=spec.foo%3Dx"), "400 field label not supported: spec.foo");
    assert.equal(
      await read("/api/v1/services?watch=1&fieldSelector=spec.foo%3Dx"),
      "400 field label not supported: spec.foo",
    );
    assert.deepEqual(await read("/api/v1/nodes?fieldSelector=spec.unschedulable%3Dfalse"), ["a"]);
    assert.deepEqual(await read("/api/v1/nodes?fieldSelector=spec.unschedulable%3Dtrue"), []);
    assert.deepEqual(await read("/api/v1/nodes?fieldSelector=metadata.name%3Da"), ["a"]);
    // A cluster-scoped Node has no namespace to select by.
    assert.equal(
      await read("/api/v1/nodes?fieldSelector=metadata.namespace%3Dx"),
      "400 field label not supported: metadata.namespace",
    );
  });
});

Deno.test("a watch of Services from a list's resourceVersion sees later changes of its namespace only", async () => {
  await withServer({}, async (server) => {
    addService(server, "shop", "echo");
    const listed = await getJson(`${server.url}/api/v1/namespaces/shop/services`);
    const rv = listed.body.metadata.resourceVersion;
    const events = await watch(`${server.url}/api/v1/namespaces/shop/services?watch=1&resourceVersion=${rv}`);
    try {
      addService(server, "ops", "other");
      const cart = addService(server, "shop", "cart");
      addService(server, "shop", "echo", { app: "echo" });
      server.deleteService("shop", "cart");
      const seen = [];
      for (let i = 0; i < 3; i++) {
        const event = await events.next();
        seen.push(`${event?.type} ${event?.object.kind} ${event?.object.metadata.name}`);
      }
      assert.deepEqual(seen, ["ADDED Service cart", "MODIFIED Service echo", "DELETED Service cart"]);
      assert.ok(Number(cart.metadata.resourceVersion) > Number(rv));
      await events.quiet(200);
    } finally {
      await events.cancel();
    }
  });
});

Deno.test("a watch of Nodes sends the current Nodes, then BOOKMARKs shaped as kube-apiserver's", async () => {
  await withServer({ bookmarkIntervalMs: 100 }, async (server) => {
    server.applyNode({ metadata: { name: "a" } });
    const events = await watch(`${server.url}/api/v1/nodes?watch=1&allowWatchBookmarks=true`);
    try {
      const first = await events.next();
      assert.equal(`${first?.type} ${first?.object.metadata.name}`, "ADDED a");
      const end = await events.next();
      assert.deepEqual(end?.object.metadata.annotations, { "k8s.io/initial-events-end": "true" });
      const bookmark = await events.next();
      assert.equal(bookmark?.type, "BOOKMARK");
      // As kube-apiserver v1.36.3 writes a Node bookmark (measured).
      assert.deepEqual(bookmark?.object, {
        kind: "Node",
        apiVersion: "v1",
        metadata: { resourceVersion: bookmark?.object.metadata.resourceVersion },
        spec: {},
        status: {
          daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
          nodeInfo: {
            machineID: "",
            systemUUID: "",
            bootID: "",
            kernelVersion: "",
            osImage: "",
            containerRuntimeVersion: "",
            kubeletVersion: "",
            kubeProxyVersion: "",
            operatingSystem: "",
            architecture: "",
          },
        },
      });
    } finally {
      await events.cancel();
    }
  });
});

Deno.test("a Table watch of Services prints a BOOKMARK as kube-apiserver does: an empty Service's row", async () => {
  await withServer({ bookmarkIntervalMs: 100 }, async (server) => {
    addService(server, "shop", "echo");
    const events = await watch(`${server.url}/api/v1/namespaces/shop/services?watch=1&allowWatchBookmarks=true`, {
      headers: { accept: TABLE },
    });
    try {
      const added = await events.next();
      assert.equal(added?.object.kind, "Table");
      const cells = (added?.object.rows as Json)[0].cells.slice(0, 5);
      assert.match(cells[2], /^10\.96\.\d+\.\d+$/);
      assert.deepEqual(cells, ["echo", "ClusterIP", cells[2], "<none>", "80/TCP"]);
      await events.next();
      const bookmark = await events.next();
      assert.equal(bookmark?.type, "BOOKMARK");
      const table = bookmark?.object as Json;
      assert.equal(table.columnDefinitions, null);
      // The cells kube-apiserver v1.36.3 writes for a Service BOOKMARK (measured).
      assert.deepEqual(table.rows[0].cells, ["", "", "<none>", "<unknown>", "<none>", "<unknown>", "<none>"]);
      assert.equal(table.rows[0].object.kind, "PartialObjectMetadata");
    } finally {
      await events.cancel();
    }
  });
});

Deno.test("a watch of Services from before a compaction gets kube-apiserver's 410 ERROR event", async () => {
  await withServer({}, async (server) => {
    const old = addService(server, "shop", "echo").metadata.resourceVersion;
    addService(server, "shop", "echo", { changed: "yes" });
    server.compact();
    const events = await watch(`${server.url}/api/v1/services?watch=1&resourceVersion=${old}`);
    const error = await events.next();
    assert.equal(error?.type, "ERROR");
    assert.equal(error?.object.code, 410);
    assert.equal(error?.object.reason, "Expired");
    assert.equal(await events.next(), undefined);
  });
});

Deno.test("a protobuf-only list or watch of Services is a 406 that says to accept JSON", async () => {
  await withServer({}, async (server) => {
    for (const query of ["", "?watch=1"]) {
      const answer = await getJson(`${server.url}/api/v1/services${query}`, {
        headers: { accept: "application/vnd.kubernetes.protobuf" },
      });
      assert.equal(answer.status, 406);
      assert.match(answer.body.message, /accept application\/json too/);
    }
  });
});

const KUBECTL = join(homedir(), ".cache/kgr-resolver/kubectl-v1.36.3");

Deno.test({
  name: "kubectl get svc -w and get nodes -w print the rows and later changes, and keep watching",
  ignore: !existsSync(KUBECTL),
  async fn() {
    await withServer({}, async (server) => {
      addService(server, "default", "echo");
      server.applyNode({ metadata: { name: "node-a" } });
      const home = await Deno.makeTempDir({ prefix: "kgr-core-watch-" });
      try {
        const kubeconfig = join(home, "kubeconfig");
        await Deno.writeTextFile(kubeconfig, JSON.stringify(server.kubeconfig()));
        const run = (args: string[]) =>
          new Deno.Command(KUBECTL, {
            args: [`--kubeconfig=${kubeconfig}`, ...args],
            clearEnv: true,
            env: childEnv({ HOME: home, PATH: "/usr/bin:/bin" }),
            stdout: "piped",
            stderr: "piped",
            // Still watching after 3 s: stopped (kubectl then exits with 1, and prints nothing more).
            signal: AbortSignal.timeout(3000),
          }).output();
        const watching = [run(["get", "svc", "-w"]), run(["get", "nodes", "-w"])];
        await new Promise((resolve) => setTimeout(resolve, 1500));
        addService(server, "default", "late");
        server.applyNode({ metadata: { name: "node-b" } });
        const [services, nodes] = await Promise.all(watching);
        const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
        assert.equal(text(services.stderr), "");
        assert.equal(text(nodes.stderr), "");
        assert.deepEqual(text(services.stdout).trim().split("\n").map((line) => line.split(/ +/)[0]), [
          "NAME",
          "echo",
          "kubernetes",
          "late",
        ]);
        assert.deepEqual(text(nodes.stdout).trim().split("\n").map((line) => line.split(/ +/)[0]), [
          "NAME",
          "node-a",
          "node-b",
        ]);
      } finally {
        await Deno.remove(home, { recursive: true });
      }
    });
  },
});

Deno.test("a watch of Events sends kube-apiserver's Event BOOKMARK, as JSON and as a Table row", async () => {
  await withServer({}, async (server) => {
    const path = `${server.url}/api/v1/namespaces/shop/events?watch=1&allowWatchBookmarks=true`;
    const end = { "k8s.io/initial-events-end": "true" };
    const json = await watch(path);
    try {
      const bookmark = await json.next();
      // As kube-apiserver v1.36.3 writes an Event bookmark (measured): the fields its Go type always writes.
      assert.deepEqual(bookmark, {
        type: "BOOKMARK",
        object: {
          kind: "Event",
          apiVersion: "v1",
          metadata: { resourceVersion: server.resourceVersion, annotations: end },
          involvedObject: {},
          source: {},
          firstTimestamp: null,
          lastTimestamp: null,
          eventTime: null,
          reportingComponent: "",
          reportingInstance: "",
        },
      });
    } finally {
      await json.cancel();
    }
    const table = await watch(path, { headers: { accept: TABLE } });
    try {
      const row = ((await table.next())?.object.rows as Json)[0];
      // The cells kube-apiserver v1.36.3 writes for it (measured): no object, a count of 1, an empty name.
      assert.deepEqual(row.cells, ["<unknown>", "", "", "", "", "", "", "<unknown>", 1, ""]);
      assert.deepEqual(row.object.metadata.annotations, end);
    } finally {
      await table.cancel();
    }
  });
});

Deno.test("an Event's Table cells are kube-apiserver's for one without times or count (measured on v1.36.3)", () => {
  const event: Event = {
    metadata: { namespace: "default", name: "ev", creationTimestamp: "2026-12-05T20:00:00Z" } as Event["metadata"],
    involvedObject: { kind: "Service", name: "kubernetes" },
    reason: "Tested",
    message: "hello",
    type: "Normal",
    source: { component: "me" },
  };
  assert.deepEqual(EVENT_PRINTER.cells(event, Date.parse("2026-12-05T20:05:00Z")), [
    "<unknown>",
    "Normal",
    "Tested",
    "service/kubernetes",
    "",
    "me",
    "hello",
    "<unknown>",
    1,
    "ev",
  ]);
});

Deno.test("a watch of Events gets no periodic or pre-timeout BOOKMARK: kube-apiserver serves it without its cache", async () => {
  // Measured on v1.36.3: a 75 s Events watch with bookmarks got only the initial-events-end one, where a Services
  // watch beside it got three (Events are not in the watch cache that sends them).
  await withServer({ bookmarkIntervalMs: 100 }, async (server) => {
    const events = await watch(
      `${server.url}/api/v1/namespaces/shop/events?watch=1&allowWatchBookmarks=true&timeoutSeconds=3`,
    );
    try {
      const end = await events.next();
      assert.deepEqual(end?.object.metadata.annotations, { "k8s.io/initial-events-end": "true" });
      addService(server, "shop", "echo"); // the server moves past the watch's start
      await events.quiet(1500); // past the pre-timeout one, 2 s before the end
    } finally {
      await events.cancel();
    }
  });
});

Deno.test("ResourceQuotas and LimitRanges are served empty, as on a cluster where nobody set one", async () => {
  // kubectl describe namespace lists both; against the fake's 404s it left out kube-apiserver's "No resource quota."
  // and "No LimitRange resource." lines. Shapes measured on v1.36.3.
  await withServer({}, async (server) => {
    server.applySlice(endpointSlice({ namespace: "shop", service: "echo", endpoints: [] }));
    for (
      const [resource, kind, columns, rows] of [
        ["resourcequotas", "ResourceQuota", ["Name", "Request", "Limit", "Age"], []],
        ["limitranges", "LimitRange", ["Name", "Created At"], null],
      ] as const
    ) {
      const list = await getJson(`${server.url}/api/v1/namespaces/shop/${resource}?limit=500`);
      assert.deepEqual([list.status, list.body], [200, {
        kind: `${kind}List`,
        apiVersion: "v1",
        metadata: { resourceVersion: server.resourceVersion },
        items: [],
      }]);
      assert.equal((await getJson(`${server.url}/api/v1/${resource}`)).body.kind, `${kind}List`);
      const table = await getJson(`${server.url}/api/v1/namespaces/shop/${resource}`, { headers: { accept: TABLE } });
      assert.deepEqual(
        [table.body.columnDefinitions.map((column: Json) => column.name), table.body.rows],
        [columns, rows],
      );
      const missing = await getJson(`${server.url}/api/v1/namespaces/shop/${resource}/x`);
      assert.deepEqual([missing.status, missing.body.message], [404, `${resource} "x" not found`]);
      const refused = await getJson(`${server.url}/api/v1/namespaces/shop/${resource}?fieldSelector=spec.x%3D1`);
      assert.deepEqual([refused.status, refused.body.message], [
        400,
        '"spec.x" is not a known field selector: only "metadata.name", "metadata.namespace"',
      ]);
      const events = await watch(
        `${server.url}/api/v1/namespaces/shop/${resource}?watch=1&sendInitialEvents=true&` +
          "resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true",
      );
      try {
        const bookmark = await events.next();
        assert.equal(bookmark?.type, "BOOKMARK");
        assert.deepEqual(
          { ...bookmark?.object, metadata: {} },
          kind === "ResourceQuota"
            ? { kind, apiVersion: "v1", metadata: {}, spec: {}, status: {} }
            : { kind, apiVersion: "v1", metadata: {}, spec: { limits: null } },
        );
      } finally {
        await events.cancel();
      }
    }
    const discovery = await getJson(`${server.url}/api/v1`);
    assert.deepEqual(
      discovery.body.resources.filter((resource: Json) => ["limitranges", "resourcequotas"].includes(resource.name))
        .map((resource: Json) => [resource.name, resource.kind, resource.shortNames]),
      [["limitranges", "LimitRange", ["limits"]], ["resourcequotas", "ResourceQuota", ["quota"]]],
    );
  });
});

Deno.test({
  name: "kubectl describe namespace prints kube-apiserver's lines for no resource quota and no LimitRange",
  ignore: !existsSync(KUBECTL),
  async fn() {
    await withServer({}, async (server) => {
      const home = await Deno.makeTempDir({ prefix: "kgr-core-watch-" });
      try {
        const kubeconfig = join(home, "kubeconfig");
        await Deno.writeTextFile(kubeconfig, JSON.stringify(server.kubeconfig()));
        const output = await new Deno.Command(KUBECTL, {
          args: [`--kubeconfig=${kubeconfig}`, "describe", "namespace", "default"],
          clearEnv: true,
          env: childEnv({ HOME: home, PATH: "/usr/bin:/bin" }),
          signal: AbortSignal.timeout(20_000),
        }).output();
        const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
        assert.deepEqual([output.code, text(output.stderr)], [0, ""]);
        assert.deepEqual(text(output.stdout).split("\n").slice(3), [
          "Status:       Active",
          "",
          "No resource quota.",
          "",
          "No LimitRange resource.",
          "",
        ]);
      } finally {
        await Deno.remove(home, { recursive: true });
      }
    });
  },
});

Deno.test("a Service has the IP family defaults of an IPv4 cluster, which kubectl describe service prints", async () => {
  // kube-apiserver v1.36.3 stores them on every ClusterIP Service of an IPv4 cluster (measured); without them,
  // kubectl describe service printed `IP Families: <none>` and no `IP Family Policy` line.
  await withServer({}, async (server) => {
    const stored = addService(server, "shop", "echo");
    const read = await getJson(`${server.url}/api/v1/namespaces/shop/services/echo`);
    for (const spec of [stored.spec, read.body.spec]) {
      assert.deepEqual(Object.keys(spec), [
        "ports",
        "clusterIP",
        "clusterIPs",
        "type",
        "sessionAffinity",
        "ipFamilies",
        "ipFamilyPolicy",
        "internalTrafficPolicy",
      ]);
      assert.deepEqual([spec.ipFamilies, spec.ipFamilyPolicy], [["IPv4"], "SingleStack"]);
    }
  });
});
