// The fake API server's content negotiation, against answers measured on
// kube-apiserver v1.36.3: the Accept headers it answers in JSON, the real
// server's 406 for those it refuses too, and its own 406 where a real server
// would write YAML, a Table of anything but EndpointSlices (table_test.ts holds
// those), aggregated discovery, or protobuf for anything but EndpointSlices
// (protobuf_answers_test.ts holds those).
import assert from "node:assert/strict";
import { BASE, type Json, svc, withServer } from "./_helpers.ts";
import type { FakeApiServer } from "@kgr/resolver/testing";

const SLICES = `${BASE}/namespaces/default/endpointslices`;
const TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io";
const REPRESENTATIONS = "406: Not Acceptable\n\nAvailable representations: " +
  "application/json, application/yaml, application/vnd.kubernetes.protobuf";
const WATCHABLE = `${REPRESENTATIONS}, application/json;stream=watch, application/vnd.kubernetes.protobuf;stream=watch`;
const REFUSED = "only the following media types are accepted: " +
  "application/json, application/yaml, application/vnd.kubernetes.protobuf";
const NO_STREAM = "only the following media types are accepted: " +
  "application/json;stream=watch, application/vnd.kubernetes.protobuf;stream=watch";
const JSON_ONLY = "only the following media types are accepted: application/json " +
  "(the fake API server of @kgr/resolver/testing writes JSON only: accept application/json too)";
const JSON_OR_PROTOBUF = "only the following media types are accepted: application/json, " +
  "application/vnd.kubernetes.protobuf (the fake API server of @kgr/resolver/testing writes no other: accept one " +
  "of them too)";

/** Status and kind, or status and message for a Status. */
async function answer(server: FakeApiServer, path: string, accept: string | undefined, init: RequestInit = {}) {
  const headers: Record<string, string> = accept === undefined ? {} : { accept };
  const response = await fetch(server.url + path, { ...init, headers: { ...headers, ...init.headers } });
  const text = await response.text();
  if (!(response.headers.get("content-type") ?? "").startsWith("application/json")) {
    return { status: response.status, text };
  }
  const body: Json = JSON.parse(text);
  return body.kind === "Status"
    ? { status: response.status, message: body.message, reason: body.reason, details: body.details }
    : { status: response.status, kind: body.kind };
}

const ok = (kind: string) => ({ status: 200, kind });
const notAcceptable = (message: string, details?: Record<string, never>) => ({
  status: 406,
  message,
  reason: "NotAcceptable",
  details,
});

Deno.test("the fake API server answers in JSON every Accept header a real server answers in JSON", async () => {
  await withServer({}, async (server) => {
    server.applySlice(svc("echo", ["10.0.0.1"]));
    const accepted = [
      undefined,
      "",
      "*/*",
      "application/json",
      " application/json",
      "application/json; charset=utf-8",
      "application/json;foo=bar",
      "application/json;stream=watch",
      "application/json;q=0.5, text/html",
      "text/html;q=1, application/json;q=0.1",
      "application/json, */*;q=0.1",
      // A real server picks the first (a Table in YAML); the fake the JSON the client accepts too.
      "application/yaml;as=Table;v=v1;g=meta.k8s.io, application/json",
    ];
    for (const accept of accepted) {
      assert.deepEqual(await answer(server, SLICES, accept), ok("EndpointSliceList"), `Accept: ${accept}`);
    }
    const kubectl = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList," +
      "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
    assert.deepEqual(await answer(server, "/apis", kubectl), ok("APIGroupList"));
    assert.deepEqual(await answer(server, "/api", kubectl), ok("APIVersions"));
    // /version writes JSON whatever options the clause has; health checks ignore Accept.
    assert.equal((await answer(server, "/version", TABLE)).status, 200);
    assert.deepEqual(await answer(server, "/healthz", "text/html"), { status: 200, text: "ok" });
  });
});

Deno.test("the fake API server refuses an Accept header with the real server's 406 for each endpoint", async () => {
  await withServer({}, async (server) => {
    server.applySlice(svc("echo", ["10.0.0.1"]));
    // Types go-restful does not know (it compares them exactly, case included): the route's representations.
    for (const accept of ["text/html", "application/*", "*/json", "*", "APPLICATION/JSON", ",", "application/cbor"]) {
      assert.deepEqual(await answer(server, SLICES, accept), notAcceptable(WATCHABLE, {}), `Accept: ${accept}`);
    }
    assert.deepEqual(await answer(server, `${SLICES}?watch=1`, "text/html"), notAcceptable(WATCHABLE, {}));
    assert.deepEqual(await answer(server, `${SLICES}/echo-abc`, "text/html"), notAcceptable(REPRESENTATIONS, {}));
    assert.deepEqual(await answer(server, "/api", "text/html"), notAcceptable(REPRESENTATIONS, {}));
    assert.deepEqual(await answer(server, `${BASE}`, "text/html"), notAcceptable(REPRESENTATIONS, {}));
    const version = "406: Not Acceptable\n\nAvailable representations: application/json";
    assert.deepEqual(await answer(server, "/version", "text/html"), notAcceptable(version, {}));
    // A known type with options no endpoint serves, or plain handlers (/apis): the negotiation's words.
    for (const accept of ["application/json;v=v1", "application/json;as=Table", "application/json;stream=foo"]) {
      assert.deepEqual(await answer(server, SLICES, accept), notAcceptable(REFUSED), `Accept: ${accept}`);
    }
    assert.deepEqual(await answer(server, "/apis", "text/html"), notAcceptable(REFUSED));
    assert.deepEqual(await answer(server, "/apis/discovery.k8s.io", TABLE), notAcceptable(REFUSED));
    // It comes before the request's own errors and before a missing object's 404.
    assert.deepEqual(await answer(server, `${SLICES}?limit=abc`, "text/html"), notAcceptable(WATCHABLE, {}));
    assert.deepEqual(await answer(server, `${SLICES}/missing`, "application/json;v=v1"), notAcceptable(REFUSED));
    const review = {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" }),
    };
    const reviews = "/apis/authentication.k8s.io/v1/selfsubjectreviews";
    assert.deepEqual(await answer(server, reviews, "text/html", review), notAcceptable(REPRESENTATIONS, {}));
    // Reviews have no table form.
    assert.deepEqual(await answer(server, reviews, TABLE, review), notAcceptable(REFUSED));
  });
});

Deno.test("the fake API server answers 406 where a real server would write a format other than JSON", async () => {
  await withServer({}, async (server) => {
    server.applySlice(svc("echo", ["10.0.0.1"]));
    const metadata = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io";
    for (const accept of ["application/yaml", metadata]) {
      assert.deepEqual(await answer(server, SLICES, accept), notAcceptable(JSON_OR_PROTOBUF), `Accept: ${accept}`);
    }
    // A watch streams them too, but YAML (see the next test).
    assert.deepEqual(await answer(server, `${SLICES}?watch=1`, metadata), notAcceptable(JSON_OR_PROTOBUF));
    const aggregated = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
    assert.deepEqual(await answer(server, "/apis", aggregated), notAcceptable(JSON_ONLY));
    assert.deepEqual(await answer(server, "/api/v1", "application/vnd.kubernetes.protobuf"), notAcceptable(JSON_ONLY));
    // Only in place of a successful answer: errors found first are written, in JSON, as a real server finds them.
    assert.equal((await answer(server, `${SLICES}/missing`, TABLE)).status, 404);
    assert.equal((await answer(server, `${SLICES}?limit=abc`, TABLE)).status, 400);
    assert.equal((await answer(server, `${SLICES}?watch=1&continue=x`, TABLE)).status, 422);
    const review = {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" }),
    };
    const reviews = "/apis/authentication.k8s.io/v1/selfsubjectreviews";
    assert.deepEqual(await answer(server, reviews, "application/yaml", review), notAcceptable(JSON_ONLY));
  });
});

Deno.test("the fake API server refuses a watch whose first acceptable type is YAML, as a real server does", async () => {
  await withServer({}, async (server) => {
    server.applySlice(svc("echo", ["10.0.0.1"]));
    const watch = `${SLICES}?watch=1&timeoutSeconds=1`;
    // Measured on kube-apiserver v1.36.3: YAML has no stream format, and the first match decides, JSON listed or not.
    const refused = [
      "application/yaml",
      "application/yaml, application/json",
      "application/json;q=0,application/yaml",
      "application/json;q=0.5, application/yaml",
      "application/yaml;as=Table;v=v1;g=meta.k8s.io, application/json",
    ];
    for (const accept of refused) {
      assert.deepEqual(await answer(server, watch, accept), notAcceptable(NO_STREAM), `Accept: ${accept}`);
      // A list of the same header is answered: a real server in YAML, the fake in the JSON it accepts too.
      if (accept.includes("application/json;q=0.5") || accept.endsWith("application/json")) {
        assert.deepEqual(await answer(server, SLICES, accept), ok("EndpointSliceList"), `Accept: ${accept}`);
      }
    }
    // A YAML clause that asks for a stream matches nothing; JSON comes first; or */* picks JSON.
    for (
      const accept of ["application/yaml;stream=watch, application/json", "application/json, application/yaml", "*/*"]
    ) {
      const response = await fetch(server.url + watch, { headers: { accept } });
      await response.body?.cancel();
      assert.equal(response.status, 200, `Accept: ${accept}`);
    }
    // Refused once the watch is found valid, as a real server does: a bad option is still a 400, a future
    // resourceVersion a 406 rather than an ERROR event.
    assert.equal((await answer(server, `${watch}&limit=abc`, "application/yaml")).status, 400);
    assert.deepEqual(
      await answer(server, `${watch}&resourceVersion=999999`, "application/yaml"),
      notAcceptable(NO_STREAM),
    );
  });
});
