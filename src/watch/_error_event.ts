/**
 * The failure that a watch's ERROR event stands for. Private to `watch/`.
 *
 * @module
 */

import { quote, statusFields } from "../api/api_errors.ts";
import type { EndpointSliceApi } from "../api/kube_api.ts";
import type { Status } from "../base/endpoint_slice.ts";
import { KubeApiError } from "../base/errors.ts";

/**
 * The error for an ERROR event of a watch. kube-apiserver sends one when its own watch of etcd fails (500), or when
 * the resume point is gone (410, relisted without a word: see `_retry.ts`).
 *
 * @param status The event's object.
 * @param api The API server's URL for the message, and how to keep credentials out of the server's words.
 * @returns The error, with the Status's code, reason and cause.
 */
export function errorEventFailure(status: Status, api: Pick<EndpointSliceApi, "server" | "redact">): KubeApiError {
  const said = typeof status.message === "string" && status.message
    ? ` (server said: ${quote(api.redact(status.message))})`
    : "";
  const code = typeof status.code === "number" ? ` (${status.code})` : "";
  return new KubeApiError(
    `Watch of EndpointSlices failed: the API server${api.server ? ` at ${api.server}` : ""} sent an ERROR ` +
      `event${code}: the watch restarts; if this repeats, check the API server's health and load (kubectl get ` +
      `--raw='/readyz?verbose')${said}`,
    statusFields(status, (text) => api.redact(text)),
  );
}
