/**
 * The shape checks of the objects a LIST or a watch event brings: a real API
 * server validates EndpointSlices, so a malformed one means a broken or
 * hostile server. Private to `watch/`.
 *
 * @module
 */

import { NOT_THE_API_SERVER } from "../api/api_errors.ts";
import { KubeApiError } from "../base/errors.ts";
import { isRecord } from "../base/_util.ts";

/**
 * Checks that an object from the server has the shape endpoint selection
 * relies on; a real API server validates slices, so a malformed one means a
 * broken or hostile server: the LIST or watch fails and is retried, and the
 * last good state stays.
 */
export function checkSlice(value: unknown, from: string): void {
  checkMetadata(value, from);
  // Indexed loops and no closures: this runs for every event (see selectEndpoints()).
  const { ports, endpoints } = value as Record<string, unknown>;
  if (ports !== undefined && ports !== null) {
    if (!Array.isArray(ports)) badSlice(from, "has ports that are not a list of objects");
    for (let i = 0; i < ports.length; i++) {
      if (!isRecord(ports[i])) badSlice(from, "has ports that are not a list of objects");
    }
  }
  if (endpoints === undefined || endpoints === null) return;
  if (!Array.isArray(endpoints)) badSlice(from, "has endpoints that are not a list");
  for (let i = 0; i < endpoints.length; i++) {
    const endpoint: unknown = endpoints[i];
    if (!isRecord(endpoint)) badSlice(from, "has an endpoint that is not an object");
    const { addresses, conditions, targetRef } = endpoint;
    if (addresses !== undefined && addresses !== null) {
      if (!Array.isArray(addresses)) badSlice(from, "has addresses that are not a list of strings");
      for (let a = 0; a < addresses.length; a++) {
        if (typeof addresses[a] !== "string") badSlice(from, "has addresses that are not a list of strings");
      }
    }
    if (conditions !== undefined && conditions !== null && !isRecord(conditions)) {
      badSlice(from, "has conditions that are not an object");
    }
    if (targetRef !== undefined && targetRef !== null && !isRecord(targetRef)) {
      badSlice(from, "has a targetRef that is not an object");
    }
  }
}

function badSlice(from: string, problem: string): never {
  throw new KubeApiError(
    `Cannot use ${from} from the API server: an EndpointSlice ${problem}: if this repeats, ${NOT_THE_API_SERVER}`,
  );
}

/** Checks that an object has metadata whose name and resourceVersion, when set, are strings; else throws a {@linkcode KubeApiError}. */
export function checkMetadata(value: unknown, from: string): void {
  const metadata = isRecord(value) ? value.metadata : undefined;
  const ok = isRecord(metadata) &&
    (metadata.name === undefined || typeof metadata.name === "string") &&
    (metadata.resourceVersion === undefined || typeof metadata.resourceVersion === "string");
  if (!ok) {
    throw new KubeApiError(
      `Cannot use ${from} from the API server: its object has no valid metadata (name and resourceVersion must be strings): if this repeats, ${NOT_THE_API_SERVER}`,
    );
  }
}
