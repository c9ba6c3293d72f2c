// Decodes every protobuf fixture, and each byte array of the JSON argument as a string field, with the decoder of
// `src` (Bun, which runs the TypeScript sources and reads short strings with Buffer#latin1Slice) or of `dist` (Node,
// the built package, which reads strings with Buffer#utf8Slice), and prints both as JSON for protobuf_decoder_test.ts
// to compare with Deno's: `node tests/protobuf_decode_child.mjs dist '[[104, 105]]'` after `npm run build`.
import process from "node:process";
import { decodeFixtures } from "./protobuf_fixtures.mjs";

const [from, strings = "[]"] = process.argv.slice(2);
const [root, extension] = from === "dist" ? ["../dist/src/api/protobuf/", ".js"] : ["../src/api/protobuf/", ".ts"];
const load = (name) => import(new URL(`${root}${name}${extension}`, import.meta.url).href);
const [{ FrameSplitter }, messages, { WireReader }] = await Promise.all(
  ["frame_splitter", "messages", "wire_reader"].map(load),
);
const decoded = decodeFixtures({ FrameSplitter, ...messages });
const read = JSON.parse(strings).map((bytes) => new WireReader(new Uint8Array([bytes.length, ...bytes])).string());
console.log(JSON.stringify({ decoded, strings: read }));
