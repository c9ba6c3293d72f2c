/**
 * Where the `Authorization` header comes from, for a fixed token, a token
 * file that the kubelet rotates, basic auth, or nothing. Every secret lives in
 * a closure, so that no `inspect`, `JSON.stringify` or `String()` of a
 * returned object can show it. Exec plugins are in `exec_credentials.ts`.
 *
 * @module
 */

import { encodeBase64 } from "../base/_util.ts";
import { ConfigError } from "../base/errors.ts";
import { readRefusal } from "../runtime/files.ts";
import { mayBeSecret } from "./_contents_instead_of_path.ts";
import { trace } from "../runtime/trace.ts";
import { readConfigFile } from "./_read_config_file.ts";
import type { Credentials, ReadFile } from "./types.ts";
import { readAgain } from "./_read_again.ts";

/**
 * Credentials that send nothing: anonymous access, or a client certificate
 * alone.
 *
 * @returns Credentials whose `authorization()` is always `undefined`.
 *
 * @example Anonymous access
 * ```ts
 * import { noCredentials } from "./credentials.ts";
 * console.log(await noCredentials().authorization()); // undefined
 * ```
 */
export function noCredentials(): Credentials {
  return {
    authorization: () => Promise.resolve(undefined),
    invalidate() {},
  };
}

/**
 * Credentials with a fixed bearer token (kubeconfig `token`, `cluster.token`). When the token is a JWT whose `exp`
 * has passed (a ServiceAccount token from `kubectl create token`, one hour by default), the advice on a 401 says
 * that it expired, and when; when it looks like a file's path (`token: /tmp/kube/token` for `tokenFile`) and not
 * like a random token (see `mayBeSecret()`), that it does, first and without quoting it.
 *
 * @param token The token.
 * @param now The clock, in milliseconds since the epoch.
 * @returns Credentials that always send `Bearer <token>`.
 *
 * @example A fixed token
 * ```ts
 * import { staticTokenCredentials } from "./credentials.ts";
 * const credentials = staticTokenCredentials("abc");
 * console.log(await credentials.authorization()); // Bearer abc
 * ```
 */
export function staticTokenCredentials(token: string, now: () => number = Date.now): Credentials {
  const header = `Bearer ${token}`;
  const expiresAt = jwtExpiry(token);
  // A file's path put where the token goes is sent as the token: the advice says so first, and never quotes it. A
  // random token may start with "/" too (base64): it gets only the renewal.
  const pathLike = /^(?:\/|\.\.?\/|~\/)\S*$/.test(token) && !mayBeSecret(token);
  const pathAdvice = pathLike
    ? "the token looks like a file's path: name it as tokenFile (cluster.tokenFile) instead, or if it is a token, "
    : "";
  const renewal = `${pathAdvice}renew the token, then restart the process: a token written in a kubeconfig or ` +
    "given as an option is read once, when the process first uses the cluster (a tokenFile or an exec plugin is " +
    "read again by itself)";
  return {
    authorization: () => Promise.resolve(header),
    invalidate() {},
    get renewal() {
      if (expiresAt === undefined || now() < expiresAt) return renewal;
      return `the token expired at ${new Date(expiresAt).toISOString()} (its exp claim): ${renewal}`;
    },
  };
}

/** The `exp` claim of a JWT, in milliseconds since the epoch; `undefined` for any other token. Checks nothing else. */
function jwtExpiry(token: string): number | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const base64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(base64.padEnd(base64.length + (4 - base64.length % 4) % 4, "=")));
    const exp = claims?.exp;
    return typeof exp === "number" && Number.isFinite(exp) && exp > 0 ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Credentials with HTTP basic auth (kubeconfig `username`/`password`). The
 * API server dropped basic auth in Kubernetes 1.19; proxies in front of it
 * may still accept it.
 *
 * @param username The user name.
 * @param password The password.
 * @returns Credentials that send `Basic base64(username:password)`.
 *
 * @example Basic auth
 * ```ts
 * import { basicAuthCredentials } from "./credentials.ts";
 * console.log(await basicAuthCredentials("admin", "secret").authorization()); // Basic YWRtaW46c2VjcmV0
 * ```
 */
export function basicAuthCredentials(
  username: string,
  password: string,
): Credentials {
  const header = `Basic ${encodeBase64(`${username}:${password}`)}`;
  return {
    authorization: () => Promise.resolve(header),
    invalidate() {},
    renewal: "the API server has refused basic auth since Kubernetes 1.19: give the user a token, a client " +
      "certificate or an exec plugin, then restart the process",
  };
}

/** How old a token read from a file may get before it is read again, in ms: the messages say "every minute". */
const TOKEN_REFRESH_MS = 60_000;

/**
 * Options of {@linkcode tokenFileCredentials}.
 *
 * @example Reading the file from disk
 * ```ts
 * import type { TokenFileOptions } from "./credentials.ts";
 * import { readTextFile } from "../runtime/files.ts";
 * const options: TokenFileOptions = { readFile: readTextFile };
 * ```
 */
export interface TokenFileOptions {
  /** Reads the file; `undefined` when it does not exist. */
  readFile: ReadFile;
  /**
   * The clock, in milliseconds.
   * @default {Date.now}
   */
  now?: () => number;
  /** Whose token this is, for messages (e.g. `user "dev" of kubeconfig /root/.kube/config`). */
  label?: string;
  /** The kubeconfig that names the file, for {@linkcode ConfigError.file}. */
  file?: string;
  /**
   * What to do when the API server refuses the file's token, for {@linkcode Credentials.renewal}.
   * @default {"write a valid token into <path>: it is read again every minute and at once after a 401"}
   */
  renewal?: string;
  /** The kubeconfig field that names the file, for {@linkcode ConfigError.field}. */
  field?: string;
  /**
   * The path as written, when it is not `path` (a kubeconfig's relative one): a missing file whose name may be a
   * token pasted in its place is not named in messages (see {@linkcode mayBeSecret}).
   * @default {path}
   */
  written?: string;
  /**
   * What to do when no file has the name and the name may be a token pasted in its place (`put the token in token
   * instead, or ...`). Given, such a name is shown in no message (see `written`); without it, the path always is.
   */
  pastedTokenAdvice?: string;
  /**
   * A token to send while the file has never been read (kubeconfig `token`
   * beside `tokenFile`): client-go sends it when the file cannot be read, and
   * the file's token once it can. Not sent for a file that the runtime may not
   * read (Deno, Node's permission model): `authorization()` then throws, naming
   * the flag (`--allow-read`, `--allow-fs-read`).
   */
  fallbackToken?: string;
}

/**
 * Credentials that read a bearer token from a file (kubeconfig `tokenFile`,
 * the in-cluster service-account token), again at least every minute
 * and at once after `invalidate()`: the kubelet rotates bound tokens. When a
 * re-read fails, the last good token is kept; until a first read succeeds,
 * `fallbackToken` is sent (and the file tried again at every call).
 *
 * @param path The token file.
 * @param options File reading, clock and labels.
 * @returns The credentials.
 * @throws {ConfigError} From `authorization()`, when the file is missing,
 * empty or unreadable, no earlier read succeeded and there is no `fallbackToken`
 * (or the runtime may not read the file: Deno, Node's permission model).
 *
 * @example The in-cluster token
 * ```ts ignore
 * import { tokenFileCredentials } from "./credentials.ts";
 * import { readTextFile } from "../runtime/files.ts";
 * const credentials = tokenFileCredentials("/var/run/secrets/kubernetes.io/serviceaccount/token", { readFile: readTextFile });
 * await credentials.authorization(); // "Bearer eyJ..."
 * ```
 */
export function tokenFileCredentials(
  path: string,
  options: TokenFileOptions,
): Credentials {
  const now = options.now ?? Date.now;
  const label = options.label ?? `token file ${path}`;
  const fallback = options.fallbackToken !== undefined ? `Bearer ${options.fallbackToken}` : undefined;
  let header: string | undefined;
  let readAt = 0;
  let stale = true;
  let reading: Promise<string> | undefined;

  // A token pasted where its file's path belongs is named in no message, nor in the error's file or cause.
  const written = options.written ?? path;
  const pasted = options.pastedTokenAdvice !== undefined && mayBeSecret(written);
  const where = options.field === undefined || options.field === label ? "there" : `in ${options.field}`;
  const pathShown = pasted
    ? `the file named ${where} (${written.length} characters, not shown: it may be a token)`
    : path;
  const fail = (problem: string, cause?: unknown) =>
    new ConfigError(`Cannot read the token of ${label}: ${problem}`, {
      file: options.file ?? (pasted ? undefined : path),
      ...(options.field !== undefined ? { field: options.field } : {}),
      ...(cause !== undefined && !pasted ? { cause } : {}),
    });

  // Whether the last read failed as the runtime (Deno, Node's permission model) may not read the file (its cause
  // says so, and is dropped above).
  let refusedRead = false;

  async function read(): Promise<string> {
    refusedRead = false;
    const text = await readConfigFile(options.readFile, path, ({ problem, fix, fileThere, cause }) => {
      refusedRead = readRefusal(cause) !== undefined;
      return fail(`${fileThere ? path : pathShown} ${problem}: ${fix}`, cause);
    }, { written });
    if (text === undefined) {
      throw fail(`${pathShown} does not exist: ${pasted ? options.pastedTokenAdvice : "create it or fix the path"}`);
    }
    const token = text.trim();
    if (token === "") throw fail(`${path} is empty: write the token into it`);
    return `Bearer ${token}`;
  }

  async function refresh(): Promise<string> {
    try {
      const next = await read();
      if (header !== undefined && next !== header) {
        trace(`token file ${path} changed: using the new token`);
      }
      header = next;
      readAt = now();
      stale = false;
      return next;
    } catch (error) {
      // A file that the runtime may not read is no missing file: the inline token would fail with advice about the file.
      if (header === undefined && fallback !== undefined && !refusedRead) {
        trace(
          `${pasted ? pathShown : `token file ${path}`} could not be read, using the inline token: ${
            (error as Error).message
          }`,
        );
        return fallback;
      }
      if (header === undefined) throw error;
      trace(
        `token file ${path} could not be re-read, keeping the last token: ${(error as Error).message}`,
      );
      readAt = now();
      stale = false;
      return header;
    }
  }

  return {
    authorization() {
      if (header !== undefined && !stale && !readAgain(now(), readAt, TOKEN_REFRESH_MS)) {
        return Promise.resolve(header);
      }
      reading ??= refresh().finally(() => {
        reading = undefined;
      });
      return reading;
    },
    invalidate() {
      stale = true;
    },
    get renewal() {
      const renewal = options.renewal ??
        `write a valid token into ${path}: it is read again every minute and at once after a 401`;
      // The kubelet renews a pod's token long before it expires: one that expired was not rotated.
      const expiresAt = header === undefined ? undefined : jwtExpiry(header.slice("Bearer ".length));
      if (expiresAt === undefined || now() < expiresAt) return renewal;
      return `the token in ${path} expired at ${new Date(expiresAt).toISOString()} (its exp claim): ${renewal}`;
    },
  };
}
