/**
 * What the CLI says of a target whose scheme is not the one `register()` takes by default. The CLI resolves a target
 * of any scheme, as the library does; a channel reaches the resolver only under the scheme it was registered with,
 * which grpc-js matches as written, and sends any other to its DNS resolver.
 *
 * @module
 */

import { DEFAULT_SCHEME, type Target } from "../base/target.ts";
import { nearestName } from "../base/_nearest_name.ts";

/**
 * Why channels may fail on a target that the CLI resolves: its scheme is not `kubernetes`. A scheme close to it
 * (`KUBERNETES`, `kuberentes`) gets the target meant; another (`k8s`), the option that channels need.
 *
 * @param input The target as given (without user information: a target with it does not parse).
 * @param target The parsed target.
 * @returns The advice, without a newline; `undefined` for the default scheme.
 *
 * @example A scheme in capitals
 * ```ts ignore
 * schemeAdvice("KUBERNETES:///echo.shop:grpc", parseTarget("KUBERNETES:///echo.shop:grpc"));
 * // 'the scheme "KUBERNETES" is not "kubernetes", ...; did you mean kubernetes:///echo.shop:grpc?'
 * ```
 */
export function schemeAdvice(input: string, target: Target): string | undefined {
  const { scheme } = target;
  if (scheme === DEFAULT_SCHEME) return undefined;
  const head = `the scheme ${JSON.stringify(scheme)} is not ${JSON.stringify(DEFAULT_SCHEME)}, the one register() ` +
    "takes by default, and schemes are case-sensitive";
  const registered = `register({ scheme: ${JSON.stringify(scheme)} })`;
  const fails = `a channel fails on it with "Name resolution failed for target dns:${input}"`;
  if (nearestName(scheme, [DEFAULT_SCHEME]) === DEFAULT_SCHEME) {
    return `${head}: unless your channels ran ${registered}, ${fails}; did you mean ${DEFAULT_SCHEME}${
      input.slice(scheme.length)
    }?`;
  }
  return `${head}: channels resolve it only after ${registered} (createChannel() of @kgr/resolver/nice-grpc ` +
    `registers a target's scheme itself); without it, ${fails}`;
}
