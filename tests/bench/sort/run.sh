#!/usr/bin/env bash
# Sorting benchmark: builds bench_sort in Release into build-bench/ and prints
# dd_sort_doubles() against qsort() per array size (tests/bench/README.md, "Sorting").
set -euo pipefail
source "$(dirname "$0")/../common/build.sh"
bench_build bench_sort
exec build-bench/bench_sort "$@"
