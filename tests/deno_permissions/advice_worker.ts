// A Deno Web Worker that posts back the permission advice for the values it is sent: the advice to read each, and
// their list. What deno_permission_advice_test.ts checks of the advice's Worker form.
import { grantAdvice, listedGrant } from "../../src/runtime/deno_permission_advice.ts";

const scope = self as unknown as { onmessage: (event: MessageEvent) => void; postMessage(data: unknown): void };
scope.onmessage = (event: MessageEvent) => {
  const values = event.data as string[];
  scope.postMessage({ grants: values.map((value) => grantAdvice("read", value)), listed: listedGrant("read", values) });
};
