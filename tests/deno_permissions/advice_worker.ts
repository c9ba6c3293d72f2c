// A Deno Web Worker that posts back the permission advice for what it is sent: the advice for each value to read and
// their list (and whether that list holds them all), and for a refused connection to a pod; as a `deno compile`d
// program's Worker would get them when `standalone` is set (Deno.build.standalone, as tests/deno_compiled/advice_child.ts sets it). What
// deno_permission_advice_test.ts checks of the advice's Worker form.
import { grantAdvice, listedGrant, listsEvery, podNetAdvice } from "../../src/runtime/deno_permission_advice.ts";

const scope = self as unknown as { onmessage: (event: MessageEvent) => void; postMessage(data: unknown): void };
scope.onmessage = (event: MessageEvent) => {
  const { values, podError, standalone } = event.data as { values: string[]; podError: string; standalone: boolean };
  if (standalone) {
    const deno = globalThis.Deno;
    const build = { ...deno.build, standalone: true };
    Object.defineProperty(globalThis, "Deno", {
      value: new Proxy(deno, { get: (t, k) => k === "build" ? build : Reflect.get(t, k) }),
    });
  }
  scope.postMessage({
    grants: values.map((value) => grantAdvice("read", value)),
    listed: listedGrant("read", values),
    listsAll: listsEvery(values),
    pods: podNetAdvice(podError),
  });
};
