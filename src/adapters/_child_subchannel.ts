/**
 * The subchannels of a new endpoint's child in `kubernetes_round_robin`, when grpc-js's subchannel pool still holds
 * one for its address from an earlier pod: one that backs off is told to retry at once, and one still connecting to
 * a departed pod is replaced by a subchannel of the child's own.
 *
 * @module
 */

import type { ChannelControlHelper, Subchannel } from "./balancer_grpc.ts";
import type { Child } from "./_balancer_tiers.ts";

/**
 * A subchannel option that no other subchannel has, so that grpc-js's pool creates a new subchannel instead of
 * handing out the one it keeps for the address. The count makes each value unique in the process, whose channels
 * share one pool.
 */
const FRESH_SUBCHANNEL_OPTION = "kgr.fresh_subchannel";
let freshSubchannels = 0;

/** Where a new child stands, for its subchannels. */
export interface ChildSubchannelOptions {
  /** The child whose leaf creates the subchannels. */
  child: Child;
  /** Its endpoint left the list a short while ago (a pod that came back at its address). */
  departed: boolean;
  /** grpc-js's `connectivityState`. */
  states: { CONNECTING: number; TRANSIENT_FAILURE: number };
}

/**
 * The `createSubchannel` of a new child's helper: the policy's own, but a subchannel inherited in TRANSIENT_FAILURE
 * retries at once (the child counts as CONNECTING meanwhile, see `Child.stopRetrying`), and one inherited while it
 * connects for a departed endpoint is left to the pool for a fresh one.
 *
 * @param helper The policy's helper, whose `createSubchannel` hands out the pool's subchannels.
 * @param options The child, and where it stands.
 * @returns The child helper's `createSubchannel`.
 *
 * @example A child helper's override
 * ```ts ignore
 * const createSubchannel = childSubchannelFactory(helper, { child, departed: false, states: grpc.connectivityState });
 * ```
 */
export function childSubchannelFactory(
  helper: ChannelControlHelper,
  { child, departed, states: { CONNECTING, TRANSIENT_FAILURE } }: ChildSubchannelOptions,
): (address: unknown, options: unknown) => Subchannel {
  return (address: unknown, options: unknown) => {
    const subchannel = helper.createSubchannel(address, options);
    const inherited = subchannel.getConnectivityState();
    if (inherited === TRANSIENT_FAILURE) retryAtOnce(child, subchannel);
    // grpc-js goes on connecting to a departed pod's address after its last user left; where that pod's
    // packets are now dropped, the attempt hangs until the kernel gives up (grpc-js has no connect timeout;
    // Linux's default SYN retries take about 2 min), and the new pod with its address would wait as long: it
    // gets a subchannel of its own, which connects now.
    if (inherited !== CONNECTING || !departed) return subchannel;
    // grpc-js 1.10 to 1.12.5 add the channel's listener to a subchannel they hand out, and take it off only
    // when its refs drop to 0: one that is never ref'd keeps it, and the channel, for the subchannel's life.
    subchannel.ref();
    subchannel.unref();
    return helper.createSubchannel(address, {
      ...options as object,
      [FRESH_SUBCHANNEL_OPTION]: ++freshSubchannels,
    });
  };
}

/**
 * Ends the connection backoff a new child's subchannel inherited from an earlier endpoint at its address (grpc-js
 * keeps a channel's subchannels for a while after their last user): kube-proxy would send the new pod's first
 * connection at once too.
 */
function retryAtOnce(child: Child, subchannel: Subchannel): void {
  const real = subchannel.getRealSubchannel?.();
  if (typeof real?.resetBackoff !== "function") return;
  // The first change of any of them ends the wait, and takes every listener off.
  const stopEarlier = child.stopRetrying;
  const changed = () => child.stopRetrying?.();
  child.stopRetrying = () => {
    subchannel.removeConnectivityStateListener(changed);
    child.stopRetrying = undefined;
    stopEarlier?.();
  };
  subchannel.addConnectivityStateListener(changed);
  real.resetBackoff();
}
