// kubeconfig_file_client.mjs without its top-level await, which a CommonJS bundle cannot hold: bundled by
// tests/bundle_test.ts, it prints what the first snapshot's loop threw, or the pods.
import { printFirstSnapshot } from "./first_snapshot.mjs";

printFirstSnapshot();
