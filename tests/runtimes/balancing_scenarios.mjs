// Cross-runtime scenarios of load balancing: how channels behave, with our
// policy and grpc-js's own, as a user would see it.
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { echoCaller } from "../../scripts/echo_service.mjs";
import { cluster, EchoClient, eventually, NAMESPACE } from "./_cluster.mjs";

/** The scenarios, by name (merged into scenarios.mjs's). */
export const balancingScenarios = {
  async "after the channel went idle, a Service without a ready pod still fails calls with why and what to check"() {
    const k8s = await cluster("k8s-idle-empty", 90);
    await k8s.startPod("echo-0", k8s.hosts[0]);
    k8s.setConditions("echo-0", { ready: false });
    const target = `k8s-idle-empty:///echo.${NAMESPACE}:grpc`;
    const idle = { "grpc.client_idle_timeout_ms": 1000 };
    const ownPolicy = (policy) => ({
      ...idle,
      "grpc.service_config": JSON.stringify({ loadBalancingConfig: [policy] }),
    });
    const channels = {
      "the default policy": new EchoClient(target, grpc.credentials.createInsecure(), idle),
      "round_robin": new EchoClient(target, grpc.credentials.createInsecure(), ownPolicy({ round_robin: {} })),
      "pick_first": new EchoClient(target, grpc.credentials.createInsecure(), ownPolicy({ pick_first: {} })),
    };
    const advice = /no ready endpoints for service echo in namespace e2e: none of its endpoints is ready: check/;
    try {
      for (const [name, client] of Object.entries(channels)) {
        for (const when of ["at first", "after the channel went idle"]) {
          if (when !== "at first") {
            await eventually(
              () => client.getChannel().getConnectivityState(false) === grpc.connectivityState.IDLE,
              5000,
              `${name}: the channel to go idle`,
            );
          }
          const error = await echoCaller(client, 3000)("hi").then(() => null, (error) => error);
          assert.equal(error?.code, grpc.status.UNAVAILABLE, `${name} ${when}: ${error}`);
          assert.match(error.details, advice, `${name} ${when}: ${error.details}`);
        }
      }
    } finally {
      for (const client of Object.values(channels)) client.close();
      await k8s.close();
    }
  },
};
