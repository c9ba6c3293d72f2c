/**
 * Checks the watch settings that every entry point takes, at the call: a
 * bad value would otherwise surface later, inside the shared watch, as a
 * resolver that never resolves or retries without pause.
 *
 * @module
 */

import { DEFAULT_BACKOFF_INITIAL_MS, DEFAULT_BACKOFF_MAX_MS } from "./base/backoff.ts";
import { currentValue, isOptionsObject, typeName, unknownField } from "./base/_util.ts";
import { nearestName } from "./base/_nearest_name.ts";
import { checkClusterOptions, CLUSTER_OPTIONS } from "./cluster/cluster_options.ts";
import type { WatchSettings } from "./watch_settings.ts";
import { checkLocality, refuseBlankLocality } from "./selection/locality.ts";
import { MAX_TIMER_DELAY_MS } from "./runtime/unref_timer.ts";
import { DEFAULT_STALL_TIMEOUT_MS } from "./watch/reflector.ts";

/** Every field of {@linkcode WatchSettings}, in the order a message lists them; the type makes the list whole. */
const WATCH_SETTINGS_OPTIONS: readonly string[] = Object.keys(
  {
    cluster: true,
    stallTimeoutMs: true,
    backoff: true,
    watchList: true,
    protobuf: true,
    locality: true,
  } satisfies Record<keyof WatchSettings, true>,
);

/**
 * Every option of an entry point, for {@linkcode checkOptionNames}: its own, then the watch settings it takes too. The
 * type makes the list whole: `own` must name each option of `Options` that is no watch setting.
 *
 * @param own The entry point's own options, each `true`.
 * @returns Their names, then those of the watch settings.
 *
 * @example The options of a watch loop
 * ```ts
 * import type { WatchSettings } from "./watch_settings.ts";
 * import { entryPointOptions } from "./check_watch_settings.ts";
 * const options = entryPointOptions<WatchSettings & { signal?: AbortSignal }>({ signal: true });
 * console.log(options[0], options.includes("backoff")); // signal true
 * ```
 */
export function entryPointOptions<Options extends WatchSettings>(
  own: Record<Exclude<keyof Options, keyof WatchSettings>, true>,
): readonly string[] {
  return [...Object.keys(own), ...WATCH_SETTINGS_OPTIONS];
}

/**
 * Throws naming the option when a watch setting cannot work: a `TypeError`
 * for a value of the wrong type (`null` included: an option left out, or
 * `undefined`, takes its default) or a field that `backoff` or `locality`
 * does not have; a `RangeError` for a `stallTimeoutMs` or `backoff` delay
 * that is not a number of milliseconds above 0 (0 would abort every request
 * at once, or retry without pause) and within what a timer can wait, or a
 * `backoff.initialMs` above `maxMs`. A `cluster` that is no options object (a
 * list, a `Map`, a `URL`, a string) is a `TypeError` too; a `ConfigError` for
 * `cluster` options that are unknown, of the wrong type or exclude each other.
 *
 * @param settings The caller's settings.
 * @throws {TypeError} Naming the first bad option and its value (a bad `cluster`'s type only: it may be a token).
 * @throws {RangeError} Naming a delay out of range and its value.
 * @throws {ConfigError} Naming a bad `cluster` option in its `field`.
 *
 * @example A backoff without pause is refused
 * ```ts
 * import { checkWatchSettings } from "./check_watch_settings.ts";
 * try {
 *   checkWatchSettings({ backoff: { initialMs: 0 } });
 * } catch (error) {
 *   console.log((error as Error).message); // Cannot use option 'backoff.initialMs': ...
 * }
 * ```
 */
export function checkWatchSettings(settings: WatchSettings): void {
  const { cluster } = settings as { cluster?: unknown };
  if (cluster !== undefined && !isOptionsObject(cluster)) {
    // A list or a class's instance (a Map, a URL) set no option: access went to KUBECONFIG's cluster without a word.
    // Its value is never quoted: a string there may be a token.
    throw new TypeError(
      "Cannot use option 'cluster': it must be an object of cluster options such as { kubeconfig, context }, " +
        `or left out for the default access: ${
          cluster === null ? currentValue(null) : `current type is ${typeName(cluster)}`
        }`,
    );
  }
  if (settings.cluster !== undefined) checkClusterOptions(settings.cluster);
  checkDelay("stallTimeoutMs", settings.stallTimeoutMs, DEFAULT_STALL_TIMEOUT_MS);
  const { backoff } = settings;
  if (backoff !== undefined) {
    if (!isOptionsObject(backoff as unknown)) {
      throw new TypeError(
        `Cannot use option 'backoff': it must be an object such as { initialMs: 1000, maxMs: 30000 }: ` +
          currentValue(backoff),
      );
    }
    checkFields("backoff", backoff, ["initialMs", "maxMs"]);
    checkDelay("backoff.initialMs", backoff.initialMs, DEFAULT_BACKOFF_INITIAL_MS);
    checkDelay("backoff.maxMs", backoff.maxMs, DEFAULT_BACKOFF_MAX_MS);
    const { initialMs, maxMs } = backoff;
    // The longest delay won, and the first one was never waited. (A lone maxMs below the default first delay caps
    // it, as meant.)
    if (typeof initialMs === "number" && initialMs > (maxMs ?? DEFAULT_BACKOFF_MAX_MS)) {
      throw new RangeError(
        `Cannot use option 'backoff': initialMs must be at most maxMs (default 30000): current values are ` +
          `initialMs ${initialMs} and maxMs ${maxMs ?? DEFAULT_BACKOFF_MAX_MS}`,
      );
    }
  }
  if (settings.locality !== undefined) {
    checkLocality(settings.locality);
    checkFields("locality", settings.locality, ["zone", "node"]);
    refuseBlankLocality(settings.locality);
  }
  const { watchList } = settings as { watchList?: unknown };
  if (watchList !== undefined && typeof watchList !== "boolean") {
    // Anything but false kept streaming lists on: "false" (from an environment variable, say) turned nothing off.
    throw new TypeError(
      `Cannot use option 'watchList': it must be true or false (default true; false lists and watches): ` +
        currentValue(watchList),
    );
  }
  const { protobuf } = settings as { protobuf?: unknown };
  if (protobuf !== undefined && typeof protobuf !== "boolean") {
    throw new TypeError(
      `Cannot use option 'protobuf': it must be true or false (default true; false reads JSON only): ` +
        currentValue(protobuf),
    );
  }
}

/**
 * Throws a `TypeError` when the options are no object (`null`, a string): each check after this one reads them as
 * one, and failed with a runtime's own words ("Cannot use 'in' operator"). Their value is never quoted: a string
 * there may be a token.
 *
 * @param options The caller's options, after the default `{}` for `undefined`.
 * @throws {TypeError} Saying what the options must be.
 *
 * @example Null options
 * ```ts
 * import { checkOptionsObject } from "./check_watch_settings.ts";
 * try {
 *   checkOptionsObject(null);
 * } catch (error) {
 *   console.log((error as Error).message); // Cannot use the options: they must be an object ...
 * }
 * ```
 */
export function checkOptionsObject(options: unknown): asserts options is object {
  if (isOptionsObject(options)) return;
  throw new TypeError(
    "Cannot use the options: they must be an object such as { cluster: { kubeconfig } }, or left out for the " +
      `defaults: current ${options === null ? "value is null" : `type is ${typeName(options)}`}`,
  );
}

/**
 * Throws a `TypeError` for an option that an entry point does not have, naming the one meant (see `nearestName()`),
 * or every option when none is close: a misspelt one (`subsetsize`, `sginal`) left its default without a word, and a
 * cluster option given beside `cluster` (`kubeconfig`) left access to KUBECONFIG or ~/.kube/config. Its value is
 * never quoted: a misplaced `token` holds a secret.
 *
 * @param options The caller's options.
 * @param known Every option the entry point has.
 * @param elsewhere Options the entry point does not have, with where they belong.
 * @throws {TypeError} Naming the first unknown option.
 *
 * @example A misspelt option, and one close to none
 * ```ts
 * import { checkOptionNames } from "./check_watch_settings.ts";
 * for (const options of [{ sginal: null }, { abort: null }]) {
 *   try {
 *     checkOptionNames(options, ["signal", "onError"]);
 *   } catch (error) {
 *     console.log((error as Error).message);
 *     // Cannot use option 'sginal': it is unknown: use signal
 *     // Cannot use option 'abort': it is unknown: use one of signal, onError
 *   }
 * }
 * ```
 */
export function checkOptionNames(
  options: object,
  known: readonly string[],
  elsewhere: Readonly<Record<string, string>> = {},
): void {
  // A key left undefined is no option: one object of settings may go to register() and watchEndpoints() alike.
  const unknown = Object.keys(options).find((key) =>
    !known.includes(key) && (options as Record<string, unknown>)[key] !== undefined
  );
  if (unknown === undefined) return;
  // The one meant may be an option of this entry point's, one that goes elsewhere, or a cluster option.
  const meant = nearestName(unknown, [...known, ...Object.keys(elsewhere), ...CLUSTER_OPTIONS]);
  throw new TypeError(
    `Cannot use option '${unknown}': it is unknown: ` +
      (meant === undefined
        ? `use one of ${known.join(", ")}`
        : known.includes(meant)
        ? `use ${meant}`
        : Object.hasOwn(elsewhere, meant)
        ? elsewhere[meant]
        : `it is a cluster option: pass it as cluster: { ${meant} }`),
  );
}

/**
 * Refuses a delay that is not a number of milliseconds a timer can wait, from 1: a `TypeError` for another type, a
 * `RangeError` for a number out of range (`NaN` and `Infinity` included).
 */
function checkDelay(option: string, value: unknown, defaultMs: number): void {
  if (value === undefined) return;
  if (typeof value === "number" && value > 0 && value <= MAX_TIMER_DELAY_MS) return;
  const ErrorClass = typeof value === "number" ? RangeError : TypeError;
  throw new ErrorClass(
    `Cannot use option '${option}': it must be a number of milliseconds above 0 and at most ${MAX_TIMER_DELAY_MS} ` +
      `(default ${defaultMs}): ${currentValue(value)}`,
  );
}

/**
 * Refuses a field that an option object does not have (`backoff: { initial: 100 }`, `locality: { nodeName }`):
 * it was ignored, and the option kept its default without a word.
 */
function checkFields(option: string, value: object, fields: readonly string[]): void {
  const unknown = unknownField(value, fields);
  if (unknown === undefined) return;
  throw new TypeError(
    `Cannot use option '${option}': it has no field ${JSON.stringify(unknown)}: use ${fields.join(" and ")}: ` +
      currentValue(value),
  );
}
