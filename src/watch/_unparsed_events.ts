/**
 * The watch events of slices that nobody parsed yet, by slice name, in order of arrival: a later event of a slice
 * replaces its own, so that a burst's events are parsed only once someone reads the state, and only the last one of
 * each slice. Private to `watch/`.
 *
 * A bad event among them (one that fails to parse, or its checks) is found only as they are applied. client-go's
 * reflector applies each event as it comes, so its store holds the events before a bad one; so does this: the events
 * applied are those of the longest run from the first kept that no bad event interrupts and in which no event was
 * replaced by one from after it (that one could not be undone), and the resourceVersion the state reaches is the last
 * of that run, from which the next watch brings the rest again.
 *
 * @module
 */

import type { WatchEvent } from "../base/endpoint_slice.ts";
import type { WatchCodec } from "./watch_codec.ts";

/** One event kept unparsed. */
export interface UnparsedEvent {
  /** The slice's name, as the event's bytes start with it. */
  readonly name: string;
  /** The event's type, as its bytes start with it. */
  readonly type: string;
  /** The event's bytes. */
  readonly line: Uint8Array;
  /** How to parse them. */
  readonly codec: WatchCodec;
}

/** The events kept unparsed; see {@linkcode unparsedEvents}. */
export interface UnparsedEvents {
  /** How many slices have an event kept. */
  readonly size: number;
  /** Keeps an event, in place of the one its slice had kept. */
  add(event: UnparsedEvent): void;
  /**
   * Parses the events kept, in order of arrival, hands them to `change`, and forgets them all; when one is bad, hands
   * on only those that came before anything lost (see the module's doc), then throws what `parse` threw.
   *
   * @param parse Parses and checks one event; throws when it is bad.
   * @param change Applies a parsed event to the state.
   */
  applyAll(parse: (event: UnparsedEvent) => WatchEvent, change: (event: WatchEvent) => void): void;
}

/** An event kept, with its place in the order of arrival and that of the first event of its slice among those kept. */
interface Kept {
  event: UnparsedEvent;
  arrived: number;
  firstOfSlice: number;
}

/**
 * Creates an empty set of unparsed events.
 *
 * @returns The set.
 *
 * @example A later event of a slice replaces its own
 * ```ts
 * import { unparsedEvents } from "./_unparsed_events.ts";
 * import { openWatchCodec } from "./watch_codec.ts";
 * const codec = openWatchCodec("json");
 * const events = unparsedEvents();
 * const line = new Uint8Array();
 * events.add({ name: "a", type: "ADDED", line, codec });
 * events.add({ name: "a", type: "MODIFIED", line, codec });
 * console.log(events.size); // 1
 * ```
 */
export function unparsedEvents(): UnparsedEvents {
  const kept = new Map<string, Kept>();
  let arrivals = 0;
  return {
    get size() {
      return kept.size;
    },
    add(event) {
      const firstOfSlice = kept.get(event.name)?.firstOfSlice ?? arrivals;
      kept.delete(event.name);
      kept.set(event.name, { event, arrived: arrivals++, firstOfSlice });
    },
    applyAll(parse, change) {
      const all = [...kept.values()];
      kept.clear();
      const parsed: WatchEvent[] = [];
      for (const { event, firstOfSlice } of all) {
        try {
          parsed.push(parse(event));
        } catch (error) {
          // Arrivals before `end` apply, where `end` is no later than the first event of the bad one's slice (the bad
          // one replaced those: they are lost), nor than that of any slice whose event kept came at or after `end`,
          // parsed or kept after the bad one (its events before `end` are lost too).
          let end = firstOfSlice;
          for (let moved = true; moved;) {
            moved = false;
            for (const other of all) {
              if (other.firstOfSlice < end && end <= other.arrived) [end, moved] = [other.firstOfSlice, true];
            }
          }
          for (let index = 0; index < parsed.length && all[index].arrived < end; index++) change(parsed[index]);
          throw error;
        }
      }
      for (const event of parsed) change(event);
    },
  };
}
