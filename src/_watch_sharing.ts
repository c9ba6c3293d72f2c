/**
 * Which subscriptions share a watch: the same cluster connection and the same watch settings; which API servers
 * serve streaming lists, which every watch of one learns together; and how a shared watch calls its listeners.
 *
 * @module
 */

import { type BackoffOptions, DEFAULT_BACKOFF_INITIAL_MS, DEFAULT_BACKOFF_MAX_MS } from "./base/backoff.ts";
import type { ClusterAccess } from "./cluster/types.ts";
import { DEFAULT_STALL_TIMEOUT_MS, type WatchListSupport } from "./watch/reflector.ts";
import { KubeApiError, ResolverError } from "./base/errors.ts";
import { trace } from "./runtime/trace.ts";

/** The watch settings that keep subscriptions apart (of `WatchSettings`). */
export interface SharingSettings {
  /** See `WatchSettings.stallTimeoutMs`. */
  stallTimeoutMs?: number | undefined;
  /** See `WatchSettings.backoff`. */
  backoff?: BackoffOptions | undefined;
  /** See `WatchSettings.watchList`. */
  watchList?: boolean | undefined;
  /** See `WatchSettings.protobuf`. */
  protobuf?: boolean | undefined;
}

/**
 * Whether each API server serves streaming lists: one that refused them is listed from then on. An API server is its
 * URL and the way there (proxy, TLS server name): private clusters behind different proxies can share an address.
 */
const watchListSupport = new Map<string, WatchListSupport>();

/** What makes two connections to a cluster differ, with the name they send; no secret (not the client key). */
export function connectionKey(access: ClusterAccess): string {
  const { ca, cert, serverName, insecureSkipVerify } = access.tls;
  return JSON.stringify([
    access.identity,
    access.proxyUrl,
    ca,
    cert,
    serverName,
    insecureSkipVerify,
    access.userAgent,
    access.http2 !== false,
  ]);
}

/**
 * The watch timings, whether it streams lists and reads protobuf: subscribers that ask for other ones must not share a
 * watch. A default spelt out is the default: `stallTimeoutMs: 150000` shares the watch of settings left out.
 */
export function settingsKey({ stallTimeoutMs, backoff, watchList, protobuf }: SharingSettings): string {
  return JSON.stringify([
    stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS,
    backoff?.initialMs ?? DEFAULT_BACKOFF_INITIAL_MS,
    backoff?.maxMs ?? DEFAULT_BACKOFF_MAX_MS,
    watchList !== false,
    protobuf !== false,
  ]);
}

/** The streaming-list support of the cluster behind `access`, shared by its watches; `undefined` when turned off. */
export function watchListFor(access: ClusterAccess, enabled: boolean | undefined): WatchListSupport | undefined {
  if (enabled === false) return undefined;
  const server = JSON.stringify([access.server, access.proxyUrl, access.tls.serverName]);
  let support = watchListSupport.get(server);
  if (!support) {
    support = { refused: false };
    watchListSupport.set(server, support);
  }
  return support;
}

/** Runs a listener callback; one that throws must not break the watch shared with others. */
export function notify(callback: () => void): void {
  try {
    callback();
  } catch (error) {
    trace(`an endpoint listener threw: ${error}`);
  }
}

/**
 * A failure to set a subscription up (its cluster access, namespace or locality), as a {@linkcode ResolverError} for
 * its listener; not a broken watch's, which `asResolverError()` of `watch/_retry.ts` words and redacts.
 */
export function asSetupError(error: unknown): ResolverError {
  if (error instanceof ResolverError) return error;
  return new KubeApiError(`Cannot watch endpoints: ${String(error)}`, { cause: error });
}
