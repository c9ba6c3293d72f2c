/**
 * The options of the grpc-js adapter's `register()` and their checks: each bad option is refused when it is passed,
 * with its name and what to use, rather than later on a channel, or never.
 *
 * @module
 */

import type { WatchSettings } from "../watch_settings.ts";
import { DEFAULT_SCHEME, isUriScheme } from "../base/target.ts";
import { BALANCER_NAME, checkFailoverTimeout, unknownBalancerOption } from "./_balancer_config.ts";
import type { BalancerGrpc } from "./balancer_grpc.ts";
import { createSubsetter } from "../selection/subset.ts";
import {
  checkOptionNames,
  checkOptionsObject,
  checkWatchSettings,
  entryPointOptions,
} from "../check_watch_settings.ts";
import { copyPlainData, currentValue, describeValue, isRecord } from "../base/_util.ts";
import { newerGrpcAdvice } from "./_one_copy_advice.ts";

/**
 * The parts of a `@grpc/grpc-js` module (any copy, 1.10 or newer) that `register()` uses.
 *
 * @example Your own copy of grpc-js, whole
 * ```ts
 * import * as grpc from "@grpc/grpc-js";
 * import type { GrpcModule } from "@kgr/resolver";
 * const module: GrpcModule = grpc; // the module itself (a default import gives it too), not grpc.Client
 * ```
 */
export interface GrpcModule extends BalancerGrpc {
  /** `grpc.experimental`: resolver and load-balancer registries, tracing. */
  experimental: BalancerGrpc["experimental"] & {
    registerResolver(scheme: string, resolver: never): void;
    selectLbConfigFromList(configs: Record<string, unknown>[]): unknown;
    parseLoadBalancingConfig?(config: unknown): unknown;
  };
  /** `grpc.Metadata`, for error statuses. */
  Metadata: new () => unknown;
  /** `grpc.status`. */
  status: { UNAVAILABLE: number };
  /** `grpc.logVerbosity`. */
  logVerbosity: { DEBUG: number; ERROR: number };
}

/**
 * Options of {@linkcode register}.
 *
 * @example Channels that prefer their zone and connect to ten pods each
 * ```ts
 * import type { RegisterOptions } from "@kgr/resolver";
 * const options: RegisterOptions = {
 *   cluster: { context: "prod" },
 *   locality: { zone: "eu-west-1a" },
 *   subsetSize: 10,
 * };
 * ```
 */
export interface RegisterOptions extends WatchSettings {
  /**
   * The URI scheme to register, without ":" (`k8s` for `k8s:///echo.prod:grpc`); grpc-js matches it as written, so
   * targets must spell it the same case.
   * @default {"kubernetes"}
   */
  scheme?: string | undefined;
  /** The caller's own `@grpc/grpc-js` module; default: this package's peer copy. Two copies have two registries. */
  grpc?: GrpcModule | undefined;
  /**
   * Load balancing when the channel has no `grpc.service_config`: a policy
   * name or a full `loadBalancingConfig` list. The default,
   * `kubernetes_round_robin`, is round_robin over the preferred endpoints
   * (all of them without topology) with failover to the others (under
   * `PreferSameNode`, to the client's zone first), and keeps
   * the event loop responsive with thousands of endpoints; `"round_robin"`
   * selects grpc-js's own.
   * @default {"kubernetes_round_robin"}
   */
  loadBalancing?: string | Record<string, unknown>[] | undefined;
  /**
   * Subsetting (gRFC A68): each channel connects to a stable pseudo-random
   * subset of this many endpoints, a positive integer (and as many failover endpoints of each tier when
   * topology applies) instead of every pod. For thousands of pods and many
   * clients, where clients × pods connections hurt. Off by default.
   */
  subsetSize?: number | undefined;
  /**
   * The seed of the subset, a 32-bit integer, signed or not: channels with the same seed and size use the
   * same subset, which `kgr-resolver --subset-size K --subset-seed S` shows.
   * Default: random per channel, which spreads clients evenly.
   */
  subsetSeed?: number | undefined;
}

/** Every option of {@linkcode register}; the type makes the list whole. */
export const REGISTER_OPTIONS: readonly string[] = entryPointOptions<RegisterOptions>({
  scheme: true,
  grpc: true,
  loadBalancing: true,
  subsetSize: true,
  subsetSeed: true,
});

/** What the options of `watchEndpoints()` alone are, for a channel given one: it has none of them. */
export const WATCH_ONLY_OPTION_ADVICE: Readonly<Record<string, string>> = {
  signal: "it is watchEndpoints()'s: a channel watches until it is closed; close it (client.close(), or nice-grpc's " +
    "channel.close()) to stop",
  onError: "it is watchEndpoints()'s: a channel's calls carry the watch's failures in their errors, " +
    "GRPC_TRACE=kubernetes_resolver traces each, and one the watch cannot get over by itself (a token refused, a " +
    "missing grant) is said once on standard error",
  onRecovered: "it is watchEndpoints()'s: a channel's calls succeed again once the watch works, and the metric " +
    "grpc.resolver.kubernetes.watch.failing goes back to 0",
};

/** The schemes grpc-js resolves itself: a resolver registered under one would replace grpc-js's for every channel. */
const GRPC_JS_SCHEMES: ReadonlySet<string> = new Set(["dns", "ipv4", "ipv6", "unix", "unix-abstract"]);

/**
 * Whether grpc-js resolves `scheme` itself (`dns`, `ipv4`, `ipv6`, `unix`, `unix-abstract`), as written: a
 * resolver of ours registered under it would take over every channel of that scheme, and `dns` is the default
 * of targets without one.
 *
 * @param scheme A URI scheme, without ":".
 * @returns True for grpc-js's own schemes.
 *
 * @example
 * ```ts ignore
 * isGrpcJsScheme("dns"); // true
 * isGrpcJsScheme("kubernetes"); // false
 * ```
 */
export function isGrpcJsScheme(scheme: string): boolean {
  return GRPC_JS_SCHEMES.has(scheme);
}

/**
 * Refuses options that cannot work, in the order that explains most: a `grpc` that is no grpc-js module, an unknown
 * option name, a bad subset, watch or cluster setting, a bad `scheme`. `loadBalancing` needs the module's policies
 * registered first: {@linkcode checkLoadBalancing} checks it.
 *
 * @param options The options given to `register()`.
 * @returns The scheme to register: `options.scheme`, or `kubernetes`.
 * @throws {TypeError} Naming the first bad option (see `register()`): an unknown one, or one of the wrong type, `null`
 * included (an option left out, or `undefined`, takes its default).
 * @throws {RangeError} When `subsetSize`, `subsetSeed` or a watch delay is a number out of range.
 * @throws {ConfigError} When a `cluster` option is unknown, of the wrong type, or excludes another.
 *
 * @example A scheme that grpc-js resolves itself
 * ```ts
 * import { checkRegisterOptions } from "./register_options.ts";
 * try {
 *   checkRegisterOptions({ scheme: "dns" });
 * } catch (error) {
 *   console.log((error as Error).message); // Cannot use option 'scheme': grpc-js resolves "dns" itself, ...
 * }
 * ```
 */
export function checkRegisterOptions(options: RegisterOptions): string {
  checkOptionsObject(options);
  // A misspelt name first, as it explains what follows.
  checkGrpcOption(options);
  checkOptionNames(options, REGISTER_OPTIONS, WATCH_ONLY_OPTION_ADVICE);
  if (options.subsetSize !== undefined) {
    createSubsetter(options.subsetSize, options.subsetSeed === undefined ? 0 : options.subsetSeed);
  } else if (options.subsetSeed !== undefined) {
    // Alone it did nothing: every channel connected to every pod (a misspelled subsetSize, say).
    throw new TypeError(
      `Cannot use option 'subsetSeed' without 'subsetSize': the seed only chooses which pods a subset holds; ` +
        `set subsetSize too (such as 100), or leave subsetSeed out: current value is ${
          describeValue(options.subsetSeed)
        }`,
    );
  }
  checkWatchSettings(options);
  const scheme = options.scheme === undefined ? DEFAULT_SCHEME : options.scheme;
  if (!isUriScheme(scheme)) {
    // grpc-js would register it anyway, and send the targets meant for it to its DNS resolver.
    throw new TypeError(
      `Cannot use option 'scheme': it must be a URI scheme without ":" (a letter, then letters, digits, "+", "-" ` +
        `or "."), such as "k8s" for targets like "k8s:///echo.prod:grpc": ${currentValue(scheme)}`,
    );
  }
  if (isGrpcJsScheme(scheme)) {
    throw new TypeError(
      `Cannot use option 'scheme': grpc-js resolves ${JSON.stringify(scheme)} itself, and ours would replace it for ` +
        `every channel of the process: use a scheme of your own, such as "kubernetes" (the default)`,
    );
  }
  return scheme;
}

/**
 * A copy of checked options, for channels created later: the caller's object, and the objects in it (`cluster`,
 * `locality`, `backoff`, a `loadBalancing` list), may change after the call, and those channels read the new values,
 * unchecked (a `subsetSize` set to 0 afterwards threw a RangeError from inside grpc-js). Plain objects and lists are
 * copied all the way down (a kubeconfig object too); `grpc`, and any other value, stays the one given.
 *
 * @param options Options already checked with {@linkcode checkRegisterOptions}.
 * @returns The copy to keep.
 *
 * @example Changing the options after register()
 * ```ts
 * import { copyCheckedOptions } from "./register_options.ts";
 * const options = { subsetSize: 10, locality: { zone: "zone-a" } };
 * const kept = copyCheckedOptions(options);
 * options.subsetSize = 0;
 * options.locality.zone = "zone-b";
 * console.log(kept.subsetSize, kept.locality?.zone); // 10 zone-a
 * ```
 */
export function copyCheckedOptions(options: RegisterOptions): RegisterOptions {
  const { grpc, ...rest } = options;
  const copy = copyPlainData(rest) as RegisterOptions;
  if (grpc !== undefined) copy.grpc = grpc;
  return copy;
}

/** What grpc-js 1.10 added to `grpc.experimental` that the adapter and its policy use. */
const SINCE_1_10 = ["LeafLoadBalancer", "selectLbConfigFromList"] as const;

/**
 * Refuses a grpc-js older than 1.10 (1.9, which nice-grpc 2.1.8 pins, say), whose policy API lacks what ours is
 * built on: with it, `register()` went through and every call waited until its deadline without a word of why.
 * grpc-js exports no version, so the API the adapter needs is what is checked.
 *
 * @param grpc The grpc-js module to register with.
 * @param moduleUrl Where this package lies: the commands given are those of the package manager that installed it.
 * @throws {TypeError} Naming what is missing, the range needed, and where an older copy may come from.
 *
 * @example
 * ```ts ignore
 * import * as grpc from "@grpc/grpc-js";
 * checkGrpcVersion(grpc); // throws on grpc-js 1.9
 * ```
 */
export function checkGrpcVersion(grpc: GrpcModule, moduleUrl: string = import.meta.url): void {
  const experimental = grpc.experimental as unknown as Record<string, unknown>;
  const missing = SINCE_1_10.filter((name) => typeof experimental[name] !== "function");
  if (missing.length === 0) return;
  throw new TypeError(
    `Cannot register the resolver: this @grpc/grpc-js is older than 1.10 (its experimental API has no ` +
      `${missing.join(", ")}), and @kgr/resolver needs @grpc/grpc-js ^1.10.0: ${newerGrpcAdvice(moduleUrl)} ` +
      "(nice-grpc 2.1.8 pins 1.9: update nice-grpc)",
  );
}

/**
 * Refuses a `grpc` option that is not a grpc-js module (nice-grpc's, a sub-object, a name), which would otherwise
 * fail deep inside with a runtime's own words, and the grpc-js module passed in place of the options, whose copy
 * would be ignored.
 */
function checkGrpcOption(options: RegisterOptions): void {
  const given: unknown = options.grpc;
  if (given === undefined) {
    if (!("experimental" in options && "credentials" in options)) return;
    throw new TypeError(
      "Cannot register the resolver: the grpc-js module was passed as the options; pass it as register({ grpc })",
    );
  }
  const experimental = (given as { experimental?: { registerResolver?: unknown } } | null)?.experimental;
  if (typeof experimental?.registerResolver === "function") return;
  throw new TypeError(
    `Cannot use option 'grpc': it must be the @grpc/grpc-js module, as in import * as grpc from "@grpc/grpc-js" ` +
      `and register({ grpc }) (nice-grpc's module is not it; for nice-grpc use createChannel() from ` +
      `@kgr/resolver/nice-grpc): ${
        given === null ? currentValue(null) : `current value is ${describeGrpcOption(given)}`
      }`,
  );
}

/** A short description of a bad `grpc` option: a value, or the keys of an object (a module does not stringify). */
function describeGrpcOption(value: unknown): string {
  if (typeof value !== "object" || value === null) return describeValue(value);
  const keys = Object.keys(value);
  return `an object with ${keys.length === 0 ? "no keys" : `keys ${keys.slice(0, 5).join(", ")}`}${
    keys.length > 5 ? ", ..." : ""
  }`;
}

/**
 * The `loadBalancingConfig` a `loadBalancing` option stands for.
 *
 * @param loadBalancing A policy name or a `loadBalancingConfig` list; absent means `kubernetes_round_robin`.
 * @returns The list as given, or a list of the named policy without config.
 *
 * @example A policy name
 * ```ts
 * import { loadBalancingConfig } from "./register_options.ts";
 * loadBalancingConfig("round_robin"); // [{ round_robin: {} }]
 * ```
 */
export function loadBalancingConfig(
  loadBalancing: string | Record<string, unknown>[] | undefined,
): Record<string, unknown>[] {
  return typeof loadBalancing === "object" ? loadBalancing : [{ [loadBalancing ?? BALANCER_NAME]: {} }];
}

/**
 * Refuses a `loadBalancing` option that this copy of grpc-js cannot use: a misspelled policy would otherwise
 * leave channels on pick_first, every call to one pod, without a word.
 *
 * @param grpc The grpc-js module, with our policy registered.
 * @param loadBalancing The option as given.
 * @throws {TypeError} Naming the option, why grpc-js refuses it, and the policies to use; or why our policy refuses its
 * config (an option it does not have, a `failoverTimeoutMs` that is no number).
 * @throws {RangeError} Naming a `failoverTimeoutMs` of our policy that is a number out of range, and its value.
 *
 * @example A misspelt policy
 * ```ts ignore
 * import * as grpc from "@grpc/grpc-js";
 * checkLoadBalancing(grpc, "round-robin"); // TypeError: Cannot use option 'loadBalancing': "round-robin" is no ...
 * ```
 */
export function checkLoadBalancing(grpc: GrpcModule, loadBalancing: unknown): void {
  const config = typeof loadBalancing === "string" && loadBalancing !== ""
    ? loadBalancingConfig(loadBalancing)
    : Array.isArray(loadBalancing) && loadBalancing.length > 0
    ? loadBalancing
    : undefined;
  // Our policy ignores an option it does not have, and a config that is no object (a channel's own config would
  // otherwise go to pick_first); here, where nothing else would show it, they are refused. A bad failover timeout is
  // reported by itself, not as a policy grpc-js does not accept.
  for (const ours of balancerConfigs(config ?? [])) {
    const unknown = unknownBalancerOption(ours);
    if (unknown !== undefined) {
      throw new TypeError(
        `Cannot use option 'loadBalancing': ${BALANCER_NAME}'s config is refused (${unknown.reason})`,
      );
    }
    checkFailoverTimeout(ours, `Cannot use option 'loadBalancing': ${BALANCER_NAME}'s `);
  }
  try {
    if (config !== undefined && grpc.experimental.selectLbConfigFromList(config) !== null) return;
  } catch {
    // Entries that are not configs at all: refused below.
  }
  throw new TypeError(
    `Cannot use option 'loadBalancing': ${describeValue(loadBalancing)} is no load-balancing policy (or config) ` +
      `that this grpc-js accepts${parseErrors(grpc, config)}; ` + (listMeant(grpc, loadBalancing) ??
        `use "${BALANCER_NAME}" (the default), "round_robin" or "pick_first", or register your own policy with ` +
          "grpc-js first"),
  );
}

/**
 * The configs of our policy in a `loadBalancingConfig` list: its entries', and those of the `child_policy` lists of
 * policies that wrap another (outlier_detection), all the way down.
 */
function balancerConfigs(list: readonly unknown[]): unknown[] {
  const found: unknown[] = [];
  for (const entry of list) {
    if (!isRecord(entry)) continue;
    for (const [name, config] of Object.entries(entry)) {
      if (name === BALANCER_NAME) found.push(config);
      else if (isRecord(config) && Array.isArray(config.child_policy)) {
        found.push(...balancerConfigs(config.child_policy));
      }
    }
  }
  return found;
}

/** What to pass for a config entry or a whole service config given where its list belongs, if grpc-js takes that. */
function listMeant(grpc: GrpcModule, loadBalancing: unknown): string | undefined {
  if (!isRecord(loadBalancing)) return undefined;
  const inner = loadBalancing.loadBalancingConfig;
  const [list, what] = Array.isArray(inner)
    ? [inner, "is a service config: pass its loadBalancingConfig list"]
    : [[loadBalancing], "is one entry of a loadBalancingConfig list: pass the list"];
  try {
    if (list.length > 0 && grpc.experimental.selectLbConfigFromList(list) !== null) {
      return `it ${what}, ${describeValue(list)}`;
    }
  } catch {
    // Not an accepted list either: the general advice.
  }
  return undefined;
}

/**
 * Why grpc-js refuses the entries of a `loadBalancingConfig` list, in its own words.
 *
 * @param grpc The grpc-js module whose policy registry judges the entries.
 * @param config The list; absent gives no reason.
 * @returns `" (reason; reason)"`, or `""` when grpc-js gives none (one without `experimental.parseLoadBalancingConfig`).
 *
 * @example A misspelt policy
 * ```ts ignore
 * import * as grpc from "@grpc/grpc-js";
 * parseErrors(grpc, [{ "round-robin": {} }]); // " (Unrecognized load balancing config name round-robin)"
 * ```
 */
export function parseErrors(grpc: GrpcModule, config: unknown[] | undefined): string {
  const reasons = new Set<string>();
  for (const entry of config ?? []) {
    try {
      grpc.experimental.parseLoadBalancingConfig?.(entry);
    } catch (error) {
      if (error instanceof Error) reasons.add(error.message);
    }
  }
  return reasons.size > 0 ? ` (${[...reasons].join("; ")})` : "";
}
