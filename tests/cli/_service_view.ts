// The ServiceView the observer makes of some slices, for the CLI's output tests.
import { explainEndpoints } from "../../src/selection/endpoint_explanation.ts";
import type { EndpointSlice } from "../../src/base/endpoint_slice.ts";
import { selectEndpoints } from "../../src/selection/endpoint_selection.ts";
import type { ServiceView } from "../../src/cli/service_observer.ts";
import { type Locality, preferEndpoints } from "../../src/selection/topology.ts";

/** The view of service `echo` in `prod`, port `grpc`, watching at resourceVersion `resourceVersion`. */
export function serviceViewOf(slices: EndpointSlice[], locality: Locality, resourceVersion = "7"): ServiceView {
  const { endpoints, mode } = preferEndpoints(selectEndpoints(slices, "grpc"), locality);
  return {
    namespace: "prod",
    service: "echo",
    port: "grpc",
    locality,
    watch: { state: "watching" },
    snapshot: { endpoints, resourceVersion, namespace: "prod", service: "echo", topology: mode },
    pods: explainEndpoints(slices, "grpc", locality).pods,
  };
}
