/**
 * The calls in flight on each endpoint of `kubernetes_round_robin`, counted through the picks made for them: a pod that
 * leaves the list while calls still run on it keeps its connection until they end (the policy's `#lastCallEnded`), as
 * an established connection through kube-proxy goes on. Without that, grpc-js closes the connection at its subchannel
 * pool's next sweep (every 10 s), and with `grpc.keepalive_time_ms`, its next keepalive ping on the closing connection
 * fails every call still on it with `UNAVAILABLE` "Connection dropped".
 *
 * @module
 */

/** What a pick's call is counted on: an endpoint's child in the policy. */
export interface CallCounter {
  /** Calls started on its picks that have not ended. */
  calls: number;
}

/** The parts of a grpc-js pick result that counting uses. */
interface PickResult {
  subchannel?: unknown;
  onCallStarted?: (() => void) | null;
  onCallEnded?: ((...args: unknown[]) => void) | null;
}

/**
 * A pick result that counts its call on `counter` from its start to its end, then calls `onLastCallEnded` if no
 * other call is left on it. A pick without a subchannel (the call waits or fails) is returned as it is.
 *
 * @param pick A pick result of an endpoint's leaf balancer.
 * @param counter Where the call is counted.
 * @param onLastCallEnded Called with `counter` when its count drops to 0.
 * @returns The pick result, with its call counted.
 *
 * @example Counting a call
 * ```ts ignore
 * const child = { calls: 0 };
 * const pick = countedPick(leaf.getPicker().pick(args), child, () => console.log("no call left on it"));
 * ```
 */
export function countedPick<T extends CallCounter>(
  pick: unknown,
  counter: T,
  onLastCallEnded: (counter: T) => void,
): unknown {
  const result = pick as PickResult | undefined;
  if (!result?.subchannel) return pick;
  return {
    ...result,
    onCallStarted() {
      counter.calls++;
      result.onCallStarted?.();
    },
    onCallEnded(...args: unknown[]) {
      result.onCallEnded?.(...args);
      if (--counter.calls === 0) onLastCallEnded(counter);
    },
  };
}
