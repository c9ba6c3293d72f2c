// What the errors of API answers quote, and what they must never quote.
import assert from "node:assert/strict";
import { statusError } from "../src/api_errors.ts";
import type { ClusterAccess } from "../src/cluster/types.ts";

Deno.test("statusError() quotes an answer that echoes the proxy's credentials without them", () => {
  const access = {
    server: "http://10.0.0.1:8080",
    namespace: "default",
    source: "kubeconfig /k",
    proxyUrl: "http://proxy-user:proxy-password-123@127.0.0.1:3128",
  } as unknown as ClusterAccess;
  const basic = btoa("proxy-user:proxy-password-123");
  const response = new Response(null, { status: 502, headers: { "content-type": "application/json" } });
  const subject = { verb: "list", where: "endpointslices", namespace: "default", grant: "list", missing: "" };
  const error = statusError(subject, access, response, {
    message: `upstream failed; request had Proxy-Authorization: Basic ${basic} and proxy-password-123`,
  }, false);
  assert.ok(!error.message.includes(basic), error.message);
  assert.ok(!error.message.includes("proxy-password-123"), error.message);
  assert.match(error.message, /Proxy-Authorization: Basic \[redacted\] and \[redacted\]/);
});
