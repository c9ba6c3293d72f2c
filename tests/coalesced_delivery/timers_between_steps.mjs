// Run by tests/coalesced_delivery_test.ts on Deno, Node and Bun, against the built package: a delivery, then a
// state held after it, whose two steps of work ahead and whose delivery each keep the thread busy for 15 ms, with a
// 5 ms interval timer running. Prints the order of the deliveries (F, D), the steps (P, S) and the timer's ticks
// (t) between them: a timer due during a step must run before the next step starts. Then, after a space, how long
// after the first state the first delivery started, in ms.
import { createCoalescedDelivery } from "../../dist/src/_coalesced_delivery.js";

const order = [];
let deliveredAfterMs = 0;
const busy = (letter) => {
  order.push(letter);
  if (letter === "F") deliveredAfterMs = performance.now() - arrived;
  const until = performance.now() + 15;
  while (performance.now() < until) {
    // A step of work over thousands of endpoints.
  }
};
let deliveries = 0;
const delivery = createCoalescedDelivery({
  deliverAll() {
    busy(++deliveries === 1 ? "F" : "D");
    return false;
  },
  prepare: (step) => busy(step === 0 ? "P" : "S"),
});
const arrived = performance.now();
const ticker = setInterval(() => order.at(-1) !== "t" && order.push("t"), 5);
delivery.stateArrived(); // Parsed at once; its parse took 15 ms, so selected and delivered in turns of their own.
delivery.stateArrived(); // Came meanwhile: prepared again in steps, and delivered with the first.
await new Promise((resolve) => setTimeout(resolve, 300));
clearInterval(ticker);
console.log(`${order.join("")} ${Math.round(deliveredAfterMs)}`);
