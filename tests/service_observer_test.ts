import assert from "node:assert/strict";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
import { connectCluster, observeService, type ServiceView } from "../src/service_observer.ts";
import { eventually } from "./_watch_helpers.ts";

Deno.test("observeService() counts a new reason for no pods as a change (the CLI prints a line for it)", async () => {
  const api = await startFakeApiServer();
  const connection = await connectCluster({ kubeconfig: api.kubeconfig() });
  const controller = new AbortController();
  const views: ServiceView[] = [];
  const observing = observeService(connection, {
    scheme: "kubernetes",
    service: "echo",
    namespace: "prod",
    port: "grpc",
  }, {
    signal: controller.signal,
    locality: {},
    onView: (view) => views.push(view),
  });
  try {
    await eventually(() => views.some((view) => view.snapshot !== undefined), "the first snapshot");
    const first = views.findLast((view) => view.snapshot)!;
    assert.match(first.snapshot!.emptyReason!, /^it has no EndpointSlice/);
    await new Promise((resolve) => setTimeout(resolve, 5)); // a later changedAt, in ms
    api.applySlice(
      endpointSlice({
        namespace: "prod",
        service: "echo",
        name: "echo-a",
        port: { name: "grpc", port: 1 },
        endpoints: [],
      }),
    );
    await eventually(() => views.at(-1)!.snapshot?.emptyReason?.includes("list no pod") === true, "the new reason");
    // The CLI prints a change line (and a --json object) only when changedAt moves.
    assert.ok(views.at(-1)!.changedAt! > first.changedAt!, "changedAt moved with the reason");
  } finally {
    controller.abort();
    await observing;
    connection.client.close();
    await api.close();
  }
});
