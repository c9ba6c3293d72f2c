#!/usr/bin/env bash
# Builds the real control plane used by tests/e2e: kube-apiserver, kube-controller-manager, kube-proxy,
# kubectl (k8s.io/kubernetes) and etcd (go.etcd.io/etcd/server/v3), and promtool
# (github.com/prometheus/prometheus, for tests/readme_alerts_test.ts), at the versions pinned in versions.env, into
#   ${XDG_CACHE_HOME:-$HOME/.cache}/kgr-resolver/<name>-<version>
# A binary that is already there is not rebuilt (the cache is keyed by version).
#
# Needs Go (the version in kube-apiserver/go.mod or newer; with GOTOOLCHAIN=auto an older
# go downloads it) and the Go module proxy. A cold build takes about 10 minutes on 2 cores for the control plane
# (kube-proxy adds about 20 s and kubectl about 75 s to its 8 minutes); promtool took 7 minutes more (7m03s alone, from
# empty module and build caches, 2 cores shared with other work: load average 10 falling to 3).
#
# Usage: bash scripts/control_plane/build.sh [--print-dir]
#   --print-dir  print the cache directory and exit
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
cache_dir="${XDG_CACHE_HOME:-$HOME/.cache}/kgr-resolver"
if [[ "${1:-}" == "--print-dir" ]]; then
	echo "$cache_dir"
	exit 0
fi
command -v go >/dev/null || {
	echo "Cannot build the control plane: 'go' is not on PATH: install Go 1.26 or newer from https://go.dev/dl/" >&2
	exit 1
}
mkdir -p "$cache_dir"
# One build at a time per cache directory (two test runs may call this together).
if command -v flock >/dev/null; then
	exec 9>"$cache_dir/.build.lock"
	flock 9
fi

export CGO_ENABLED=0
export GOFLAGS=-mod=readonly

# build <name> <version> <module dir> <package> [ldflags]
build() {
	local name="$1" version="$2" dir="$3" pkg="$4" ldflags="${5:-}"
	local out="$cache_dir/$name-$version"
	if [[ -x "$out" ]]; then
		echo "==> $name $version: already built ($out)"
		return 0
	fi
	local start=$SECONDS
	echo "==> $name $version: loading packages (modules missing from the module cache are downloaded and checked against go.sum)"
	local total list_log
	list_log="$(mktemp)"
	if ! total="$(go -C "$dir" list -deps "$pkg" 2>"$list_log" | wc -l)"; then
		echo "Cannot build $name $version: loading its packages failed:" >&2
		cat "$list_log" >&2
		rm -f "$list_log"
		exit 1
	fi
	printf '    %d modules downloaded, packages loaded in %ds\n' "$(grep -c '^go: downloading' "$list_log" || true)" \
		$((SECONDS - start))
	rm -f "$list_log"
	echo "==> $name $version: building $pkg ($total packages with the standard library)"
	local log tmp
	log="$(mktemp)"
	tmp="$out.tmp.$$"
	# go build -v prints each package as it compiles it: count them for progress.
	go -C "$dir" build -trimpath -v -ldflags "-s -w $ldflags" -o "$tmp" "$pkg" >"$log" 2>&1 &
	local pid=$!
	trap 'kill "$pid" 2>/dev/null; rm -f "$tmp" "$log"' EXIT
	while kill -0 "$pid" 2>/dev/null; do
		for _ in $(seq 30); do
			sleep 1
			kill -0 "$pid" 2>/dev/null || break
		done
		if kill -0 "$pid" 2>/dev/null; then
			printf '    %s: %dm%02ds elapsed, %d/%d packages compiled\n' "$name" $(((SECONDS - start) / 60)) \
				$(((SECONDS - start) % 60)) "$(grep -vc '^#' "$log" || true)" "$total"
		fi
	done
	if ! wait "$pid"; then
		echo "Cannot build $name $version: go build failed:" >&2
		grep -v '^[a-zA-Z0-9._/-]*$' "$log" >&2 || cat "$log" >&2
		exit 1
	fi
	trap - EXIT
	rm -f "$log"
	mv -f "$tmp" "$out"
	printf '==> %s %s: built in %dm%02ds (%s, %s)\n' "$name" "$version" $(((SECONDS - start) / 60)) \
		$(((SECONDS - start) % 60)) "$out" "$(du -h "$out" | cut -f1)"
}

total_start=$SECONDS
build etcd "$ETCD_VERSION" "$here/etcd" .
k8s_minor="${KUBERNETES_VERSION#v1.}"
k8s_minor="${k8s_minor%%.*}"
version_ldflags="-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION \
-X k8s.io/component-base/version.gitMajor=1 \
-X k8s.io/component-base/version.gitMinor=$k8s_minor \
-X k8s.io/component-base/version.gitTreeState=clean \
-X k8s.io/client-go/pkg/version.gitVersion=$KUBERNETES_VERSION \
-X k8s.io/client-go/pkg/version.gitMajor=1 \
-X k8s.io/client-go/pkg/version.gitMinor=$k8s_minor"
build kube-apiserver "$KUBERNETES_VERSION" "$here/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver "$version_ldflags"
# kubectl, for tests/e2e/kubectl_differential_test.ts (what the real client does with the same kubeconfig).
build kubectl "$KUBERNETES_VERSION" "$here/kube-apiserver" k8s.io/kubernetes/cmd/kubectl "$version_ldflags"
# The EndpointSlice controller, so that e2e slices come from Pods as in users' clusters.
build kube-controller-manager "$KUBERNETES_VERSION" "$here/kube-apiserver" k8s.io/kubernetes/cmd/kube-controller-manager \
	"$version_ldflags"
# kube-proxy, to compare the endpoints it programs with ours (tests/e2e/kube_proxy_differential_test.ts).
build kube-proxy "$KUBERNETES_VERSION" "$here/kube-apiserver" k8s.io/kubernetes/cmd/kube-proxy "$version_ldflags"
# promtool, for tests/readme_alerts_test.ts (the README's alerts through Prometheus's own rule evaluator).
prometheus_release="${PROMETHEUS_VERSION#v0.}"
prometheus_release="${prometheus_release:0:1}.$((10#${prometheus_release:1:2})).${prometheus_release#*.}"
build promtool "$PROMETHEUS_VERSION" "$here/promtool" github.com/prometheus/prometheus/cmd/promtool \
	"-X github.com/prometheus/common/version.Version=$prometheus_release"
printf '==> control plane ready in %s (total %dm%02ds)\n' "$cache_dir" $(((SECONDS - total_start) / 60)) \
	$(((SECONDS - total_start) % 60))
