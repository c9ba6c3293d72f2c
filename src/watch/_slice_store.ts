/**
 * The reflector's store: the slices of one Service by name and the resourceVersion they reflect, the watch events
 * kept unparsed until someone reads them (see `_unparsed_events.ts`), and the state a streaming list collects until
 * its initial events end. Each event checked and applied as client-go's reflector maps a watch event to one store
 * call; the reflector's loop decides when to list, watch and publish. Private to `watch/`.
 *
 * @module
 */

import type { EndpointSlice, Status, WatchEvent } from "../base/endpoint_slice.ts";
import { KubeApiError } from "../base/errors.ts";
import { NOT_THE_API_SERVER, quote } from "../api/api_errors.ts";
import type { EndpointSliceApi } from "../api/kube_api.ts";
import type { TraceSink } from "../runtime/trace.ts";
import { errorEventFailure } from "./_error_event.ts";
import { checkMetadata, checkSlice } from "./_slice_check.ts";
import { type UnparsedEvent, unparsedEvents } from "./_unparsed_events.ts";

/**
 * The slices of one Service by name, and the resourceVersion they reflect.
 * Read them when needed, not on every `onState`: the events of a burst that
 * nobody read in between are parsed only once read, and only the last one
 * of each slice.
 */
export interface SliceState {
  /** Slices by name. */
  readonly slices: ReadonlyMap<string, EndpointSlice>;
  /** The last resourceVersion seen. */
  readonly resourceVersion: string;
}

/** The annotation of the BOOKMARK that ends a streaming list's initial events. */
export const INITIAL_EVENTS_END = "k8s.io/initial-events-end";

/** A reflector's store; see {@linkcode sliceStore}. */
export interface SliceStore {
  /** The slices as applied so far, without the events kept unparsed: the reflector's own view. */
  readonly slices: ReadonlyMap<string, EndpointSlice>;
  /** The last resourceVersion applied. */
  readonly resourceVersion: string;
  /** The consumer's view: reading it applies the events kept unparsed first (a bad one ends the watch instead). */
  readonly state: SliceState;
  /**
   * Whether a streaming list's initial events are being collected into a state of their own: from
   * `beginInitialEvents()` until they end (in `collect`) or `dropInitialEvents()`.
   */
  readonly collecting: boolean;
  /** A streaming list was requested: its events are collected (`collect`), never published before they end. */
  beginInitialEvents(): void;
  /** The streaming list failed before its initial events ended: the state they collected is dropped. */
  dropInitialEvents(): void;
  /**
   * A watch was answered: a failure found while applying its unparsed lines for a reader of the state ends it with
   * `fail`, until `endWatch()`; after that, such a failure only leaves the lines unapplied.
   */
  beginWatch(fail: (error: Error) => void): void;
  /** The watch ended: see `beginWatch()`. */
  endWatch(): void;
  /** Keeps the line of a slice's event unparsed, in place of the one the slice had kept. */
  keep(event: UnparsedEvent): void;
  /** Applies the unparsed lines; a bad one throws, after those before it applied (see `_unparsed_events.ts`). */
  applyUnparsed(): void;
  /** {@linkcode SliceStore.applyUnparsed} for a reader of the state: a failure ends the watch instead, which is retried. */
  applyUnparsedForReader(): void;
  /** Throws for an ERROR event, and for an object without the shape selection relies on (`WatchCodec.shaped`). */
  check(event: WatchEvent, shaped: boolean): void;
  /** Applies a checked event to the state; says whether a slice changed. */
  change(event: WatchEvent): boolean;
  /**
   * Applies a checked event of a streaming list before its initial events ended to the state being collected; says
   * whether it ended them: the collected state is then the state, and `collecting` is false.
   */
  collect(event: WatchEvent): boolean;
  /** Makes a LIST's slices, checked, the state. */
  adopt(items: readonly EndpointSlice[], resourceVersion: string): void;
}

/**
 * Creates an empty store for the slices that `api` lists and watches.
 *
 * @param api Where the slices come from: its `redact` hides secrets in parse errors, its server names failures.
 * @param trace Where ignored events are told.
 * @returns The store.
 */
export function sliceStore(api: EndpointSliceApi, trace: TraceSink): SliceStore {
  const slices = new Map<string, EndpointSlice>();
  let resourceVersion = "";
  // Watch events of slices not parsed yet: they follow the state in `slices` and apply when someone reads it.
  const unparsed = unparsedEvents();
  // The state a streaming list collects, from its request until its initial events end.
  let initial: Map<string, EndpointSlice> | undefined;
  /** Sets the state being collected, and `collecting`: a field, which the reflector reads on every line. */
  function collectInto(state: Map<string, EndpointSlice> | undefined): void {
    initial = state;
    store.collecting = state !== undefined;
  }
  // Ends the current watch with a failure found for a reader: from `beginWatch()` until `endWatch()`.
  let failWatch: ((error: Error) => void) | undefined;

  /** Parses and checks an unparsed line; throws when it is bad. */
  function parseUnparsed({ name, type, line, codec }: UnparsedEvent): WatchEvent {
    const event = codec.parse(line, api.redact);
    check(event, codec.shaped);
    if (event.type !== type || (event.object as EndpointSlice).metadata.name !== name) {
      throw new KubeApiError(
        "Cannot use a watch event from the API server: its line starts with another type or name than " +
          `its object has: if this repeats, ${NOT_THE_API_SERVER}`,
      );
    }
    return event;
  }

  function applyUnparsed(): void {
    if (unparsed.size > 0) unparsed.applyAll(parseUnparsed, change);
  }

  function applyUnparsedForReader(): void {
    try {
      applyUnparsed();
    } catch (error) {
      failWatch?.(error as Error);
    }
  }

  function check(event: WatchEvent, shaped: boolean): void {
    if (event.type === "ERROR") throw errorEventFailure(event.object as Status, api);
    const slice = event.type === "ADDED" || event.type === "MODIFIED";
    if (slice && !shaped) checkSlice(event.object, `${event.type === "ADDED" ? "an" : "a"} ${event.type} event`);
    else checkMetadata(event.object, `a ${quote(event.type)} event`);
  }

  function change(event: WatchEvent): boolean {
    const slice = event.object as EndpointSlice;
    const version = slice.metadata?.resourceVersion;
    if (version) resourceVersion = version;
    const name = slice.metadata?.name ?? "";
    switch (event.type) {
      case "ADDED":
      case "MODIFIED":
        slices.set(name, slice);
        return true;
      case "DELETED":
        return slices.delete(name);
      case "BOOKMARK":
        return false;
      default:
        trace(`ignoring watch event of unknown type ${quote(event.type)}`);
        return false;
    }
  }

  function collect({ type, object }: WatchEvent): boolean {
    const collected = initial!;
    const slice = object as EndpointSlice;
    const name = slice.metadata?.name ?? "";
    if (type === "ADDED" || type === "MODIFIED") collected.set(name, slice);
    else if (type === "DELETED") collected.delete(name);
    else if (type !== "BOOKMARK") trace(`ignoring watch event of unknown type ${quote(type)}`);
    else if (slice.metadata?.annotations?.[INITIAL_EVENTS_END] === "true") {
      slices.clear();
      for (const [key, value] of collected) slices.set(key, value);
      resourceVersion = slice.metadata.resourceVersion || resourceVersion;
      collectInto(undefined);
      trace(`streaming list: ${slices.size} EndpointSlices at resourceVersion ${resourceVersion}`);
      return true;
    }
    return false;
  }

  function adopt(items: readonly EndpointSlice[], listedVersion: string): void {
    for (const item of items) checkSlice(item, "a LIST");
    slices.clear();
    for (const slice of items) slices.set(slice.metadata.name ?? "", slice);
    resourceVersion = listedVersion;
  }

  // A getter read on every line cost Deno 2.9 about 50 ns where the field costs 5.
  const store: Omit<SliceStore, "collecting"> & { collecting: boolean } = {
    slices,
    get resourceVersion() {
      return resourceVersion;
    },
    state: {
      get slices() {
        applyUnparsedForReader();
        return slices;
      },
      get resourceVersion() {
        applyUnparsedForReader();
        return resourceVersion;
      },
    },
    collecting: false,
    beginInitialEvents() {
      collectInto(new Map());
    },
    dropInitialEvents() {
      collectInto(undefined);
    },
    beginWatch(fail) {
      failWatch = fail;
    },
    endWatch() {
      failWatch = undefined;
    },
    keep: (event) => unparsed.add(event),
    applyUnparsed,
    applyUnparsedForReader,
    check,
    change,
    collect,
    adopt,
  };
  return store;
}
