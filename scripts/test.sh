#!/usr/bin/env bash
# README command two: install, build and run every test, twice: a normal
# build, then one under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh --test
jobs=$(nproc)
status=0
for kind in release asan; do
  dir=build-test-$kind
  flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
  [ $kind = asan ] && flags+=(-DDRIFTD_SANITIZE=ON)
  echo "== $kind build"
  cmake -S . -B "$dir" "${flags[@]}" >/dev/null
  cmake --build "$dir" -j"$jobs" >/dev/null
  echo "== $kind tests"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$dir" --output-on-failure -j"$jobs" || status=1
done
echo "== fuzz smoke (libFuzzer, clang)"
CC=clang cmake -S . -B build-test-fuzz -DDRIFTD_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-test-fuzz -j"$jobs" --target fuzz_events >/dev/null
ctest --test-dir build-test-fuzz -L fuzz --output-on-failure || status=1
exit $status
