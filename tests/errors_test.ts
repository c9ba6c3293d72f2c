// The exported error classes as a user logs and checks them: fields they were not given are absent, and the
// internal kinds of an error show as the documented class.
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { ConfigError, KubeApiError, ResolverError, TargetError } from "@kgr/resolver";
import { UnreachableError } from "../src/api/api_errors.ts";
import { quickClose, SilentAnswerError, StallError } from "../src/watch/_retry.ts";

Deno.test('KubeApiError has only the fields it was given: `"status" in error` tells an answer from a network failure', () => {
  const network = new KubeApiError("Cannot watch endpointslices: cannot reach the API server", {
    cause: new Error("connect ECONNREFUSED 127.0.0.1:6443"),
  });
  assert.deepEqual(Object.keys(network), ["name"]);
  assert.equal("status" in network, false);
  assert.equal(Object.hasOwn(network, "cause"), true);
  const refused = new KubeApiError("Cannot list endpointslices: forbidden", { status: 403, reason: "Forbidden" });
  assert.deepEqual(Object.keys(refused), ["name", "status", "reason"]);
  assert.equal(Object.hasOwn(refused, "cause"), false);
  assert.doesNotMatch(inspect(refused), /undefined/);
});

Deno.test("ConfigError has only the fields it was given, and a cause only when given one", () => {
  const missing = new ConfigError("Cannot load kubeconfig: no current-context");
  assert.deepEqual(Object.keys(missing), ["name"]);
  assert.equal(Object.hasOwn(missing, "cause"), false);
  assert.doesNotMatch(inspect(missing), /undefined/);
  const unreadable = new ConfigError("Cannot read kubeconfig", { file: "/k", cause: new Error("EACCES") });
  assert.deepEqual(Object.keys(unreadable), ["name", "file"]);
  assert.equal((unreadable.cause as Error).message, "EACCES");
  assert.ok(unreadable instanceof ResolverError);
  assert.deepEqual(Object.keys(new TargetError("x", "no port")), ["name", "target"]);
});

Deno.test("the internal kinds of KubeApiError log as KubeApiError, with no field that repeats the message", () => {
  const internal = [
    new UnreachableError("Cannot watch endpointslices: cannot reach the API server"),
    new StallError("Request to the API server stalled", ": check that it is up"),
    quickClose(10, 1000)!,
  ];
  for (const error of internal) {
    assert.ok(error instanceof KubeApiError);
    assert.equal(error.name, "KubeApiError");
    assert.deepEqual(Object.keys(error), ["name"]);
    for (const shown of [inspect(error), Deno.inspect(error)]) {
      assert.match(shown, /^KubeApiError: /, shown);
      assert.doesNotMatch(shown, /Unreachable|Stall|QuickClose|what/, shown);
    }
  }
});

Deno.test("a connection gone silent mid-answer, the cause of a KubeApiError, logs as a plain Error", () => {
  const error = new KubeApiError("Cannot list EndpointSlices: the connection went silent", {
    cause: new SilentAnswerError("the connection went silent for 10000 ms"),
  });
  for (const shown of [inspect(error), Deno.inspect(error)]) {
    assert.match(shown, /\[cause\]: Error: the connection went silent for 10000 ms/, shown);
    assert.doesNotMatch(shown, /SilentAnswer/, shown);
  }
});
