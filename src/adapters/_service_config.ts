/**
 * The service configs the grpc-js resolver hands a channel with its endpoints (its load balancing, when the channel
 * has no `grpc.service_config` of its own) and with an empty list, whether a channel's policy fails over (which
 * decides how it subsets), and the warning for a channel config that leaves load balancing out.
 *
 * @module
 */

import { BALANCER_NAME } from "./_balancer_config.ts";
import { type GrpcModule, loadBalancingConfig, parseErrors, type RegisterOptions } from "./register_options.ts";

/**
 * The service config, as the resolver listener takes it, that selects `loadBalancing`.
 *
 * @param loadBalancing A policy name or a `loadBalancingConfig` list; absent means `kubernetes_round_robin`.
 * @returns An `{ ok: true, value }` service config with that load balancing and no method config.
 *
 * @example Our own policy
 * ```ts
 * import { serviceConfigOf } from "./_service_config.ts";
 * serviceConfigOf(undefined); // { ok: true, value: { loadBalancingConfig: [{ kubernetes_round_robin: {} }], ... } }
 * ```
 */
export function serviceConfigOf(loadBalancing: RegisterOptions["loadBalancing"]): unknown {
  return { ok: true, value: { loadBalancingConfig: loadBalancingConfig(loadBalancing), methodConfig: [] } };
}

/**
 * The service config that hands a channel of ours an empty list: our policy when the chosen one is pick_first, whose
 * grpc-js version keeps its connection when handed no endpoints (an unready pod that still listens would keep every
 * call), else none (the channel's own). Our policy fails calls at once; the next endpoints bring pick_first back.
 *
 * @param grpc The grpc-js module, with the policies registered.
 * @param options The options given to `register()`.
 * @returns Our policy's service config, or `undefined` for the channel's own.
 *
 * @example pick_first gets our policy for empty lists
 * ```ts ignore
 * import * as grpc from "@grpc/grpc-js";
 * emptyListConfig(grpc, { loadBalancing: "pick_first" }); // { ok: true, value: { loadBalancingConfig: [{ kubernetes_round_robin: {} }], ... } }
 * ```
 */
export function emptyListConfig(grpc: GrpcModule, options: RegisterOptions): unknown {
  if (options.loadBalancing === undefined) return undefined;
  const selected = grpc.experimental.selectLbConfigFromList(loadBalancingConfig(options.loadBalancing)) as
    | { getLoadBalancerName(): string }
    | null;
  if (selected?.getLoadBalancerName() !== "pick_first") return undefined;
  return serviceConfigOf(BALANCER_NAME);
}

/**
 * Whether a channel's policy fails over from the preferred endpoints to the others: ours, alone or as the child of a
 * policy that wraps one (outlier_detection). Another one (round_robin, pick_first) spreads calls over every endpoint
 * it gets, or picks one of them, whatever topology prefers: its subset needs no endpoints to fail over to.
 *
 * @param grpc The grpc-js module, with the policies registered.
 * @param channelConfig The channel's own `grpc.service_config` option, a JSON string, if any: it wins.
 * @param loadBalancing The `loadBalancing` option of the channel's resolver options.
 * @returns Whether the channel's policy is ours.
 *
 * @example round_robin does not fail over
 * ```ts ignore
 * import * as grpc from "@grpc/grpc-js";
 * failsOver(grpc, undefined, "round_robin"); // false
 * ```
 */
export function failsOver(
  grpc: GrpcModule,
  channelConfig: unknown,
  loadBalancing: RegisterOptions["loadBalancing"],
): boolean {
  let policies: unknown = loadBalancingConfig(loadBalancing);
  if (channelConfig) {
    try {
      policies = (JSON.parse(String(channelConfig)) as { loadBalancingConfig?: unknown } | null)?.loadBalancingConfig;
    } catch {
      return false; // grpc-js refuses the channel.
    }
  }
  // Without a policy, grpc-js uses pick_first.
  if (!Array.isArray(policies) || policies.length === 0) return false;
  const selected = grpc.experimental.selectLbConfigFromList(policies) as { toJsonObject(): object } | null;
  // The selected config as JSON: a wrapping policy lists its own selected child first in `child_policy`.
  let config: object | undefined = selected?.toJsonObject();
  while (config !== undefined) {
    const [name, options] = Object.entries(config)[0] ?? [];
    if (name === BALANCER_NAME) return true;
    config = (options as { child_policy?: object[] } | undefined)?.child_policy?.[0];
  }
  return false;
}

/** The copies of grpc-js whose log got the warning about a channel config without load balancing (once each). */
const warnedWithoutLoadBalancing = new WeakSet<object>();
/** The copies of grpc-js whose log got the warning about a channel config with no policy it accepts (once each). */
const warnedRefusedLoadBalancing = new WeakSet<object>();

/**
 * Warns once, through grpc-js's log (shown by default), when a channel's own `grpc.service_config` leaves load
 * balancing out (or lists no policy), and once when it lists none that this grpc-js accepts (a misspelt name, or a
 * config that grpc-js refuses, such as `outlier_detection` in camelCase): grpc-js then uses pick_first, and every
 * call goes to one pod, which a config written for a `retryPolicy` alone does not mean, and grpc-js says nothing
 * above its DEBUG trace.
 *
 * @param grpc The grpc-js module whose log gets the warning.
 * @param channelConfig The channel's `grpc.service_config` option, a JSON string.
 *
 * @example A config for retries alone
 * ```ts ignore
 * import * as grpc from "@grpc/grpc-js";
 * warnOfPickFirstFallback(grpc, JSON.stringify({ methodConfig: [] })); // logs the warning once
 * ```
 */
export function warnOfPickFirstFallback(grpc: GrpcModule, channelConfig: unknown): void {
  let parsed: { loadBalancingConfig?: unknown; loadBalancingPolicy?: unknown } | null;
  try {
    parsed = JSON.parse(String(channelConfig));
  } catch {
    return; // grpc-js refuses it itself.
  }
  if (typeof parsed !== "object" || parsed === null) return;
  const policies = parsed.loadBalancingConfig;
  if (Array.isArray(policies) ? policies.length === 0 : policies === undefined) {
    if (warnedWithoutLoadBalancing.has(grpc.experimental)) return;
    warnedWithoutLoadBalancing.add(grpc.experimental);
    // The older field, which grpc-go and C-core still read: a config written for them names its policy there.
    const ignored = parsed.loadBalancingPolicy === undefined
      ? ""
      : ` (grpc-js ignores loadBalancingPolicy, the older field grpc-go and C-core still read)`;
    warn(
      grpc,
      `this channel's grpc.service_config has no loadBalancingConfig${ignored}, so grpc-js uses pick_first`,
      "add",
    );
  } else if (
    Array.isArray(policies) && !warnedRefusedLoadBalancing.has(grpc.experimental) && !accepted(grpc, policies)
  ) {
    warnedRefusedLoadBalancing.add(grpc.experimental);
    warn(
      grpc,
      `grpc-js accepts none of the policies in this channel's grpc.service_config${
        parseErrors(grpc, policies)
      }, so it uses pick_first`,
      "correct what grpc-js names, or write",
    );
  }
}

/**
 * Whether grpc-js accepts one of the policies of a channel's `loadBalancingConfig`. grpc-js has checked their shape
 * (one policy name each) before it makes the resolver; here it parses each policy's own config.
 */
function accepted(grpc: GrpcModule, policies: Record<string, unknown>[]): boolean {
  return grpc.experimental.selectLbConfigFromList(policies) !== null;
}

/** Logs `problem` and what it costs, then `advice` for the config that spreads calls. */
function warn(grpc: GrpcModule, problem: string, advice: string): void {
  grpc.experimental.log(
    grpc.logVerbosity.ERROR as never,
    `@kgr/resolver: ${problem} and sends every call to one pod; ${advice} "loadBalancingConfig": ` +
      '[{"kubernetes_round_robin": {}}] to it (or round_robin) to spread calls over every pod',
  );
}
