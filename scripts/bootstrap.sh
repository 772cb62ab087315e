#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine:
#   scripts/bootstrap.sh run    install what is needed, build, run the broker (etc/ofbridge.toml)
#   scripts/bootstrap.sh test   install what is needed, build, run the whole test suite twice:
#                               an optimised build, then an ASan+UBSan build; then replay and
#                               run the libFuzzer targets (clang) for a bounded time
# Packages come from Debian only (see PACKAGES below); nothing is downloaded at build time.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  cmake ninja-build g++ pkg-config
  gsoap libgsoap-dev libpugixml-dev
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev sqlite3 libspdlog-dev libtomlplusplus-dev libcli11-dev
  libssl-dev openssl libargon2-dev zlib1g-dev libkainjow-mustache-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-zeep python3-requests python3-jsonschema python3-oauthlib php-cli php-soap php-sqlite3
  chromium chromium-driver python3-selenium python3-prometheus-client
  wrk curl strace clang-format clang libclang-rt-14-dev
  libsystemd-dev systemd help2man dpkg-dev fakeroot lintian adduser
)

install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "== installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

build() {  # build DIR [cmake args...]
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja "$@"
  cmake --build "$dir"
}

jobs=$(nproc)

case "${1:-}" in
  run)
    install_packages
    build build -DCMAKE_BUILD_TYPE=Release -DOFBRIDGE_BUILD_TESTS=OFF
    exec build/src/app/ofbridge serve --config etc/ofbridge.toml "${@:2}"
    ;;
  test)
    install_packages
    echo "== optimised build + tests"
    build build -DCMAKE_BUILD_TYPE=Release
    ctest --test-dir build --output-on-failure -j "$jobs"
    echo "== ASan + UBSan build + tests"
    build build-asan -DCMAKE_BUILD_TYPE=Debug -DOFBRIDGE_SANITIZE=ON
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      ctest --test-dir build-asan --output-on-failure -j "$jobs"
    echo "== libFuzzer targets: saved inputs replayed, then ${OFBRIDGE_FUZZ_SECONDS:-30} s of fuzzing each"
    cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
      -DOFBRIDGE_BUILD_TESTS=OFF -DOFBRIDGE_FUZZ=ON -DOFBRIDGE_FUZZ_SECONDS="${OFBRIDGE_FUZZ_SECONDS:-30}"
    cmake --build build-fuzz --target ofbridge_fuzzers
    ctest --test-dir build-fuzz --output-on-failure -j "$jobs"
    ;;
  *)
    echo "usage: $0 run [serve options] | test" >&2
    exit 2
    ;;
esac
