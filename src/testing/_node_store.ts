/**
 * The fake API server's Nodes (`v1`, cluster-scoped): validation; they are
 * stored in their history (by name), which this reads to keep a replaced
 * Node's uid and creation time. Only the metadata is modelled, which is what a client reads (the
 * zone label, for topology). Private to the fake API server.
 *
 * @module
 */

import { isDns1123Subdomain } from "../base/dns_label.ts";
import { decodedStringMap, sortedMap } from "./_json_data.ts";
import { labelsProblem } from "./_labels.ts";
import type { Node, NodeInput } from "./types.ts";
import { quotedValue } from "./_go_quote.ts";

/** The Nodes of the fake API server. */
export interface NodeStore {
  /**
   * Validates `input` and makes the Node to store with resourceVersion `rv`, keeping the uid and creation time of
   * the Node it replaces; `changed` is false for a replacement that changes nothing (which returns the stored one).
   */
  apply(input: NodeInput, rv: number): { node: Node; changed: boolean };
}

/**
 * Creates the store over the stored Nodes.
 *
 * @param nodes The current Nodes by name, which the caller stores each result in.
 * @returns The store.
 */
export function createNodeStore(nodes: ReadonlyMap<string, Node>): NodeStore {
  return {
    apply(input, rv) {
      const name = input?.metadata?.name;
      if (typeof name !== "string" || !isDns1123Subdomain(name)) {
        throw new TypeError(
          `Cannot apply Node: metadata.name must be a DNS-1123 subdomain (lower-case letters, digits, "-" and ".", ` +
            `at most 253 characters), as kube-apiserver requires: current value is ${quotedValue(name)}`,
        );
      }
      // As kube-apiserver reads them, null labels are none and a null value is "".
      const labels = decodedStringMap(input.metadata.labels);
      if (labels === false) {
        throw new TypeError(`Cannot apply Node ${quotedValue(name)}: metadata.labels must map strings to strings`);
      }
      const problem = labels === undefined ? undefined : labelsProblem("metadata.labels", labels);
      if (problem !== undefined) throw new TypeError(`Cannot apply Node ${quotedValue(name)}: ${problem}`);
      // Keys sorted, as kube-apiserver writes a map: the same labels in another order are no change.
      const kept = labels && Object.keys(labels).length > 0 ? sortedMap(labels) : undefined;
      const existing = nodes.get(name);
      if (existing && JSON.stringify(existing.metadata.labels) === JSON.stringify(kept)) {
        return { node: existing, changed: false };
      }
      const metadata: Node["metadata"] = {
        name,
        uid: existing?.metadata.uid ?? crypto.randomUUID(),
        resourceVersion: String(rv),
        creationTimestamp: existing?.metadata.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      };
      if (kept) metadata.labels = kept;
      const node: Node = { kind: "Node", apiVersion: "v1", metadata };
      return { node, changed: true };
    },
  };
}
