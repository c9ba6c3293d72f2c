/**
 * The error of a `kubernetes_round_robin` endpoint's leaf balancer (grpc-js's pick_first), as the policy's own
 * message quotes it.
 *
 * @module
 */

/**
 * The error of a leaf's TRANSIENT_FAILURE picker (an `UnavailablePicker`'s status), for grpc-js 1.10, whose leaves
 * report no error message, or null.
 *
 * @param picker The picker the leaf reported.
 * @returns Its status's details, or null.
 *
 * @example A picker of grpc-js 1.10
 * ```ts
 * console.log(pickerError({ status: { details: "connect ECONNREFUSED" } })); // connect ECONNREFUSED
 * ```
 */
export function pickerError(picker: unknown): string | null {
  const details = (picker as { status?: { details?: unknown } } | null)?.status?.details;
  return typeof details === "string" ? details : null;
}

/**
 * A leaf's error without the wrapping of grpc-js's pick_first ("No connection established. Last error: X", and from
 * 1.14 ". Resolution note: N"): the policy's own message adds the latest note, where the leaf has the note of its
 * creation.
 *
 * @param message The leaf's error message.
 * @returns The error inside it, or the message itself.
 *
 * @example pick_first's wrapping taken off
 * ```ts
 * console.log(leafError("No connection established. Last error: ECONNREFUSED. Resolution note: n")); // ECONNREFUSED
 * ```
 */
export function leafError(message: string): string {
  return /^No connection established\. Last error: ([\s\S]*?)(?:\. Resolution note: [\s\S]*)?$/.exec(message)?.[1] ??
    message;
}
