/**
 * The keys of a shared watch's selections: one per port and client locality.
 *
 * @module
 */
import type { Locality } from "./selection/topology.ts";

/** The key of the selection for `port` at a client locality. */
export function selectionKey(port: number | string, { zone, node }: Locality): string {
  return `${portKey(port)}${zone ?? ""}\u0000${node ?? ""}`;
}

/** The start of the {@linkcode selectionKey} of every selection for `port`. */
export function portKey(port: number | string): string {
  return `${typeof port === "number" ? `#${port}` : port}\u0000`;
}
