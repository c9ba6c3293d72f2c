// The cases of kube-proxy's topology tests (kubernetes pkg/proxy/topology_test.go), restated as
// "which endpoints kube-proxy would route to" for a client at `locality`. Shared by
// tests/topology_test.ts (the mode function) and the cross-runtime scenarios (the whole path).

const fourZoned = (ready6 = true) => [
  { ip: "10.1.2.3", zones: ["zone-a"] },
  { ip: "10.1.2.4", zones: ["zone-b"] },
  { ip: "10.1.2.5", zones: ["zone-c"] },
  { ip: "10.1.2.6", zones: ["zone-a"], ready: ready6 },
];

/**
 * @type {{ name: string, locality: { zone?: string, node?: string },
 *   endpoints: { ip: string, ready?: boolean, serving?: boolean, terminating?: boolean, zones?: string[], nodes?: string[] }[],
 *   expected: string[] }[]}
 */
export const TOPOLOGY_CASES = [
  {
    name: "normal filtering: the zone's endpoints",
    locality: { zone: "zone-a" },
    endpoints: fourZoned(),
    expected: ["10.1.2.3", "10.1.2.6"],
  },
  {
    name: "no hints (no trafficDistribution, or topology-mode disabled): no filtering",
    locality: { zone: "zone-a" },
    endpoints: fourZoned().map(({ ip }) => ({ ip })),
    expected: ["10.1.2.3", "10.1.2.4", "10.1.2.5", "10.1.2.6"],
  },
  {
    name: "empty node labels (zone unknown): no filtering",
    locality: {},
    endpoints: [{ ip: "10.1.2.3", zones: ["zone-a"] }],
    expected: ["10.1.2.3"],
  },
  {
    name: "node in a zone no endpoint is hinted for: no filtering",
    locality: { zone: "zone-b" },
    endpoints: [{ ip: "10.1.2.3", zones: ["zone-a"] }, { ip: "10.1.2.4", zones: ["zone-c"] }],
    expected: ["10.1.2.3", "10.1.2.4"],
  },
  {
    name: "an unready endpoint in the zone is not used",
    locality: { zone: "zone-a" },
    endpoints: fourZoned(false),
    expected: ["10.1.2.3"],
  },
  {
    name: "only unready endpoints in the zone: no filtering",
    locality: { zone: "zone-a" },
    endpoints: [
      { ip: "10.1.2.3", zones: ["zone-a"], ready: false },
      { ip: "10.1.2.4", zones: ["zone-b"] },
      { ip: "10.1.2.5", zones: ["zone-c"] },
      { ip: "10.1.2.6", zones: ["zone-a"], ready: false },
    ],
    expected: ["10.1.2.4", "10.1.2.5"],
  },
  {
    name: "one ready endpoint without hints: no filtering",
    locality: { zone: "zone-a" },
    endpoints: [
      { ip: "10.1.2.3", zones: ["zone-a"] },
      { ip: "10.1.2.4", zones: ["zone-b"] },
      { ip: "10.1.2.5" },
      { ip: "10.1.2.6", zones: ["zone-a"] },
    ],
    expected: ["10.1.2.3", "10.1.2.4", "10.1.2.5", "10.1.2.6"],
  },
  {
    name: "an unready endpoint without hints does not stop filtering",
    locality: { zone: "zone-a" },
    endpoints: [{ ip: "10.1.2.3", zones: ["zone-a"] }, { ip: "10.1.2.4", zones: ["zone-b"] }, {
      ip: "10.1.2.5",
      ready: false,
    }],
    expected: ["10.1.2.3"],
  },
  {
    name: "several hints per endpoint: any endpoint that includes the zone",
    locality: { zone: "zone-c" },
    endpoints: [
      { ip: "10.1.2.3", zones: ["zone-a", "zone-b", "zone-c"] },
      { ip: "10.1.2.4", zones: ["zone-b", "zone-c"] },
      { ip: "10.1.2.5", zones: ["zone-b", "zone-d"] },
      { ip: "10.1.2.6", zones: ["zone-c"] },
    ],
    expected: ["10.1.2.3", "10.1.2.4", "10.1.2.6"],
  },
  {
    name: "no endpoint ready: none is used",
    locality: { zone: "zone-a" },
    endpoints: [{ ip: "10.0.0.0", ready: false }, { ip: "10.0.0.1", ready: false }],
    expected: [],
  },
  {
    name: "some endpoints ready: only those",
    locality: {},
    endpoints: [{ ip: "10.0.0.0", ready: false }, { ip: "10.0.0.1" }],
    expected: ["10.0.0.1"],
  },
  {
    name: "every endpoint terminating but serving: the fallback, without topology",
    locality: { zone: "zone-a" },
    endpoints: [
      { ip: "10.0.0.0", ready: false, serving: true, terminating: true, zones: ["zone-b"] },
      { ip: "10.0.0.1", ready: false, serving: true, terminating: true, zones: ["zone-a"] },
    ],
    expected: ["10.0.0.0", "10.0.0.1"],
  },
  {
    name: "PreferSameNode: node hints on every ready endpoint, one for our node",
    locality: { zone: "zone-a", node: "node-1" },
    endpoints: [
      { ip: "10.1.0.1", zones: ["zone-a"], nodes: ["node-1"] },
      { ip: "10.1.0.2", zones: ["zone-a"], nodes: ["node-2"] },
      { ip: "10.1.0.3", zones: ["zone-b"], nodes: ["node-3"] },
    ],
    expected: ["10.1.0.1"],
  },
  {
    name: "PreferSameNode: no endpoint for our node falls back to the zone",
    locality: { zone: "zone-a", node: "node-9" },
    endpoints: [
      { ip: "10.1.0.1", zones: ["zone-a"], nodes: ["node-1"] },
      { ip: "10.1.0.2", zones: ["zone-a"], nodes: ["node-2"] },
      { ip: "10.1.0.3", zones: ["zone-b"], nodes: ["node-3"] },
    ],
    expected: ["10.1.0.1", "10.1.0.2"],
  },
  {
    name: "PreferSameNode: a ready endpoint without a node hint falls back to the zone",
    locality: { zone: "zone-b", node: "node-1" },
    endpoints: [
      { ip: "10.1.0.1", zones: ["zone-a"], nodes: ["node-1"] },
      { ip: "10.1.0.3", zones: ["zone-b"] },
    ],
    expected: ["10.1.0.3"],
  },
  {
    name: "PreferSameNode: node unknown uses the zone",
    locality: { zone: "zone-b" },
    endpoints: [
      { ip: "10.1.0.1", zones: ["zone-a"], nodes: ["node-1"] },
      { ip: "10.1.0.3", zones: ["zone-b"], nodes: ["node-3"] },
    ],
    expected: ["10.1.0.3"],
  },
  {
    name: "PreferSameNode without zone hints and no locality: no filtering",
    locality: {},
    endpoints: [{ ip: "10.1.0.1", nodes: ["node-1"] }, { ip: "10.1.0.3", nodes: ["node-3"] }],
    expected: ["10.1.0.1", "10.1.0.3"],
  },
];
