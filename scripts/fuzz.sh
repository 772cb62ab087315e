#!/usr/bin/env bash
# Fuzz one target for longer than CI does, and keep what it learnt:
#   scripts/fuzz.sh soap|json|orders_json [SECONDS]
# New inputs that add coverage are merged into tests/fuzz/corpus/<name>/ (commit them); a crash
# is written to build-fuzz/fuzz-artifacts/<name>/: fix it, then move the input into
# tests/fuzz/regressions/<name>/ so every later run replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: $0 soap|json|orders_json [SECONDS]}
seconds=${2:-600}

cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DOFBRIDGE_BUILD_TESTS=OFF -DOFBRIDGE_FUZZ=ON >/dev/null
cmake --build build-fuzz --target "fuzz_$name"

work=build-fuzz/tests/fuzz/corpus/$name
kept=tests/fuzz/corpus/$name
mkdir -p "$work" "$kept" "build-fuzz/fuzz-artifacts/$name"
# The same seeds and options as the CTest run (tests/fuzz/CMakeLists.txt), read back from it.
args=$(ctest --test-dir build-fuzz -R "^fuzz\.$name\.explore$" --show-only=json-v1 |
  python3 -c 'import json,sys; t=json.load(sys.stdin)["tests"][0]["command"]; print("\n".join(t[1:]))' |
  grep -v -e '^-max_total_time=' -e '^-print_final_stats=')
mapfile -t args <<<"$args"
"build-fuzz/tests/fuzz/fuzz_$name" "${args[@]}" -max_total_time="$seconds"
"build-fuzz/tests/fuzz/fuzz_$name" -merge=1 "$kept" "$work"
