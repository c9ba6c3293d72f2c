/**
 * Subsetting (gRFC A68's random subsetting, by rendezvous hashing): each client
 * uses a stable pseudo-random subset of `k` endpoints, so that thousands of
 * clients and thousands of pods do not make clients × pods connections. Every
 * endpoint gets a score from the client's seed and the endpoint's identity;
 * the subset is the `k` best. Churn moves as few clients as possible: an
 * endpoint that leaves takes its clients to the next best one each, and one
 * that arrives takes only the clients it now outranks. Topology is kept: the
 * preferred endpoints and the others (failover) are subset apart.
 *
 * @module
 */

/** What subsetting needs of an endpoint. */
export interface SubsetCandidate {
  /** Addresses; the first one identifies the endpoint when it has no pod name. */
  addresses: { host: string; port: number }[];
  /** The pod, the endpoint's identity across changes of its conditions. */
  podName?: string;
  /** Preferred and other endpoints are subset apart. */
  preferred: boolean;
}

/** A client's subsetting: call `select` with every update of the endpoints. */
export interface Subsetter {
  /** The subset: at most `size` preferred endpoints and at most `size` others, in their given order. */
  select<T extends SubsetCandidate>(endpoints: readonly T[]): T[];
}

/**
 * Creates a client's subsetting.
 *
 * @param size How many endpoints to keep of each kind (preferred, others); a positive integer.
 * @param seed The client's seed; the same seed gives the same subset of the same endpoints.
 * @returns The subsetter.
 * @throws {RangeError} When `size` is not a positive integer or `seed` not a 32-bit integer, naming them as
 * `register()`'s options `subsetSize` and `subsetSeed` (the CLI checks its flags before).
 *
 * @example Keeping 2 of 4 endpoints
 * ```ts
 * import { createSubsetter } from "./subset.ts";
 * const subsetter = createSubsetter(2, 42);
 * const endpoints = ["a", "b", "c", "d"].map((podName, i) => ({
 *   podName,
 *   preferred: true,
 *   addresses: [{ host: `10.0.0.${i + 1}`, port: 80 }],
 * }));
 * console.log(subsetter.select(endpoints).length); // 2
 * ```
 */
export function createSubsetter(size: number, seed: number): Subsetter {
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(
      `Cannot use option 'subsetSize': it must be a positive integer (how many pods each channel connects to): ` +
        `current value is ${shown(size)}`,
    );
  }
  if (!isSubsetSeed(seed)) {
    throw new RangeError(
      `Cannot use option 'subsetSeed': it must be a 32-bit integer (${MIN_SEED} to ${MAX_SEED}): current value is ${
        shown(seed)
      }`,
    );
  }
  let scores = new Map<string, number>();
  return {
    select(endpoints) {
      if (endpoints.length <= size) return [...endpoints];
      const next = new Map<string, number>();
      const preferred: { index: number; score: number }[] = [];
      const others: { index: number; score: number }[] = [];
      for (let i = 0; i < endpoints.length; i++) {
        const endpoint = endpoints[i];
        const key = endpoint.podName ?? `${endpoint.addresses[0].host}|${endpoint.addresses[0].port}`;
        const score = scores.get(key) ?? rendezvousScore(seed, key);
        next.set(key, score);
        (endpoint.preferred ? preferred : others).push({ index: i, score });
      }
      scores = next;
      const kept = [...best(preferred, size), ...best(others, size)].sort((a, b) => a - b);
      return kept.map((index) => endpoints[index]);
    },
  };
}

/** The indexes of the `size` highest scores (ties broken by index, so the result is deterministic). */
function best(candidates: { index: number; score: number }[], size: number): number[] {
  if (candidates.length <= size) return candidates.map((candidate) => candidate.index);
  candidates.sort((a, b) => b.score - a.score || a.index - b.index);
  return candidates.slice(0, size).map((candidate) => candidate.index);
}

/** The smallest subset seed: seeds are 32-bit, signed or not (-1 and 4294967295 are the same seed). */
export const MIN_SEED: number = -(2 ** 31);
/** The largest subset seed. */
export const MAX_SEED: number = 2 ** 32 - 1;

/**
 * Whether a value is a subset seed: an integer from {@linkcode MIN_SEED} to {@linkcode MAX_SEED}.
 *
 * @param seed The value.
 * @returns Whether it is one.
 *
 * @example
 * ```ts
 * import { isSubsetSeed } from "./subset.ts";
 * console.log(isSubsetSeed(42), isSubsetSeed(1.5)); // true false
 * ```
 */
export function isSubsetSeed(seed: unknown): seed is number {
  return Number.isInteger(seed) && (seed as number) >= MIN_SEED && (seed as number) <= MAX_SEED;
}

/** A value as an error message shows it: strings quoted, so that "5" and 5 differ. */
function shown(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/**
 * The rendezvous score of an endpoint for a client: FNV-1a of the key, mixed
 * with the seed by murmur3's finalizer, as an unsigned 32-bit integer.
 *
 * @param seed The client's seed.
 * @param key The endpoint's identity.
 * @returns The score.
 */
function rendezvousScore(seed: number, key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= seed;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
