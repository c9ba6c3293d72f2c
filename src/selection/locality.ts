/**
 * Where the client runs, for topology-aware routing: `options.locality`, else
 * the `NODE_NAME` and `ZONE` environment variables (filled by the Downward
 * API), else, when only the node is known, the zone label of that Node (one
 * GET, which needs `get` on `nodes`). Failing to read the Node is never an
 * error: the zone is then unknown.
 *
 * @module
 */

import { currentValue, isOptionsObject } from "../base/_util.ts";
import { environmentVariable, refusedToRead } from "../runtime/files.ts";
import type { Locality } from "./topology.ts";
import { trace, warnOnce } from "../runtime/trace.ts";
import { denoHolder, refusedEnvAdvice } from "../runtime/deno_permission_advice.ts";
import { wordList } from "../base/_word_list.ts";

/**
 * The locality that options and environment declare, without asking the API
 * server: `explicit` when given, else `NODE_NAME` and `ZONE`.
 *
 * @param explicit `options.locality`, when the caller set it.
 * @param env Looks up an environment variable.
 * @returns The node and zone, each when known.
 *
 * @example From the Downward API
 * ```ts
 * import { declaredLocality } from "./locality.ts";
 * const env: Record<string, string> = { NODE_NAME: "node-1", ZONE: "eu-west-1a" };
 * console.log(declaredLocality(undefined, (name) => env[name])); // { node: "node-1", zone: "eu-west-1a" }
 * ```
 */
export function declaredLocality(
  explicit: Locality | undefined,
  env: (name: string) => string | undefined = environmentVariable,
): Locality {
  return withoutBlank(writtenLocality(explicit, env));
}

/** The locality as written: `explicit` when given, else `NODE_NAME` and `ZONE` as set (blank ones too). */
function writtenLocality(explicit: Locality | undefined, env: (name: string) => string | undefined): Locality {
  return explicit ?? { node: env("NODE_NAME"), zone: env("ZONE") };
}

/**
 * Checks a `locality` option's shape: an object whose `zone` and `node`, when set, are strings (`{}` turns topology
 * off). Throws a `TypeError` that names the option otherwise, at the call that was given it.
 *
 * @param value The option's value.
 * @throws {TypeError} Naming the option, what it must be and its value.
 *
 * @example
 * ```ts
 * import { checkLocality } from "./locality.ts";
 * checkLocality({ zone: "eu-west-1a" });
 * ```
 */
export function checkLocality(value: unknown): asserts value is Locality {
  const ok = isOptionsObject(value) &&
    ["zone", "node"].every((field) => {
      const part = (value as Record<string, unknown>)[field];
      return part === undefined || typeof part === "string";
    });
  if (ok) return;
  throw new TypeError(
    `Cannot use option 'locality': it must be an object such as { zone: "eu-west-1a", node: "node-1" }, ` +
      `whose zone and node are strings ({} turns topology off): ${currentValue(value)}`,
  );
}

/**
 * Refuses a locality whose fields are all blank: it would be `{}`, topology off, and `ZONE` and `NODE_NAME` unread,
 * which `{ zone: process.env.ZONE ?? "" }` never meant. A blank field beside one that is set is left out, as a blank
 * variable is (`{ zone: "", node: "n1" }` reads node n1's zone label).
 *
 * @param locality A locality of the right shape ({@linkcode checkLocality}).
 * @throws {TypeError} Naming the option, what to pass instead and its value.
 *
 * @example
 * ```ts
 * import { refuseBlankLocality } from "./locality.ts";
 * refuseBlankLocality({ zone: "", node: "node-1" }); // no throw: node-1 alone, its zone label read
 * ```
 */
export function refuseBlankLocality(locality: Locality): void {
  const given = [locality.zone, locality.node].filter((part) => part !== undefined);
  if (given.length === 0 || given.some((part) => part!.trim() !== "")) return;
  throw new TypeError(
    `Cannot use option 'locality': its ${locality.zone !== undefined ? "zone" : "node"} must not be empty: leave ` +
      `locality out to use the ZONE and NODE_NAME environment variables, or pass locality: {} for no topology: ` +
      currentValue(locality),
  );
}

/**
 * How to turn topology-aware routing off on purpose, in the one wording that the warnings of a locality gone wrong
 * end with: a test against its own fake API server, on a CI runner that sets `NODE_NAME`, needs no zone.
 */
export const TOPOLOGY_OFF_ADVICE = "locality: {} turns topology-aware routing off without this warning";

/** Whether a locality names a node or a zone. */
function isKnown(locality: Locality): boolean {
  return locality.zone !== undefined || locality.node !== undefined;
}

/**
 * The client's locality: {@linkcode declaredLocality}, completed with the
 * Node's zone label when only the node is known. Traces which locality is
 * used and where it came from. Never rejects.
 *
 * @param explicit `options.locality`, when the caller set it.
 * @param readNodeZone Reads a Node's zone label (rejects when it cannot); it is also handed the zone as written
 *   (`ZONE`, or `locality.zone`): unset, or blank (set but empty), which the warning of a failed read names.
 * @param env Looks up an environment variable.
 * @returns The node and zone, each when known.
 *
 * @example
 * ```ts
 * import { resolveLocality } from "./locality.ts";
 * const locality = await resolveLocality({ node: "node-1" }, () => Promise.resolve("zone-a"));
 * console.log(locality); // { node: "node-1", zone: "zone-a" }
 * ```
 */
export async function resolveLocality(
  explicit: Locality | undefined,
  readNodeZone: (node: string, writtenZone: string | undefined) => Promise<string | undefined>,
  env: (name: string) => string | undefined = environmentVariable,
): Promise<Locality> {
  const written = writtenLocality(explicit, env);
  const declared = withoutBlank(written);
  // Only the real environment can be refused (Deno with a list of variables that leaves these out).
  if (explicit === undefined && env === environmentVariable) warnUnreadable(LOCALITY_VARIABLES.filter(refusedToRead));
  const from = explicit !== undefined ? "options.locality" : "NODE_NAME and ZONE";
  const nodeFrom = explicit !== undefined ? from : "NODE_NAME";
  let zoneFrom = explicit !== undefined ? from : "ZONE";
  if (declared.node !== undefined && declared.zone === undefined) {
    try {
      const zone = await readNodeZone(declared.node, written.zone);
      if (zone !== undefined) {
        declared.zone = zone;
        zoneFrom = `the label of node ${declared.node}`;
      }
    } catch (error) {
      trace(`cannot read the zone of node ${declared.node}, so it is unknown: ${(error as Error).message}`);
    }
  }
  if (!isKnown(declared)) trace(`no locality in ${from}: topology-aware routing is off`);
  else {
    trace(
      `locality: node ${declared.node === undefined ? "unknown" : `${declared.node} (from ${nodeFrom})`}, ` +
        `zone ${declared.zone === undefined ? "unknown" : `${declared.zone} (from ${zoneFrom})`}`,
    );
  }
  return declared;
}

/** The variables that declare where the client runs, as the Downward API fills them. */
const LOCALITY_VARIABLES = ["NODE_NAME", "ZONE"];

/**
 * Says, on standard error (once per variable) and in the trace, that the runtime refuses to read locality
 * variables: they may be set, and topology-aware routing would otherwise go without them silently.
 */
function warnUnreadable(names: string[]): void {
  if (names.length === 0) return;
  const fix = refusedEnvAdvice(names, wordList(names));
  const message = `${denoHolder()} may not read ${wordList(names, "or")}, so topology-aware routing cannot use ` +
    `${names.length > 1 ? "them" : "it"}: ${fix} (or set the locality option: {} turns topology-aware routing off)`;
  warnOnce(names, message);
}

/** The locality's fields trimmed, the blank ones left out, as `ZONE` and `NODE_NAME` are read. */
function withoutBlank({ zone, node }: Locality): Locality {
  const locality: Locality = {};
  if (node?.trim()) locality.node = node.trim();
  if (zone?.trim()) locality.zone = zone.trim();
  return locality;
}
