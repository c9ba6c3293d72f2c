/**
 * The note a subscriber's snapshots carry when its target names no namespace.
 *
 * @module
 */
import type { ClusterAccess } from "./cluster/types.ts";
import type { EndpointSnapshot } from "./endpoint_snapshot.ts";
import { defaultNamespaceNote } from "./cluster/namespace_note.ts";

/** `listener`, whose snapshots say where their namespace came from: for a target that names none. */
export function withNamespaceNote<Listener extends { onEndpoints(snapshot: EndpointSnapshot): void }>(
  listener: Listener,
  access: ClusterAccess,
): Listener {
  const namespaceNote = defaultNamespaceNote(access);
  return { ...listener, onEndpoints: (snapshot) => listener.onEndpoints(Object.assign(snapshot, { namespaceNote })) };
}
