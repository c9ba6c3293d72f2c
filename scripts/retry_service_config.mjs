/**
 * The service config that the measuring scripts give a channel with `RETRY=1`: `policy`, and a `retryPolicy` that
 * retries `UNAVAILABLE` (the README's advice for calls refused by a pod that is stopping). Shared by
 * `graceful_stops.mjs` and `max_connection_age.mjs`.
 *
 * @module
 */

/**
 * The `grpc.service_config` channel option's value: load balancing by `policy`, and with `retry`, up to 3 attempts of
 * a call that failed with `UNAVAILABLE`.
 *
 * @param {string} policy The load-balancing policy's name (`kubernetes_round_robin`, `round_robin`).
 * @param {boolean} retry Whether calls are retried.
 * @returns {string} The service config, as JSON.
 *
 * @example
 * ```js
 * import { retryServiceConfig } from "./retry_service_config.mjs";
 * const options = { "grpc.service_config": retryServiceConfig("round_robin", true) };
 * ```
 */
export function retryServiceConfig(policy, retry) {
  const retryPolicy = {
    maxAttempts: 3,
    initialBackoff: "0.1s",
    maxBackoff: "1s",
    backoffMultiplier: 2,
    retryableStatusCodes: ["UNAVAILABLE"],
  };
  return JSON.stringify({
    loadBalancingConfig: [{ [policy]: {} }],
    ...(retry ? { methodConfig: [{ name: [{}], retryPolicy }] } : {}),
  });
}
