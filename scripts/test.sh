#!/usr/bin/env bash
# README command two: install, build and run every test, twice (a normal
# build, then AddressSanitizer + UndefinedBehaviorSanitizer), then a short
# libFuzzer smoke.  Ends with one line "N passed, M failed" over all runs.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh --test || exit 1
jobs=$(nproc)
passed=0
failed=0
log=$(mktemp)

run_ctest() { # dir, ctest args...
  local dir=$1
  shift
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$dir" --output-on-failure -j"$jobs" "$@" 2>&1 | tee "$log"
  local line
  line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1)
  if [ -z "$line" ]; then
    echo "test.sh: no ctest summary from $dir"
    failed=$((failed + 1))
    return
  fi
  local total bad
  total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
  bad=$(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
  passed=$((passed + total - bad))
  failed=$((failed + bad))
}

build() { # dir, cmake args...
  local dir=$1
  shift
  cmake -S . -B "$dir" "$@" >/dev/null && cmake --build "$dir" -j"$jobs" >/dev/null
}

for kind in release asan; do
  dir=build-test-$kind
  flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
  [ $kind = asan ] && flags+=(-DDRIFTD_SANITIZE=ON)
  # the benchmarks are compiled (not run) too, so a change cannot leave them broken
  [ $kind = release ] && flags+=(-DDRIFTD_BENCH=ON)
  echo "== $kind build"
  if build "$dir" "${flags[@]}"; then
    echo "== $kind tests"
    run_ctest "$dir"
  else
    echo "test.sh: $kind build failed"
    failed=$((failed + 1))
  fi
done

echo "== fuzz smoke (libFuzzer, clang)"
if CC=clang cmake -S . -B build-test-fuzz -DDRIFTD_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
   cmake --build build-test-fuzz -j"$jobs" --target fuzz_events fuzz_http fuzz_settings fuzz_summary >/dev/null; then
  run_ctest build-test-fuzz -L fuzz
else
  echo "test.sh: fuzz build failed"
  failed=$((failed + 1))
fi
rm -f "$log"
echo
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
