/**
 * What the CLI says when `--timeout` comes first: while the watch waits out a failed request, or while the
 * credentials are being obtained.
 *
 * @module
 */

import { KubeApiError, type ResolverError } from "../base/errors.ts";
import type { Credentials } from "../cluster/types.ts";
import { READING_ACCESS } from "./stopped_by.ts";

/**
 * What `--timeout` says when it comes while the watch waits out a failed request: the failure, and, for one that
 * asked to wait (a 429 of priority and fairness), how long, since the server did answer.
 *
 * @param failure The failure of the last request (`ServiceView.lastFailure`).
 * @returns The failure's message and what to do.
 *
 * @example
 * ```ts
 * import { KubeApiError } from "../base/errors.ts";
 * import { lateAnswerAdvice } from "./timeout_advice.ts";
 * console.log(lateAnswerAdvice(new KubeApiError("answered 429", { status: 429, retryAfterSeconds: 60 })));
 * ```
 */
export function lateAnswerAdvice(failure: ResolverError): string {
  const wait = failure instanceof KubeApiError ? failure.retryAfterSeconds : undefined;
  return wait === undefined || wait === 0
    ? `${failure.message}; raise --timeout to see whether it passes`
    : `${failure.message}; it asked to wait ${wait} s (Retry-After): raise --timeout above that, or check the API ` +
      "server's load";
}

/**
 * What to do about credentials that did not come within `--timeout`: an exec plugin's run (one that waits for a
 * browser or a prompt), or else the read of a token file (on a mount that does not answer).
 *
 * @param credentials The cluster access's credentials.
 * @returns The advice.
 *
 * @example
 * ```ts
 * import { slowCredentialsAdvice } from "./timeout_advice.ts";
 * console.log(slowCredentialsAdvice({ timeLimitMs: 60_000, authorization: async () => undefined, invalidate() {} }));
 * ```
 */
export function slowCredentialsAdvice(credentials: Credentials): string {
  return credentials.timeLimitMs !== undefined
    ? "run its exec plugin by hand to see why, or raise --timeout"
    : "check that its token file can be read (a file on a mount that does not answer hangs the read)";
}

/**
 * What `--timeout` says when it comes before the cluster's access was read: a kubeconfig, a file it names or a pod's
 * service account file whose read has not ended (a pipe that nothing writes, a mount that hangs).
 *
 * @param timeoutSeconds The `--timeout` that came.
 * @returns What took longer, and what to check.
 *
 * @example
 * ```ts
 * import { slowAccessAdvice } from "./timeout_advice.ts";
 *
 * console.log(slowAccessAdvice(30)); // "no cluster access within 30 s: reading where the cluster is and how to log in (a kubeconfig ..."
 * ```
 */
export function slowAccessAdvice(timeoutSeconds: number): string {
  return `no cluster access within ${timeoutSeconds} s: ${READING_ACCESS} (a kubeconfig and the files it names, or a ` +
    "pod's service account files) took longer; check that those files can be read (not a pipe that nothing writes, " +
    "nor a mount that hangs), or raise --timeout";
}
