/**
 * A reproducible stand-in for `Math.random` in randomised tests: xorshift32 from `seed`, so that a failure comes
 * back on every run.
 *
 * @param seed A non-zero 32-bit number.
 * @returns A function that gives the next number in [0, 1) at each call.
 */
export function seededRandom(seed: number): () => number {
  return () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
}
