/**
 * The name and the config of `kubernetes_round_robin`: the config grpc-js parses from a service config's
 * `loadBalancingConfig` entry (`{ "kubernetes_round_robin": { "failoverTimeoutMs": 3000 } }`) and hands the policy
 * with each update.
 *
 * @module
 */

import { MAX_TIMER_DELAY_MS } from "../runtime/unref_timer.ts";
import { describeValue, isRecord, kindOf } from "../base/_util.ts";

/** The name under which the policy is registered. */
export const BALANCER_NAME = "kubernetes_round_robin";

/**
 * How long calls wait for a preferred endpoint to become READY, while none has failed for good, before they go
 * to the others: the failover timer of gRFC A56's priority policy; under `PreferSameNode`, the client's zone gets
 * as long again before calls go to the rest. The policy's config may set another
 * (`{ "kubernetes_round_robin": { "failoverTimeoutMs": 3000 } }`).
 */
export const DEFAULT_FAILOVER_TIMEOUT_MS = 10_000;

/** The policy's config, as grpc-js hands it with each update: an instance of a class from `createConfigClass()`. */
export type BalancerConfig = InstanceType<ReturnType<typeof createConfigClass>>;

/**
 * Creates the policy's config class, a new one for each copy of grpc-js the policy is registered with, as its
 * balancer class is: grpc-js parses configs with its static `createFromJson()`, which rejects a `failoverTimeoutMs`
 * that is not a number of milliseconds a timer can wait. An option the policy does not have is ignored, as grpc-js's
 * own policies ignore theirs (refusing it would put the channel on pick_first, every call to one pod), with a
 * warning, once per option name; so is a config that is no object (a list of options, say). `register()` refuses
 * both (see {@linkcode unknownBalancerOption}).
 *
 * @param warn Where the warning goes (grpc-js's log).
 * @returns The config class, to register with the balancer class.
 *
 * @example Parsing a config
 * ```ts ignore
 * const Config = createConfigClass(console.error);
 * console.log(Config.createFromJson({ failoverTimeoutMs: 3000 }).toJsonObject());
 * // { kubernetes_round_robin: { failoverTimeoutMs: 3000 } }
 * ```
 */
export function createConfigClass(warn: (text: string) => void) {
  const warned = new Set<string>();
  return class Config {
    constructor(readonly failoverTimeoutMs = DEFAULT_FAILOVER_TIMEOUT_MS) {}
    static createFromJson(json: unknown): Config {
      const unknown = unknownBalancerOption(json);
      if (unknown !== undefined && !warned.has(unknown.reason)) {
        warned.add(unknown.reason);
        warn(`${BALANCER_NAME} ignores ${unknown.ignored}: ${unknown.reason}`);
      }
      // grpc-js puts the policy's name in front of the message.
      return new Config(checkFailoverTimeout(json, ""));
    }
    getLoadBalancerName(): string {
      return BALANCER_NAME;
    }
    toJsonObject(): object {
      const timeout = this.failoverTimeoutMs;
      return { [BALANCER_NAME]: timeout === DEFAULT_FAILOVER_TIMEOUT_MS ? {} : { failoverTimeoutMs: timeout } };
    }
  };
}

/**
 * The `failoverTimeoutMs` of a policy config, `undefined` when it has none (or the config is no object: see
 * {@linkcode unknownBalancerOption}); refused when it is not a number of milliseconds a timer can wait, from 1: a
 * `RangeError` for a number out of range (`NaN` and `Infinity` included), a `TypeError` for another type.
 *
 * @param json The policy's config, the value of a `kubernetes_round_robin` entry.
 * @param context What goes in front of the message: `""` where grpc-js puts the policy's name there.
 * @returns Its `failoverTimeoutMs` (`undefined` takes the default).
 * @throws {RangeError} Naming the option and the number.
 * @throws {TypeError} Naming the option and the value.
 *
 * @example A timeout, then a timer that would fire at once
 * ```ts ignore
 * checkFailoverTimeout({ failoverTimeoutMs: 3000 }, ""); // 3000
 * checkFailoverTimeout({ failoverTimeoutMs: 0 }, "");
 * // RangeError: 'failoverTimeoutMs' must be a number ...: current value is 0
 * ```
 */
export function checkFailoverTimeout(json: unknown, context: string): number | undefined {
  const value = isRecord(json) ? json.failoverTimeoutMs : undefined;
  if (value === undefined || (typeof value === "number" && value > 0 && value <= MAX_TIMER_DELAY_MS)) return value;
  const ErrorClass = typeof value === "number" ? RangeError : TypeError;
  throw new ErrorClass(
    `${context}'failoverTimeoutMs' must be a number of milliseconds above 0 and at most ${MAX_TIMER_DELAY_MS} ` +
      // Not currentValue()'s "or pass undefined": a service config is JSON, which has none.
      `(default ${DEFAULT_FAILOVER_TIMEOUT_MS}): current value is ${describeValue(value)}` +
      (value === null ? " (leave it out for its default)" : ""),
  );
}

/** The resolver's options, which a channel takes from `register()` or nice-grpc's `resolver`, not from its policy. */
const RESOLVER_OPTIONS = new Set(["subsetSize", "subsetSeed", "locality"]);

/**
 * What of a policy config the policy ignores, and why: an option it does not have (the first), or the whole config when
 * it is no object. Such an option does nothing, and one of the resolver's, or `failoverTimeoutMs` spelt as grpc-js
 * spells its own policies' options (`failover_timeout_ms`), is easy to put there; a list of options where their object
 * belongs left the failover timeout at 10 s. `null` (YAML's `kubernetes_round_robin:` with nothing after it) is an
 * empty config.
 *
 * @param json The policy's config, the value of a `kubernetes_round_robin` entry.
 * @returns What is ignored (`its config`, `an option of its config`) and the reason (naming the option, at most 100
 * characters of it, or the config's type), or `undefined`.
 *
 * @example A resolver option in the policy's config
 * ```ts ignore
 * unknownBalancerOption({ subsetSize: 2 })?.reason;
 * // "it has no option 'subsetSize': its one option is 'failoverTimeoutMs'; pass subsetSize to register() or ..."
 * ```
 */
export function unknownBalancerOption(json: unknown): { ignored: string; reason: string } | undefined {
  if (json === null || json === undefined) return undefined;
  if (!isRecord(json)) {
    return {
      ignored: "its config",
      reason: `it must be an object of options, such as {"failoverTimeoutMs":3000}: current value is ${kindOf(json)}`,
    };
  }
  const key = Object.keys(json).find((name) => name !== "failoverTimeoutMs");
  if (key === undefined) return undefined;
  const reason = `it has no option '${JSON.stringify(key).slice(1, -1).slice(0, 100)}': its one option is ` +
    "'failoverTimeoutMs'";
  return {
    ignored: "an option of its config",
    reason: RESOLVER_OPTIONS.has(key)
      ? `${reason}; pass ${key} to register() or in nice-grpc's resolver options`
      : reason,
  };
}
