/**
 * The resolver's EndpointSlice requests as the API server's audit log saw
 * them: which requests a client made, in what order, and what they got.
 *
 * @module
 */

import type { AuditEvent } from "./control_plane.ts";
import type { TestCluster } from "./test_cluster.ts";

/** The resolver's EndpointSlice requests in a namespace, one per request, from the audit log. */
export interface AuditedRequest {
  /** When the server received it, in ms since the epoch, to the microsecond the audit log gives. */
  at: number;
  /** The audit verb, except `watchlist` for a streaming list (a watch with `sendInitialEvents=true`). */
  verb: string;
  resourceVersion: string | null;
  code: number | undefined;
  credential: string | undefined;
  /** The request's query. */
  params: URLSearchParams;
}

/**
 * The requests of one user to the EndpointSlices of one namespace, oldest first: in the order the server received
 * them, not the log's. The log writes a LIST when its answer is complete and a WATCH when its answer starts, so a
 * busy server may log the WATCH a client sent after reading the LIST before that LIST (a CI run saw
 * `watch(rv=224), list(rv=0)` for one client's LIST and WATCH).
 *
 * @param events The audit log.
 * @param namespace The namespace.
 * @param username The user, e.g. `system:serviceaccount:ns:reader`.
 * @param since Only requests received at or after this time (ms since the epoch).
 * @returns The requests, once each.
 */
export function auditedRequests(
  events: AuditEvent[],
  namespace: string,
  username: string,
  since = 0,
): AuditedRequest[] {
  const seen = new Set<string>();
  const requests: AuditedRequest[] = [];
  for (const event of events) {
    if (event.user?.username !== username) continue;
    if (!event.requestURI.includes(`/namespaces/${namespace}/endpointslices`)) continue;
    if (seen.has(event.auditID)) continue;
    seen.add(event.auditID);
    const at = receivedAt(event.requestReceivedTimestamp);
    if (at < since) continue;
    const url = new URL(event.requestURI, "https://audit.invalid");
    const extra = (event.user as { extra?: Record<string, string[]> }).extra;
    requests.push({
      at,
      verb: event.verb === "watch" && url.searchParams.get("sendInitialEvents") === "true" ? "watchlist" : event.verb,
      resourceVersion: url.searchParams.get("resourceVersion"),
      code: event.responseStatus?.code,
      credential: extra?.["authentication.kubernetes.io/credential-id"]?.[0],
      params: url.searchParams,
    });
  }
  return requests.sort((a, b) => a.at - b.at);
}

/** An audit timestamp (`2026-12-05T03:40:00.123456Z`) in ms since the epoch, keeping its microseconds. */
function receivedAt(timestamp: string): number {
  const micros = /\.\d{3}(\d+)Z$/.exec(timestamp)?.[1] ?? "";
  return Date.parse(timestamp) + (micros === "" ? 0 : Number(`0.${micros}`));
}

/** A request that fetched the whole state: a LIST, or a streaming list. */
export const isRelist = (r: AuditedRequest): boolean => r.verb === "list" || r.verb === "watchlist";
/** A request that watches: a plain watch, or a streaming list (which goes on watching). */
export const isWatch = (r: AuditedRequest): boolean => r.verb === "watch" || r.verb === "watchlist";

/** `verb(rv=..)→code` of each request, for messages. */
export function describeRequests(requests: AuditedRequest[]): string {
  return requests.map((r) => `${r.verb}(rv=${r.resourceVersion ?? "-"})→${r.code ?? "?"}`).join(" ");
}

/** Polls the audit log until `check` holds (the log is written as requests complete). */
export async function waitForAudit(
  cluster: TestCluster,
  what: string,
  select: (events: AuditEvent[]) => AuditedRequest[],
  check: (requests: AuditedRequest[]) => boolean,
  timeoutMs = 10_000,
): Promise<AuditedRequest[]> {
  const end = Date.now() + timeoutMs;
  while (true) {
    const requests = select(await cluster.controlPlane!.auditEvents());
    if (check(requests)) return requests;
    if (Date.now() > end) {
      throw new Error(`Timed out waiting for ${what} in the audit log: ${describeRequests(requests)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
