/**
 * A response body read whole into memory, up to a size limit, so that a hostile or broken server cannot make us
 * buffer without bound.
 *
 * @module
 */

import { cancelOnAbort } from "../runtime/abortable.ts";
import { concatBytes } from "../base/_util.ts";

/**
 * Reads a body, at most `maxBytes` of it: resolves to `undefined` (and cancels the rest) when the body is longer.
 * Rejects once `signal` aborted (see `cancelOnAbort()`).
 *
 * @param response The response whose body is read.
 * @param maxBytes The most bytes accepted.
 * @param signal Aborts the read.
 * @param onChunk Called as each chunk comes, with its size.
 * @returns The body, or `undefined` when it is longer than `maxBytes`.
 *
 * @example Reading at most 1 MiB
 * ```ts ignore
 * const bytes = await readBytes(response, 1024 * 1024, AbortSignal.timeout(10_000));
 * ```
 */
export async function readBytes(
  response: Response,
  maxBytes: number,
  signal: AbortSignal,
  onChunk?: (count: number) => void,
): Promise<Uint8Array | undefined> {
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const release = cancelOnAbort(reader, signal);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) {
        signal.throwIfAborted();
        break;
      }
      onChunk?.(value.length);
      total += value.length;
      if (total > maxBytes) return undefined;
      chunks.push(value);
    }
  } finally {
    release();
    reader.cancel().catch(() => {});
  }
  return chunks.length === 1 ? chunks[0] : concatBytes(chunks);
}

/**
 * A body as UTF-8 text.
 *
 * @param bytes The body, or `undefined`.
 * @returns The text; `undefined` stays so.
 *
 * @example Text of a body read with a limit
 * ```ts ignore
 * const text = utf8(await readBytes(response, 64 * 1024, signal));
 * ```
 */
export function utf8(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined ? undefined : new TextDecoder().decode(bytes);
}
