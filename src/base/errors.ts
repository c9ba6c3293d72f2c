/**
 * The errors this library throws. Every class sets `name`, so checks such as
 * `error.name === "TargetError"` work across duplicate copies of the package.
 * No message ever contains a token, a password or a private key. A field
 * (or `cause`) an error was not given is absent, not set to undefined: its
 * class fields are `declare`d.
 *
 * @module
 */

import { targetForDisplay } from "./_target_userinfo.ts";

/**
 * Base class of every error thrown by `@kgr/resolver`.
 *
 * @example Telling our errors apart from others
 * ```ts
 * import { ResolverError } from "@kgr/resolver";
 * const error: unknown = new ResolverError("Cannot resolve: example");
 * if (error instanceof ResolverError) console.log(error.message);
 * ```
 */
export class ResolverError extends Error {
  /**
   * Creates an error of this library.
   *
   * @param message What went wrong and what to do next.
   * @param options `cause`: the underlying error.
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ResolverError";
  }
}

/**
 * A target string that cannot be parsed. The message quotes the input and
 * says what is wrong.
 *
 * @example Catching a bad target
 * ```ts
 * import { parseTarget, TargetError } from "@kgr/resolver";
 * try {
 *   parseTarget("kubernetes:///svc:0");
 * } catch (error) {
 *   if (error instanceof TargetError) console.log(error.target);
 * }
 * ```
 */
export class TargetError extends ResolverError {
  /**
   * The target as given, with any user name and password in it (up to an `@`) shown as `***`, and any query or
   * fragment (after a `?` or `#`, which may hold a token) as `…`.
   */
  readonly target: string;

  /**
   * Creates the error for a target that cannot be parsed; the message quotes it, any user name and password in it
   * (up to an `@`) shown as `***`, any query or fragment as `…`.
   *
   * @param target The target as given.
   * @param problem What is wrong with it.
   */
  constructor(target: string, problem: string) {
    const shown = targetForDisplay(target);
    super(`Cannot parse target ${JSON.stringify(shown)}: ${problem}`);
    this.name = "TargetError";
    this.target = shown;
  }
}

/**
 * Cluster access that cannot be set up: a kubeconfig that is missing or
 * malformed, a file that cannot be read, an exec plugin that fails.
 *
 * @example Reporting the file at fault
 * ```ts
 * import { ConfigError } from "@kgr/resolver";
 * const error = new ConfigError("Cannot load kubeconfig: no current-context", { file: "/root/.kube/config" });
 * console.log(error.file);
 * ```
 */
export class ConfigError extends ResolverError {
  /** The file at fault, when there is one. */
  declare readonly file?: string;
  /** The field at fault, when there is one (e.g. `users[0].user.token`). */
  declare readonly field?: string;

  /**
   * Creates the error for cluster access that cannot be set up.
   *
   * @param message What went wrong and what to do next.
   * @param options The file and field at fault, and the underlying error.
   */
  constructor(
    message: string,
    options: { file?: string | undefined; field?: string | undefined; cause?: unknown } = {},
  ) {
    super(message, withCause(options.cause));
    this.name = "ConfigError";
    if (options.file !== undefined) this.file = options.file;
    if (options.field !== undefined) this.field = options.field;
  }
}

/**
 * A failed request to the Kubernetes API: an HTTP error status, a TLS or
 * network failure, or a watch stream that broke.
 *
 * @example Inspecting an API failure
 * ```ts
 * import { KubeApiError } from "@kgr/resolver";
 * const error = new KubeApiError("Cannot list endpointslices: forbidden", { status: 403 });
 * console.log(error.status);
 * ```
 */
export class KubeApiError extends ResolverError {
  /** The HTTP status, or the `code` of an ERROR watch event; absent for network errors. */
  declare readonly status?: number;
  /** The Kubernetes `Status.reason` (e.g. `Expired`, `Forbidden`), when the server gave one. */
  declare readonly reason?: string;
  /** The server's `Retry-After`, in seconds, when it sent one. */
  declare readonly retryAfterSeconds?: number;
  /** The reasons of the Status's `details.causes`, e.g. `ResourceVersionTooLarge`, when the server gave any. */
  declare readonly causes?: readonly string[];
  /**
   * The resource and name of the object the Status is about (its `details.kind` and `details.name`, e.g. `namespaces`
   * and `prod` for a Namespace that does not exist), when the server gave them.
   */
  declare readonly details?: { readonly kind?: string; readonly name?: string };
  /**
   * The content type of an answer that cannot be the API server's (an HTML page of a web server, a login page or a
   * proxy in its place); absent for the API server's own answers and for network errors.
   */
  declare readonly contentType?: string;

  /**
   * Creates the error for a failed request to the Kubernetes API.
   *
   * @param message What went wrong and what to do next.
   * @param options The HTTP status, the Kubernetes reason, causes and details, `Retry-After`, the content type of an
   * answer that is not the API server's, the underlying error.
   */
  constructor(
    message: string,
    options: {
      status?: number | undefined;
      reason?: string | undefined;
      causes?: readonly string[] | undefined;
      details?: { kind?: string; name?: string } | undefined;
      retryAfterSeconds?: number | undefined;
      contentType?: string | undefined;
      cause?: unknown;
    } = {},
  ) {
    super(message, withCause(options.cause));
    this.name = "KubeApiError";
    if (options.status !== undefined) this.status = options.status;
    if (options.reason !== undefined) this.reason = options.reason;
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
    if (options.causes !== undefined) this.causes = options.causes;
    if (options.details !== undefined) this.details = options.details;
    if (options.contentType !== undefined) this.contentType = options.contentType;
  }
}

/**
 * The options of `Error` for `cause`: none when there is no cause, so that an error without one has no `cause`
 * property at all (as the fields its class leaves out: `declare`d, not initialized to undefined).
 */
function withCause(cause: unknown): { cause: unknown } | undefined {
  return cause === undefined ? undefined : { cause };
}
