/**
 * Resolver options of one grpc-js client or channel, rather than the
 * process-wide ones of `register()`: what nice-grpc users get from
 * `createChannel(target, credentials, { resolver })`.
 *
 * @module
 */

import { checkResolverOptions, isRegistered, lastRegisteredOptions, register } from "./grpc_js.ts";
import { createWithResolverOptions } from "./_channel_resolver_options.ts";
import type { RegisterOptions } from "./register_options.ts";
import { isOptionsObject, typeName } from "../base/_util.ts";

/**
 * Creates a grpc-js client or channel whose resolver uses `options` rather
 * than those of the last `register()`: tests that run at the same time in one
 * process, each against its own fake API server, and a client of another
 * cluster or context. `create` gets the channel options that carry them; pass
 * those (with any of your own) to `new grpc.Client()`, a generated client's
 * constructor or `new grpc.Channel()`, at once. The scheme (`options.scheme`,
 * `kubernetes` by default) is registered with that copy of grpc-js when it is
 * not yet, with the options of the last `register()`, else none; those stay
 * the ones of every client created without this function. The channel
 * options also turn grpc-js's proxy environment variables off
 * (`"grpc.enable_http_proxy": 0`), as `@kgr/resolver/nice-grpc` does: pod
 * addresses are never reached through an HTTP proxy, and grpc-js would send a
 * target with a port number or none to the proxy instead of this resolver.
 *
 * @param options Resolver options, as `register()` takes them: `grpc` (your grpc-js module), `cluster`, ...
 * @param create Creates the client or channel with the channel options it is given added to its own.
 * @returns What `create` returned.
 * @throws {TypeError} When `options` is no object (a function first: the arguments swapped), `create` is no function
 * or returns no object, or an option cannot work (see `register()`).
 * @throws {RangeError} When `subsetSize`, `subsetSeed`, `stallTimeoutMs` or a `backoff` delay is a number out of range.
 * @throws {ConfigError} When a `cluster` option is unknown, of the wrong type, or excludes another.
 *
 * @example A client of a test's own fake API server
 * ```ts ignore
 * import * as grpc from "@grpc/grpc-js";
 * import { withResolverOptions } from "@kgr/resolver";
 * import { startFakeApiServer } from "@kgr/resolver/testing";
 *
 * await using api = await startFakeApiServer();
 * const client = withResolverOptions({ grpc, cluster: { kubeconfig: api.kubeconfig({ namespace: "shop" }) } }, (
 *   channelOptions,
 * ) => new grpc.Client("kubernetes:///cart:grpc", grpc.credentials.createInsecure(), channelOptions));
 * ```
 */
export function withResolverOptions<Created extends object>(
  options: RegisterOptions,
  create: (channelOptions: Record<string, string | number>) => Created,
): Created {
  checkOptionsFirst(options);
  const { scheme, grpc } = checkResolverOptions(options);
  if (typeof create !== "function") {
    throw new TypeError(
      "Cannot create the client: the second argument must be a function that creates it with the channel options " +
        "it is given ((channelOptions) => new grpc.Client(target, credentials, channelOptions)): current type is " +
        typeName(create),
    );
  }
  // Registered without these options, so that they never become another client's (register()'s are kept).
  if (!isRegistered(grpc, scheme)) register({ ...lastRegisteredOptions(scheme), scheme, grpc });
  return createWithResolverOptions({ ...options, scheme, grpc }, (resolverOption) => {
    const created = create({ "grpc.enable_http_proxy": 0, ...resolverOption });
    if (created === null || (typeof created !== "object" && typeof created !== "function")) {
      throw new TypeError(
        "Cannot create the client: the function must return the client or channel it created with the channel " +
          `options it was given (an arrow function with braces needs a return): current ${
            created === null ? "value is null" : `type is ${typeName(created)}`
          }`,
      );
    }
    return created;
  });
}

/**
 * Throws unless the first argument is an options object: unlike `register()`'s, it cannot be left out, and a function
 * there is the create function given first.
 */
function checkOptionsFirst(options: unknown): void {
  if (isOptionsObject(options)) return;
  const swapped = typeof options === "function"
    ? "; the arguments look swapped: the options come first, then the function"
    : "";
  throw new TypeError(
    "Cannot create the client: the first argument must be the resolver options, such as { grpc, cluster: " +
      `{ kubeconfig } }, or {} for the defaults${swapped}: current ${
        options === null ? "value is null" : `type is ${typeName(options)}`
      }`,
  );
}
