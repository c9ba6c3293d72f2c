// Decodes every protobuf fixture with the built package on Node, which reads strings with Buffer#utf8Slice, and
// prints the result as JSON (as protobuf_decode_child.ts does for Bun), with each byte array of the JSON argument read
// as a string field: `node tests/protobuf_decode_node_child.mjs '[[104, 105]]'` after `npm run build`.
import { readdirSync, readFileSync } from "node:fs";
import process from "node:process";
import { FrameSplitter } from "../dist/src/api/protobuf/frame_splitter.js";
import { decodeEndpointSliceList, decodeStatusBody, decodeWatchEvent } from "../dist/src/api/protobuf/messages.js";
import { WireReader } from "../dist/src/api/protobuf/wire_reader.js";

const dir = new URL("./fixtures/protobuf/", import.meta.url);
const decoded = {};
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
const strings = JSON.parse(process.argv[2]).map((bytes) =>
  new WireReader(new Uint8Array([bytes.length, ...bytes])).string()
);
console.log(JSON.stringify({ decoded, strings }));
