/**
 * A secret-free name for a credential (a token, a password, a certificate),
 * so that messages and traces can tell identities apart without showing them.
 *
 * @module
 */

import { mayBeSecretPath } from "./_contents_instead_of_path.ts";

/** The key of {@linkcode fingerprint}: random, drawn once per process, never shown. */
let fingerprintKey: Promise<CryptoKey> | undefined;

/**
 * A short keyed hash (HMAC-SHA256 under a key drawn once per process) of a token, password or certificate:
 * tells identities apart within the process without revealing them. Unkeyed, a hash in a log would let
 * anyone check guesses of a password against it.
 *
 * @param text The credential.
 * @returns `hmac-sha256:` and 16 hex digits, the same for the same text within one process.
 *
 * @example Two tokens told apart
 * ```ts
 * import { fingerprint } from "./_fingerprint.ts";
 * console.log(await fingerprint("token-a") === await fingerprint("token-a")); // true
 * console.log(await fingerprint("token-a") === await fingerprint("token-b")); // false
 * ```
 */
export async function fingerprint(text: string): Promise<string> {
  fingerprintKey ??= crypto.subtle.importKey(
    "raw",
    crypto.getRandomValues(new Uint8Array(32)),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const digest = new Uint8Array(await crypto.subtle.sign("HMAC", await fingerprintKey, new TextEncoder().encode(text)));
  return `hmac-sha256:${Array.from(digest.subarray(0, 8), (byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * A token file's path as an identity holds it: as it is, or its {@linkcode fingerprint} when it may be the token
 * itself, given in the path's place (see `mayBeSecret()`), which an identity must never hold as it is.
 *
 * @param path The path, resolved against the kubeconfig's folder.
 * @param written The value as written.
 * @returns The path, or its fingerprint.
 *
 * @example
 * ```ts
 * import { tokenPathKey } from "./_fingerprint.ts";
 * console.log(await tokenPathKey("/var/run/secrets/token")); // /var/run/secrets/token
 * ```
 */
export async function tokenPathKey(path: string, written = path): Promise<string> {
  return mayBeSecretPath(path, written) ? await fingerprint(path) : path;
}
