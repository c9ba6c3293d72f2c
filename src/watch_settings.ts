/**
 * The settings that every entry point takes, {@linkcode WatchSettings}: `check_watch_settings.ts` checks them at the
 * call, and `_watch_sharing.ts` tells which of them keep two subscriptions of a Service on watches apart.
 *
 * @module
 */

import type { ClusterOptions } from "./cluster/types.ts";
import type { BackoffOptions } from "./base/backoff.ts";
import type { Locality } from "./selection/topology.ts";

/**
 * How to reach the cluster and how to watch; shared by every entry point.
 * Callers of one Service share a watch only when they use the same cluster
 * access (server, credentials, TLS) and the same timings; different ones get
 * a watch of their own.
 *
 * @example One watch for channels and a watchEndpoints() loop
 * ```ts
 * import type { WatchSettings } from "@kgr/resolver";
 * const settings: WatchSettings = { cluster: { context: "prod" }, stallTimeoutMs: 60_000 };
 * // register({ ...settings }) and watchEndpoints(target, { ...settings }) then share the Service's watch.
 * ```
 */
export interface WatchSettings {
  /** Cluster access: a kubeconfig (path or object) or `{ server, token, ... }`; default: `KUBECONFIG`, in-cluster, `~/.kube/config`. */
  cluster?: ClusterOptions | undefined;
  /**
   * A LIST page or a read of the Service that takes longer, or a watch that delivers no complete event for this
   * long, is retried, in ms. A watch that brought not one byte (after a streaming list's initial events, for one) is
   * resumed at once, checked with one LIST of the Service's EndpointSlices from the API server's watch cache, and
   * reported only when the next one does so too and both LISTs show a change of the Service they missed, or the
   * second LIST fails: on a quiet cluster an API server may send its first bookmark after minutes. One silent for
   * 10 s in the middle of an event, a LIST page or a streaming list's initial events is taken as broken and restarted
   * sooner, as is one whose connection died without a reset, once TCP keepalive gives up on it (about 40 s after its
   * last byte on Node and Bun, 70 s through a proxy on Bun; README, "A connection that dies without a word"). One that
   * had a bookmark and then none for 75 s (when shorter: kube-apiserver sends one every minute once it sent one) is
   * resumed at once, unreported, without a LIST: a hung API server, or a dead connection. Above 0, at most
   * 2147483647.
   * @default {150000}
   */
  stallTimeoutMs?: number | undefined;
  /** Delays between failed attempts (default 1 s doubling up to 30 s, with jitter). */
  backoff?: BackoffOptions | undefined;
  /**
   * Streaming lists (WatchList, KEP-3157): the watch itself brings the current state, then the changes, in one
   * request instead of a LIST and a WATCH. An API server that refuses them (before 1.27, or with its `WatchList`
   * gate off) gets LIST+WATCH, from then on for the whole process. `false` always uses LIST+WATCH.
   * @default {true}
   */
  watchList?: boolean | undefined;
  /**
   * Read EndpointSlices as protobuf, as kube-proxy and client-go's protobuf clients do (`Accept:
   * application/vnd.kubernetes.protobuf,application/json`; a server or proxy that answers JSON is read as JSON):
   * watches and streaming lists come in half the bytes of JSON. `false` asks for JSON only, for debugging or a proxy
   * that mangles protobuf.
   * @default {true}
   */
  protobuf?: boolean | undefined;
  /**
   * Where this client runs, for topology-aware routing; `{}` turns it off. Values are trimmed; a blank one beside one
   * that is set is left out, and a locality whose every field is blank is refused.
   * Default: the `NODE_NAME` and `ZONE` environment variables, and the zone label of that node when only the node is
   * known.
   */
  locality?: Locality | undefined;
}
