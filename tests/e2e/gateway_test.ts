// A cluster reached through a gateway that serves its API under a path prefix, as Rancher
// (`https://host/k8s/clusters/c-xyz`) and the GKE Connect gateway expose clusters: a TLS gateway of its own
// (`path_prefix_gateway.ts`) in front of the real kube-apiserver. Every request of the resolver and of the CLI's
// check must go under the prefix; the gateway's own answers (a 404 for a wrong prefix, its 401 and 403, an HTML
// error page, a 502 while the upstream restarts) must read as what they are, and keep the last endpoints.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ClusterOptions } from "@kgr/resolver";
import { recordEndpoints } from "./endpoint_recorder.ts";
import { applyEndpointSlice, deleteNamespace, requestToken } from "./kube_objects.ts";
import { GATEWAY_CA_FILE, type GatewayAnswer, startPathPrefixGateway } from "./path_prefix_gateway.ts";
import { openTestCluster, readerSetup } from "./test_cluster.ts";
import { runCli } from "./run_cli.ts";

const log = (line: string) => console.log(`    [e2e] ${line}`);
const PREFIX = "/k8s/clusters/c-xyz";

const HTML_502: GatewayAnswer = {
  status: 502,
  contentType: "text/html",
  body: "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>",
};
const HTML_403: GatewayAnswer = {
  status: 403,
  contentType: "text/html; charset=utf-8",
  body: "<html><body><h1>403 Forbidden</h1>not a member of this cluster</body></html>",
};
/** The GKE Connect gateway's IAM denial: Google's JSON error, no Kubernetes Status. */
const JSON_403: GatewayAnswer = {
  status: 403,
  contentType: "application/json; charset=UTF-8",
  body: '{"error":{"code":403,"message":"The caller does not have permission","status":"PERMISSION_DENIED"}}',
};
const JSON_401: GatewayAnswer = { status: 401, contentType: "application/json", body: '{"error":"unauthorized"}' };

Deno.test({
  name: "gateway: a server URL with a path prefix carries every request, and the gateway's errors keep the endpoints",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await openTestCluster(log);
    const folder = await mkdtemp(join(tmpdir(), "kgr-gateway-e2e-"));
    let namespace: string | undefined;
    const gateway = await startPathPrefixGateway(cluster.server, cluster.ca ?? "", PREFIX);
    try {
      ({ namespace } = await readerSetup(cluster, "e2e-gateway"));
      await applyEndpointSlice(cluster.adminFetch, namespace, "echo", {
        name: "echo-a",
        endpoints: [{ addresses: ["10.32.0.1"], pod: "echo-0" }],
      });
      const token = await requestToken(cluster.adminFetch, namespace, "reader");
      const kubeconfig = join(folder, "gateway.json");
      const write = (server: string) =>
        writeFile(
          kubeconfig,
          JSON.stringify({
            apiVersion: "v1",
            kind: "Config",
            clusters: [{ name: "gw", cluster: { server, "certificate-authority": GATEWAY_CA_FILE } }],
            users: [{ name: "reader", user: { token } }],
            contexts: [{ name: "gw", context: { cluster: "gw", user: "reader", namespace } }],
            "current-context": "gw",
          }),
        );
      await write(gateway.url);
      const target = `kubernetes:///echo.${namespace}:50051`;

      // The CLI's check: its SelfSubjectReview and SelfSubjectAccessReviews, the list and the watch.
      const check = await runCli(["check", "--kubeconfig", kubeconfig, "--timeout", "20", target]);
      assert.equal(check.code, 0, check.stdout + check.stderr);
      assert.match(check.stdout, new RegExp(`ok +cluster +${gateway.url}`));
      assert.match(check.stdout, /ok +user +system:serviceaccount:e2e-gateway-\S+:reader/);

      // A resolver with a node to read its zone from: the Node GET goes under the prefix too (a 403 here).
      const recorder = recordEndpoints(target, {
        cluster: { kubeconfig } satisfies ClusterOptions,
        locality: { node: "kgr-gateway-node" },
        backoff: { initialMs: 200, maxMs: 1000 },
      });
      try {
        await recorder.waitFor("the first endpoints", (s) => s.endpoints.length === 1, 20_000);
        const sent = gateway.requests();
        const outside = sent.filter((line) => !line.split(" ")[1].startsWith(`${PREFIX}/`));
        assert.deepEqual(outside, [], "requests outside the prefix");
        for (
          const path of [
            "POST /apis/authentication.k8s.io/v1/selfsubjectreviews",
            "POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            `GET /apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices?`,
            "GET /api/v1/nodes/kgr-gateway-node",
          ]
        ) {
          const [method, rest] = path.split(" ");
          assert.ok(
            sent.some((line) => line.startsWith(`${method} ${PREFIX}${rest}`)),
            `${path} in:\n${sent.join("\n")}`,
          );
        }
        assert.ok(sent.some((line) => /[?&]watch=(true|1)/.test(line)), `a watch in:\n${sent.join("\n")}`);
        // The resolver's first request is a streaming list (a watch with sendInitialEvents), the CLI's a LIST.
        assert.ok(
          sent.some((line) => line.includes("sendInitialEvents=true")),
          `a streaming list in:\n${sent.join("\n")}`,
        );

        // The gateway's own answers, each while its open watches are cut (as when it restarts): the endpoints stay.
        for (
          const [answer, expected] of [
            [
              HTML_502,
              /answered 502 with content type "text\/html", not the API server's own answer.*"502 Bad Gateway/,
            ],
            [
              HTML_403,
              /403 .*"text\/html; charset=utf-8", not JSON: a gateway .*said: "403 Forbidden not a member of this/,
            ],
            [JSON_403, /403 with JSON that is no Kubernetes Status: .*"The caller does not have permission"\)$/],
            [JSON_401, /rejected the credentials .*\(401 Unauthorized\)/],
          ] as const
        ) {
          const errors = recorder.errors.length;
          gateway.answer(answer);
          gateway.cut();
          const error = await recorder.waitForError(
            `the gateway's ${answer.status}`,
            (e) => recorder.errors.length > errors && expected.test(e.message),
            20_000,
          );
          log(`${answer.status}: ${error.message}`);
          assert.ok(error.message.includes(gateway.url), error.message);
          assert.deepEqual(recorder.current(), ["echo-0=10.32.0.1"]);
        }
        gateway.answer(undefined);
        if (cluster.controlPlane) {
          // The upstream restarts behind the gateway: its own 502 meanwhile, then the watch comes back through it.
          const errors = recorder.errors.length;
          await cluster.controlPlane.stopApiServer();
          gateway.cut();
          const error = await recorder.waitForError(
            "the gateway's 502 while the API server is down",
            (e) => recorder.errors.length > errors && /answered 502.*upstream unavailable/.test(e.message),
            20_000,
          );
          log(`upstream down: ${error.message}`);
          assert.deepEqual(recorder.current(), ["echo-0=10.32.0.1"]);
          await cluster.controlPlane.startApiServer();
        }
        await applyEndpointSlice(cluster.adminFetch, namespace, "echo", {
          name: "echo-a",
          endpoints: [{ addresses: ["10.32.0.1"], pod: "echo-0" }, { addresses: ["10.32.0.2"], pod: "echo-1" }],
        });
        await recorder.waitFor("the watch back through the gateway", (s) => s.endpoints.length === 2, 30_000);
        assert.ok(recorder.snapshots.every(({ snapshot }) => snapshot.endpoints.length > 0), "an empty snapshot");
      } finally {
        await recorder.stop();
      }

      // A wrong prefix: the gateway's plain-text 404 for a path it does not serve.
      await write(gateway.url.replace("c-xyz", "c-wrong"));
      const wrong = await runCli(["--once", "--kubeconfig", kubeconfig, "--timeout", "20", target]);
      assert.equal(wrong.code, 1, wrong.stdout + wrong.stderr);
      assert.match(wrong.stderr, /serves no API under the path \/k8s\/clusters\/c-wrong of its URL/);
    } finally {
      await gateway.close();
      if (namespace) await deleteNamespace(cluster.adminFetch, namespace).catch(() => {});
      await rm(folder, { recursive: true, force: true });
      await cluster.stop();
    }
  },
});
