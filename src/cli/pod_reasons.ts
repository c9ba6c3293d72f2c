/**
 * Why pods are used as they are, in words: a pod's reason without its use, and the pods whose rows a short terminal
 * leaves out, counted by reason.
 *
 * @module
 */

import { firstNames } from "../base/_word_list.ts";
import type { PodExplanation } from "../selection/endpoint_explanation.ts";
import { wrap } from "./_table_text.ts";

/**
 * Why a pod is used as it is, without the use its row starts with, for the lines that group pods by reason: `not used:
 * not ready` is `not ready`; a first failover pod's `failover (first: the client's zone a): hinted for node n2` is
 * `first: the client's zone a, hinted for its own node` when n2 is its node (as the controller hints every pod under
 * PreferSameNode: the pods then share one reason), else `first: the client's zone a, hinted for node n2`.
 *
 * @param pod The pod's explanation.
 * @returns The reason; the message as it is when it starts with no use.
 *
 * @example
 * ```ts
 * import { reasonOf } from "./pod_reasons.ts";
 * const pod = {
 *   addresses: [],
 *   ready: true,
 *   serving: true,
 *   terminating: false,
 *   use: "unused" as const,
 *   message: "not used: not ready",
 * };
 * console.log(reasonOf(pod)); // "not ready"
 * ```
 */
export function reasonOf(pod: PodExplanation): string {
  const why = pod.message.replace(
    /^(?:not used|failover|used)(?: \(([^)]*)\))?: /,
    (_, first) => first ? `${first}, ` : "",
  );
  // Under PreferSameNode the controller hints every pod for its own node: named, each pod had a reason of its own.
  const hints = pod.hints?.forNodes;
  const own = pod.reason === "other-node" && hints?.length === 1 && hints[0] === pod.nodeName;
  return own ? why.replace(/hinted for node [^,;]*$/, "hinted for its own node") : why;
}

/** The pods of one kind that get no calls, or calls only on failover, each with its reason (see {@linkcode reasonKinds}). */
export interface ReasonKind {
  /** The kind. */
  readonly use: "failover" | "unused";
  /** Each pod of the kind, by its index among the pods, with its {@linkcode reasonOf}. */
  readonly reasons: ReadonlyMap<number, string>;
}

/** How the lines of {@linkcode reasonCounts} name each kind. */
const KIND_LABELS = { failover: "failover", unused: "not used" } as const;

/**
 * For each kind of pod that gets no calls, or calls only on failover, the reason of each of its pods, for
 * {@linkcode reasonCounts}: a Service of thousands of pods shows a few dozen rows, and the counts say why the others
 * are not used, and (failover) in which zones they are. Found once a redraw: a frame tries several heights of rows.
 */
export function reasonKinds(pods: readonly PodExplanation[]): ReasonKind[] {
  const kinds: ReasonKind[] = [];
  for (const use of ["failover", "unused"] as const) {
    const reasons = new Map<number, string>();
    pods.forEach((pod, i) => {
      if (pod.use === use) reasons.set(i, reasonOf(pod));
    });
    if (reasons.size > 0) kinds.push({ use, reasons });
  }
  return kinds;
}

/**
 * The pods of each of the {@linkcode reasonKinds} whose rows are not shown, counted by reason, the most common first
 * (`not used: 280 not ready; 97 terminating while others are ready`): only those, as `... and N more pods` above
 * counts them (counting the rows shown too, the two lines disagreed). Reasons of the same count go by their text, so
 * that redraws do not swap them. Wrapped to `columns`, whole when that fits in `maxLines`, else at most two lines a
 * kind (one a kind, cut with `…`, when two each do not fit; none when there is no room).
 */
export function reasonCounts(
  kinds: readonly ReasonKind[],
  shown: readonly number[],
  columns: number,
  maxLines: number,
): string[] {
  const visible = new Set(shown);
  const texts = kinds.flatMap(({ use, reasons }) => {
    const counts = new Map<string, number>();
    for (const [i, why] of reasons) if (!visible.has(i)) counts.set(why, (counts.get(why) ?? 0) + 1);
    if (counts.size === 0) return [];
    return [`${KIND_LABELS[use]}: ${[...counts].sort(byCountThenText).map(([why, n]) => `${n} ${why}`).join("; ")}`];
  });
  // Whole where the lines are there (a narrow terminal takes three for a kind of two reasons), else two a kind.
  for (const most of [Infinity, 2]) {
    const lines = texts.flatMap((text) => wrap(text, columns, most));
    if (lines.length <= maxLines) return lines;
  }
  return texts.flatMap((text) => wrap(text, columns, 1)).slice(0, Math.max(0, maxLines));
}

/**
 * Orders reasons with their counts: the most frequent first, and those of equal count by their text. In the order of
 * the pods, a redraw during a rollout could swap two reasons of the same count from one frame to the next.
 *
 * @param a A reason and how many pods have it.
 * @param b Another.
 * @returns Below 0 when `a` comes first, above 0 when `b` does.
 *
 * @example
 * ```ts
 * import { byCountThenText } from "./pod_reasons.ts";
 * const reasons: [string, number][] = [["not ready", 2], ["terminating", 5], ["hinted for zone b", 2]];
 * console.log(reasons.sort(byCountThenText).map(([why]) => why)); // [ "terminating", "hinted for zone b", "not ready" ]
 * ```
 */
export function byCountThenText([whyA, a]: readonly [string, number], [whyB, b]: readonly [string, number]): number {
  return b - a || (whyA < whyB ? -1 : whyA > whyB ? 1 : 0);
}

/**
 * The pods of a Service by use, for `kgr-resolver check`'s resolve step: the used ones named (grouped by reason when
 * some are the serving-terminating fallback), the failover ones, and the ones not used grouped by why, each list cut
 * after the first {@linkcode NAMED_PODS} names: `3 pods used (web-0, web-1, web-2), 1 not used (1 not ready: web-3)`.
 *
 * @param pods The rows of `explainEndpoints()`.
 * @returns One line.
 *
 * @example
 * ```ts
 * import { podSummary } from "./pod_reasons.ts";
 * const row = { addresses: [{ host: "10.1.0.7" }], ready: true, serving: true, terminating: false };
 * console.log(podSummary([
 *   { ...row, pod: "web-0", use: "used" as const, message: "used" },
 *   { ...row, pod: "web-1", ready: false, use: "unused" as const, message: "not used: not ready" },
 * ])); // "1 pod used (web-0), 1 not used (1 not ready: web-1)"
 * ```
 */
export function podSummary(pods: readonly PodExplanation[]): string {
  const name = (pod: PodExplanation) => pod.pod ?? pod.addresses[0].host;
  // A used pod that is not ready is the serving-terminating fallback when no pod is ready: it says so once, as the
  // not used say why (a ready one that is terminating, under publishNotReadyAddresses, is used as any other).
  const used = pods.filter((pod) => pod.use === "used");
  const usedList = used.every((pod) => pod.ready) ? firstNames(used.map(name), NAMED_PODS) : byReason(used, name);
  // Usable, but topology sends calls to them only while no used pod is up: the table's "failover".
  const failover = pods.filter((pod) => pod.use === "failover").map(name);
  const unused = pods.filter((pod) => pod.use === "unused");
  return [
    `${used.length} ${used.length === 1 ? "pod" : "pods"} used${used.length > 0 ? ` (${usedList})` : ""}`,
    ...(failover.length > 0 ? [`${failover.length} failover (${firstNames(failover, NAMED_PODS)})`] : []),
    ...(unused.length > 0 ? [`${unused.length} not used (${byReason(unused, name)})`] : []),
  ].join(", ");
}

/**
 * Pods of one use, grouped by reason, the most common first (of the same count, by the reason's text), each reason
 * with its count and the names of its pods among the first {@linkcode NAMED_PODS}: `410 not ready: web-0, web-1,
 * web-101, web-102, web-104, web-105, web-106, web-107 and 402 more; 97 terminating while others are ready: web-10,
 * web-100 and 95 more; 3 terminating, no longer serving` (the ten named are the first of all the pods, whatever their
 * reason). Thousands of pods not used are counted by why, not only the first ten, and a reason shared by many is said
 * once.
 */
function byReason(pods: readonly PodExplanation[], name: (pod: PodExplanation) => string): string {
  const named = new Set(pods.slice(0, NAMED_PODS));
  const groups = new Map<string, PodExplanation[]>();
  for (const pod of pods) {
    const why = pod.message.replace(/^(not used|used): /, "");
    const members = groups.get(why);
    if (members) members.push(pod);
    else groups.set(why, [pod]);
  }
  // Ordered as the live table orders its counts.
  const order = ([whyA, a]: [string, unknown[]], [whyB, b]: [string, unknown[]]) =>
    byCountThenText([whyA, a.length], [whyB, b.length]);
  return [...groups].sort(order).map(([why, members]) => {
    const names = members.filter((pod) => named.has(pod)).map(name);
    const more = members.length - names.length;
    const list = names.length === 0 ? "" : `: ${names.join(", ")}${more > 0 ? ` and ${more} more` : ""}`;
    return `${members.length} ${why}${list}`;
  }).join("; ");
}

/** The most pods a step names of each kind: a Service of hundreds would make its line a page. */
const NAMED_PODS = 10;
