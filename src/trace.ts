/**
 * Diagnostics of the resolver. The core only calls {@linkcode trace}; the
 * grpc-js adapter routes it to grpc-js tracing under the tracer name
 * `kubernetes_resolver` (`GRPC_TRACE=kubernetes_resolver GRPC_VERBOSITY=DEBUG`).
 * Nothing here writes to the console by itself. Never pass a secret.
 *
 * @module
 */

/** Receives one diagnostic line. */
export type TraceSink = (text: string) => void;

let sink: TraceSink | undefined;

/**
 * Sends one diagnostic line to the installed sink, if any.
 *
 * @param text The line; must not contain a token or key.
 */
export function trace(text: string): void {
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
