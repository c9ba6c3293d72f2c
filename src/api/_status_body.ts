/**
 * An error answer's body (or a web page answering 200), read for its words: its Kubernetes Status, in JSON or
 * protobuf, or the text of a proxy or a gateway, without the credentials it may echo.
 *
 * @module
 */

import type { Status } from "../base/endpoint_slice.ts";
import { withTimeout } from "../runtime/abortable.ts";
import { isRecord } from "../base/_util.ts";
import { pageText } from "./_page_text.ts";
import { type ErrorBody, foreignJsonMessage } from "./_foreign_answer.ts";
import { decodeStatusBody } from "./protobuf/messages.ts";
import { ProtobufError } from "./protobuf/wire_reader.ts";
import { readBytes } from "./_read_body.ts";

/** Largest error response body read for its Kubernetes Status, in bytes; the rest is discarded. */
const MAX_STATUS_BYTES = 64 * 1024;
/** How long an error body, or a web page answering 200, is read for its words: one may never end. */
const STATUS_READ_MS = 2000;

/**
 * An error body (or a web page answering 200), read for its words: at most `MAX_STATUS_BYTES` for at most
 * `STATUS_READ_MS`, else `undefined`, so that one that never ends is still an error.
 *
 * @param response The answer whose body is read.
 * @param signal Aborts the read.
 * @returns The body, or `undefined` when it is longer, slower or fails.
 *
 * @example The Status of a 403
 * ```ts ignore
 * const status = parseStatus(utf8(await readStatusBytes(response, signal)), contentType, redact);
 * ```
 */
export function readStatusBytes(response: Response, signal: AbortSignal): Promise<Uint8Array | undefined> {
  return withTimeout(signal, STATUS_READ_MS, (read) => readBytes(response, MAX_STATUS_BYTES, read)).catch(() =>
    undefined
  );
}

/**
 * The Status of a protobuf error body, as `parseStatus` gives a JSON one; `{}` for one that is none (cut at
 * `MAX_STATUS_BYTES`, say), as for JSON that is not a Status.
 *
 * @param bytes The body, as `readStatusBytes` gives it.
 * @returns The Status, or `{}`.
 * @throws Any error of the decoder other than a `ProtobufError`.
 *
 * @example The Status of a protobuf 410
 * ```ts ignore
 * const status = protobufBody(await readStatusBytes(response, signal));
 * ```
 */
export function protobufBody(bytes: Uint8Array | undefined): ErrorBody {
  if (bytes === undefined) return {};
  try {
    return decodeStatusBody(bytes);
  } catch (error) {
    if (error instanceof ProtobufError) return {};
    throw error;
  }
}

/**
 * The Kubernetes Status in an error answer's text; JSON that is none (a gateway's) as its message, marked
 * `foreign`. Plain text (a proxy's `no healthy upstream`, kube-apiserver's priority and fairness 429) and the words
 * of an HTML page (a gateway's `403 Forbidden`) become its message on one line, without the credentials (`redact`),
 * which the error quotes, as kubectl shows them; else `{}`.
 *
 * @param text The body as text, as `readStatusBytes` and `utf8()` give it.
 * @param contentType The answer's Content-Type.
 * @param redact Takes the credentials of the request out of a text.
 * @returns The Status, a message, or `{}`.
 *
 * @example A proxy's plain-text 503
 * ```ts ignore
 * const status = parseStatus("no healthy upstream", "text/plain", (text) => text);
 * console.log(status.message); // no healthy upstream
 * ```
 */
export function parseStatus(
  text: string | undefined,
  contentType: string | null,
  redact: (text: string) => string,
): ErrorBody {
  if (text === undefined) return {};
  try {
    const value = JSON.parse(text);
    if (isRecord(value)) {
      const foreign = foreignJsonMessage(value);
      return foreign === undefined ? value as Status : { message: redact(foreign), foreign: true };
    }
  } catch {
    // Not JSON: plain text, or a page that the error names by its content type.
  }
  const plain = /^\s*text\/plain/i.test(contentType ?? "")
    ? redact(text).trim().replace(/\s+/g, " ")
    : /^\s*text\/html/i.test(contentType ?? "")
    ? pageText(redact(text))
    : "";
  return plain ? { message: plain } : {};
}
