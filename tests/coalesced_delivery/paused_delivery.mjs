// Run by tests/coalesced_delivery_test.ts on Deno, Node and Bun, against the built package: the process stops
// itself (SIGSTOP, as a debugger, `docker pause` or a frozen cgroup stop a process) in the middle of a delivery, and
// the test lets it go on 2 s later. Prints how long the state that arrived during that delivery then waits, in ms.
import process from "node:process";
import { createCoalescedDelivery } from "../../dist/src/_coalesced_delivery.js";

let deliveries = 0;
let resumedAt = 0;
let delivered;
const waited = new Promise((resolve) => delivered = resolve);
const delivery = createCoalescedDelivery({
  deliverAll() {
    if (++deliveries === 1) {
      process.kill(process.pid, "SIGSTOP");
      resumedAt = performance.now();
    } else delivered(performance.now() - resumedAt);
    return false;
  },
  prepare() {},
});
delivery.stateArrived();
delivery.stateArrived(); // Held: it came right after the first delivery.
// The schedule's timers do not keep the process alive: this one does, until the delivery.
const alive = setTimeout(() => {}, 10_000);
console.log(Math.round(await waited));
clearTimeout(alive);
