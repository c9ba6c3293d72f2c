/**
 * Resolver options of one channel (nice-grpc's `createChannel(target, credentials, { resolver })`), not of every
 * channel of the scheme. grpc-js has one resolver class per scheme, but hands each resolver its channel's options
 * (`constructor(target, listener, channelOptions)`): the channel gets a private option,
 * {@linkcode CHANNEL_RESOLVER_OPTIONS}, whose value is an opaque id, and the resolver class looks the options up by
 * it.
 *
 * Equal options (compared as JSON, `grpc` aside) share one id, and the latest of them: grpc-js shares subchannels
 * only between channels with equal options, and the entries held stay as many as the distinct options of the
 * channels alive (one goes when the last channel that carries its id is garbage-collected). The value is an id, never
 * the options: grpc-js traces a channel's options, and these may hold a token.
 *
 * @module
 */

import { copyCheckedOptions, type RegisterOptions } from "./register_options.ts";

/** The private grpc-js channel option that names the channel's own resolver options. */
const CHANNEL_RESOLVER_OPTIONS = "kgr_resolver.channel_options";

interface Entry {
  id: string;
  options: RegisterOptions;
  /** Channels alive that carry the id. */
  channels: number;
}

/** The entries in use, by the options' JSON. */
const entries = new Map<string, Entry>();
/** The same entries, by id. */
const byId = new Map<string, Entry>();
let lastId = 0;
const collected = new FinalizationRegistry<string>((key) => {
  const entry = entries.get(key)!;
  if (--entry.channels > 0) return;
  entries.delete(key);
  byId.delete(entry.id);
});

/**
 * Creates a channel whose resolver uses `options` rather than those registered for the scheme.
 *
 * @param options The channel's resolver options, already checked.
 * @param create Creates the channel with the channel option it is given added to its own.
 * @returns The channel.
 *
 * @example A nice-grpc channel of its own cluster
 * ```ts ignore
 * import * as niceGrpc from "nice-grpc";
 * const channel = createWithResolverOptions({ cluster: { context: "test" } }, (option) =>
 *   niceGrpc.createChannel("kubernetes:///echo.prod:grpc", undefined, option));
 * ```
 */
export function createWithResolverOptions<T extends object>(
  options: RegisterOptions,
  create: (channelOption: Record<string, string>) => T,
): T {
  const key = optionsKey(options);
  // A copy: the channels use the options checked, whatever becomes of the caller's objects later. The newest copy
  // for equal options, as a new register() takes its own: a channel created after `kubectl config use-context`
  // resolves its kubeconfig again (cluster access is kept per options object), not an earlier channel's access.
  const copy = copyCheckedOptions(options);
  let entry = entries.get(key);
  if (entry === undefined) {
    entry = { id: String(++lastId), options: copy, channels: 0 };
    entries.set(key, entry);
    byId.set(entry.id, entry);
  } else {
    entry.options = copy;
  }
  let channel: T;
  entry.channels++;
  try {
    channel = create({ [CHANNEL_RESOLVER_OPTIONS]: entry.id });
  } catch (error) {
    if (--entry.channels === 0) {
      entries.delete(key);
      byId.delete(entry.id);
    }
    throw error;
  }
  collected.register(channel, key);
  return channel;
}

/**
 * The resolver options of the channel whose options these are.
 *
 * @param channelOptions The options grpc-js hands the resolver's constructor.
 * @returns The channel's own resolver options (the latest copy of those given for options equal to them), or
 * `undefined` for the scheme's.
 *
 * @example In the resolver's constructor
 * ```ts ignore
 * const options = channelResolverOptions(channelOptions) ?? registeredOptions;
 * ```
 */
export function channelResolverOptions(channelOptions: Record<string, unknown>): RegisterOptions | undefined {
  const id = channelOptions[CHANNEL_RESOLVER_OPTIONS];
  return typeof id === "string" ? byId.get(id)?.options : undefined;
}

/**
 * The options as JSON with sorted keys, `grpc` aside: the channel's copy of grpc-js resolves, whichever is named.
 * Values that JSON leaves out are none that the options take (they are checked first).
 */
function optionsKey({ grpc: _grpc, ...options }: RegisterOptions): string {
  return JSON.stringify(
    options,
    (_key, value) =>
      value !== null && typeof value === "object" && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : value,
  );
}
