/**
 * Telling PEM text (`-----BEGIN ...` blocks) from anything else, and checking
 * that a PEM file named in the configuration exists and holds PEM.
 *
 * @module
 */

/**
 * Whether text holds PEM blocks (`-----BEGIN ...`).
 *
 * @param text The text.
 * @returns True when it looks like PEM.
 *
 * @example PEM and base64
 * ```ts
 * import { isPem } from "./_pem.ts";
 * console.log(isPem("-----BEGIN CERTIFICATE-----\n..."), isPem("LS0tLS1CRUdJTg==")); // true false
 * ```
 */
export function isPem(text: string): boolean {
  return text.includes("-----BEGIN");
}

/**
 * Whether text holds whole PEM certificates and nothing cut short: at least one `CERTIFICATE` block, and an end
 * to every one that begins (a CA file caught while it is written, or holding only a key, does not).
 *
 * @param text The text.
 * @returns True when every certificate block in it is complete, and there is one.
 *
 * @example A bundle cut short
 * ```ts
 * import { holdsCertificates } from "./_pem.ts";
 * const block = "-----BEGIN CERTIFICATE-----\nY2E=\n-----END CERTIFICATE-----\n";
 * console.log(holdsCertificates(block), holdsCertificates(`${block}-----BEGIN CERTIFICATE-----\nY2`)); // true false
 * ```
 */
export function holdsCertificates(text: string): boolean {
  const begun = text.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
  const whole = text.match(/-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----/g)?.length ?? 0;
  return whole > 0 && whole === begun;
}

/**
 * Checks the text of a PEM file named in the configuration: present, and PEM.
 *
 * @param text The file's text, `undefined` when it does not exist.
 * @param fail Makes the error for a problem, e.g. `does not exist: fix the path`.
 * @param fix What to do about a missing file.
 * @returns The text.
 * @throws {Error} The error `fail` makes.
 *
 * @example A file that is not PEM
 * ```ts
 * import { checkPemFile } from "./_pem.ts";
 * try {
 *   checkPemFile("MIIB...", (problem) => new Error(`ca.crt ${problem}`));
 * } catch (error) {
 *   console.log((error as Error).message); // ca.crt is not a PEM file: it must hold -----BEGIN ... blocks
 * }
 * ```
 */
export function checkPemFile(
  text: string | undefined,
  fail: (problem: string) => Error,
  fix = "fix the path",
): string {
  if (text === undefined) throw fail(`does not exist: ${fix}`);
  if (!isPem(text)) throw fail("is not a PEM file: it must hold -----BEGIN ... blocks");
  return text;
}
