/**
 * What the CLI says of a target whose scheme is not the one `register()` takes by default. The CLI resolves a target
 * of any scheme, as the library does; a channel reaches the resolver only under the scheme it was registered with,
 * which grpc-js matches as written, and sends any other to its DNS resolver. A scheme close to `kubernetes` is likely
 * a mistake and is warned about; another (`k8s`) is a choice the README endorses, and `check` only notes what
 * channels need for it.
 *
 * @module
 */

import { DEFAULT_SCHEME, type Target } from "../base/target.ts";
import { nearestName } from "../base/_nearest_name.ts";

/** How a channel gets the resolver under another scheme. */
const REGISTERS = "or come from nice-grpc's createChannel() (@kgr/resolver/nice-grpc, which registers the target's " +
  "scheme)";

/** Whether `scheme` is likely `kubernetes` mistyped: the same but for case, or a typo `nearestName()` finds. */
function nearMiss(scheme: string): boolean {
  return scheme !== DEFAULT_SCHEME && nearestName(scheme, [DEFAULT_SCHEME]) === DEFAULT_SCHEME;
}

/**
 * Why channels may fail on a target that the CLI resolves: its scheme is `kubernetes` mistyped (`KUBERNETES`,
 * `kuberentes`). The advice gives the target meant.
 *
 * @param input The target as given (without user information: a target with it does not parse).
 * @param target The parsed target.
 * @returns The advice, without a newline; `undefined` for the default scheme and for a scheme not close to it.
 *
 * @example A scheme in capitals
 * ```ts ignore
 * schemeAdvice("KUBERNETES:///echo.shop:grpc", parseTarget("KUBERNETES:///echo.shop:grpc"));
 * // 'the scheme "KUBERNETES" is not "kubernetes", ...; did you mean kubernetes:///echo.shop:grpc?'
 * ```
 */
export function schemeAdvice(input: string, target: Target): string | undefined {
  const { scheme } = target;
  if (!nearMiss(scheme)) return undefined;
  // Only where the case is the difference is it worth saying that grpc-js matches schemes as written.
  const caseOnly = scheme.toLowerCase() === DEFAULT_SCHEME ? ", and schemes are case-sensitive" : "";
  return `the scheme ${JSON.stringify(scheme)} is not ${JSON.stringify(DEFAULT_SCHEME)}, the one register() takes ` +
    `by default${caseOnly}: unless your channels ran register({ scheme: ${JSON.stringify(scheme)} }) ${REGISTERS}, ` +
    `a channel fails on it with "Name resolution failed for target dns:${input}"; did you mean ${DEFAULT_SCHEME}${
      input.slice(scheme.length)
    }?`;
}

/**
 * What channels need for a target of a scheme chosen on purpose (`k8s`): not a doubt, a reminder.
 *
 * @param target The parsed target.
 * @returns The note, without a newline; `undefined` for the default scheme and for a near miss of it (see
 *   {@linkcode schemeAdvice}).
 *
 * @example
 * ```ts ignore
 * customSchemeNote(parseTarget("k8s:///echo.shop:grpc"));
 * // 'channels resolve scheme "k8s" once they ran register({ scheme: "k8s" }) or come from ...'
 * ```
 */
export function customSchemeNote(target: Target): string | undefined {
  const { scheme } = target;
  if (scheme === DEFAULT_SCHEME || nearMiss(scheme)) return undefined;
  const quoted = JSON.stringify(scheme);
  return `channels resolve scheme ${quoted} once they ran register({ scheme: ${quoted} }) ${REGISTERS}`;
}
