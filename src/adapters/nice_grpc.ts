/**
 * The `nice-grpc` adapter: `createChannel` that registers the resolver with
 * the copy of `@grpc/grpc-js` that nice-grpc itself uses.
 *
 * @module
 */

import * as peerGrpc from "@grpc/grpc-js";
import * as niceGrpc from "nice-grpc";
import { ResolverError, TargetError } from "../base/errors.ts";
import { parseTarget } from "../base/target.ts";
import { checkResolverOptions, isRegistered, lastRegisteredOptions, register } from "./grpc_js.ts";
import { createWithResolverOptions } from "./_channel_resolver_options.ts";
import {
  type GrpcModule,
  isGrpcJsScheme,
  REGISTER_OPTIONS,
  type RegisterOptions,
  WATCH_ONLY_OPTION_ADVICE,
} from "./register_options.ts";
import { CLUSTER_OPTIONS } from "../cluster/cluster_options.ts";
import { checkOptionNames, checkOptionsObject } from "../check_watch_settings.ts";
import { currentValue, isOptionsObject, typeName } from "../base/_util.ts";
import { nearestName } from "../base/_nearest_name.ts";
import { copiesCommand, oneCopyAdvice } from "./_one_copy_advice.ts";
import { niceGrpcRange } from "./_nice_grpc_range.ts";
// Not a named import: ESM bundles often begin with their own `createRequire` import, and the two would clash.
import * as nodeModule from "node:module";
import process from "node:process";

/** The protocols nice-grpc's own `createChannel` strips before dialing the rest by DNS. */
const NICE_GRPC_PROTOCOLS: ReadonlySet<string> = new Set(["http", "https"]);

/**
 * Options of {@linkcode createChannel}: the resolver's own under `resolver`,
 * and any grpc-js channel option (`grpc.keepalive_time_ms`,
 * `grpc.service_config`, ...), typed as nice-grpc's `createChannel` types
 * them and passed to it as given; one given as `undefined` is left out.
 */
export type CreateChannelOptions =
  & { [Option in keyof niceGrpc.ChannelOptions]?: niceGrpc.ChannelOptions[Option] | undefined }
  & {
    /** Resolver options (cluster access, load balancing, ...); `scheme` comes from the target. */
    resolver?: Omit<RegisterOptions, "scheme"> | undefined;
  };

/**
 * Creates a nice-grpc channel to a Kubernetes Service. The resolver is
 * registered with nice-grpc's copy of grpc-js when the scheme is not
 * registered there yet (with the options of the last `register()`, given
 * the app's copy when nice-grpc uses another, else none: an earlier
 * `register()` with the same copy is kept). `options.resolver` applies to this channel only;
 * channels without it use those of `register()`. Proxy environment variables are
 * ignored for this channel unless `grpc.enable_http_proxy` is set, because
 * pod addresses are never reached through an HTTP proxy.
 *
 * @param target A target such as `kubernetes:///echo.prod:grpc`.
 * @param credentials Channel credentials of nice-grpc's grpc-js copy (`ChannelCredentials.createSsl()`, ...); default insecure.
 * @param options Channel options, and `resolver` for the resolver's own.
 * @returns The channel (grpc-js's `Channel`), for nice-grpc's `createClient`.
 * @throws {TargetError} When the target cannot be parsed, or is no Kubernetes target (`dns:`, `unix:`, `http://`,
 * ..., which nice-grpc's own `createChannel` dials).
 * @throws {TypeError} When the credentials were made by another copy of grpc-js than nice-grpc's, an option in
 * `options.resolver` cannot work, naming it (see `register()`), a resolver
 * option is given beside the channel options instead of under `resolver`, `resolver` is misspelt (`Resolver`,
 * `resolvers`), the options come second, where the credentials go, or `resolver.grpc` is another copy of grpc-js than
 * nice-grpc's.
 * @throws {RangeError} When `subsetSize`, `subsetSeed`, `stallTimeoutMs`, a `backoff` delay or the
 * `failoverTimeoutMs` of a `kubernetes_round_robin` config in `options.resolver` is a number out of range.
 * @throws {ConfigError} When an `options.resolver.cluster` option is unknown, of the wrong type, or excludes another.
 * @throws {ResolverError} When nice-grpc uses another copy of `@grpc/grpc-js` than this package and that copy cannot
 * be found (a bundle that holds nice-grpc without it): the message says how to leave one copy.
 *
 * @example A nice-grpc client over every pod
 * ```ts ignore
 * import { createClient } from "nice-grpc";
 * import { createChannel } from "@kgr/resolver/nice-grpc";
 * import { EchoDefinition } from "./gen/echo.ts"; // your generated service definition
 *
 * const channel = createChannel("kubernetes:///echo.prod:grpc");
 * const client = createClient(EchoDefinition, channel);
 * ```
 */
export function createChannel(
  target: string,
  credentials?: niceGrpc.ChannelCredentials,
  options: CreateChannelOptions = {},
): niceGrpc.Channel {
  checkCredentials(credentials);
  checkOptionsObject(options);
  const { resolver, ...channelOptions } = options;
  checkChannelOptionNames(channelOptions);
  if (resolver !== undefined && !isOptionsObject(resolver)) {
    throw new TypeError(
      "Cannot use option 'resolver': it must be an object of resolver options such as { cluster: { kubeconfig } }, " +
        `or left out for the defaults: ${
          resolver === null ? currentValue(null) : `current type is ${typeName(resolver)}`
        }`,
    );
  }
  if ((resolver as { scheme?: unknown } | undefined)?.scheme !== undefined) {
    // It was overridden by the target's scheme without a word.
    throw new TypeError(
      "Cannot use option 'scheme' in resolver: createChannel() takes the scheme from the target: write it there " +
        '("k8s:///echo.prod:grpc" registers k8s) and leave resolver.scheme out',
    );
  }
  if (resolver !== undefined) checkOptionNames(resolver, RESOLVER_OPTIONS, WATCH_ONLY_OPTION_ADVICE);
  const written = /^([^:/]+):/.exec(target)?.[1];
  if (written !== undefined && (isGrpcJsScheme(written) || NICE_GRPC_PROTOCOLS.has(written))) {
    // Registering ours under grpc-js's scheme would take over every channel of it; nice-grpc dials http(s):// by DNS.
    throw new TargetError(
      target,
      `scheme ${JSON.stringify(written)} is not a Kubernetes target: ${
        isGrpcJsScheme(written) ? "grpc-js resolves it itself" : "nice-grpc dials it by DNS"
      }; use nice-grpc's own createChannel() for it, and "kubernetes:///svc.ns:port" for a Service`,
    );
  }
  const { scheme } = parseTarget(target);
  // A null grpc is left to the checks, which refuse it.
  const grpc = resolver?.grpc === undefined ? niceGrpcsOwnGrpc() : resolver.grpc;
  const own = resolver === undefined ? undefined : { ...resolver, scheme, grpc };
  if (own !== undefined) {
    checkResolverOptions(own);
    checkNiceGrpcsCopy(grpc, scheme);
  }
  // Registered without this channel's options, so that they never become another's (register()'s are kept). When
  // nice-grpc's copy of grpc-js is not the app's, register() gave the app's copy its options: they hold here too, as
  // the README promises, rather than the defaults (KUBECONFIG's cluster, perhaps another one) without a word.
  if (!isRegistered(grpc, scheme)) register({ ...lastRegisteredOptions(scheme), scheme, grpc });
  // One given as undefined is left out, as every option's is: grpc-js took `"grpc.enable_http_proxy": undefined` for
  // on, and counts any key in the options (`'grpc.keepalive_time_ms' in options`).
  const given = Object.entries(channelOptions).filter(([, value]) => value !== undefined);
  const create = (resolverOption: Record<string, string>) =>
    niceGrpc.createChannel(target, credentials, {
      "grpc.enable_http_proxy": 0,
      ...Object.fromEntries(given),
      ...resolverOption,
    });
  return own === undefined ? create({}) : createWithResolverOptions(own, create);
}

/**
 * Refuses a `resolver.grpc` that is not the copy of grpc-js nice-grpc creates channels with: the resolver went to that
 * copy's registry, the channel never found it, and grpc-js resolved the target by DNS. The copies' `Channel` classes
 * tell them apart, as in {@linkcode niceGrpcsOwnGrpc}; a module that spreads the right copy passes.
 */
function checkNiceGrpcsCopy(grpc: GrpcModule, scheme: string): void {
  if ((grpc as { Channel?: unknown }).Channel === niceGrpc.Channel) return;
  throw new TypeError(
    "Cannot use option 'grpc' in resolver: it is another copy of @grpc/grpc-js than the one nice-grpc creates " +
      "channels with, and a channel looks its scheme up in its own copy's registry (grpc-js would resolve the " +
      `target by DNS: "Name resolution failed for target dns:${scheme}:///..."): leave resolver.grpc out, and ` +
      "createChannel() registers with nice-grpc's copy (with the options of your copy's register())",
  );
}

/** The options `resolver` takes: `register()`'s but `scheme`, which comes from the target. */
const RESOLVER_OPTIONS = REGISTER_OPTIONS.filter((name) => name !== "scheme");

/**
 * Refuses the options given in the place of the credentials, what makes credentials (the class, grpc-js's
 * `credentials`), and what is no object (a credentials factory not called, `"insecure"`), which grpc-js reports as
 * `credentials?._isSecure is not a function`, and credentials of another copy of grpc-js than nice-grpc's (the app's
 * `grpc.credentials`, when npm gave nice-grpc a copy of its own), which grpc-js reports as `Channel credentials must be
 * a ChannelCredentials object`, naming neither copy.
 * Credentials are class instances, never plain objects; nice-grpc takes `null` as none.
 */
function checkCredentials(credentials: unknown): void {
  if (credentials === undefined || credentials === null) return;
  if (makesCredentials(credentials)) {
    const what = typeof credentials === "function"
      ? "the ChannelCredentials class"
      : "an object of credentials factories";
    throw new TypeError(
      `Cannot create the channel: its second argument must be channel credentials, not ${what}: call its ` +
        "createInsecure() or createSsl() (ChannelCredentials.createInsecure(), grpc.credentials.createSsl(...)), or " +
        "pass undefined for insecure",
    );
  }
  if (typeof credentials === "function") {
    // A bound factory's name is "bound createInsecure".
    const name = credentials.name.replace(/^bound /, "");
    throw new TypeError(
      "Cannot create the channel: its second argument must be channel credentials, not the function that makes " +
        `them: call it${name === "" ? "" : ` (${name}(), not ${name})`}, or pass undefined for insecure`,
    );
  }
  if (typeof credentials !== "object") {
    throw new TypeError(
      "Cannot create the channel: its second argument must be channel credentials, such as nice-grpc's " +
        "ChannelCredentials.createInsecure() or createSsl(), or undefined for insecure: current type is " +
        typeof credentials,
    );
  }
  const prototype = Object.getPrototypeOf(credentials);
  if (prototype !== Object.prototype && prototype !== null) {
    if (isOtherCopysCredentials(credentials)) {
      throw new TypeError(
        "Cannot create the channel: its credentials were made by another copy of @grpc/grpc-js than the one " +
          "nice-grpc uses, and grpc-js takes only its own copy's: make them with nice-grpc's ChannelCredentials " +
          '(import { ChannelCredentials } from "nice-grpc"; ChannelCredentials.createInsecure(), createSsl(...)), ' +
          `or ${acceptedGrpcAdvice()}`,
      );
    }
    return;
  }
  throw new TypeError(
    "Cannot create the channel: its second argument must be channel credentials (or undefined for insecure), " +
      "and options come third: createChannel(target, undefined, { resolver: { ... } })",
  );
}

/**
 * Whether `value` makes credentials rather than being some: the `ChannelCredentials` class, or grpc-js's
 * `credentials` namespace, both of which have a `createInsecure()`.
 */
function makesCredentials(value: unknown): boolean {
  return (typeof value === "function" || typeof value === "object") &&
    typeof (value as { createInsecure?: unknown }).createInsecure === "function";
}

/** Whether credentials are grpc-js channel credentials (they have `_isSecure()`), but not of nice-grpc's copy. */
function isOtherCopysCredentials(credentials: object): boolean {
  if (credentials instanceof niceGrpc.ChannelCredentials) return false;
  return typeof (credentials as { _isSecure?: unknown })._isSecure === "function";
}

/**
 * Refuses a resolver or cluster option given among the channel options, where grpc-js would ignore it without a
 * word: `{ subsetSize: 10 }` left every pod in use, and `{ cluster }` access to KUBECONFIG or ~/.kube/config; one
 * in another case or with separators too (`subset_size`), and a misspelt `resolver` without a dot. Other keys are
 * channel options, custom ones included. Values are never quoted: a misplaced `token` holds a secret.
 */
function checkChannelOptionNames(channelOptions: Record<string, unknown>): void {
  for (const key of Object.keys(channelOptions)) {
    if (isMisspeltResolverKey(key)) {
      throw new TypeError(
        `Cannot use option '${key}' beside the channel options: resolver options go under 'resolver', spelt so: ` +
          "pass { resolver: { cluster: { ... }, subsetSize, ... } } (grpc-js's own channel options have a dot in " +
          'their name, such as "grpc.keepalive_time_ms")',
      );
    }
    // Spelt with another case or separators too (subset_size, kubeConfig); near names are left alone, as custom
    // channel options may have them (keys, servers).
    const meant = [...REGISTER_OPTIONS, ...CLUSTER_OPTIONS].find((name) => loosely(name) === loosely(key));
    if (meant === undefined) continue;
    if (meant === "scheme") {
      throw new TypeError(
        `Cannot use option '${key}' beside the channel options: the resolver's scheme is the target's ` +
          "(kubernetes:///...), and createChannel() takes no other",
      );
    }
    throw new TypeError(
      `Cannot use option '${key}' beside the channel options: it is the resolver's ${meant}: pass it as ` +
        (REGISTER_OPTIONS.includes(meant) ? `{ resolver: { ${meant} } }` : `{ resolver: { cluster: { ${meant} } } }`),
    );
  }
}

/**
 * Whether a channel option key is `resolver` misspelt (`Resolver`, `resolvers`, `resolve`, `resolverOptions`): grpc-js
 * took it for a custom channel option, and the resolver options in it were dropped without a word (the channel went
 * to KUBECONFIG's cluster). Only a key without a dot is one: grpc-js's own channel options all have one (`grpc.*`,
 * `grpc-node.*`), and custom ones mostly do too (`kgr_resolver.channel_options`). Of the keys without a dot, only
 * those close to `resolver` (as `nearestName()` judges: case aside, at most two edits) or starting with it are
 * refused, rather than every one: grpc-js passes any custom key on to resolvers and policies, dotted or not, and a
 * custom option named so close to ours is far less likely than a slip.
 */
function isMisspeltResolverKey(key: string): boolean {
  if (key.includes(".")) return false;
  return nearestName(key, ["resolver"]) !== undefined || key.toLowerCase().startsWith("resolver");
}

/** A name in lower case without `_` and `-`, to compare spellings. */
function loosely(name: string): string {
  return name.toLowerCase().replace(/[_-]/g, "");
}

/**
 * Where nice-grpc may have been found, to look its copy of grpc-js up from: this module's URL, as installed or bundled
 * as an ES module, then the program's entry file, the bundle that `node bundle.cjs` runs, for CommonJS bundles, whose
 * import.meta.url is left empty (esbuild) or is the path where the bundle was built (`bun build`), not where it runs.
 */
function niceGrpcLookupBases(): string[] {
  // import.meta.url, not import.meta.resolve: bundlers rewrite the former in CommonJS output, and `bun build` leaves
  // the latter there, a syntax error.
  return [import.meta.url, process.argv[1]].filter((base) => typeof base === "string" && base !== "");
}

/**
 * How to leave one copy of grpc-js that nice-grpc accepts: the range its package.json asks for, when it can be read,
 * the command that shows the copies, and the package manager's commands that leave one.
 */
function acceptedGrpcAdvice(): string {
  const asked = niceGrpcRange(niceGrpcLookupBases());
  const which = asked === undefined
    ? "a version of @grpc/grpc-js that nice-grpc accepts"
    : `@grpc/grpc-js ${asked.range}, the range nice-grpc ${asked.version} asks for in its package.json`;
  return `install ${which} (${copiesCommand(import.meta.url)} shows each copy and what brings it), and ` +
    oneCopyAdvice(import.meta.url);
}

/** The copy of grpc-js that nice-grpc imports: ours when deduplicated, else the one beside nice-grpc. */
function niceGrpcsOwnGrpc(): GrpcModule {
  if ((niceGrpc.Channel as unknown) === peerGrpc.Channel) return peerGrpc as unknown as GrpcModule;
  for (const base of niceGrpcLookupBases()) {
    try {
      const niceGrpcPath = nodeModule.createRequire(base).resolve("nice-grpc");
      const beside = nodeModule.createRequire(niceGrpcPath)("@grpc/grpc-js");
      if (beside.Channel === niceGrpc.Channel) return beside;
    } catch {
      // Not resolvable from there (e.g. a Deno npm: specifier, or a bundle that holds nice-grpc); try the next.
    }
  }
  throw new ResolverError(
    "Cannot register the resolver with nice-grpc: it uses another copy of @grpc/grpc-js than @kgr/resolver; " +
      `${acceptedGrpcAdvice()} (a bundle must hold one: bundle nice-grpc and @grpc/grpc-js together, ` +
      "or leave both external), or pass nice-grpc's copy in " +
      "createChannel()'s options as resolver.grpc",
  );
}
