/**
 * The text of `kgr-resolver --help`.
 *
 * @module
 */

import { DEFAULT_TIMEOUT_SECONDS } from "./args.ts";

/**
 * The help text, with examples.
 *
 * @returns The text, ending in a newline.
 *
 * @example
 * ```ts
 * import { helpText } from "./help.ts";
 * console.log(helpText().split("\n")[0]);
 * ```
 */
export function helpText(): string {
  return `kgr-resolver: see which pods a kubernetes: gRPC target resolves to, and
why the others are not used

Usage:
  kgr-resolver [watch] [options] TARGET
      follow the pods of TARGET (a live table on a terminal)
  kgr-resolver check [options] TARGET
      check the credentials' grants, resolve TARGET once, and say what to fix

TARGET is what a gRPC client dials, e.g. kubernetes:///echo.prod:grpc
(service echo, namespace prod, port grpc).

Options:
  --once               print the first snapshot and exit (1 when it has no
                       usable pod, or the watch after it fails)
  --json               one JSON object per snapshot and line: the snapshot's
                       fields, plus the unused pods and why
  --timeout SECONDS    how long --once and check wait for an answer
                       (default ${DEFAULT_TIMEOUT_SECONDS})
  --kubeconfig FILE    the kubeconfig to use (default: KUBECONFIG,
                       in-cluster, ~/.kube/config)
  --context NAME       the kubeconfig context to use (default: its
                       current-context)
  -n, --namespace NS   the namespace of targets without one (default: the
                       context's, else the pod's, else default)
  --zone ZONE          the client's zone, for topology-aware routing
  --node NODE          the client's node (without --zone, its zone label
                       gives the zone); without either flag, ZONE and NODE_NAME
                       (and that node's zone label when ZONE is unset)
  --subset-size K      with --subset-seed: the subset of a client registered
                       with subsetSize K ...
  --subset-seed S      ... and subsetSeed S; pods outside it show as not used
  --no-protobuf        read EndpointSlices as JSON only (default: protobuf,
                       as the resolver reads them)
  -h, --help, help     show this help
  --version, version   print the version

Examples:
  kgr-resolver kubernetes:///echo.prod:grpc
  kgr-resolver --once --json kubernetes:///echo.prod:grpc |
    jq '.endpoints | length'
  kgr-resolver --context kind-kind -n prod kubernetes:///echo:grpc
  kgr-resolver --zone eu-west-1a kubernetes:///echo.prod:grpc
  kgr-resolver --subset-size 10 --subset-seed 7 kubernetes:///echo.prod:grpc
  kgr-resolver check kubernetes:///echo.prod:grpc

Exit status: 0 on success and on Ctrl-C (or SIGTERM) while following; 1 when
the cluster or the API fails, or --once finds no usable pod or may list but not
watch (as check fails on a missing grant); 2 for a bad command line or target;
130 when Ctrl-C stops --once or check (143 for SIGTERM, 141 when their reader
goes away, as with | head); 131 on Ctrl-\\ (SIGQUIT), 129 on SIGHUP.
Colours and the live table only on a terminal (not one whose TERM is dumb); no
colours with NO_COLOR set.
`;
}
