import assert from "node:assert/strict";
import fc from "fast-check";
import { createSubsetter } from "../src/selection/subset.ts";

const endpoint = (i: number, preferred = true) => ({
  podName: `pod-${i}`,
  preferred,
  addresses: [{ host: `10.0.${i >> 8}.${i & 255}`, port: 50051 }],
});
const names = (list: { podName?: string }[]) => list.map((e) => e.podName).sort();
/** Any subset seed: 32 bits. */
const seed = fc.integer({ min: 0, max: 2 ** 32 - 1 });

Deno.test("createSubsetter() keeps k endpoints, the same ones for the same seed whatever their order", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 20 }), seed, fc.integer({ min: 0, max: 60 }), (k, seed, n) => {
      const all = Array.from({ length: n }, (_, i) => endpoint(i));
      const chosen = createSubsetter(k, seed).select(all);
      assert.equal(chosen.length, Math.min(k, n));
      const shuffled = [...all].reverse();
      assert.deepEqual(names(createSubsetter(k, seed).select(shuffled)), names(chosen));
    }),
  );
});

Deno.test("createSubsetter() keeps the k best of one ranking: a smaller subset is inside a larger one, ties go to the first", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 30 }),
      fc.integer({ min: 1, max: 30 }),
      seed,
      // Few names for many endpoints: the same name scores the same, so ties are common.
      fc.array(fc.record({ name: fc.integer({ min: 0, max: 20 }), preferred: fc.boolean() }), { maxLength: 120 }),
      (a, b, seed, picks) => {
        const all = picks.map(({ name, preferred }) => endpoint(name, preferred));
        const [small, large] = [Math.min(a, b), Math.max(a, b)].map((k) => createSubsetter(k, seed).select(all));
        assert.ok(small.every((e) => large.includes(e)));
        for (const chosen of [small, large]) {
          // Given order kept, and of endpoints with one name, only a first few.
          assert.deepEqual(chosen, all.filter((e) => chosen.includes(e)));
          for (const e of chosen) {
            const twins = all.filter((other) => other.podName === e.podName && other.preferred === e.preferred);
            assert.ok(twins.slice(0, twins.indexOf(e)).every((twin) => chosen.includes(twin)));
          }
        }
      },
    ),
    { numRuns: 1000 },
  );
});

Deno.test("createSubsetter() keeps the same subset whatever the order when two pods' names hash alike", () => {
  // These two names have the same 32-bit FNV-1a hash, so the same score for every seed; with 98 others, seed 91
  // puts them across the boundary of a subset of 10, where the first given won the tie.
  const twins = ["echo-7d9f8b6c5d-ct7hc", "echo-7d9f8b6c5d-4ghbd"].map((podName, i) => ({
    podName,
    preferred: true,
    addresses: [{ host: `10.1.0.${i + 1}`, port: 50051 }],
  }));
  const others = Array.from({ length: 98 }, (_, i) => endpoint(i));
  const subsetter = createSubsetter(10, 91);
  const chosen = names(subsetter.select([...twins, ...others]));
  assert.deepEqual(names(subsetter.select([...twins].reverse().concat(others))), chosen);
  assert.equal(chosen.filter((name) => name!.startsWith("echo-")).length, 1);
});

Deno.test("createSubsetter() moves as few endpoints as possible when one leaves or arrives", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 10 }),
      seed,
      fc.integer({ min: 12, max: 60 }),
      fc.nat(),
      (k, seed, n, pick) => {
        const all = Array.from({ length: n }, (_, i) => endpoint(i));
        const subsetter = createSubsetter(k, seed);
        const before = new Set(names(subsetter.select(all)));
        const gone = all[pick % n];
        const after = new Set(names(subsetter.select(all.filter((e) => e !== gone))));
        const lost = [...before].filter((name) => !after.has(name));
        if (before.has(gone.podName)) {
          assert.deepEqual(lost, [gone.podName]);
        } else assert.deepEqual(lost, []);
        assert.equal(after.size, k);
        const arrived = new Set(names(subsetter.select([...all, endpoint(n)])));
        assert.ok([...before].filter((name) => !arrived.has(name)).length <= 1);
      },
    ),
  );
});

Deno.test("createSubsetter() subsets preferred and failover endpoints apart", () => {
  const all = [
    ...Array.from({ length: 30 }, (_, i) => endpoint(i)),
    ...Array.from({ length: 30 }, (_, i) => endpoint(100 + i, false)),
  ];
  const chosen = createSubsetter(5, 7).select(all);
  assert.equal(chosen.filter((e) => e.preferred).length, 5);
  assert.equal(chosen.filter((e) => !e.preferred).length, 5);
});

Deno.test("createSubsetter() subsets the client's zone apart from the other failover endpoints (PreferSameNode)", () => {
  const zone = (i: number) => ({ ...endpoint(i, false), sameZone: true });
  const all = [
    ...Array.from({ length: 30 }, (_, i) => endpoint(i)),
    ...Array.from({ length: 30 }, (_, i) => zone(100 + i)),
    ...Array.from({ length: 30 }, (_, i) => endpoint(200 + i, false)),
  ];
  for (let seed = 0; seed < 20; seed++) {
    const chosen = createSubsetter(5, seed).select(all);
    const tiers = [chosen.filter((e) => e.preferred), chosen.filter((e) => "sameZone" in e), chosen];
    assert.deepEqual(tiers.map((tier) => tier.length), [5, 5, 15], `seed ${seed}`);
  }
});

Deno.test("createSubsetter() without tiers keeps k of all endpoints, as if every one were preferred", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 20 }), seed, fc.array(fc.boolean(), { maxLength: 60 }), (k, seed, flags) => {
      const all = flags.map((preferred, i) => endpoint(i, preferred));
      const chosen = createSubsetter(k, seed, { tiers: false }).select(all);
      assert.equal(chosen.length, Math.min(k, all.length));
      assert.deepEqual(
        names(chosen),
        names(createSubsetter(k, seed).select(all.map((e) => endpoint(Number(e.podName.slice(4)))))),
      );
    }),
  );
});

Deno.test("createSubsetter() spreads clients evenly over the endpoints", () => {
  const all = Array.from({ length: 50 }, (_, i) => endpoint(i));
  const picked = new Map<string, number>();
  for (let seed = 0; seed < 2000; seed++) {
    for (const e of createSubsetter(5, seed).select(all)) picked.set(e.podName, (picked.get(e.podName) ?? 0) + 1);
  }
  // Each endpoint is expected in 2000 * 5 / 50 = 200 subsets.
  for (const [name, count] of picked) assert.ok(count > 120 && count < 280, `${name} in ${count} subsets`);
  assert.equal(picked.size, 50);
});

Deno.test("createSubsetter() refuses a size that is not a positive integer", () => {
  for (const size of [0, -1, 1.5, Number.NaN]) {
    assert.throws(
      () => createSubsetter(size, 1),
      /RangeError: Cannot use option 'subsetSize': it must be a positive integer \(how many pods each channel connects to\): current value is/,
    );
  }
});

Deno.test("createSubsetter() refuses a seed that is not a 32-bit integer; -1 is 4294967295", () => {
  for (const bad of [-(2 ** 31) - 1, 1.5, 2 ** 32, Number.NaN]) {
    assert.throws(
      () => createSubsetter(2, bad),
      /RangeError: Cannot use option 'subsetSeed': it must be a 32-bit integer \(-2147483648 to 4294967295\)/,
    );
  }
  const all = Array.from({ length: 20 }, (_, i) => endpoint(i));
  assert.deepEqual(names(createSubsetter(3, -1).select(all)), names(createSubsetter(3, 2 ** 32 - 1).select(all)));
});
