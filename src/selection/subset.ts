/**
 * Subsetting (gRFC A68's random subsetting, by rendezvous hashing): each client
 * uses a stable pseudo-random subset of `k` endpoints, so that thousands of
 * clients and thousands of pods do not make clients × pods connections. Every
 * endpoint gets a score from the client's seed and the endpoint's identity;
 * the subset is the `k` best. One endpoint added or removed changes at most
 * one member of a subset: an endpoint that leaves takes its clients to the
 * next best one each, and one that arrives takes only the clients it now
 * outranks (a rollout, which does both, changes a subset about twice over). Topology is kept for a policy
 * that fails over: the preferred endpoints, those of the client's zone under node preference (`sameZone`), and the
 * others are subset apart (`tiers`), `k` of each, so that each failover tier has endpoints.
 *
 * @module
 */

import { currentValue } from "../base/_util.ts";

/** What subsetting needs of an endpoint. */
export interface SubsetCandidate {
  /** Addresses; the first one identifies the endpoint when it has no pod name. */
  addresses: readonly { host: string; port: number }[];
  /** The pod, the endpoint's identity across changes of its conditions. */
  podName?: string;
  /** Preferred and other endpoints are subset apart (with `tiers`). */
  preferred: boolean;
  /** A failover endpoint in the client's zone (see `ResolvedEndpoint.sameZone`): subset apart too (with `tiers`). */
  sameZone?: boolean | undefined;
}

/** How a client subsets. */
export interface SubsetOptions {
  /**
   * Whether preferred endpoints, failover ones in the client's zone and the others are subset apart (`size` of
   * each), for a policy that fails over from the first to the next; else `size` of them all, whatever topology
   * prefers.
   * @default {true}
   */
  tiers?: boolean | undefined;
}

/** A client's subsetting: call `select` with every update of the endpoints. */
export interface Subsetter {
  /** The subset, in the endpoints' given order: at most `size` of each tier (see `tiers`). */
  select<T extends SubsetCandidate>(endpoints: readonly T[]): T[];
}

/**
 * Creates a client's subsetting.
 *
 * @param size How many endpoints to keep (of each tier with `tiers`); a positive integer.
 * @param seed The client's seed; the same seed gives the same subset of the same endpoints.
 * @param options Whether the tiers are subset apart.
 * @returns The subsetter.
 * @throws {RangeError} When `size` is not a positive integer or `seed` not a 32-bit integer, naming them as
 * `register()`'s options `subsetSize` and `subsetSeed` (the CLI checks its flags before).
 * @throws {TypeError} When either is no number at all.
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
export function createSubsetter(size: number, seed: number, options: SubsetOptions = {}): Subsetter {
  const tiers = options.tiers ?? true;
  if (!Number.isInteger(size) || size < 1) {
    throw new (typeof size === "number" ? RangeError : TypeError)(
      `Cannot use option 'subsetSize': it must be a positive integer (how many pods each channel connects to): ` +
        currentValue(size),
    );
  }
  if (!isSubsetSeed(seed)) {
    throw new (typeof seed === "number" ? RangeError : TypeError)(
      `Cannot use option 'subsetSeed': it must be a 32-bit integer (${MIN_SEED} to ${MAX_SEED}): ${currentValue(seed)}`,
    );
  }
  return {
    select(endpoints) {
      if (endpoints.length <= size) return [...endpoints];
      // Scores are computed afresh each time: hashing a pod name costs less than looking it up in a cache would.
      const preferred = new BestScores(size);
      const sameZone = new BestScores(size);
      const others = new BestScores(size);
      for (let i = 0; i < endpoints.length; i++) {
        const endpoint = endpoints[i];
        const key = endpoint.podName ?? `${endpoint.addresses[0].host}|${endpoint.addresses[0].port}`;
        const best = endpoint.preferred || !tiers ? preferred : endpoint.sameZone ? sameZone : others;
        best.offer(rendezvousScore(seed, key), key, i);
      }
      const kept = [...preferred.indexes(), ...sameZone.indexes(), ...others.indexes()].sort((a, b) => a - b);
      return kept.map((index) => endpoints[index]);
    },
  };
}

/**
 * The indexes of the `size` highest scores offered, ties going to the lower key and then to the lower index (so the
 * result does not depend on the endpoints' order: distinct keys can share a score, as their 32-bit hashes can be
 * equal): a heap of the best so far, its worst on top. Thousands of endpoints cost one comparison each, and a heap
 * step for the few that enter, rather than a sort of them all.
 */
class BestScores {
  readonly #scores: Uint32Array;
  readonly #keys: string[] = [];
  readonly #indexes: Uint32Array;
  #count = 0;

  constructor(size: number) {
    this.#scores = new Uint32Array(size);
    this.#indexes = new Uint32Array(size);
  }

  /** Offers an endpoint's score and key; indexes must come in increasing order (a later equal one loses the tie). */
  offer(score: number, key: string, index: number): void {
    if (this.#count < this.#scores.length) {
      // Sift up: the new entry rises past every entry that ranks above it, so that the worst is on top.
      let at = this.#count++;
      while (at > 0) {
        const parent = (at - 1) >> 1;
        if (this.#below(parent, score, key, index)) break;
        this.#move(parent, at);
        at = parent;
      }
      this.#put(at, score, key, index);
      return;
    }
    // Most endpoints score below the worst kept: one comparison each.
    if (score < this.#scores[0] || !this.#below(0, score, key, index)) return;
    // Sift down from the top, which the new entry replaces; it stays above children that rank above it.
    const count = this.#count;
    let at = 0;
    while (true) {
      let child = 2 * at + 1;
      if (child >= count) break;
      const right = child + 1;
      if (right < count && this.#below(right, this.#scores[child], this.#keys[child], this.#indexes[child])) {
        child = right;
      }
      if (!this.#below(child, score, key, index)) break;
      this.#move(child, at);
      at = child;
    }
    this.#put(at, score, key, index);
  }

  /** The kept indexes, in no particular order. */
  indexes(): Uint32Array {
    return this.#indexes.subarray(0, this.#count);
  }

  /** Whether the heap's entry `at` ranks below the given one: a lower score, else a greater key, else a later index. */
  #below(at: number, score: number, key: string, index: number): boolean {
    const other = this.#scores[at];
    if (other !== score) return other < score;
    const otherKey = this.#keys[at];
    return otherKey === key ? this.#indexes[at] > index : otherKey > key;
  }

  #move(from: number, to: number): void {
    this.#scores[to] = this.#scores[from];
    this.#keys[to] = this.#keys[from];
    this.#indexes[to] = this.#indexes[from];
  }

  #put(at: number, score: number, key: string, index: number): void {
    this.#scores[at] = score;
    this.#keys[at] = key;
    this.#indexes[at] = index;
  }
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
