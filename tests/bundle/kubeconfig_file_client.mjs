// A program that reads a kubeconfig file (the first argument), bundled by tests/bundle_test.ts: it prints what the
// first snapshot's loop threw, or the pods. Its entry awaits at the top level, as some bundles' entries do.
import { printFirstSnapshot } from "./first_snapshot.mjs";

await printFirstSnapshot();
