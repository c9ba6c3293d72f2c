// The watch decoder as the reflector uses it, for the decoder's own tests: every line parsed at once.
import type { WatchEvent } from "../src/base/endpoint_slice.ts";
import { type DecodeOptions, parseWatchEvent, readWatchLines } from "../src/watch/watch_decoder.ts";
import type { ChunkSource } from "../src/runtime/pushed_body.ts";

/** Reads a watch body and hands each line to `onEvent` parsed (a parse failure ends the read, as in the reflector). */
export function readWatchEvents(
  body: ChunkSource,
  onEvent: (event: WatchEvent) => void,
  options?: DecodeOptions,
): Promise<void> {
  return readWatchLines(body, (line) => onEvent(parseWatchEvent(line)), options);
}
