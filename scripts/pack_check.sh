#!/usr/bin/env bash
# Installs the npm tarball into a fresh temporary project, as a user would,
# type-checks a TypeScript use of every entry point under each module
# resolution, runs the cross-runtime scenarios through it on Node and on Bun
# (and on Node again with the oldest grpc-js it supports), runs a client
# bundled from it on Node, and runs its kgr-resolver bin on Node, Bun and Deno.
# Steps that wait far more than they compute run at once (see concurrently).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Runs each argument as a bash command in the background, in the current
# folder, then prints their outputs in the order given; fails when any failed.
concurrently() {
  local -a pids=()
  local command index=0 status=0
  for command in "$@"; do
    bash -c "set -euo pipefail; $command" >"$work/concurrently.$index.log" 2>&1 &
    pids+=("$!")
    index=$((index + 1))
  done
  for index in "${!pids[@]}"; do
    wait "${pids[$index]}" || status=1
    cat "$work/concurrently.$index.log"
  done
  return "$status"
}

cd "$root"
# npm pack builds dist/ first (prepack); `npm test` passes --dist-built, as its `deno task test` has just built the
# dist/ it tested, which is then packed as it is.
pack_flags=()
if [ "${1:-}" = "--dist-built" ]; then pack_flags+=(--ignore-scripts); fi
tarball=$(npm pack --silent "${pack_flags[@]}" --pack-destination "$work" | tail -n 1)
contents=$(tar -tzf "$work/$tarball")
echo "packed $tarball: $(wc -l <<<"$contents") files"
for file in dist/mod.js dist/mod.d.ts dist/nice_grpc.js dist/testing.d.ts dist/cli.js README.md SECURITY.md LICENSE; do
  grep -qx "package/$file" <<<"$contents" || { echo "the tarball lacks $file"; exit 1; }
done

grpc_version=$(node -p 'require("./node_modules/@grpc/grpc-js/package.json").version')
nice_version=$(node -p 'require("./node_modules/nice-grpc/package.json").version')
nice_grpc_js_version=1.14.6
oldest_grpc_version=1.10.12
grpc_112_version=1.12.7
oldest_ts_version=4.9.5
mkdir -p "$work/app/tests/runtimes" "$work/app/tests/cli" "$work/app/scripts"
cp -r tests/fixtures "$work/app/tests/"
cp tests/runtimes/*.mjs "$work/app/tests/runtimes/"
cp tests/topology_cases.mjs tests/_child_env.mjs "$work/app/tests/"
cp tests/cli/bin_scenarios.mjs tests/cli/_cluster.mjs tests/cli/run_bin.mjs "$work/app/tests/cli/"
cp scripts/echo_service.mjs "$work/app/scripts/"
mkdir -p "$work/app/tests/bundle" "$work/bundle"
cp tests/bundle/client.mjs "$work/app/tests/bundle/"
cp tests/types/consumer.ts tests/types/es2022_consumer.ts tests/types/esnext_consumer.ts "$work/app/"
cd "$work/app"
# nice-grpc gets its own, different copy of grpc-js (as happens in real
# projects), so createChannel must find that copy's resolver registry.
cat > package.json <<JSON
{ "name": "kgr-resolver-user", "private": true, "type": "module",
  "overrides": { "nice-grpc": { "@grpc/grpc-js": "$nice_grpc_js_version" } } }
JSON
npm install --silent --no-audit --no-fund --prefer-offline \
  "$work/$tarball" "@grpc/grpc-js@$grpc_version" "nice-grpc@$nice_version"
copies=$(find node_modules -path '*/@grpc/grpc-js/package.json' | wc -l)
[ "$copies" -ge 2 ] || { echo "expected two copies of @grpc/grpc-js, found $copies"; exit 1; }

# The same use as an ES module and as CommonJS (consumer.cts); node10 is what
# "module": "commonjs" implies, and reads no "exports". Under target es2022's
# default lib (with dom), and once under lib es2022 alone, as Node projects
# compile (AbortSignal from Node's types only). The eight checks (those five,
# two projects without Node's types, and the oldest TypeScript on one) run at once (each is one tsc
# process); their outputs follow in this order.
cp consumer.ts consumer.cts
tsc_version=$("$root/node_modules/.bin/tsc" --version | cut -d' ' -f2)
tsc_checks=()
for check in node10:commonjs:consumer.ts: nodenext:nodenext:consumer.ts: nodenext:nodenext:consumer.cts: \
  bundler:esnext:consumer.ts: nodenext:nodenext:consumer.ts:es2022; do
  IFS=: read -r resolution module file lib <<<"$check"
  tsc_checks+=("echo '--- TypeScript $tsc_version, moduleResolution $resolution, ${lib:+lib $lib, }$file, installed tarball'
    '$root/node_modules/.bin/tsc' --noEmit --strict --exactOptionalPropertyTypes --noUncheckedIndexedAccess --target es2022 --module $module \
      --moduleResolution $resolution ${lib:+--lib $lib} --typeRoots '$root/node_modules/@types' --types node $file")
done
# A project without Node's types ("types": [], as a library for every runtime is compiled), under lib es2022 (no
# AsyncDisposable, no AbortSignal: TS2304 from our declarations before) and under lib esnext (await using).
for lib in es2022 esnext; do
  cat >"tsconfig.$lib.json" <<JSON
{ "compilerOptions": { "noEmit": true, "strict": true, "exactOptionalPropertyTypes": true,
  "noUncheckedIndexedAccess": true, "skipLibCheck": false, "target": "es2022", "lib": ["$lib"], "types": [],
  "module": "nodenext", "moduleResolution": "nodenext" }, "files": ["${lib}_consumer.ts"] }
JSON
  tsc_checks+=("echo '--- TypeScript $tsc_version, lib $lib without the types of Node, ${lib}_consumer.ts, installed tarball'
    '$root/node_modules/.bin/tsc' -p tsconfig.$lib.json")
done
# The oldest TypeScript our declarations support (4.9 refused their `.ts` specifiers, TS2691, before
# scripts/dts_specifiers.mjs), on the project without Node's types: the @types/node that npm installs with grpc-js
# wants 5.6+ (README, "Older TypeScript"). About 5 s, beside the other checks.
tsc_checks+=("echo '--- TypeScript $oldest_ts_version, lib es2022 without the types of Node, es2022_consumer.ts, installed tarball'
  mkdir '$work/ts-oldest' && cd '$work/ts-oldest' && echo '{ \"private\": true }' >package.json
  npm install --silent --no-audit --no-fund --prefer-offline typescript@$oldest_ts_version
  cd '$work/app' && '$work/ts-oldest/node_modules/.bin/tsc' -p tsconfig.es2022.json")
concurrently "${tsc_checks[@]}"
echo "--- CommonJS require() of every entry point, Node $(node --version)"
node -e 'for (const entry of ["@kgr/resolver", "@kgr/resolver/nice-grpc", "@kgr/resolver/testing"]) require(entry)'

# The scenarios on Node, on Bun, and on Node with the oldest grpc-js it supports
# (in a copy of the project, so that the other two keep the current one) run at
# once: they wait on timers and sockets far more than they use the CPU, and each
# picks its own ports.
oldest_app="$work/app-oldest-grpc-js"
cp -a "$work/app" "$oldest_app"
(cd "$oldest_app" && npm install --silent --no-audit --no-fund --prefer-offline "@grpc/grpc-js@$oldest_grpc_version")
concurrently \
  "echo '--- Node $(node --version), installed tarball'; timeout 120 node tests/runtimes/run.mjs" \
  "echo '--- Bun $("$root/node_modules/.bin/bun" --version), installed tarball'; timeout 120 '$root/node_modules/.bin/bun' tests/runtimes/run.mjs" \
  "echo '--- Node, installed tarball with the oldest grpc-js it supports ($oldest_grpc_version)'
    cd '$oldest_app' && timeout 120 node tests/runtimes/run.mjs"
# The same TypeScript use against the declarations of the grpc-js releases whose policy API differs from the
# current one: the oldest, and 1.12, whose leaf balancers take the credentials before the options (register({ grpc })
# once failed to compile there, though it ran).
grpc_112_app="$work/app-grpc-js-1.12"
cp -a "$work/app" "$grpc_112_app"
(cd "$grpc_112_app" && npm install --silent --no-audit --no-fund --prefer-offline "@grpc/grpc-js@$grpc_112_version")
tsc_checks=()
for app in "$oldest_app:$oldest_grpc_version" "$grpc_112_app:$grpc_112_version"; do
  tsc_checks+=("echo '--- TypeScript $tsc_version, moduleResolution nodenext, consumer.ts, installed tarball with grpc-js ${app#*:}'
    cd '${app%%:*}' && '$root/node_modules/.bin/tsc' --noEmit --strict --exactOptionalPropertyTypes --noUncheckedIndexedAccess --target es2022 \
      --module nodenext --moduleResolution nodenext --typeRoots '$root/node_modules/@types' --types node consumer.ts")
done
concurrently "${tsc_checks[@]}"
echo "--- a client bundled by bun build from the installed tarball, on Node, Bun and Deno: grpc-js calls; nice-grpc has its own grpc-js copy here, which the bundle cannot share"
"$root/node_modules/.bin/bun" build tests/bundle/client.mjs --target=node --outfile="$work/bundle/client.mjs" >/dev/null
# Each runtime's error names the tool that goes with it.
for runtime in "node:npm dedupe, until npm ls" "$root/node_modules/.bin/bun:bun dedupe, until bun pm ls" \
  "$root/node_modules/.bin/deno run -A:deno install (npm dedupe if npm wrote node_modules), until deno why"; do
  command=${runtime%%:*} advice=${runtime#*:}
  if output=$(cd "$work/bundle" && timeout 30 $command client.mjs 2>&1); then
    echo "$output"; echo "expected nice-grpc's createChannel() to refuse a second copy of grpc-js in the bundle ($command)"; exit 1
  fi
  grep -qx "grpc-js echo-0:hi" <<<"$output" && grep -q "run $advice .* shows one copy (a bundle must hold one: bundle nice-grpc and @grpc/grpc-js together, or leave both external)" <<<"$output" ||
    { echo "$output"; echo "the bundled client did not call through grpc-js, or nice-grpc's error did not say what to do ($command)"; exit 1; }
done
echo "--- the kgr-resolver bin of the installed tarball on Node, Bun and Deno, at once"
[ -x node_modules/.bin/kgr-resolver ] || { echo "the tarball installs no kgr-resolver bin"; exit 1; }
concurrently \
  "KGR_BIN_RUNTIME=node timeout 300 node tests/cli/run_bin.mjs" \
  "KGR_BIN_RUNTIME=bun BUN='$root/node_modules/.bin/bun' timeout 300 node tests/cli/run_bin.mjs" \
  "KGR_BIN_RUNTIME=deno DENO='$root/node_modules/.bin/deno' timeout 300 node tests/cli/run_bin.mjs"
