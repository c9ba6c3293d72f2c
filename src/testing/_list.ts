/**
 * Lists of the fake API server (of EndpointSlices, Services or Nodes): which state a list shows
 * (`resourceVersion`, `resourceVersionMatch`, `continue`) and how it is cut
 * into pages (`limit`). Private to the fake API server.
 *
 * @module
 */

import {
  badRequest,
  expiredContinue,
  type FieldError,
  forbiddenField,
  invalidListOptions,
  listTooOld,
  tooLarge,
  unsupportedValue,
} from "./_api_status.ts";
import { decodeContinue, encodeContinue, listResourceVersion, queryBool, readListOptions } from "./_request_options.ts";
import type { RvWaiters } from "./_rv_waiters.ts";
import type { ObjectHistory, StoredObject } from "./_object_history.ts";
import { byStoredKey, type ServedResource, storedKey } from "./_served_resources.ts";

/** Which state a list shows, from where, and whether `limit` cuts it into pages. */
interface ReadPoint {
  /** The resourceVersion of the state. */
  readonly rv: number;
  /** Only keys at or after this one, relative to the list's prefix (a continue token's position). */
  readonly from: string;
  /** The page size; 0 for one page with everything. */
  readonly limit: number;
}

/**
 * Answers a list request with a list of the resource (an `EndpointSliceList`, a `ServiceList`, a `NodeList`).
 *
 * @param resource What is listed.
 * @param waiters Waits for a future resourceVersion.
 * @param namespace The namespace, or undefined for all of them.
 * @param query The request's query parameters.
 * @returns The list body.
 * @throws {HttpError} For a request the real server refuses.
 */
export async function listObjects(
  resource: ServedResource,
  waiters: RvWaiters,
  namespace: string | undefined,
  query: Record<string, string>,
): Promise<Record<string, unknown>> {
  const { history } = resource;
  const { limit, selector } = readListOptions(query, resource.fields);
  const point = await readPoint(history, waiters, query, Math.max(limit, 0));
  // As the real store reads: a field selector's one namespace scopes a list of all namespaces, and its one name in
  // a namespace is the only key read, so no continue token points past keys that cannot match.
  const scope = namespace ?? selector.namespace;
  const only = scope !== undefined && selector.name !== undefined ? `${scope}/${selector.name}` : undefined;
  // The key below the list's prefix (a namespace's, or all namespaces'), which continue tokens carry.
  const relativeKey = ({ metadata }: StoredObject) => scope === undefined ? storedKey(metadata) : metadata.name;
  const keys = [...history.stateAt(point.rv).values()]
    .filter((object) => {
      const { metadata } = object;
      return (scope === undefined || metadata.namespace === scope) &&
        (only === undefined || storedKey(metadata) === only) && relativeKey(object) >= point.from;
    })
    .sort(byStoredKey);
  const selected = (object: StoredObject) => selector.matches(object.metadata.labels, resource.fieldValues(object));
  const { items, metadata } = page(keys, selected, selector.empty, point, relativeKey);
  return {
    kind: resource.listKind,
    apiVersion: resource.apiVersion,
    metadata,
    // Like the real server's, list items carry no kind or apiVersion.
    items: items.map(({ kind: _kind, apiVersion: _apiVersion, ...item }) => item),
  };
}

/**
 * Cuts one page as etcd does: keys are read in order until the page is full,
 * and a continue token follows whenever keys remain after the last one read,
 * matching or not, so a selected list can end with an empty page.
 */
function page(
  keys: StoredObject[],
  selected: (object: StoredObject) => boolean,
  unselected: boolean,
  point: ReadPoint,
  relativeKey: (object: StoredObject) => string,
) {
  const items: StoredObject[] = [];
  let next: number | undefined;
  for (let index = 0; index < keys.length; index++) {
    if (point.limit > 0 && items.length === point.limit) {
      next = index;
      break;
    }
    if (selected(keys[index])) items.push(keys[index]);
  }
  const metadata: Record<string, unknown> = { resourceVersion: String(point.rv) };
  if (next !== undefined) {
    // As the real server's: the next key after the last one sent, below the list's prefix.
    metadata.continue = encodeContinue({ rv: point.rv, start: `/${relativeKey(items[items.length - 1])}\0` });
    // Like the real server, only an unselected list knows how many items remain.
    if (unselected) metadata.remainingItemCount = keys.length - next;
  }
  return { items, metadata };
}

/**
 * The state a list reads, as the real server picks it: a continue token's
 * snapshot (a future one is waited for, as an exact read); the current state
 * for no resourceVersion or `NotOlderThan`; any state, in one page, for `0`;
 * and the exact (possibly old) state for `Exact`, or for a resourceVersion
 * with `limit`.
 */
async function readPoint(
  history: ObjectHistory<StoredObject>,
  waiters: RvWaiters,
  query: Record<string, string>,
  limit: number,
): Promise<ReadPoint> {
  const continueToken = query.continue ?? "";
  const rvParam = query.resourceVersion ?? "";
  const match = query.resourceVersionMatch ?? "";
  const invalid = listOptionErrors(query);
  if (invalid.length > 0) throw invalidListOptions(...invalid);
  if (continueToken !== "") {
    const position = decodeContinue(continueToken);
    if (rvParam !== "" && rvParam !== "0") {
      throw badRequest("specifying resource version is not allowed when using continue");
    }
    if (position.rv > history.rv && !(await waiters.wait(position.rv))) throw tooLarge(position.rv, history.rv);
    if (position.rv !== -1 && position.rv < history.compactedRv) {
      throw expiredContinue(encodeContinue({ rv: -1, start: position.start }));
    }
    // As the real server reads it, below the prefix of the list it is given to, whichever list issued it.
    const from = position.start.startsWith("/") ? position.start.slice(1) : position.start;
    return { rv: position.rv === -1 ? history.rv : position.rv, from, limit };
  }
  if (rvParam === "") return { rv: history.rv, from: "", limit };
  if (rvParam === "0") return { rv: history.rv, from: "", limit: 0 };
  const wanted = listResourceVersion(rvParam);
  if (wanted > history.rv && !(await waiters.wait(wanted))) throw tooLarge(wanted, history.rv);
  const exact = match === "Exact" || (match === "" && limit > 0);
  if (!exact) return { rv: history.rv, from: "", limit };
  if (wanted < history.compactedRv) throw listTooOld();
  return { rv: wanted, from: "", limit };
}

/**
 * What a list's options get wrong, every problem at once as the real server reports them:
 * `resourceVersionMatch` against the other options, and `sendInitialEvents`, which is for watches.
 */
function listOptionErrors(query: Record<string, string>): FieldError[] {
  const errors: FieldError[] = [];
  const match = query.resourceVersionMatch ?? "";
  const rvParam = query.resourceVersion ?? "";
  const field = "resourceVersionMatch";
  if (match !== "") {
    if (rvParam === "") {
      errors.push(forbiddenField(field, "resourceVersionMatch is forbidden unless resourceVersion is provided"));
    }
    if ((query.continue ?? "") !== "") {
      errors.push(forbiddenField(field, "resourceVersionMatch is forbidden when continue is provided"));
    }
    if (match !== "Exact" && match !== "NotOlderThan") {
      errors.push(unsupportedValue(field, match, ["Exact", "NotOlderThan", ""]));
    }
    if (match === "Exact" && rvParam === "0") {
      errors.push(forbiddenField(field, 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
    }
  }
  if (queryBool(query.sendInitialEvents) !== undefined) {
    errors.push(forbiddenField("sendInitialEvents", "sendInitialEvents is forbidden for list"));
  }
  return errors;
}
