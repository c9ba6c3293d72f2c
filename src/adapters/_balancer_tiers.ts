/**
 * The tiers of `kubernetes_round_robin` (the preferred endpoints, the client's zone under `PreferSameNode`, the
 * others), and each endpoint's child in one: a count per connectivity state and a list of READY children per tier,
 * kept up to date in O(1) per change, so that the policy never scans its children, and each tier's round-robin
 * picker over its READY list.
 *
 * @module
 */

import type { Leaf, Picker } from "./balancer_grpc.ts";
import { countedPick } from "./_counted_pick.ts";

/** One endpoint's child balancer and where it stands. */
export interface Child {
  /** The child balancer: grpc-js's `LeafLoadBalancer` for the endpoint. */
  leaf: Leaf;
  /** The tier it belongs to. */
  tier: Tier;
  /** Its endpoint's pod, when the slice names one (see `BalancedEndpoint.pod`). */
  pod?: string | undefined;
  /** Its connectivity state, as the policy counts it. */
  state: number;
  /** Position in `tier.ready` while READY, else -1. */
  readyIndex: number;
  /**
   * Its subchannel was still backing off from an earlier endpoint at the same address (a pod that came back with
   * its IP) and was told to retry at once: until the subchannel leaves TRANSIENT_FAILURE, the child counts as
   * CONNECTING, so that calls wait for the new pod instead of failing on the old one's error. Present while it
   * waits for that change: it stops waiting, on every such subchannel of the endpoint (it may have several).
   */
  stopRetrying?: () => void;
  /** Calls in flight on its picks (see `_counted_pick.ts`): while any runs, its leaf outlives its endpoint. */
  calls: number;
  /** Its endpoint left the list while calls ran on it: the policy retires its leaf when the last call ends. */
  leaving?: boolean;
}

/** The endpoints of one tier (the preferred ones, say): their READY children and a count per state. */
export interface Tier {
  /** Its children. */
  size: number;
  /** Endpoints of this tier still waiting for a child (the policy creates them a few at a time). */
  pending: number;
  /** Its READY children, in no order. */
  ready: Child[];
  /** Its children per connectivity state (indexed by grpc-js's `connectivityState`). */
  counts: number[];
  /** Round-robin over `ready`; the queue picker while none is READY. */
  picker: Picker;
}

/**
 * Creates an empty tier, whose picker goes round-robin over its READY children, starting at a random place, and
 * counts each call on the child it picked.
 *
 * @param queuePicker The picker of calls that wait: the tier's while none of its children is READY.
 * @param onLastCallEnded Called with a child when the last call on its picks ends.
 * @returns The tier.
 *
 * @example The preferred tier of a policy
 * ```ts ignore
 * const preferred = newTier(new grpc.experimental.QueuePicker(policy), (child) => retireIfLeaving(child));
 * ```
 */
export function newTier(queuePicker: Picker, onLastCallEnded: (child: Child) => void): Tier {
  const tier: Tier = { size: 0, pending: 0, ready: [], counts: [0, 0, 0, 0, 0], picker: queuePicker };
  // Like round_robin, clients start at a random place, so that they do not all hit the same endpoint first.
  let next = Math.floor(Math.random() * 1024);
  tier.picker = {
    pick(args: unknown) {
      const ready = tier.ready;
      if (ready.length === 0) return queuePicker.pick(args);
      // The remainder, not a wrap to 0: a start beyond the list would make every client's first pick the first.
      next = (next + 1) % ready.length;
      return countedPick(ready[next].leaf.getPicker().pick(args), ready[next], onLastCallEnded);
    },
  };
  return tier;
}

/**
 * Moves a child to another tier, with its state's count, and into the other tier's READY list if it is READY.
 *
 * @param child The child.
 * @param to The tier it now belongs to.
 *
 * @example An endpoint that is no longer preferred
 * ```ts ignore
 * if (child.tier !== others) moveToTier(child, others);
 * ```
 */
export function moveToTier(child: Child, to: Tier): void {
  const from = child.tier;
  const wasReady = child.readyIndex >= 0;
  leaveReady(child);
  from.size--;
  from.counts[child.state]--;
  child.tier = to;
  to.size++;
  to.counts[child.state]++;
  if (wasReady) {
    child.readyIndex = to.ready.length;
    to.ready.push(child);
  }
}

/**
 * Takes a child out of its tier's READY list in O(1) (the last one takes its place); a child not in it stays so.
 *
 * @param child The child.
 *
 * @example A child that left READY
 * ```ts ignore
 * if (child.state === READY) leaveReady(child);
 * ```
 */
export function leaveReady(child: Child): void {
  if (child.readyIndex < 0) return;
  const ready = child.tier.ready;
  const last = ready.pop()!;
  if (last !== child) {
    ready[child.readyIndex] = last;
    last.readyIndex = child.readyIndex;
  }
  child.readyIndex = -1;
}
