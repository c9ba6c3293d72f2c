// Decodes every protobuf fixture and prints the result as JSON, for protobuf_decoder_test.ts to compare Bun's
// decoding (which reads short strings with Buffer#latin1Slice) with Deno's: `bun tests/protobuf_decode_child.ts`.
import { readdirSync, readFileSync } from "node:fs";
import { FrameSplitter } from "../src/api/protobuf/frame_splitter.ts";
import { decodeEndpointSliceList, decodeStatusBody, decodeWatchEvent } from "../src/api/protobuf/messages.ts";

/** Every fixture's decoded form, by file name. */
export function decodeFixtures(): Record<string, unknown> {
  const dir = new URL("./fixtures/protobuf/", import.meta.url);
  const decoded: Record<string, unknown> = {};
  for (const name of readdirSync(dir).filter((name) => name.endsWith(".pb")).sort()) {
    const body = new Uint8Array(readFileSync(new URL(name, dir)));
    if (name.startsWith("status")) decoded[name] = decodeStatusBody(body);
    else if (name === "list.pb") decoded[name] = decodeEndpointSliceList(body);
    else {
      const splitter = new FrameSplitter();
      decoded[name] = splitter.push(body).map(decodeWatchEvent);
      splitter.end();
    }
  }
  return decoded;
}

if (import.meta.main) console.log(JSON.stringify(decodeFixtures()));
