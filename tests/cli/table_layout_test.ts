// Which columns the live table keeps on a narrow terminal, and where USED goes when it would be cut.
import assert from "node:assert/strict";
import type { EndpointSlice } from "../../src/base/endpoint_slice.ts";
import { serviceViewOf, tableAt } from "./_service_view.ts";

/** A Deployment's pods as a cluster on AWS names them: two in each zone, one terminating and one not ready. */
const SLICE: EndpointSlice = {
  metadata: { name: "cart-x", namespace: "prod" },
  addressType: "IPv4",
  ports: [{ name: "grpc", port: 50051 }],
  endpoints: [
    ...[0, 1, 2, 3].map((i) => ({
      addresses: [`10.4.${i % 2}.${10 + i}`],
      targetRef: { name: `cart-checkout-api-7d9f8b6c5d-${"abcd"[i]}x2z4` },
      zone: `eu-west-1${"ab"[i % 2]}`,
      nodeName: `ip-10-4-${i % 2}-${20 + i}.eu-west-1.compute.internal`,
      hints: { forZones: [{ name: `eu-west-1${"ab"[i % 2]}` }] },
    })),
    {
      addresses: ["10.4.0.50"],
      targetRef: { name: "cart-checkout-api-7d9f8b6c5d-oldpod" },
      zone: "eu-west-1a",
      conditions: { ready: false, serving: true, terminating: true },
    },
    {
      addresses: ["10.4.1.51"],
      targetRef: { name: "cart-checkout-api-7d9f8b6c5d-newpod" },
      conditions: { ready: false },
    },
  ],
};

Deno.test("renderTable() on a narrow terminal puts each pod's USED under its row, whole, rather than cut it", () => {
  const view = serviceViewOf([SLICE], { zone: "eu-west-1a" });
  const reasons = view.pods!.map((pod) => pod.message);
  assert.ok(reasons.includes("not used: terminating while others are ready"));
  for (const columns of [30, 40, 50, 60]) {
    const lines = tableAt(view, columns);
    const table = lines.slice(lines.findIndex((line) => /^POD\b/.test(line)));
    // Was, at 50: "cart-ch…7d9f8b6c5d-ax2z4  10.4.0.10:50051  used: …", and at 40 no USED at all.
    for (const reason of reasons) {
      assert.ok(
        table.join(" ").replace(/\s+/g, " ").includes(reason),
        `${columns} columns: ${reason}\n${lines.join("\n")}`,
      );
    }
  }
  // Where it fits, USED stays a column.
  const wide = tableAt(view, 100);
  assert.match(wide.find((line) => line.startsWith("POD "))!, / USED$/);
});

Deno.test("renderTable() at 50 columns keeps the address and READY beside the pod and puts why under it", () => {
  const lines = tableAt(serviceViewOf([SLICE], { zone: "eu-west-1a" }), 50);
  const table = lines.slice(lines.findIndex((line) => /^POD\b/.test(line)));
  assert.deepEqual(table.slice(0, 5), [
    "POD                         ADDRESS          READY",
    "cart-che…-7d9f8b6c5d-ax2z4  10.4.0.10:50051  yes",
    "  used: hinted for the client's zone",
    "cart-che…-7d9f8b6c5d-bx2z4  10.4.1.11:50051  yes",
    "  failover: hinted for zone eu-west-1b",
  ]);
});

/**
 * A GKE Deployment's six pods, hinted for their zones in europe-west1 (the last one terminating): names of 31 cells,
 * and "failover: hinted for zone europe-west1-d", 40.
 */
const GKE_SLICE: EndpointSlice = {
  metadata: { name: "echo-x", namespace: "prod" },
  addressType: "IPv4",
  ports: [{ name: "grpc", port: 50051 }],
  endpoints: [0, 1, 2, 3, 4, 5].map((i) => ({
    addresses: [`10.1.0.${16 + i}`],
    targetRef: { name: `echo-deployment-7d9f8c6b0-x${i}prk` },
    zone: `europe-west1-${"bcd"[i % 3]}`,
    nodeName: `gke-prod-pool-${i}-a1b2c3d4-x9z`,
    hints: { forZones: [{ name: `europe-west1-${"bcd"[i % 3]}` }] },
    ...(i === 5 ? { conditions: { ready: false, serving: true, terminating: true } } : {}),
  })),
};

Deno.test("renderTable() cuts no pod name for a USED column that wraps all the same", () => {
  const view = serviceViewOf([GKE_SLICE], { zone: "europe-west1-b" });
  const lines = tableAt(view, 80);
  const table = lines.slice(lines.findIndex((line) => /^POD\b/.test(line)));
  assert.match(table[0], / USED$/);
  // Was 'echo-de…-7d9f8c6b0-x1prk', each failover on two lines all the same (a 38-cell USED column).
  for (const pod of view.pods!) assert.ok(table.some((line) => line.startsWith(`${pod.pod!}  `)), table.join("\n"));
  // A USED line under each row: the column wraps the failovers' reasons with the names cut too, so they stay whole.
  assert.equal(table.filter((line) => line.startsWith(" ")).length, 6, table.join("\n"));
});

Deno.test("renderTable() wraps a reason of more than three lines in the USED column whole, rather than cut it", () => {
  // A slice whose port "grpc" has no number: its pod's reason takes five lines of a 24-cell USED column.
  const name = (i: number) => `checkout-payments-7f9c8d6b5-x2k9${i}`;
  const slice = (i: number, port: number | null): EndpointSlice => ({
    metadata: { name: `echo-${i}`, namespace: "prod" },
    addressType: "IPv4",
    ports: [{ name: "grpc", port: port as number }],
    endpoints: [{ addresses: [`10.0.0.${i + 1}`], targetRef: { name: name(i) } }],
  });
  const view = serviceViewOf([slice(0, 8080), slice(1, null)], {});
  const reason = 'not used: in an EndpointSlice that gives port "grpc" no number a client can dial (1-65535)';
  assert.ok(view.pods!.some((pod) => pod.message === reason));
  for (const columns of [65, 66, 67]) {
    const lines = tableAt(view, columns);
    const table = lines.slice(lines.findIndex((line) => /^POD\b/.test(line)));
    // Was, at 65: 'not used: its', 'EndpointSlice gives port', '"grpc" no number a…'.
    assert.ok(table.join(" ").replace(/\s+/g, " ").includes(reason), `${columns} columns:\n${lines.join("\n")}`);
  }
});

Deno.test("renderTable() cuts no pod name for a USED column where a narrower terminal shows the names whole", () => {
  // GKE_SLICE's pods and the AWS ones of SLICE: with USED under the rows, 55 to 66 columns (59 to 66
  // for SLICE) showed the names whole; then USED became a column and cut them ('echo-de…-7d9f8c6b0-x0prk' at 67 to
  // 75, 'cart-ch…-7d9f8b6c5d-ax2z4' at 67 to 78), though that column left out READY and SERVING all the same.
  const cases = [
    { view: serviceViewOf([GKE_SLICE], { zone: "europe-west1-b" }), from: 55, to: 85 },
    { view: serviceViewOf([SLICE], { zone: "eu-west-1a" }), from: 59, to: 81 },
  ];
  for (const { view, from, to } of cases) {
    for (let columns = from; columns <= to; columns++) {
      const lines = tableAt(view, columns);
      const table = lines.slice(lines.findIndex((line) => /^POD\b/.test(line)));
      for (const pod of view.pods!) {
        assert.ok(
          table.some((line) => line.startsWith(`${pod.pod!}  `) || line === pod.pod),
          `${columns}:\n${table.join("\n")}`,
        );
      }
    }
  }
});

Deno.test("renderTable() cuts no pod name that a narrower terminal shows whole beside its address, not even for ZONE", () => {
  // The row with USED under it, which a USED column is held to, cut names for a ZONE that the USED column left out
  // all the same: GKE_SLICE's names whole at 85 columns were 'echo-dep…nt-7d9f8c6b0-x0prk' at 86 to 89, SLICE's at 82
  // to 88, 51-cell names from 82 to 102; 63-cell ones were cut at 94 and 95 for a USED column beside the same
  // columns as at 93 and 96, where USED went under whole names. Then a ZONE column cut them where the columns beside
  // it came back with it: SLICE's 51-cell names, whole beside their address from 75 columns, were cut from 128 to
  // 149 beside ZONE, SERVING and TERMINATING; GKE_SLICE's 54-cell ones without topology from 132 to 145.
  const renamed = (slice: EndpointSlice, cells: number): EndpointSlice => ({
    ...slice,
    endpoints: (slice.endpoints ?? []).map((endpoint, i) => ({
      ...endpoint,
      targetRef: {
        name: `${"checkout-payments-gateway-canary-release-euwest-stable-blue".slice(0, cells - 6)}-x2k${i}p`,
      },
    })),
  });
  const views = [
    serviceViewOf([GKE_SLICE], { zone: "europe-west1-b" }),
    serviceViewOf([SLICE], { zone: "eu-west-1a" }),
    ...[40, 51, 54, 63].map((cells) => serviceViewOf([renamed(SLICE, cells)], { zone: "eu-west-1a" })),
    ...[40, 51, 63].map((cells) => serviceViewOf([renamed(GKE_SLICE, cells)], { zone: "europe-west1-b" })),
    ...[33, 54, 63].map((cells) => serviceViewOf([renamed(GKE_SLICE, cells)], {})),
  ];
  for (const view of views) {
    let wholeAt: number | undefined;
    for (let columns = 30; columns <= 200; columns++) {
      const lines = tableAt(view, columns, { rows: 60 });
      const table = lines.slice(lines.findIndex((line) => /^POD\b/.test(line)));
      const whole = view.pods!.every((pod) => table.some((line) => line.startsWith(`${pod.pod!}  `)));
      if (whole && table[0].includes("ADDRESS")) wholeAt ??= columns;
      if (wholeAt === undefined || whole) continue;
      assert.fail(`whole at ${wholeAt} columns, cut at ${columns}:\n${table.join("\n")}`);
    }
  }
});
