/**
 * What changed between two lines per change, in pods: those that came, went,
 * or moved between used, failover and not used. At 1,000 pods each line is
 * the whole state, 30 KB, and what changed could not be seen without diffing
 * two of them.
 *
 * @module
 */

import type { PodExplanation, PodUse } from "../selection/endpoint_explanation.ts";
import { firstNames } from "../base/_word_list.ts";
import { displayName, inDisplayOrder } from "./display_order.ts";

/** A pod that came, went, or changed use: `from` is absent for a pod that came, `to` for one that went. */
export interface PodMove {
  /** The pod (now, or as it was for one that went). */
  pod: PodExplanation;
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
 * Which pod a row is across two lines: its name with its addresses. A pod created again under its name (a
 * StatefulSet's, on a new address) is another, and two rows of one address (copies in two slices) are told apart by
 * their uses.
 */
function identity(pod: PodExplanation): string {
  return `${pod.pod ?? ""} ${pod.addresses.map(({ host, port }) => `${host}|${port}`).join(" ")}`;
}

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
 * console.log(podMoves([pod("web-0", "used")], [pod("web-0", "unused"), pod("web-1", "used")]).map((move) => [move.pod.pod, move.from, move.to]));
 * // [ [ "web-0", "used", "unused" ], [ "web-1", undefined, "used" ] ]
 * ```
 */
export function podMoves(before: readonly PodExplanation[], after: readonly PodExplanation[]): PodMove[] {
  // The uses each pod had, as a multiset: copies of one row each match one.
  const was = new Map<string, PodUse[]>();
  for (const pod of before) {
    const uses = was.get(identity(pod));
    if (uses) uses.push(pod.use);
    else was.set(identity(pod), [pod.use]);
  }
  // Each row takes its own use back first, then what is left: copies of one address swapping uses are one move, not
  // two.
  const ordered = inDisplayOrder(after);
  const from = new Map<PodExplanation, PodUse | undefined>();
  for (const pod of ordered) {
    const uses = was.get(identity(pod));
    const same = uses?.indexOf(pod.use) ?? -1;
    if (same !== -1) from.set(pod, uses!.splice(same, 1)[0]);
  }
  for (const pod of ordered) if (!from.has(pod)) from.set(pod, was.get(identity(pod))?.shift());
  const moves: PodMove[] = [];
  for (const pod of ordered) {
    const use = from.get(pod);
    if (use !== pod.use) moves.push(use === undefined ? { pod, to: pod.use } : { pod, from: use, to: pod.use });
  }
  for (const pod of inDisplayOrder(before)) {
    const uses = was.get(identity(pod));
    const left = uses?.indexOf(pod.use) ?? -1;
    if (left !== -1) moves.push({ pod, from: uses!.splice(left, 1)[0] });
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
 * const pod = (name: string) => ({ pod: name, addresses: [], ready: true, serving: true, terminating: false, use: "used" as const, message: "used" });
 * const moves = ["web-5", "web-6", "web-7", "web-8"].map((name) => ({ pod: pod(name), to: "used" as const }));
 * console.log(movesText(moves)); // "+4 used (web-5, web-6, web-7 and 1 more)"
 * ```
 */
export function movesText(moves: readonly PodMove[]): string {
  const groups = new Map<string, { move: PodMove; pods: string[] }>();
  for (const move of moves) {
    const key = rank(move);
    const group = groups.get(key);
    if (group) group.pods.push(displayName(move.pod));
    else groups.set(key, { move, pods: [displayName(move.pod)] });
  }
  if (groups.size === 0) return "no pod changed use";
  const ordered = [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, group]) => group);
  return ordered.map(({ move, pods }) => `${groupWords(move, pods.length)} (${firstNames(pods, NAMED_PER_GROUP)})`)
    .join(", ");
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
