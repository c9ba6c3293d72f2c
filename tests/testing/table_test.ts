// EndpointSlices as the Table `kubectl get endpointslices` asks for, against answers measured on kube-apiserver
// v1.36.3 for the same slices: columns, cells (ports, addresses, `<unset>`, `+ N more...`), includeObject, versions,
// a watch's first event alone listing the columns, and a BOOKMARK's empty row.
import assert from "node:assert/strict";
import { BASE, type Json, watch, withServer } from "./_helpers.ts";
import { age } from "../../src/testing/_table.ts";
import type { FakeApiServer } from "@kgr/resolver/testing";

const SLICES = `${BASE}/namespaces/default/endpointslices`;
/** What kubectl v1.36.3 sends for `kubectl get`. */
const KUBECTL = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io," +
  "application/json";
const V1BETA1 = "application/json;as=Table;v=v1beta1;g=meta.k8s.io";

/** The slices measured on the real server: five endpoints with six addresses, none, and ports without numbers. */
function applySlices(server: FakeApiServer): void {
  const service = (name: string) => ({ "kubernetes.io/service-name": name });
  server.applySlice({
    metadata: { name: "a-1", namespace: "default", labels: service("a") },
    addressType: "IPv4",
    ports: [{ name: "grpc", port: 50051, protocol: "TCP" }, { name: "h", port: 8080 }],
    endpoints: [
      { addresses: ["10.0.0.1"] },
      { addresses: ["10.0.0.2", "10.0.0.9"] },
      { addresses: ["10.0.0.3"], conditions: { ready: false } },
      { addresses: ["10.0.0.4"] },
      { addresses: ["10.0.0.5"] },
    ],
  });
  server.applySlice({
    metadata: { name: "b-1", namespace: "default", labels: service("b") },
    addressType: "IPv6",
    ports: [],
    endpoints: [],
  });
  server.applySlice({
    metadata: { name: "c-1", namespace: "default" },
    addressType: "FQDN",
    ports: [{ port: 80 }, { name: "x" }],
    endpoints: [{ addresses: ["example.com"] }],
  });
}

async function get(server: FakeApiServer, path: string, accept: string): Promise<{ status: number; body: Json }> {
  const response = await fetch(server.url + path, { headers: { accept } });
  return { status: response.status, body: await response.json() };
}

const cells = (table: Json) => table.rows.map((row: Json) => row.cells);

/**
 * Checks that the Age cell (column `column`) of each of `table`'s rows is the age, in kubectl's seconds, of an object
 * created at `since` (`Date.now()`) or later, and writes "0s" there, the age of the rows the tests expect. The cell is
 * "1s" once the second of the object's creationTimestamp (whole seconds) has passed, which a read 50 ms after the
 * write meets one time in twenty, and later still on a loaded machine, as on a real server. Returns `table`.
 */
function freshAges(table: Json, column: number, since: number): Json {
  const oldest = Math.ceil((Date.now() - Math.floor(since / 1000) * 1000) / 1000);
  for (const row of table.rows) {
    const seconds = /^(\d+)s$/.exec(row.cells[column])?.[1];
    assert.ok(seconds !== undefined && Number(seconds) <= oldest, `Age ${row.cells[column]}, at most ${oldest}s due`);
    row.cells[column] = "0s";
  }
  return table;
}

Deno.test("the fake API server answers kubectl's Accept with a Table of EndpointSlices, as kube-apiserver does", async () => {
  await withServer({}, async (server) => {
    const since = Date.now();
    applySlices(server);
    const { status, body } = await get(server, SLICES, KUBECTL);
    assert.equal(status, 200);
    assert.equal(body.kind, "Table");
    assert.equal(body.apiVersion, "meta.k8s.io/v1");
    assert.deepEqual(body.metadata, { resourceVersion: String(server.resourceVersion) });
    assert.deepEqual(
      body.columnDefinitions.map(({ name, type, format, priority }: Json) => ({ name, type, format, priority })),
      [
        { name: "Name", type: "string", format: "name", priority: 0 },
        { name: "AddressType", type: "string", format: "", priority: 0 },
        { name: "Ports", type: "string", format: "", priority: 0 },
        { name: "Endpoints", type: "string", format: "", priority: 0 },
        { name: "Age", type: "string", format: "", priority: 0 },
      ],
    );
    assert.deepEqual(cells(freshAges(body, 4, since)), [
      ["a-1", "IPv4", "50051,8080", "10.0.0.1,10.0.0.2,10.0.0.9 + 3 more...", "0s"],
      ["b-1", "IPv6", "<unset>", "<unset>", "0s"],
      ["c-1", "FQDN", "80,x", "example.com", "0s"],
    ]);
    // includeObject defaults to Metadata.
    const stored = await (await fetch(`${server.url}${SLICES}/a-1`)).json();
    assert.deepEqual(body.rows[0].object, {
      kind: "PartialObjectMetadata",
      apiVersion: "meta.k8s.io/v1",
      metadata: stored.metadata,
    });
  });
});

Deno.test("the fake API server's Tables follow the version, includeObject, paging and a GET, as a real server's", async () => {
  await withServer({}, async (server) => {
    const since = Date.now();
    applySlices(server);
    const beta = await get(server, `${SLICES}/b-1?includeObject=None`, V1BETA1);
    assert.equal(beta.body.apiVersion, "meta.k8s.io/v1beta1");
    const stored = await (await fetch(`${server.url}${SLICES}/b-1`)).json();
    // A GET's Table carries the object's resourceVersion.
    assert.deepEqual(beta.body.metadata, { resourceVersion: stored.metadata.resourceVersion });
    assert.deepEqual(freshAges(beta.body, 4, since).rows, [{
      cells: ["b-1", "IPv6", "<unset>", "<unset>", "0s"],
      object: null,
    }]);
    const whole = await get(server, `${SLICES}/b-1?includeObject=Object`, KUBECTL);
    assert.deepEqual(whole.body.rows[0].object, stored);
    for (const value of ["Foo", "metadata"]) {
      assert.deepEqual(
        (await get(server, `${SLICES}?includeObject=${value}`, KUBECTL)).body.message,
        `Unable to convert to Table as requested: includeObject: Invalid value: "${value}": ` +
          "must be 'Metadata', 'Object', 'None', or empty",
      );
    }
    // A missing object is still a 404; a plain JSON request ignores includeObject.
    assert.equal((await get(server, `${SLICES}/missing?includeObject=Foo`, KUBECTL)).status, 404);
    assert.equal((await get(server, `${SLICES}/b-1?includeObject=Foo`, "application/json")).body.kind, "EndpointSlice");
    const page = await get(server, `${SLICES}?limit=1`, KUBECTL);
    assert.deepEqual(Object.keys(page.body.metadata), ["resourceVersion", "continue", "remainingItemCount"]);
    assert.equal(page.body.metadata.remainingItemCount, 2);
    // Tables are JSON only: a protobuf Table is refused.
    const protobuf = await fetch(`${server.url}${SLICES}`, {
      headers: { accept: "application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io" },
    });
    await protobuf.body?.cancel();
    assert.equal(protobuf.status, 406);
  });
});

Deno.test("the fake API server's watch Tables list the columns in the first event only; a bookmark's row is empty", async () => {
  await withServer({}, async (server) => {
    const since = Date.now();
    applySlices(server);
    const query = "watch=1&includeObject=None&allowWatchBookmarks=true&sendInitialEvents=true&" +
      "resourceVersionMatch=NotOlderThan&resourceVersion=0";
    const stream = await watch(`${server.url}${SLICES}?${query}`, { headers: { accept: KUBECTL } });
    try {
      const first = (await stream.next())!;
      assert.equal(first.type, "ADDED");
      assert.equal(first.object.kind, "Table");
      assert.equal((first.object.columnDefinitions as Json[]).length, 5);
      assert.deepEqual(freshAges(first.object, 4, since).rows[0], {
        cells: ["a-1", "IPv4", "50051,8080", "10.0.0.1,10.0.0.2,10.0.0.9 + 3 more...", "0s"],
        object: null,
      });
      const second = (await stream.next())!;
      assert.equal(second.object.columnDefinitions, null);
      assert.equal(second.object.metadata.resourceVersion, String(Number(server.resourceVersion) - 1));
      await stream.next();
      const bookmark = (await stream.next())!;
      assert.equal(bookmark.type, "BOOKMARK");
      assert.deepEqual(bookmark.object, {
        kind: "Table",
        apiVersion: "meta.k8s.io/v1",
        metadata: { resourceVersion: String(server.resourceVersion) },
        columnDefinitions: null,
        rows: [{
          cells: ["", "", "<unset>", "<unset>", "<unknown>"],
          object: {
            kind: "PartialObjectMetadata",
            apiVersion: "meta.k8s.io/v1",
            metadata: {
              resourceVersion: String(server.resourceVersion),
              annotations: { "k8s.io/initial-events-end": "true" },
            },
          },
        }],
      });
    } finally {
      await stream.cancel();
    }
    const refused = await fetch(`${server.url}${SLICES}?watch=1&includeObject=Foo`, { headers: { accept: KUBECTL } });
    assert.equal(refused.status, 400);
    await refused.body?.cancel();
  });
});

Deno.test("age() counts as kubectl's AGE column does", () => {
  const now = Date.parse("2026-12-05T12:00:00Z");
  const ago = (seconds: number) => new Date(now - seconds * 1000).toISOString();
  const cases: [number, string][] = [
    [-2, "<invalid>"],
    [-1, "0s"],
    [0, "0s"],
    [119, "119s"],
    [120, "2m"],
    [200, "3m20s"],
    [599, "9m59s"],
    [600, "10m"],
    [179 * 60 + 59, "179m"],
    [3 * 3600, "3h"],
    [7 * 3600 + 59 * 60, "7h59m"],
    [8 * 3600 + 30 * 60, "8h"],
    [47 * 3600, "47h"],
    [48 * 3600, "2d"],
    [7 * 86400 + 23 * 3600, "7d23h"],
    [8 * 86400, "8d"],
    [729 * 86400, "729d"],
    [730 * 86400, "2y"],
    [731 * 86400, "2y1d"],
    [8 * 365 * 86400 + 5 * 86400, "8y"],
  ];
  for (const [seconds, expected] of cases) assert.equal(age(ago(seconds), now), expected, `${seconds} s`);
  assert.equal(age(undefined, now), "<unknown>");
});

Deno.test("the fake API server answers kubectl's Accept for a Service with the columns and cells kube-apiserver writes", async () => {
  await withServer({}, async (server) => {
    // Measured on kube-apiserver v1.36.3 for the same Services: `cart` prints ClusterIP, its cluster IP, <none>,
    // 50051/TCP,8080/TCP, its age and (wide) app=cart,tier=be; `plain` 53/UDP and (wide) <none>. Both are given an
    // address of the service range, so that the cells are known.
    const since = Date.now();
    server.applyService({
      metadata: { namespace: "shop", name: "cart" },
      spec: {
        ports: [{ name: "grpc", port: 50051 }, { name: "http", port: 8080, targetPort: "web" }],
        selector: { tier: "be", app: "cart" },
        clusterIP: "10.96.12.34",
      },
    });
    server.applyService({
      metadata: { namespace: "shop", name: "plain" },
      spec: { ports: [{ port: 53, protocol: "UDP" }], clusterIP: "10.96.0.10" },
    });
    const { status, body } = await get(server, "/api/v1/namespaces/shop/services/cart", KUBECTL);
    assert.equal(status, 200);
    assert.equal(body.kind, "Table");
    assert.deepEqual(
      body.columnDefinitions.map(({ name, type, format, priority }: Json) => ({ name, type, format, priority })),
      [
        { name: "Name", type: "string", format: "name", priority: 0 },
        { name: "Type", type: "string", format: "", priority: 0 },
        { name: "Cluster-IP", type: "string", format: "", priority: 0 },
        { name: "External-IP", type: "string", format: "", priority: 0 },
        { name: "Port(s)", type: "string", format: "", priority: 0 },
        { name: "Age", type: "string", format: "", priority: 0 },
        { name: "Selector", type: "string", format: "", priority: 1 },
      ],
    );
    assert.deepEqual(cells(freshAges(body, 5, since)), [[
      "cart",
      "ClusterIP",
      "10.96.12.34",
      "<none>",
      "50051/TCP,8080/TCP",
      "0s",
      "app=cart,tier=be",
    ]]);
    assert.equal(body.rows[0].object.kind, "PartialObjectMetadata");
    const plain = await get(server, "/api/v1/namespaces/shop/services/plain?includeObject=Object", V1BETA1);
    assert.equal(plain.body.apiVersion, "meta.k8s.io/v1beta1");
    assert.deepEqual(cells(freshAges(plain.body, 5, since)), [[
      "plain",
      "ClusterIP",
      "10.96.0.10",
      "<none>",
      "53/UDP",
      "0s",
      "<none>",
    ]]);
    assert.equal(plain.body.rows[0].object.kind, "Service");
  });
});

Deno.test("the fake API server answers kubectl's Accept for a Node with the columns and cells kube-apiserver writes", async () => {
  await withServer({}, async (server) => {
    // Measured on kube-apiserver v1.36.3 for Nodes with only a name and labels (no status: no kubelet): Unknown,
    // the roles from node-role.kubernetes.io/<role> and kubernetes.io/role labels, sorted, an empty VERSION, and
    // (wide) <none>, <none>, <unknown> three times.
    const since = Date.now();
    server.applyNode({
      metadata: {
        name: "node-1",
        labels: {
          "node-role.kubernetes.io/zeta": "",
          "kubernetes.io/role": "worker",
          "node-role.kubernetes.io/alpha": "x",
          "topology.kubernetes.io/zone": "zone-a",
        },
      },
    });
    server.applyNode({ metadata: { name: "node-2" } });
    const { status, body } = await get(server, "/api/v1/nodes/node-1?includeObject=None", KUBECTL);
    assert.equal(status, 200);
    assert.deepEqual(
      body.columnDefinitions.map(({ name, priority }: Json) => `${name}/${priority}`),
      [
        "Name/0",
        "Status/0",
        "Roles/0",
        "Age/0",
        "Version/0",
        "Internal-IP/1",
        "External-IP/1",
        "OS-Image/1",
        "Kernel-Version/1",
        "Container-Runtime/1",
      ],
    );
    const row = ["Unknown", "0s", "", "<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"];
    assert.deepEqual(cells(freshAges(body, 3, since)), [["node-1", row[0], "alpha,worker,zeta", ...row.slice(1)]]);
    assert.equal(body.rows[0].object, null);
    const bare = await get(server, "/api/v1/nodes/node-2", KUBECTL);
    assert.deepEqual(cells(freshAges(bare.body, 3, since)), [["node-2", row[0], "<none>", ...row.slice(1)]]);
  });
});
