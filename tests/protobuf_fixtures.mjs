// The protobuf fixtures (tests/fixtures/protobuf/*.pb) decoded by a given copy of the decoder, for
// protobuf_decoder_test.ts to hold Bun's and Node's decoding (protobuf_decode_child.mjs) equal to Deno's.
import { readdirSync, readFileSync } from "node:fs";

/**
 * Every fixture's decoded form, by file name.
 *
 * @param decoder The decoder's `FrameSplitter`, `decodeEndpointSliceList`, `decodeStatusBody` and `decodeWatchEvent`.
 */
export function decodeFixtures({ FrameSplitter, decodeEndpointSliceList, decodeStatusBody, decodeWatchEvent }) {
  const dir = new URL("./fixtures/protobuf/", import.meta.url);
  const decoded = {};
  for (const name of readdirSync(dir).filter((name) => name.endsWith(".pb")).sort()) {
    const body = new Uint8Array(readFileSync(new URL(name, dir)));
    if (name.startsWith("status")) decoded[name] = decodeStatusBody(body);
    else if (name === "list.pb") decoded[name] = decodeEndpointSliceList(body);
    else {
      const splitter = new FrameSplitter();
      decoded[name] = splitter.push(body).map((frame) => decodeWatchEvent(frame));
      splitter.end();
    }
  }
  return decoded;
}
