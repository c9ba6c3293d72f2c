/**
 * Diagnostics of the resolver. The core only calls {@linkcode trace}; the
 * grpc-js adapter routes it to grpc-js tracing under the tracer name
 * `kubernetes_resolver` (`GRPC_TRACE=kubernetes_resolver GRPC_VERBOSITY=DEBUG`).
 * Until then (a program that only calls `watchEndpoints()`), the same two
 * variables send it to standard error in grpc-js's format; without them
 * nothing is written. Never pass a secret.
 *
 * @module
 */

import { environmentVariable } from "./files.ts";

/** Receives one diagnostic line. */
export type TraceSink = (text: string) => void;

/** The installed sink; `null` until the environment was read for one. */
let sink: TraceSink | undefined | null = null;

/**
 * Sends one diagnostic line to the installed sink, if any.
 *
 * @param text The line; must not contain a token or key.
 */
export function trace(text: string): void {
  if (sink === null) sink = environmentSink();
  sink?.(text);
}

/**
 * Installs the sink that receives diagnostic lines (the grpc-js adapter
 * installs grpc-js tracing); `undefined` removes it.
 *
 * @param next The new sink.
 */
export function setTraceSink(next: TraceSink | undefined): void {
  sink = next;
}

/** Standard error, when `GRPC_TRACE` names `kubernetes_resolver` (or `all`) and `GRPC_VERBOSITY` is `DEBUG`. */
function environmentSink(): TraceSink | undefined {
  const tracers = (environmentVariable("GRPC_TRACE") ?? "").split(",").map((name) => name.trim());
  const wanted = tracers.includes("kubernetes_resolver") || tracers.includes("all");
  if (!wanted || environmentVariable("GRPC_VERBOSITY")?.toUpperCase() !== "DEBUG") return undefined;
  return (text) => console.error(`D ${new Date().toISOString()} | kubernetes_resolver | ${text}`);
}
