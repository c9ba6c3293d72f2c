/**
 * The `nice-grpc` adapter: `createChannel` that registers the resolver with
 * the copy of `@grpc/grpc-js` that nice-grpc itself uses.
 *
 * @module
 */

import * as peerGrpc from "@grpc/grpc-js";
import * as niceGrpc from "nice-grpc";
import { ResolverError } from "../errors.ts";
import { parseTarget } from "../target.ts";
import { type GrpcModule, register, type RegisterOptions } from "./grpc_js.ts";

/** Options of {@linkcode createChannel}: grpc-js channel options plus the resolver's. */
export type CreateChannelOptions = niceGrpc.ChannelOptions & {
  /** Resolver options (cluster access, load balancing, ...); `scheme` comes from the target. */
  resolver?: Omit<RegisterOptions, "scheme">;
};

/**
 * Creates a nice-grpc channel to a Kubernetes Service. Proxy environment
 * variables are ignored for this channel unless `grpc.enable_http_proxy` is
 * set, because pod addresses are never reached through an HTTP proxy.
 *
 * @param target A target such as `kubernetes:///echo.prod:grpc`.
 * @param credentials Channel credentials; default insecure.
 * @param options Channel options, and `resolver` for the resolver's own.
 * @returns The channel.
 * @throws {TargetError} When the target cannot be parsed.
 *
 * @example A nice-grpc client over every pod
 * ```ts ignore
 * import { createClient } from "nice-grpc";
 * import { createChannel } from "@kgr/resolver/nice-grpc";
 * const channel = createChannel("kubernetes:///echo.prod:grpc");
 * const client = createClient(EchoDefinition, channel);
 * ```
 */
export function createChannel(
  target: string,
  credentials?: niceGrpc.ChannelCredentials,
  options: CreateChannelOptions = {},
): niceGrpc.Channel {
  const { resolver, ...channelOptions } = options;
  const { scheme } = parseTarget(target);
  register({ ...resolver, scheme, grpc: resolver?.grpc ?? niceGrpcsOwnGrpc() });
  return niceGrpc.createChannel(target, credentials, { "grpc.enable_http_proxy": 0, ...channelOptions });
}

function niceGrpcsOwnGrpc(): GrpcModule {
  if ((niceGrpc.Channel as unknown) === peerGrpc.Channel) return peerGrpc as unknown as GrpcModule;
  throw new ResolverError(
    "Cannot register the resolver with nice-grpc: it uses another copy of @grpc/grpc-js than @kgr/resolver; " +
      "deduplicate them (npm dedupe) or pass that copy as options.resolver.grpc",
  );
}
