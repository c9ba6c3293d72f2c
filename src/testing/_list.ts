/**
 * EndpointSlice lists of the fake API server: which state a list shows
 * (`resourceVersion`, `resourceVersionMatch`, `continue`) and how it is cut
 * into pages (`limit`). Private to the fake API server.
 *
 * @module
 */

import { badRequest, expiredContinue, HttpError, invalidListOptions, tooLarge, tooOldStatus } from "./_api_status.ts";
import { decodeContinue, encodeContinue, parseResourceVersion, parseSelector, queryInt } from "./_request_options.ts";
import type { RvWaiters } from "./_rv_waiters.ts";
import type { SliceHistory } from "./_slice_history.ts";
import { byKey, keyOf } from "./_slice_input.ts";

/**
 * Answers a list request with an `EndpointSliceList`.
 *
 * @param history The storage.
 * @param waiters Waits for a future resourceVersion.
 * @param namespace The namespace, or undefined for all of them.
 * @param query The request's query parameters.
 * @returns The list body.
 * @throws {HttpError} For a request the real server refuses.
 */
export async function listSlices(
  history: SliceHistory,
  waiters: RvWaiters,
  namespace: string | undefined,
  query: Record<string, string>,
): Promise<Record<string, unknown>> {
  const selector = parseSelector(query);
  const limit = queryInt("limit", query.limit);
  const continueToken = query.continue ?? "";
  const rvParam = query.resourceVersion ?? "";
  const match = query.resourceVersionMatch ?? "";
  checkMatch(match, rvParam, continueToken);

  let snapshotRv = history.rv;
  let after = "";
  if (continueToken !== "") {
    if (rvParam !== "" && rvParam !== "0") {
      throw badRequest("specifying resource version is not allowed when using continue");
    }
    const position = decodeContinue(continueToken);
    if (position.rv > history.rv) {
      throw badRequest("continue key is not valid: resource version is in the future");
    }
    if (position.rv !== -1 && position.rv < history.compactedRv) {
      throw expiredContinue(encodeContinue({ rv: -1, start: position.start }));
    }
    snapshotRv = position.rv === -1 ? history.rv : position.rv;
    after = position.start;
  } else if (rvParam !== "" && rvParam !== "0") {
    const wanted = parseResourceVersion(rvParam);
    if (wanted > history.rv && !(await waiters.wait(wanted))) {
      throw tooLarge(wanted, history.rv);
    }
    if (match === "Exact") {
      if (wanted < history.compactedRv) {
        throw new HttpError(410, tooOldStatus(wanted, history.compactedRv));
      }
      snapshotRv = wanted;
    } else {
      snapshotRv = history.rv;
    }
  }

  const matching = [...history.stateAt(snapshotRv).values()]
    .filter((slice) =>
      (namespace === undefined || slice.metadata.namespace === namespace) &&
      keyOf(slice.metadata.namespace, slice.metadata.name) > after &&
      selector.matches(slice.metadata.labels)
    )
    .sort(byKey);
  const page = limit > 0 ? matching.slice(0, limit) : matching;
  const metadata: Record<string, unknown> = { resourceVersion: String(snapshotRv) };
  if (page.length < matching.length) {
    const last = page[page.length - 1];
    metadata.continue = encodeContinue({
      rv: snapshotRv,
      start: keyOf(last.metadata.namespace, last.metadata.name),
    });
    if (selector.empty) {
      metadata.remainingItemCount = matching.length - page.length;
    }
  }
  return {
    kind: "EndpointSliceList",
    apiVersion: "discovery.k8s.io/v1",
    metadata,
    // Like the real server's, list items carry no kind or apiVersion.
    items: page.map(({ kind: _kind, apiVersion: _apiVersion, ...item }) => item),
  };
}

/** The checks of `resourceVersionMatch` against the other list options. */
function checkMatch(match: string, rvParam: string, continueToken: string): void {
  if (match === "") return;
  if (rvParam === "") {
    throw invalidListOptions(
      "resourceVersionMatch",
      "resourceVersionMatch is forbidden unless resourceVersion is provided",
    );
  }
  if (continueToken !== "") {
    throw invalidListOptions("resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided");
  }
  if (match !== "Exact" && match !== "NotOlderThan") {
    throw invalidListOptions("resourceVersionMatch", `Unsupported value: ${JSON.stringify(match)}`);
  }
  if (match === "Exact" && rvParam === "0") {
    throw invalidListOptions(
      "resourceVersionMatch",
      'resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
    );
  }
}
