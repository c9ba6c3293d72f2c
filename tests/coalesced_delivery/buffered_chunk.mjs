// Run by tests/coalesced_delivery_test.ts on Deno, Node and Bun, against the built package, with the port of a
// server in the test's process whose response sends "1", then "2" 5 ms later: what the quiet check of a held
// delivery relies on. Busy with the first chunk while the second one reaches the socket, it arms two turns in a row
// (`nextTurn`, as the check does: the first one always finds the state that armed it, and checks again): the waiting
// chunk must be read before the second turn runs, or a watch still streaming would be taken for quiet. The body is
// read as ours reads a watch: undici's request() on Deno, node:http on Node and Bun. Prints the order of the chunks
// (1, 2) and the second turn (Q).
import process from "node:process";
import { nextTurn } from "../../dist/src/runtime/next_turn.js";

const url = `http://127.0.0.1:${process.argv[2]}/`;
let body;
if (typeof Deno === "object") {
  const { request } = await import("undici");
  body = (await request(url)).body;
} else {
  const http = await import("node:http");
  body = await new Promise((resolve, reject) => http.get(url, resolve).on("error", reject));
}
const order = [];
let finish;
const finished = new Promise((resolve) => finish = resolve);
const seen = (letter) => {
  order.push(letter);
  if (order.includes("2") && order.includes("Q")) finish();
};
body.on("data", (chunk) => {
  for (const letter of chunk.toString().trim()) {
    seen(letter);
    if (letter !== "1") continue;
    const until = performance.now() + 100;
    while (performance.now() < until) {
      // Busy with the first chunk's events: the second one reaches the socket meanwhile.
    }
    nextTurn(() => nextTurn(() => seen("Q")));
  }
});
const timeout = setTimeout(finish, 5000);
await finished;
clearTimeout(timeout);
body.destroy();
console.log(order.join(""));
