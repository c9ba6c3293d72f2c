/**
 * Bun's cap on the `fetch` requests a process has in flight
 * (`BUN_CONFIG_MAX_HTTP_REQUESTS`, 256 unless set when Bun starts): a request
 * past it waits, with no error, until another one ends, and a watch never
 * does. Through a proxy, every watch is such a request (`http_client.ts`), so
 * the 257th Service of a process never got its first snapshot, nor did a
 * Service read or a LIST behind it. Counting this library's requests turns
 * the wait into a refusal that says what to set; requests of the
 * application's own count too in Bun, but cannot be seen here.
 *
 * @module
 */

import process from "node:process";

/** Bun's cap when `BUN_CONFIG_MAX_HTTP_REQUESTS` is unset or not one it takes. */
const BUN_DEFAULT_MAX_REQUESTS = 256;

/** The largest cap Bun takes (it refuses 65536 and above, keeping the default). */
const BUN_LARGEST_MAX_REQUESTS = 65_535;

/**
 * The name of the error {@linkcode takeBunRequestSlot} throws: a name, not a `code`, which a message would quote
 * after the advice as it quotes a runtime's `ECONNREFUSED`.
 */
const BUN_REQUEST_LIMIT_NAME = "BunRequestLimitError";

let inFlight = 0;

/**
 * The cap Bun applies for this process, read as Bun reads it at start.
 *
 * @param value The value of `BUN_CONFIG_MAX_HTTP_REQUESTS`.
 * @returns The cap: the value if it is an integer from 1 to 65535, else 256.
 *
 * @example The default
 * ```ts
 * import { bunMaxRequests } from "./bun_request_slots.ts";
 * console.log(bunMaxRequests(undefined)); // 256
 * console.log(bunMaxRequests("1024")); // 1024
 * ```
 */
export function bunMaxRequests(value: string | undefined): number {
  const cap = /^\d+$/.test(value ?? "") ? Number(value) : 0;
  return cap >= 1 && cap <= BUN_LARGEST_MAX_REQUESTS ? cap : BUN_DEFAULT_MAX_REQUESTS;
}

/**
 * Takes one of Bun's request slots for a request about to be sent, or refuses it when this library's requests
 * already hold every one.
 *
 * @param cap The cap, by default Bun's for this process.
 * @returns The release of the slot, to call once the request has ended (more calls do nothing).
 * @throws {Error} Named {@linkcode BUN_REQUEST_LIMIT_NAME}, saying what to set, when no slot is free.
 *
 * @example One request's slot
 * ```ts
 * import { takeBunRequestSlot } from "./bun_request_slots.ts";
 * const release = takeBunRequestSlot(2);
 * release();
 * ```
 */
export function takeBunRequestSlot(cap = bunMaxRequests(process.env.BUN_CONFIG_MAX_HTTP_REQUESTS)): () => void {
  if (inFlight >= cap) {
    const error = new Error(
      `Bun sends at most ${cap} HTTP requests at a time (BUN_CONFIG_MAX_HTTP_REQUESTS), and this library's ` +
        `requests through the proxy (one open watch per Service) hold ${inFlight}: a request past them would wait, silently, for one to end, ` +
        "which a watch never does; start Bun with BUN_CONFIG_MAX_HTTP_REQUESTS above the number of Services " +
        `this process watches, plus its own requests in flight (at most ${BUN_LARGEST_MAX_REQUESTS})`,
    );
    throw Object.assign(error, { name: BUN_REQUEST_LIMIT_NAME });
  }
  inFlight++;
  let held = true;
  return () => {
    if (held) inFlight--;
    held = false;
  };
}

/**
 * Whether `error` is the refusal of {@linkcode takeBunRequestSlot}.
 *
 * @param error What a request threw.
 * @returns True for a refused slot.
 *
 * @example Telling the refusal from other failures
 * ```ts
 * import { isBunRequestLimit } from "./bun_request_slots.ts";
 * console.log(isBunRequestLimit(new Error("ECONNRESET"))); // false
 * ```
 */
export function isBunRequestLimit(error: unknown): boolean {
  return (error as { name?: unknown } | undefined)?.name === BUN_REQUEST_LIMIT_NAME;
}
