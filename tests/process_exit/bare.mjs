// The runtime's own exit, for tests/process_exit_test.ts to measure in the same
// run as a client's: the modules client.mjs loads, then "done <epoch ms>", and
// nothing left to wait for.
import "@grpc/grpc-js";
import "@kgr/resolver";
import "../../scripts/echo_service.mjs";

console.log(`done ${Date.now()}`);
