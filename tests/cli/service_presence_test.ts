import assert from "node:assert/strict";
import { serviceReason } from "../../src/cli/service_presence.ts";

const target = { service: "echo", namespace: "prod", port: "grpc" };

Deno.test("serviceReason() leaves the slices' reason to slices written beside a Service without pods of its own", () => {
  for (
    const presence of [
      { state: "missing" as const, nearest: undefined },
      { state: "externalName" as const, externalName: "echo.example.com", ports: [] },
      { state: "withoutSelector" as const, endpoints: "missing" as const },
    ]
  ) {
    assert.equal(serviceReason(presence, target, true), undefined, presence.state);
    assert.notEqual(serviceReason(presence, target, false), undefined, presence.state);
  }
});

Deno.test("serviceReason() names a selector that matches no pod only when pods could be listed and none matched", () => {
  const reason = (podsMatch: boolean | undefined, sliced = true) =>
    serviceReason({ state: "withSelector", selector: "app=echo,tier=api", podsMatch }, target, sliced);
  assert.match(
    reason(false)!,
    /^service echo's selector app=echo,tier=api matches no pod \(kubectl get pods -n prod -l app=echo,tier=api says/,
  );
  assert.equal(reason(true), undefined);
  assert.equal(reason(undefined), undefined);
  // No slice yet: the EndpointSlice controller has not written one.
  assert.equal(reason(false, false), undefined);
});

Deno.test("serviceReason() dials an ExternalName Service's name on the port the target means", () => {
  const presence = {
    state: "externalName" as const,
    externalName: "echo.example.com",
    ports: [{ name: "grpc", port: 50051 }, { name: "http", port: 8080 }],
  };
  const dial = (port: number | string | undefined) =>
    serviceReason(presence, { ...target, port }, false)!.split("dial ")[1];
  assert.equal(dial("http"), "dns:///echo.example.com:8080 instead");
  assert.equal(dial(undefined), "dns:///echo.example.com:50051 instead");
  assert.equal(dial(9000), "dns:///echo.example.com:9000 instead");
  assert.equal(dial("admin"), "dns:///echo.example.com instead");
});
