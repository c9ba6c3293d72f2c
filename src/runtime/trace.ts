/**
 * Diagnostics of the resolver. The core only calls {@linkcode trace}; the
 * grpc-js adapter routes it to grpc-js tracing under the tracer name
 * `kubernetes_resolver` (`GRPC_TRACE=kubernetes_resolver GRPC_VERBOSITY=DEBUG`).
 * Until then (a program that only calls `watchEndpoints()`), the same
 * variables, read as grpc-js reads them (`GRPC_NODE_TRACE` and
 * `GRPC_NODE_VERBOSITY` first, `-kubernetes_resolver` leaves it out), send it
 * to standard error in grpc-js's format; without them nothing is written.
 * Never pass a secret.
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

/** The keys already warned about on standard error: each once per process. */
const warned = new Set<string>();

/** Receives one warning, without the package's name; the default writes it to standard error after that name. */
let warningSink: TraceSink = (text) => console.warn(`@kgr/resolver: ${text}`);

/**
 * Traces `message` and says it on standard error too, once per process: again only when one of `keys` was not
 * warned about yet. For what would otherwise go wrong without a word. Never pass a secret.
 *
 * @param keys What the warning is about (the variables it names, a node).
 * @param message The line, without the package's name, which the warning starts with.
 *
 * @example A variable this process may not read
 * ```ts
 * import { warnOnce } from "./trace.ts";
 * warnOnce(["ZONE"], "this Deno process may not read ZONE"); // @kgr/resolver: this Deno process may not read ZONE
 * warnOnce(["ZONE"], "this Deno process may not read ZONE"); // traced only
 * ```
 */
export function warnOnce(keys: readonly string[], message: string): void {
  if (keys.every((key) => warned.has(key))) return trace(message);
  for (const key of keys) warned.add(key);
  warn(message);
}

/**
 * Traces `message` and says it on standard error too, each time: for a caller that keeps its own "once" (on an object
 * that every copy of the package shares, where a key of this copy's would be said again by another). Never pass a
 * secret.
 *
 * @param message The line, without the package's name, which the warning starts with.
 *
 * @example
 * ```ts
 * import { warn } from "./trace.ts";
 * warn("OpenTelemetry: the registered MeterProvider failed"); // @kgr/resolver: OpenTelemetry: the registered ...
 * ```
 */
export function warn(message: string): void {
  trace(message);
  warningSink(message);
}

/**
 * Installs the sink that receives warnings in place of standard error (the CLI's, which says them in its own terms),
 * until the one it replaces is installed again.
 *
 * @param next The new sink.
 * @returns The sink it replaces, to put back when done.
 *
 * @example
 * ```ts
 * import { setWarningSink, warnOnce } from "./trace.ts";
 * const previous = setWarningSink((text) => console.error(`kgr-resolver: ${text}`));
 * warnOnce(["ZONE"], "this Deno process may not read ZONE"); // kgr-resolver: this Deno process may not read ZONE
 * setWarningSink(previous);
 * ```
 */
export function setWarningSink(next: TraceSink): TraceSink {
  const previous = warningSink;
  warningSink = next;
  return previous;
}

/** Receives each line of an exec credential plugin's standard error; by default, this process's standard error. */
let pluginOutputSink: TraceSink = (line) => console.error(line);

/**
 * Passes on one line of an exec credential plugin's standard error (a login's instructions), already masked, to the
 * installed sink: standard error, unless the CLI shows it above its live table.
 *
 * @param line The line, without its newline.
 *
 * @example
 * ```ts
 * import { pluginOutput } from "./trace.ts";
 * pluginOutput("To sign in, use a web browser to open the page https://microsoft.com/devicelogin"); // on standard error
 * ```
 */
export function pluginOutput(line: string): void {
  pluginOutputSink(line);
}

/**
 * Installs the sink that receives exec plugins' standard error lines in place of standard error (the CLI's live
 * table, which a line written beside it would draw over), until the one it replaces is installed again.
 *
 * @param next The new sink.
 * @returns The sink it replaces, to put back when done.
 *
 * @example
 * ```ts
 * import { pluginOutput, setPluginOutputSink } from "./trace.ts";
 * const lines: string[] = [];
 * const previous = setPluginOutputSink((line) => lines.push(line));
 * pluginOutput("Signed in.");
 * setPluginOutputSink(previous);
 * console.log(lines); // [ "Signed in." ]
 * ```
 */
export function setPluginOutputSink(next: TraceSink): TraceSink {
  const previous = pluginOutputSink;
  pluginOutputSink = next;
  return previous;
}

/**
 * Installs the sink that receives diagnostic lines (the grpc-js adapter
 * installs grpc-js tracing); `undefined` removes it, and `null` goes back to
 * the environment's (`GRPC_TRACE`, read at the next line).
 *
 * @param next The new sink.
 * @returns The sink it replaces (`null` when the environment was not read for one yet), to put back when done.
 *
 * @example Silencing diagnostics for a while
 * ```ts
 * import { setTraceSink } from "./trace.ts";
 * const previous = setTraceSink(undefined);
 * setTraceSink(previous);
 * ```
 */
export function setTraceSink(next: TraceSink | undefined | null): TraceSink | undefined | null {
  const previous = sink;
  sink = next;
  return previous;
}

/**
 * Standard error, when the tracers turn `kubernetes_resolver` on and the verbosity is `DEBUG`, read as grpc-js reads
 * them: `GRPC_NODE_TRACE` (else `GRPC_TRACE`) lists tracers, `all` for every one, `-name` to leave one out;
 * `GRPC_NODE_VERBOSITY` (else `GRPC_VERBOSITY`) is the verbosity.
 */
function environmentSink(): TraceSink | undefined {
  const tracers = (environmentVariable("GRPC_NODE_TRACE") ?? environmentVariable("GRPC_TRACE") ?? "").split(",");
  const wanted = !tracers.includes("-kubernetes_resolver") &&
    (tracers.includes("kubernetes_resolver") || tracers.includes("all"));
  const verbosity = environmentVariable("GRPC_NODE_VERBOSITY") ?? environmentVariable("GRPC_VERBOSITY");
  if (!wanted || verbosity?.toUpperCase() !== "DEBUG") return undefined;
  return (text) => console.error(`D ${new Date().toISOString()} | kubernetes_resolver | ${text}`);
}
