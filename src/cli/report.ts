/**
 * What `kgr-resolver` prints when its output is not a terminal: one line
 * per change of where calls go, or with `--json` one JSON object per
 * snapshot and line.
 *
 * @module
 */

import type { PodExplanation, PodUse } from "../selection/endpoint_explanation.ts";
import type { EndpointSnapshot } from "../endpoint_subscription.ts";
import type { ServiceView } from "./service_observer.ts";
import { reasonOf } from "./pod_reasons.ts";
import { formatAddress } from "./table_rows.ts";
import { topologyReason } from "./topology_reason.ts";
import { printable } from "./terminal.ts";
import { durationText } from "./duration_text.ts";
import { inDisplayOrder } from "./display_order.ts";
import { movesText, podMoves } from "./pod_moves.ts";

/**
 * A pod that gets no calls, and why: one entry of `unused` in the JSON output. Its pod is `podName`, as in
 * `endpoints`.
 */
export type UnusedPod =
  & { podName?: string }
  & Pick<
    PodExplanation,
    "addresses" | "zone" | "nodeName" | "ready" | "serving" | "terminating" | "reason" | "message"
  >;

/** Options of {@linkcode changeLine} and {@linkcode snapshotReport}. */
export interface ReportOptions {
  /**
   * The pods of the line (or JSON object) printed before, if any: the line then says first what changed since (see
   * `movesText()`), the object in `changed`.
   */
  since?: readonly PodExplanation[];
}

/**
 * One object of the `--json` output: when it was printed, the snapshot's fields (with `--subset-size`,
 * `endpoints` holds only the subset), and the pods not used with their reasons.
 */
export interface SnapshotReport extends EndpointSnapshot {
  /** When the snapshot was printed, as an ISO 8601 date in UTC (as the line per change starts). */
  time: string;
  /** Why `topology` is `none`, when the client has a locality or it is unknown (as the table says). */
  topologyReason?: string;
  /** The pods that get no calls. */
  unused: UnusedPod[];
  /**
   * The pods that came (no `from`), went (no `to`) or changed use since the object printed before; empty when none
   * did (hints changed, say); absent on the first object.
   */
  changed?: ChangedPod[];
}

/** A pod in `changed`: as `unused` names it, with its use on the object before (`from`) and now (`to`). */
export interface ChangedPod {
  /** The pod's name; absent when its slice names none (a Service without a selector). */
  podName?: string;
  /** Its addresses, as in `unused`. */
  addresses: PodExplanation["addresses"];
  /** Its use on the object printed before; absent for a pod that came. */
  from?: PodUse;
  /** Its use now; absent for a pod that went. */
  to?: PodUse;
}

/**
 * The `--json` object of a view that has a snapshot.
 *
 * @param view The view; its `snapshot` and `pods` must be set.
 * @param now The current time, in ms since the epoch.
 * @param options The pods of the object printed before, for `changed`.
 * @returns The object to print as one line of JSON.
 *
 * @example
 * ```ts
 * import { snapshotReport } from "./report.ts";
 * const report = snapshotReport({
 *   namespace: "prod", service: "echo", locality: {}, watch: { state: "watching" },
 *   snapshot: { endpoints: [], resourceVersion: "7", namespace: "prod", service: "echo", topology: "none" },
 *   pods: [],
 * }, 0);
 * console.log(JSON.stringify(report));
 * // {"time":"1970-01-01T00:00:00.000Z","endpoints":[],"resourceVersion":"7","namespace":"prod","service":"echo","topology":"none","topologyReason":"client locality unknown","unused":[]}
 * ```
 */
export function snapshotReport(view: ServiceView, now: number, options: ReportOptions = {}): SnapshotReport {
  const {
    endpoints: all,
    resourceVersion,
    namespace,
    service,
    topology,
    emptyReason,
    portNote,
    internalTrafficPolicy,
  } = view.snapshot!;
  // With --subset-size, the endpoints are the subset's: those the client would call, as the table shows.
  const key = (pod: string | undefined, { host, port }: { host: string; port?: number }) => pod ?? `${host}|${port}`;
  const outside = new Set(
    view.pods!.filter((pod) => pod.reason === "outside-subset").map((pod) => key(pod.pod, pod.addresses[0])),
  );
  const endpoints = outside.size === 0
    ? all
    : all.filter((endpoint) => !outside.has(key(endpoint.podName, endpoint.addresses[0])));
  const unused = view.pods!.filter((pod) => pod.use === "unused").map((pod): UnusedPod => ({
    podName: pod.pod,
    addresses: pod.addresses,
    zone: pod.zone,
    nodeName: pod.nodeName,
    ready: pod.ready,
    serving: pod.serving,
    terminating: pod.terminating,
    reason: pod.reason,
    message: pod.message,
  }));
  const why = topologyReason(view);
  return {
    time: new Date(now).toISOString(),
    endpoints,
    resourceVersion,
    namespace,
    service,
    topology,
    ...(why ? { topologyReason: why } : {}),
    ...(emptyReason ? { emptyReason } : {}),
    ...(portNote ? { portNote } : {}),
    ...(internalTrafficPolicy ? { internalTrafficPolicy } : {}),
    unused,
    ...(options.since
      ? {
        changed: podMoves(options.since, view.pods!).map(({ pod, from, to }): ChangedPod => ({
          podName: pod.pod,
          addresses: pod.addresses,
          from,
          to,
        })),
      }
      : {}),
  };
}

/**
 * The one line printed for a change when the output is not a terminal: the time, the Service, the resourceVersion,
 * then, after the first line, what changed in pods since the line before (`+1 used (web-3)`, then `; `), then its
 * {@linkcode changeSummary}, with every control character escaped (see {@linkcode printable}).
 *
 * @param view The view; its `snapshot` and `pods` must be set.
 * @param now The current time, in ms since the epoch.
 * @param options The pods of the line printed before, to say what changed since.
 * @returns The line, without a newline.
 *
 * @example
 * ```ts
 * import { changeLine } from "./report.ts";
 * const line = changeLine({
 *   namespace: "prod", service: "echo", locality: {}, watch: { state: "watching" },
 *   snapshot: { endpoints: [], resourceVersion: "7", namespace: "prod", service: "echo", topology: "none" },
 *   pods: [],
 * }, 0);
 * console.log(line); // "1970-01-01T00:00:00.000Z prod/echo rv 7 topology none (client locality unknown): no pods"
 * ```
 */
export function changeLine(view: ServiceView, now: number, options: ReportOptions = {}): string {
  // At 1,000 pods the summary is 30 KB: what changed comes first, short, and the whole state after it for a grep.
  const moved = options.since ? `${movesText(podMoves(options.since, view.pods!))}; ` : "";
  // Printable: pod, zone, node and hint names from EndpointSlices may hold control characters (--json escapes them).
  return printable(
    `${new Date(now).toISOString()} ${view.namespace}/${view.service} rv ${view.snapshot!.resourceVersion} ` +
      moved + changeSummary(view),
  );
}

/**
 * The line (after `kgr-resolver: `) that tells, off a terminal, that the watch fails, or that it is served again: the
 * time first, as on the lines per change, then the failure's message, or how long the failures lasted.
 *
 * @param message The failure's message; `undefined` once the watch is served again.
 * @param now The current time, in ms since the epoch (the wall clock's, as it is printed).
 * @param failingFor How long the failures have lasted, in ms, measured on a clock that does not step back (for the
 * line of their end).
 * @returns The text, without a newline.
 *
 * @example
 * ```ts
 * import { problemLine } from "./report.ts";
 * console.log(problemLine("Cannot watch ...", 0, 0)); // "1970-01-01T00:00:00.000Z retrying: Cannot watch ..."
 * console.log(problemLine(undefined, 0, 37_400)); // "1970-01-01T00:00:00.000Z watching again after 37 s of retrying"
 * ```
 */
export function problemLine(message: string | undefined, now: number, failingFor: number): string {
  const at = new Date(now).toISOString();
  if (message !== undefined) return `${at} retrying: ${message}`;
  return `${at} watching again after ${durationText(failingFor)} of retrying`;
}

/**
 * What the line per change says of the pods: the topology mode, and which pods get calls and why, each reason once
 * before the pods that share it (`2 not used (not ready): a 10.0.0.1:80, b 10.0.0.2:80`), in display order (`web-2`
 * before `web-10`, see `inDisplayOrder()`). It leaves out
 * what does not change where calls go (zones, nodes and hints that topology does not use): two views with the same
 * summary would print lines that differ only in time and resourceVersion.
 *
 * @param view The view; its `snapshot` and `pods` must be set.
 * @returns The text, without a newline.
 *
 * @example
 * ```ts
 * import { changeSummary } from "./report.ts";
 * const summary = changeSummary({
 *   namespace: "prod", service: "echo", locality: {}, watch: { state: "watching" },
 *   snapshot: { endpoints: [], resourceVersion: "7", namespace: "prod", service: "echo", topology: "none" },
 *   pods: [],
 * });
 * console.log(summary); // "topology none (client locality unknown): no pods"
 * ```
 */
export function changeSummary(view: ServiceView): string {
  const pods = inDisplayOrder(view.pods!);
  const parts = [
    ...groups(pods, "used", "used"),
    ...groups(pods, "failover", "failover"),
    ...groups(pods, "unused", "not used"),
  ];
  const { topology, emptyReason, portNote } = view.snapshot!;
  // Pods, but none usable: the reason says what they all lack (the ports the slices do have, say).
  if (parts.length > 0 && emptyReason) parts.push(`no usable pod: ${emptyReason}`);
  if (parts.length === 0) parts.push(`no pods${emptyReason ? ` (${emptyReason})` : ""}`);
  if (portNote) parts.push(portNote);
  const reason = topologyReason(view);
  return `topology ${topology}${reason ? ` (${reason})` : ""}: ${parts.join("; ")}`;
}

/**
 * The pods of one use, one part per reason, the reason said once before its pods: `2 not used (not ready): a
 * 10.0.0.1:80, b 10.0.0.2:80`. Used pods have no reason, unless they are not ready (the serving-terminating fallback
 * when no pod is ready: calls will soon fail, so it says so).
 */
function groups(pods: readonly PodExplanation[], use: PodExplanation["use"], label: string): string[] {
  const byReason = new Map<string, PodExplanation[]>();
  for (const pod of pods) {
    if (pod.use !== use) continue;
    // A ready pod that is terminating (publishNotReadyAddresses) is used as any other: only the fallback says why.
    const why = use === "used" && pod.ready ? "" : reasonOf(pod);
    const members = byReason.get(why);
    if (members) members.push(pod);
    else byReason.set(why, [pod]);
  }
  return [...byReason].map(([why, members]) =>
    `${members.length} ${label}${why ? ` (${why})` : ""}: ${members.map(describe).join(", ")}`
  );
}

/** A pod and its addresses; only the addresses when its slice names no pod (a Service without a selector). */
function describe(pod: PodExplanation): string {
  const addresses = pod.addresses.map(formatAddress).join(" ");
  return pod.pod === undefined ? addresses : `${pod.pod} ${addresses}`;
}
