#!/usr/bin/env bash
# Creates a kind (Kubernetes in Docker) cluster for the end-to-end suite and prints
# the command that runs the tests against it. Needs Docker (a running engine) and kind
# (https://kind.sigs.k8s.io/docs/user/quick-start/#installation).
#
# Usage:
#   bash scripts/kind.sh            create the cluster (or reuse it) and print the test command
#   bash scripts/kind.sh --delete   delete the cluster and its kubeconfig
#
# Environment:
#   KIND_CLUSTER_NAME  cluster name (default: kgr-resolver-e2e)
#   KIND_NODE_IMAGE    node image, e.g. kindest/node:v1.36.0 (default: kind's own default)
#
# The kubeconfig is written to its own file (never merged into ~/.kube/config), so
# that the suite cannot pick up another cluster by accident. Against such a cluster the
# suite skips the scenarios that need to kill or restart kube-apiserver or to compact
# etcd (they run only with the local control plane of scripts/control_plane/build.sh).
set -euo pipefail

name="${KIND_CLUSTER_NAME:-kgr-resolver-e2e}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
kubeconfig="${XDG_CACHE_HOME:-$HOME/.cache}/kgr-resolver/kind-$name.kubeconfig"

fail() {
	echo "$*" >&2
	exit 1
}

command -v kind >/dev/null ||
	fail "Cannot create the kind cluster: 'kind' is not on PATH: install it from https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
command -v docker >/dev/null ||
	fail "Cannot create the kind cluster: 'docker' is not on PATH: install Docker (or set KIND_EXPERIMENTAL_PROVIDER=podman)"

if [[ "${1:-}" == "--delete" ]]; then
	kind delete cluster --name "$name"
	rm -f "$kubeconfig"
	exit 0
elif [[ $# -gt 0 ]]; then
	fail "Cannot parse the arguments: unknown option \"$1\": use no argument or --delete"
fi

if [[ "${KIND_EXPERIMENTAL_PROVIDER:-docker}" == "docker" ]] && ! docker info >/dev/null 2>&1; then
	fail "Cannot create the kind cluster: the Docker engine does not answer ('docker info' failed): start it first"
fi

mkdir -p "$(dirname "$kubeconfig")"
if kind get clusters 2>/dev/null | grep -qx "$name"; then
	echo "==> kind cluster \"$name\" already exists: reusing it"
else
	args=(create cluster --name "$name" --wait 180s --kubeconfig "$kubeconfig")
	[[ -n "${KIND_NODE_IMAGE:-}" ]] && args+=(--image "$KIND_NODE_IMAGE")
	echo "==> kind ${args[*]}"
	kind "${args[@]}"
fi
# Always rewrite it: the API server's host port changes when Docker restarts the node.
kind get kubeconfig --name "$name" >"$kubeconfig"
chmod 600 "$kubeconfig"

server="$(sed -n 's/^ *server: *//p' "$kubeconfig" | head -n 1)"
echo "==> cluster \"$name\" at $server; kubeconfig: $kubeconfig"
echo
echo "Run the whole suite (the end-to-end scenarios against this cluster):"
echo "  cd $repo && E2E_KUBECONFIG=$kubeconfig npx deno task test"
echo "Only the end-to-end scenarios:"
echo "  cd $repo && E2E_KUBECONFIG=$kubeconfig ./node_modules/.bin/deno test -A tests/e2e/"
echo "Delete the cluster afterwards:"
echo "  bash scripts/kind.sh --delete"
