import assert from "node:assert/strict";
import { serviceReason } from "../../src/cli/service_presence.ts";

const target = { service: "echo", namespace: "prod", port: "grpc" };

Deno.test("serviceReason() leaves the slices' reason to slices written beside a Service without pods of its own", () => {
  for (
    const presence of [
      { state: "missing" as const, nearest: undefined },
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

Deno.test("serviceReason() names an ExternalName Service whose slices, left from before, list no usable pod", () => {
  // A Service scaled to zero, then turned ExternalName (v1.36.3): the EndpointSlice controller leaves its slice
  // without endpoints and no longer updates it, so the slices' own reason ("scaled to zero") would have the user scale
  // up to no effect.
  const presence = {
    state: "externalName" as const,
    externalName: "echo.example.com",
    ports: [{ name: "grpc", port: 50051 }],
  };
  assert.equal(
    serviceReason(presence, target, true),
    "service echo is of type ExternalName (External Name: echo.example.com): DNS answers with that name and " +
      "kube-proxy ignores the Service; the EndpointSlices labeled with its name, which the resolver follows and the " +
      "EndpointSlice controller no longer updates, list no usable pod: dial dns:///echo.example.com:50051 instead, or " +
      "delete those slices and, if they are mirrored from an Endpoints object of its name, that object, which the " +
      "EndpointSliceMirroring controller would mirror again (kubectl get endpoints echo -n prod)",
  );
});
