// What the cross-runtime scenarios share: a fake cluster whose pods are real
// echo servers on 127.0.0.x, and a grpc-js client of its Service.
import * as grpc from "@grpc/grpc-js";
import { register } from "@kgr/resolver";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
import { echoCaller, EchoService, freePort, startEchoServer } from "../../scripts/echo_service.mjs";

/** The namespace of the Service "echo". */
export const NAMESPACE = "e2e";
/** A grpc-js client class of the echo service. */
export const EchoClient = grpc.makeGenericClientConstructor(EchoService, "Echo");
/** Resolves after `ms`. */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `condition()` is true, polling; fails after `ms`. */
export async function eventually(condition, ms = 5000, what = "condition") {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A fake cluster with one Service "echo" whose pods are real echo servers on 127.0.0.x. */
export async function cluster(scheme, firstHost, settings = {}) {
  const api = await startFakeApiServer({ token: "e2e-token" });
  const hosts = Array.from({ length: 6 }, (_, i) => `127.0.0.${firstHost + i}`);
  const port = await freePort(hosts);
  const pods = new Map();
  const state = {
    api,
    port,
    pods,
    async startPod(name, host) {
      pods.set(name, { name, host, conditions: {}, server: await startEchoServer(grpc, { name, host, port }) });
      publish();
    },
    setConditions(name, conditions) {
      pods.get(name).conditions = conditions;
      publish();
    },
    /** Removes a pod from the slice, then stops its server, like the kubelet after a rollout. */
    async removePod(name, { gracePeriodMs = 300 } = {}) {
      const pod = pods.get(name);
      pods.delete(name);
      publish();
      await sleep(gracePeriodMs);
      await pod.server.stop();
    },
    async close() {
      await Promise.all([...pods.values()].map((pod) => pod.server.stop()));
      await api.close();
    },
  };
  function publish() {
    api.applySlice(endpointSlice({
      namespace: NAMESPACE,
      service: "echo",
      name: "echo-abc12",
      port: { name: "grpc", port },
      endpoints: [...pods.values()].map((pod) => ({ ip: pod.host, pod: pod.name, ...pod.conditions })),
    }));
  }
  register({ grpc, scheme, cluster: { kubeconfig: api.kubeconfig({ namespace: NAMESPACE }) }, ...settings });
  return { ...state, hosts };
}

/** A grpc-js echo client of Service "echo" through `scheme`, and its promisified call. */
export function grpcClient(scheme) {
  const client = new EchoClient(`${scheme}:///echo.${NAMESPACE}:grpc`, grpc.credentials.createInsecure());
  return { client, call: echoCaller(client) };
}
