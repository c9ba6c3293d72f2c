/**
 * What changed between two lines per change, in pods: those that came, went,
 * or moved between used, failover and not used. At 1,000 pods each line is
 * the whole state, 30 KB, and what changed could not be seen without diffing
 * two of them.
 *
 * @module
 */

import type { PodExplanation, PodUse } from "../selection/endpoint_explanation.ts";
import { displayName, inDisplayOrder } from "./display_order.ts";

/** A pod that came, went, or changed use: `from` is absent for a pod that came, `to` for one that went. */
export interface PodMove {
  /** The pod's name, or its address when its slice names no pod (see `displayName()`). */
  pod: string;
  /** Its use on the line before; absent when it was not there. */
  from?: PodUse;
  /** Its use now; absent when it is gone. */
  to?: PodUse;
}

/** How many pods a group names before `and N more`. */
const NAMED_PER_GROUP = 3;

/** The uses in the order the line says them, with their words. */
const USES: readonly (readonly [PodUse, string])[] = [
  ["used", "used"],
  ["failover", "failover"],
  ["unused", "not used"],
];

/**
 * The pods that came, went or changed use from `before` to `after`, those that are there in display order first,
 * then those that went.
 *
 * @param before The pods of the line printed before.
 * @param after The pods now.
 * @returns The moves; empty when every pod kept its use.
 *
 * @example
 * ```ts
 * import { podMoves } from "./pod_moves.ts";
 * const pod = (name: string, use: "used" | "unused") => ({ pod: name, addresses: [], ready: true, serving: true, terminating: false, use, message: use });
 * console.log(podMoves([pod("web-0", "used")], [pod("web-0", "unused"), pod("web-1", "used")]));
 * // [ { pod: "web-0", from: "used", to: "unused" }, { pod: "web-1", to: "used" } ]
 * ```
 */
export function podMoves(before: readonly PodExplanation[], after: readonly PodExplanation[]): PodMove[] {
  const was = new Map(before.map((pod) => [displayName(pod), pod.use]));
  const moves: PodMove[] = [];
  for (const pod of inDisplayOrder(after)) {
    const name = displayName(pod);
    const from = was.get(name);
    was.delete(name);
    if (from !== pod.use) {
      moves.push(from === undefined ? { pod: name, to: pod.use } : { pod: name, from, to: pod.use });
    }
  }
  for (const pod of inDisplayOrder(before)) {
    if (was.has(displayName(pod))) moves.push({ pod: displayName(pod), from: pod.use });
  }
  return moves;
}

/**
 * The moves in words, one group per change of use, at most three pods named in each: `+2 used (web-3, web-4), +1
 * not used from used (web-0), -1 not used (web-9)`. `+` counts the pods a use gained, that came or, with `from`,
 * moved there; `-` those that went. By use now (used, failover, not used), those that came first; those that went
 * last.
 *
 * @param moves The moves, as {@linkcode podMoves} gives them.
 * @returns The text; `no pod changed use` when there is no move.
 *
 * @example
 * ```ts
 * import { movesText } from "./pod_moves.ts";
 * const moves = [{ pod: "web-5", to: "used" as const }, { pod: "web-6", to: "used" as const }, { pod: "web-7", to: "used" as const }, { pod: "web-8", to: "used" as const }];
 * console.log(movesText(moves)); // "+4 used (web-5, web-6, web-7 and 1 more)"
 * ```
 */
export function movesText(moves: readonly PodMove[]): string {
  const groups = new Map<string, { move: PodMove; pods: string[] }>();
  for (const move of moves) {
    const key = rank(move);
    const group = groups.get(key);
    if (group) group.pods.push(move.pod);
    else groups.set(key, { move, pods: [move.pod] });
  }
  if (groups.size === 0) return "no pod changed use";
  const ordered = [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, group]) => group);
  return ordered.map(({ move, pods }) => `${groupWords(move, pods.length)} (${named(pods)})`).join(", ");
}

/** Where a move's group goes: by use now, those that came before those that moved (by use before); those that went last. */
function rank({ from, to }: PodMove): string {
  const place = (use: PodUse | undefined) => USES.findIndex(([each]) => each === use);
  if (to === undefined) return `1${place(from)}`;
  return `0${place(to)}${from === undefined ? 0 : 1 + place(from)}`;
}

/** `+2 used`, `+1 not used from used`, `-1 not used`: the words of the group of `count` moves like `move`. */
function groupWords({ from, to }: PodMove, count: number): string {
  const words = (use: PodUse) => USES.find(([each]) => each === use)![1];
  if (to === undefined) return `-${count} ${words(from!)}`;
  return `+${count} ${words(to)}${from === undefined ? "" : ` from ${words(from)}`}`;
}

/** The first pods of a group, then how many more: `web-5, web-6, web-7 and 997 more`. */
function named(pods: readonly string[]): string {
  const more = pods.length - NAMED_PER_GROUP;
  return pods.slice(0, NAMED_PER_GROUP).join(", ") + (more > 0 ? ` and ${more} more` : "");
}
