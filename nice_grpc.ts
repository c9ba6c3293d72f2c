/**
 * `createChannel` for nice-grpc: a channel to a Kubernetes Service that
 * balances over every ready pod.
 *
 * @example
 * ```ts ignore
 * import { createChannel } from "@kgr/resolver/nice-grpc";
 * const channel = createChannel("kubernetes:///echo.prod:grpc");
 * ```
 *
 * @module
 */

export { createChannel } from "./src/adapters/nice_grpc.ts";
export type { CreateChannelOptions } from "./src/adapters/nice_grpc.ts";
