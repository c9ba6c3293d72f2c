import assert from "node:assert/strict";
import { nearestName } from "../src/base/_nearest_name.ts";

const REGISTER = ["scheme", "grpc", "loadBalancing", "subsetSize", "subsetSeed", "cluster", "stallTimeoutMs"];
const CLUSTER = ["kubeconfig", "context", "server", "token", "tokenFile", "ca", "caFile", "cert", "key", "keyFile"];
const FLAGS = ["--kubeconfig", "--context", "--namespace", "--zone", "--node", "--once", "--json", "--help"];

Deno.test("nearestName() names the one meant by a misspelt name", () => {
  const cases: [string, readonly string[], string][] = [
    ["subsetsize", REGISTER, "subsetSize"],
    ["SUBSETSIZE", REGISTER, "subsetSize"],
    ["subsetSise", REGISTER, "subsetSize"],
    ["subsetSeeds", REGISTER, "subsetSeed"],
    ["schema", REGISTER, "scheme"],
    ["grp", REGISTER, "grpc"],
    ["stallTimeout", REGISTER, "stallTimeoutMs"],
    ["tokn", CLUSTER, "token"],
    ["kubconfig", CLUSTER, "kubeconfig"],
    ["cafile", CLUSTER, "caFile"],
    ["crt", CLUSTER, "cert"],
    ["--onse", FLAGS, "--once"],
    ["--namspace", FLAGS, "--namespace"],
    ["--kube-config", FLAGS, "--kubeconfig"],
    ["--JSON", FLAGS, "--json"],
    // Two letters swapped are one edit (Damerau): these were two, and as close to another name (--zone, tokenFile)
    // or too many for a short name (kye).
    ["--onec", FLAGS, "--once"],
    ["--nmaespace", FLAGS, "--namespace"],
    ["kye", CLUSTER, "key"],
    ["tokenFiel", CLUSTER, "tokenFile"],
  ];
  for (const [name, names, meant] of cases) assert.equal(nearestName(name, names), meant, name);
});

Deno.test("nearestName() names none when none is close, or two are as close", () => {
  const cases: [string, readonly string[], string][] = [
    ["lb", REGISTER, "no name within two edits"],
    ["bearerToken", CLUSTER, "token is six edits away"],
    ["cs", CLUSTER, "one edit from ca, but half of a two-letter name"],
    ["cs", ["ca", "sc"], "one edit from ca, and half of a two-letter name: sc is a swap, but as short"],
    ["subsetSe", REGISTER, "two edits from subsetSize and from subsetSeed"],
    ["--zode", FLAGS, "one edit from --zone and from --node"],
    // A tie suggests none: a guess among names as close may be the wrong one, and the caller's fallback (--help,
    // the list of names) shows them all.
    ["--one", FLAGS, "one edit from --once, --zone and --node"],
    ["--colour", FLAGS, "no flag within two edits"],
    ["anything", [], "no names at all"],
  ];
  for (const [name, names, why] of cases) assert.equal(nearestName(name, names), undefined, why);
});

Deno.test("nearestName() prefers a name that differs only in case to a closer one", () => {
  // "Key" is one edit from "key" and from "Keys" alike; case aside it is "key" itself.
  assert.equal(nearestName("Key", ["Keys", "key"]), "key");
  // The same name twice is one name, not a tie.
  assert.equal(nearestName("tokn", ["token", "token"]), "token");
});
